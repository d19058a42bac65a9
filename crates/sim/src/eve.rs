//! AWS Network Firewall log records (ALERT and FLOW), as CloudWatch shows them.
//!
//! Users hold rulesim's answer against their real logs, so the records use
//! AWS's field names and types exactly (SEMANTICS.md §7): an envelope with
//! `firewall_name`, `availability_zone` and `event_timestamp` (epoch seconds
//! as a string) around a Suricata EVE `event`. Alert records carry
//! `alert{action, signature_id, rev, signature, category, severity}` and the
//! `tls.sni` or `http.hostname` that was judged; flow records are
//! `netflow` records, one per direction, written when the flow ends.

use std::net::IpAddr;
use std::sync::Arc;

use rulesim_wire::decode::TcpFlags;
use serde::Serialize;

use crate::report::FlowReport;

/// The envelope around every record.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LogRecord<E> {
    /// The firewall's name.
    pub firewall_name: Arc<str>,
    /// The availability zone of the endpoint that logged.
    pub availability_zone: Arc<str>,
    /// Epoch seconds, as a string.
    pub event_timestamp: EpochSeconds,
    /// The Suricata event.
    pub event: E,
}

/// The fields every `event` starts with.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventHeader {
    /// ISO-8601 with microseconds and `+0000` (for flow records, the end).
    pub timestamp: Time,
    /// The flow's id.
    pub flow_id: u64,
    /// `alert` or `netflow`.
    pub event_type: &'static str,
    /// Source address (of the packet, or of this direction of the flow).
    pub src_ip: IpAddr,
    /// Source port.
    pub src_port: u16,
    /// Destination address.
    pub dest_ip: IpAddr,
    /// Destination port.
    pub dest_port: u16,
    /// `TCP`, `UDP`, `ICMP`.
    pub proto: &'static str,
    /// `tls`, `http`, `dns`, `quic`, or `failed` when none was recognised.
    pub app_proto: &'static str,
}

/// `event` of an ALERT record.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AlertEvent {
    /// Time, flow and endpoints.
    #[serde(flatten)]
    pub header: EventHeader,
    /// The alert.
    pub alert: Alert,
    /// The SNI judged, on TLS alerts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsInfo>,
    /// The Host judged, on HTTP alerts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpInfo>,
}

/// The `alert` object.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Alert {
    /// `blocked` when the packet was dropped or rejected, `allowed` otherwise.
    pub action: &'static str,
    /// The rule's `sid` (default-action alerts use 0: AWS's numbering is undocumented).
    pub signature_id: u32,
    /// The rule's `rev`.
    pub rev: u32,
    /// The rule's `msg`, or `aws:<action> action` for default actions.
    pub signature: String,
    /// Always empty for customer rules.
    pub category: &'static str,
    /// The rule's `priority` (3 when unset).
    pub severity: u8,
}

/// `tls` on alert records.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TlsInfo {
    /// The SNI as sent.
    pub sni: String,
}

/// `http` on alert records.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HttpInfo {
    /// The Host as sent.
    pub hostname: String,
}

/// `event` of a FLOW record (one direction of a flow).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FlowEvent {
    /// End time, flow and this direction's endpoints.
    #[serde(flatten)]
    pub header: EventHeader,
    /// TCP flags seen in this direction (TCP only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tcp: Option<TcpFlagsInfo>,
    /// Counters.
    pub netflow: Netflow,
}

/// `tcp` on flow records.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TcpFlagsInfo {
    /// The OR of all flags, as lower-case hex.
    pub tcp_flags: HexFlags,
    /// SYN seen.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub syn: bool,
    /// FIN seen.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub fin: bool,
    /// RST seen.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub rst: bool,
    /// PSH seen.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub psh: bool,
    /// ACK seen.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub ack: bool,
}

/// `netflow` counters of one direction.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Netflow {
    /// Packets.
    pub pkts: u64,
    /// Bytes on the wire.
    pub bytes: u64,
    /// First packet (ISO-8601).
    pub start: Time,
    /// Last packet (ISO-8601).
    pub end: Time,
    /// Seconds between first and last packet.
    pub age: u64,
}

/// The FLOW log records of a finished flow: one `netflow` event per
/// direction that carried packets, client to server first, each stamped
/// with the time of its last packet.
pub fn flow_records(flow: &FlowReport) -> impl Iterator<Item = FlowEvent> + '_ {
    let e = &flow.endpoints;
    let tcp = e.transport == "tcp";
    let ends = [((e.src, e.sport), (e.dst, e.dport)), ((e.dst, e.dport), (e.src, e.sport))];
    flow.directions.iter().zip(ends).filter(|(c, _)| c.packets > 0).map(
        move |(c, ((src_ip, src_port), (dest_ip, dest_port)))| FlowEvent {
            header: EventHeader {
                timestamp: Time(c.last_ts),
                flow_id: flow.flow,
                event_type: "netflow",
                src_ip,
                src_port,
                dest_ip,
                dest_port,
                proto: if tcp { "TCP" } else { "UDP" },
                app_proto: flow.app.unwrap_or("failed"),
            },
            tcp: tcp.then_some(TcpFlagsInfo {
                tcp_flags: HexFlags(c.flags),
                syn: c.flags & TcpFlags::SYN != 0,
                fin: c.flags & TcpFlags::FIN != 0,
                rst: c.flags & TcpFlags::RST != 0,
                psh: c.flags & TcpFlags::PSH != 0,
                ack: c.flags & TcpFlags::ACK != 0,
            }),
            netflow: Netflow {
                pkts: c.packets,
                bytes: c.bytes,
                start: Time(c.first_ts),
                end: Time(c.last_ts),
                age: c.last_ts.saturating_sub(c.first_ts) / 1_000_000_000,
            },
        },
    )
}

/// A capture timestamp (nanoseconds since the epoch), written as AWS
/// writes event times: `2020-10-13T22:10:01.006481+0000`. Formatting waits
/// until the record is serialised, so replays that write no logs pay nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Time(pub u64);

impl Serialize for Time {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&iso8601(self.0))
    }
}

/// TCP flags written as lower-case hex in a string (`"1b"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HexFlags(pub u8);

impl Serialize for HexFlags {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{:x}", self.0))
    }
}

/// A capture timestamp written as whole epoch seconds in a string, as the
/// envelope's `event_timestamp` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EpochSeconds(pub u64);

impl Serialize for EpochSeconds {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&(self.0 / 1_000_000_000).to_string())
    }
}

/// Formats nanoseconds since the epoch as `2020-10-13T22:10:01.006481+0000`.
pub fn iso8601(nanos: u64) -> String {
    let secs = nanos / 1_000_000_000;
    let micros = (nanos % 1_000_000_000) / 1_000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}+0000",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian
/// (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_match_the_aws_format() {
        // 2020-10-13T22:10:01.006481 UTC, the developer guide's sample.
        assert_eq!(iso8601(1_602_627_001_006_481_000), "2020-10-13T22:10:01.006481+0000");
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000000+0000");
        assert_eq!(iso8601(951_782_400_000_000_000), "2000-02-29T00:00:00.000000+0000");
    }
}
