//! Limits and counters.
//!
//! Memory is bounded by [`Config`]; whatever is skipped because of a limit
//! or because the input is damaged or unsupported is counted in [`Stats`],
//! so nothing is lost silently.

use crate::capture::CaptureStats;

/// Resource limits of a [`crate::Decoder`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Most flows tracked at once; the least recently seen flow is evicted
    /// beyond it.
    pub max_flows: usize,
    /// TCP flows idle this long (capture time, seconds) are closed.
    /// AWS Network Firewall uses 350 s.
    pub tcp_idle_secs: u64,
    /// UDP flows idle this long are closed (Suricata's default for an
    /// established UDP flow is 300 s).
    pub udp_idle_secs: u64,
    /// Bytes of each TCP direction reassembled and inspected (enough for a
    /// ClientHello or several request heads).
    pub reassembly_depth: u64,
    /// Bytes held ahead of a gap, per TCP direction.
    pub max_out_of_order: usize,
    /// Bytes held in all reassembly buffers together. A flow whose data
    /// would exceed it stops being inspected (counted), so memory stays
    /// bounded whatever `max_flows` is.
    pub reassembly_memcap: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_flows: 65_536,
            tcp_idle_secs: 350,
            udp_idle_secs: 300,
            reassembly_depth: 256 * 1024,
            max_out_of_order: 64 * 1024,
            reassembly_memcap: 64 * 1024 * 1024,
        }
    }
}

/// Counters for one capture. Every packet, and every byte that could not
/// be inspected, is accounted for here.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    /// Record-level counters of the file reader.
    pub capture: CaptureStats,
    /// Packets decoded to an IP layer.
    pub ip_packets: u64,
    /// Frames that carry no IP (ARP, LLDP, ...).
    pub not_ip: u64,
    /// Frames of a link type not decoded.
    pub unsupported_link_type: u64,
    /// Frames whose headers were cut short by the snaplen.
    pub truncated: u64,
    /// Frames with impossible header values.
    pub malformed: u64,
    /// IP packets whose payload was cut short (IP length beyond capture).
    pub ip_truncated: u64,
    /// IPv4 and IPv6 fragments seen.
    pub fragments: u64,
    /// Packets rebuilt from fragments.
    pub fragments_reassembled: u64,
    /// Partial packets given up (timeout, limits, end of capture).
    pub fragments_dropped: u64,
    /// Packets taken out of a tunnel (GENEVE, VXLAN, GTP-U, Teredo, IP-in-IP).
    pub tunnelled: u64,
    /// ICMP/ICMPv6 packets (not flows).
    pub icmp: u64,
    /// IP packets of other protocols (not flows).
    pub other_ip_protocol: u64,
    /// Flows opened.
    pub flows: u64,
    /// Flows closed by the idle timeout.
    pub flows_timed_out: u64,
    /// Flows evicted because the table was full.
    pub flows_evicted: u64,
    /// TCP flows picked up without a SYN.
    pub tcp_midstream: u64,
    /// TCP segments with only already-seen payload.
    pub tcp_retransmissions: u64,
    /// TCP segments held for reassembly ahead of a gap.
    pub tcp_out_of_order: u64,
    /// TCP segments dropped because the out-of-order buffer was full.
    pub tcp_out_of_order_dropped: u64,
    /// TCP directions that reached the reassembly depth.
    pub tcp_depth_reached: u64,
    /// TCP flows whose inspection stopped at the reassembly memcap.
    pub reassembly_memcap_reached: u64,
    /// TLS streams that were not well-formed TLS.
    pub tls_malformed: u64,
    /// QUIC client Initial packets that could not be decrypted.
    pub quic_undecryptable: u64,
    /// QUIC Initials with malformed frames or ClientHello.
    pub quic_malformed: u64,
    /// QUIC long-header packets of versions not decrypted (gQUIC, ...).
    pub quic_unsupported_version: u64,
    /// HTTP streams that stopped being readable (chunked body, garbage).
    pub http_stopped: u64,
    /// DNS messages that could not be decoded at all.
    pub dns_malformed: u64,
    /// DNS messages only partly decoded (questions only).
    pub dns_partial: u64,
}
