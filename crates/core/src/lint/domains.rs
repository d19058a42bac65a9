//! Checks on the entries of domain lists: how each is written, whether a
//! broader entry already covers it, whether it opens a public suffix or a
//! shared zone, and whether an allowed site's CDN is allowed too.

use std::collections::HashSet;

use crate::compile::CompiledPolicy;
use crate::eval::Verdict;
use crate::lint::zones::{CDN_HINTS, shared_zone_covered_by};
use crate::lint::{Finding, Lint, probe};
use crate::name::{Change, TargetName};
use crate::policy::{ListKind, Policy, RulesSource, Target, TargetType};

/// Host labels that name one machine, not a domain.
const HOST_LABELS: &[&str] = &["www", "www1", "www2", "www3"];

pub(super) fn check(policy: &Policy, out: &mut Vec<Finding>) {
    for group in &policy.groups {
        let RulesSource::DomainList(list) = &group.rules else { continue };
        let dotted: HashSet<&str> = list
            .targets
            .iter()
            .filter(|t| t.name.leading_dot)
            .map(|t| t.name.name.as_str())
            .collect();
        for target in &list.targets {
            written(target, out);
            apex(&dotted, target, out);
            if list.kind == ListKind::Allowlist {
                broad(target, out);
            }
        }
    }
}

/// How the entry is written: case and IP literals (the readers reject the rest).
fn written(target: &Target, out: &mut Vec<Finding>) {
    let changes = target.name.changes;
    if changes.contains(Change::Lowercased) {
        out.push(Finding::new(
            Lint::UppercaseTarget,
            Some(target.location.clone()),
            format!("`{}` has upper-case letters", target.written),
            format!("write `{}`", target.name.to_aws()),
        ));
    }
    if changes.contains(Change::IpLiteral) {
        out.push(Finding::new(
            Lint::IpLiteralTarget,
            Some(target.location.clone()),
            format!("`{}` is an IP address, not a domain name", target.written),
            Lint::IpLiteralTarget.help(),
        ));
    }
}

/// `example.com` (registrable, exact) and `.www.example.com`.
fn apex(dotted: &HashSet<&str>, target: &Target, out: &mut Vec<Finding>) {
    let name = target.name.name.as_str();
    if target.name.changes.contains(Change::IpLiteral) {
        return;
    }
    // Registrable under an ICANN suffix: `example.com`, not a bucket host
    // such as `b.s3.us-east-1.amazonaws.com` (a private-section suffix).
    let icann = psl::suffix(name.as_bytes()).is_some_and(|s| s.typ() == Some(psl::Type::Icann));
    let registrable = icann && psl::domain_str(name) == Some(name);
    if !target.name.leading_dot && registrable && !dotted.contains(name) {
        out.push(Finding::new(
                Lint::ExactProbablySubdomains,
                Some(target.location.clone()),
                format!("`{name}` matches only the apex: `www.{name}` and every other subdomain are not covered"),
                format!("write `.{name}` for the apex and its subdomains, or keep `{name}` if only the apex is meant"),
            ));
    }
    if target.name.leading_dot {
        let first = name.split('.').next().unwrap_or_default();
        let rest = &name[first.len().min(name.len())..].trim_start_matches('.');
        if HOST_LABELS.contains(&first) && psl::domain_str(name) != Some(name) {
            out.push(Finding::new(
                Lint::SubdomainsProbablyExact,
                Some(target.location.clone()),
                format!("`.{name}` covers names below the host `{name}`, which nobody uses"),
                format!("write `{name}` for that host, or `.{rest}` for the whole domain"),
            ));
        }
    }
}

/// Whether entry `a` matches every name entry `b` matches, by the
/// definitional matcher [`TargetName::matches`].
pub(super) fn covers(a: &TargetName, b: &TargetName) -> bool {
    a.matches(&b.name) && (a.leading_dot || !b.leading_dot)
}

/// Allowed public suffixes and shared zones.
fn broad(target: &Target, out: &mut Vec<Finding>) {
    if !target.name.leading_dot {
        return;
    }
    let name = target.name.name.as_str();
    if let Some(zone) = shared_zone_covered_by(name) {
        let scope = if zone.zone == name {
            String::new()
        } else {
            format!(" (it contains `{}`)", zone.zone)
        };
        out.push(Finding::new(
            Lint::SharedZoneAllowed,
            Some(target.location.clone()),
            format!("`.{name}` allows {}{scope}", zone.what),
            zone.advice,
        ));
        return;
    }
    let is_suffix = psl::suffix(name.as_bytes())
        .is_some_and(|s| s.is_known() && s.as_bytes() == name.as_bytes());
    if is_suffix {
        out.push(Finding::new(
            Lint::PublicSuffixAllowed,
            Some(target.location.clone()),
            format!("`.{name}` is a public suffix: it allows every domain registered under it"),
            format!("allow the registrable domains you need, e.g. `.example.{name}`"),
        ));
    }
}

/// Allowed sites whose pages need a CDN the policy does not allow, proven
/// by evaluating the CDN host's TLS packet.
pub(super) fn check_cdns(compiled: &CompiledPolicy, out: &mut Vec<Finding>) {
    let policy = compiled.policy();
    let src = probe::client(policy);
    for group in &policy.groups {
        let RulesSource::DomainList(list) = &group.rules else { continue };
        if list.kind != ListKind::Allowlist || !list.target_types.contains(&TargetType::TlsSni) {
            continue;
        }
        for target in &list.targets {
            let name = target.name.name.as_str();
            for hint in CDN_HINTS {
                // The entry serves the site's pages: the site itself, its
                // `www` host, or a leading-dot entry around or inside it.
                let dotted_site = format!(".{}", hint.site);
                let about_site = name == hint.site
                    || name.strip_prefix("www") == Some(dotted_site.as_str())
                    || (target.name.leading_dot
                        && (name.ends_with(&dotted_site)
                            || hint.site.ends_with(&format!(".{name}"))));
                if !about_site || target.name.matches(hint.needs) {
                    continue;
                }
                let packet = probe::name_packet(
                    TargetType::TlsSni,
                    hint.needs.as_bytes(),
                    src,
                    probe::PROBE_SERVER,
                );
                if compiled.evaluate(&packet).verdict != Verdict::Pass {
                    out.push(Finding::new(
                        Lint::CdnNotAllowed,
                        Some(target.location.clone()),
                        format!(
                            "pages of `{}` load from `{}`, which this policy does not allow",
                            hint.site, hint.needs
                        ),
                        format!("allow `{}` too if browsers must render the site", hint.suggest),
                    ));
                }
            }
        }
    }
}
