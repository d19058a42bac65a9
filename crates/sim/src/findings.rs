//! Findings that need more than one flow: what DNS said before a connection.
//!
//! A TLS connection whose SNI was never resolved to its destination address
//! by any earlier DNS answer in the capture (pinned addresses, `--resolve`,
//! DNS over HTTPS, domain fronting) is worth a look, as is plain HTTP whose
//! Host differs from the names that resolved to the address. These checks
//! run after every flow is finished, over the whole capture, so they give the
//! same answer however the flows were shared between threads.

use std::net::IpAddr;

use rulesim_core::lint::probe;
use rulesim_core::name::{NameSource, observe};
use rulesim_core::{CompiledPolicy, TargetType, Verdict};

use crate::Finding;
use crate::engine::Resolution;
use crate::report::FlowReport;

/// Whether a TLS connection from `client` presenting `name` would be stopped.
pub(crate) fn tls_blocked(policy: &CompiledPolicy, name: &[u8], client: IpAddr) -> bool {
    let buffer = observe(NameSource::TlsSni, name).buffer;
    let obs = probe::name_packet(TargetType::TlsSni, &buffer, client, probe::PROBE_SERVER);
    policy.evaluate(&obs).verdict != Verdict::Pass
}

/// Adds `UnresolvedDestination` findings to `flows`, given every DNS answer
/// of the capture. Does nothing when the capture has no DNS answers.
pub(crate) fn resolved_ip_checks(flows: &mut [FlowReport], resolutions: &[Resolution]) {
    if resolutions.is_empty() {
        return;
    }
    for flow in flows.iter_mut() {
        if !matches!(flow.app, Some("tls" | "http")) {
            continue;
        }
        let Some(name) = flow.names.sni.iter().chain(&flow.names.hosts).find(|n| !n.is_empty())
        else {
            continue;
        };
        let name =
            name.split(':').next().unwrap_or(name).trim_end_matches('.').to_ascii_lowercase();
        if name.parse::<IpAddr>().is_ok() || name.starts_with('[') {
            continue;
        }
        let dst = flow.endpoints.dst;
        let earlier =
            resolutions.iter().filter(|r| r.packet < flow.first_packet && r.addrs.contains(&dst));
        let mut resolved_from: Vec<String> =
            earlier.flat_map(|r| r.names.iter().cloned()).collect();
        resolved_from.sort();
        resolved_from.dedup();
        if !resolved_from.contains(&name) {
            flow.findings.push(Finding::UnresolvedDestination { name, resolved_from });
            flow.findings.sort();
        }
    }
}
