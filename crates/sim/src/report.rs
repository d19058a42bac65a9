//! What a replay reports: per flow, per capture, and the findings.
//!
//! These types are the simulator's output contract. They serialise to the
//! JSON that `rulesim replay --format json|jsonl` prints, and the golden
//! tests compare them with declarative expectations, so every field says
//! something a user can check against the capture.

use std::net::IpAddr;
use std::sync::Arc;

use rulesim_core::{RuleSummary, Verdict};
use serde::Serialize;

/// What happened to a flow as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowVerdict {
    /// No packet was dropped.
    Allowed,
    /// Its application data got through, but some packets were dropped
    /// (typically the first segment of a split ClientHello).
    AllowedWithDrops,
    /// Stopped: the packet carrying its request (or every later packet) was dropped.
    Blocked,
    /// Stopped with a TCP reset.
    Rejected,
}

impl FlowVerdict {
    /// The lower-case word used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            FlowVerdict::Allowed => "allowed",
            FlowVerdict::AllowedWithDrops => "allowed_with_drops",
            FlowVerdict::Blocked => "blocked",
            FlowVerdict::Rejected => "rejected",
        }
    }
}

/// Who decided a flow (or a packet).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Decider {
    /// A rule.
    Rule {
        /// The rule, with its group and provenance (shared by every flow it decided).
        rule: Arc<RuleSummary>,
    },
    /// A stateful default action (`aws:drop_established`, ...).
    DefaultAction {
        /// Its AWS name.
        action: &'static str,
    },
    /// The stateless default action (`aws:drop`, `aws:pass`).
    StatelessDefault {
        /// Its AWS name.
        action: &'static str,
    },
    /// The stream exception policy (midstream or broken TCP flow).
    StreamExceptionPolicy {
        /// `DROP` or `REJECT`.
        action: &'static str,
    },
    /// Nothing matched and no default applied.
    NoMatch,
}

/// Something about a flow a reviewer should look at.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Finding {
    /// A TLS ClientHello without SNI: no domain rule can allow it.
    NoSni,
    /// The flow names no domain: the client connected to an IP address
    /// (no SNI, or an IP literal in the SNI or Host).
    IpLiteralDestination,
    /// Encrypted ClientHello offered: only the outer SNI was judged.
    EchOffered {
        /// Whether it looks like GREASE ECH (no real inner name).
        grease: bool,
    },
    /// QUIC: `tls.sni` rules do not see it; the default action decided.
    Quic {
        /// What happened to it.
        verdict: FlowVerdict,
    },
    /// A ClientHello split over several TCP segments lost its first
    /// segment(s) to the default action (the post-quantum breakage).
    SplitClientHelloDropped {
        /// Segments that carried the ClientHello.
        segments: u32,
        /// Packets dropped before the ClientHello completed.
        dropped: Vec<u64>,
    },
    /// The TLS SNI and the HTTP Host of the flow name different hosts.
    SniHostMismatch {
        /// The SNI.
        sni: String,
        /// The Host.
        host: String,
    },
    /// The destination address was not returned by any earlier DNS answer
    /// in the capture for the name the flow presented.
    UnresolvedDestination {
        /// The name presented (SNI or Host).
        name: String,
        /// Names that did resolve to this address, if any.
        resolved_from: Vec<String>,
    },
    /// The name has upper-case letters (AWS matches TLS case-insensitively).
    MixedCaseName {
        /// The name as sent.
        name: String,
    },
    /// The name ends with a dot, which matches no domain-list entry.
    TrailingDotName {
        /// The name as sent.
        name: String,
    },
    /// A DNS query for a name whose TLS connection the policy would not allow.
    DnsQueryForBlockedName {
        /// The queried name.
        name: String,
    },
    /// A TCP flow picked up without its handshake: the stream exception
    /// policy applies.
    Midstream,
    /// The flow sent a TCP reset because a rule or policy rejected it.
    ResetSent,
}

impl Finding {
    /// One line for humans.
    pub fn describe(&self) -> String {
        match self {
            Finding::NoSni => "TLS without SNI: no domain rule can allow it".into(),
            Finding::IpLiteralDestination => "connects to an IP address, not a name".into(),
            Finding::EchOffered { grease: true } => {
                "ECH GREASE offered (only the outer SNI is visible)".into()
            }
            Finding::EchOffered { grease: false } => {
                "ECH offered: only the outer (public) SNI was judged".into()
            }
            Finding::Quic { verdict } => {
                format!("QUIC: tls.sni rules do not see it; {} by the defaults", verdict.as_str())
            }
            Finding::SplitClientHelloDropped { segments, dropped } => format!(
                "ClientHello over {segments} segments: packet(s) {} dropped before it completed",
                join(dropped)
            ),
            Finding::SniHostMismatch { sni, host } => format!("SNI {sni} but Host {host}"),
            Finding::UnresolvedDestination { name, resolved_from } if resolved_from.is_empty() => {
                format!("no DNS answer in the capture resolved {name} to this address")
            }
            Finding::UnresolvedDestination { name, resolved_from } => format!(
                "no DNS answer resolved {name} to this address (it was resolved from {})",
                resolved_from.join(", ")
            ),
            Finding::MixedCaseName { name } => format!("mixed-case name {name}"),
            Finding::TrailingDotName { name } => {
                format!("trailing dot in {name} (matches no list entry)")
            }
            Finding::DnsQueryForBlockedName { name } => {
                format!("DNS query for {name}, which the policy blocks over TLS")
            }
            Finding::Midstream => "picked up midstream (stream exception policy)".into(),
            Finding::ResetSent => "TCP reset sent".into(),
        }
    }
}

fn join(numbers: &[u64]) -> String {
    numbers.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
}

/// The endpoints of a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Endpoints {
    /// `tcp` or `udp` (`icmp`/`ip` for flowless packets).
    pub transport: &'static str,
    /// Client address.
    pub src: IpAddr,
    /// Client port.
    pub sport: u16,
    /// Server address.
    pub dst: IpAddr,
    /// Server port.
    pub dport: u16,
}

/// The names a flow presented, as sent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Names {
    /// TLS SNIs (one per ClientHello; `None` shown as absent).
    pub sni: Vec<String>,
    /// HTTP Hosts (one per request that had one).
    pub hosts: Vec<String>,
    /// DNS question names.
    pub qnames: Vec<String>,
}

impl Names {
    /// The first name of the flow, for tables.
    pub fn primary(&self) -> Option<&str> {
        self.sni.first().or(self.hosts.first()).or(self.qnames.first()).map(String::as_str)
    }
}

/// One flow's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FlowReport {
    /// Index of the flow in the capture (order of first packet).
    pub flow: u64,
    /// Its endpoints.
    pub endpoints: Endpoints,
    /// The application protocol seen (`tls`, `http`, `dns`, `quic`, or none).
    pub app: Option<&'static str>,
    /// What happened to it.
    pub verdict: FlowVerdict,
    /// The packet at which it was decided.
    pub deciding_packet: Option<u64>,
    /// Who decided it.
    pub decided_by: Decider,
    /// Names it presented.
    pub names: Names,
    /// Packet number of its first packet.
    pub first_packet: u64,
    /// How many packets it had.
    pub packets: u64,
    /// Numbers of the packets AWS would drop.
    pub dropped: Vec<u64>,
    /// Alerts it logged (rule summaries; default-action alerts by name).
    pub alerts: Vec<AlertRef>,
    /// What a reviewer should look at.
    pub findings: Vec<Finding>,
    /// Packet, byte and flag counts per direction (client to server, then
    /// server to client): what the flow's FLOW log records report
    /// ([`crate::eve::flow_records`]).
    #[serde(skip)]
    pub directions: [DirectionCounters; 2],
}

/// What one direction of a flow carried.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DirectionCounters {
    /// Packets.
    pub packets: u64,
    /// Bytes on the wire.
    pub bytes: u64,
    /// The OR of the TCP flags seen.
    pub flags: u8,
    /// Time of the first packet (ns since the epoch).
    pub first_ts: u64,
    /// Time of the last packet (ns since the epoch).
    pub last_ts: u64,
}

/// An alert as a flow report lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AlertRef {
    /// The packet that raised it.
    pub packet: u64,
    /// `blocked` or `allowed`.
    pub action: &'static str,
    /// `sid` (0 for default actions).
    pub sid: u32,
    /// The rule's group, or the default action's name.
    pub source: String,
    /// `msg`, or `aws:… action`.
    pub signature: String,
}

/// Packets that belong to no TCP/UDP flow (ICMP, other protocols, undecodable).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FlowlessPackets {
    /// How many.
    pub packets: u64,
    /// Numbers of those AWS would drop.
    pub dropped: Vec<u64>,
}

/// The result of replaying one capture.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CaptureReport {
    /// The capture as named.
    pub file: String,
    /// Packets read.
    pub packets: u64,
    /// Packets AWS would drop.
    pub dropped_packets: u64,
    /// Every flow, by first packet.
    pub flows: Vec<FlowReport>,
    /// Packets outside flows.
    pub flowless: FlowlessPackets,
    /// Where the capture was damaged, if it was (flows before the damage are reported).
    pub damage: Option<String>,
}

/// Turns a packet verdict into the word alert logs use.
pub(crate) fn alert_action(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "allowed",
        Verdict::Drop | Verdict::Reject => "blocked",
    }
}
