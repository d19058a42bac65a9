//! The events a capture is turned into.
//!
//! Every packet record produces exactly one [`Event::Packet`], and it is the
//! last event for that packet: the flow and application events that the
//! packet caused (flow opened, established, a ClientHello completed, ...)
//! come just before it and carry the same packet number. A simulator can
//! therefore buffer app events and apply them when their packet arrives.

use std::net::{IpAddr, SocketAddr};

use crate::capture::Timestamp;
use crate::decode::{Skip, TcpFlags};
use crate::dns::DnsMessage;
use crate::http::Request;
use crate::tls::ClientHello;

/// Identifies a flow within one capture (0, 1, 2, ... by first packet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct FlowId(pub u64);

/// Transport protocol of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// TCP connection.
    Tcp,
    /// UDP conversation.
    Udp,
}

/// Direction of a packet within its flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Direction {
    /// From the client (initiator) to the server.
    ToServer,
    /// From the server to the client.
    ToClient,
}

/// The endpoints of a flow with their roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct FlowTuple {
    /// TCP or UDP.
    pub transport: Transport,
    /// The initiator: SYN sender, or first UDP sender, or (midstream) the
    /// side with the higher port.
    pub client: SocketAddr,
    /// The responder.
    pub server: SocketAddr,
}

/// Application-layer events completed by a packet, as a small bit set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub struct AppEvents(pub u8);

impl AppEvents {
    /// A TLS ClientHello over TCP.
    pub const CLIENT_HELLO: u8 = 1;
    /// A ClientHello in QUIC Initial packets.
    pub const QUIC_CLIENT_HELLO: u8 = 2;
    /// An HTTP request head.
    pub const HTTP_REQUEST: u8 = 4;
    /// A DNS query.
    pub const DNS_QUERY: u8 = 8;
    /// A DNS response.
    pub const DNS_ANSWER: u8 = 16;

    /// Whether any of the bits in `mask` is set.
    pub fn contains(self, mask: u8) -> bool {
        self.0 & mask != 0
    }

    /// Whether no app-layer event was completed.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// TCP details of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct TcpInfo {
    /// Header flags.
    pub flags: TcpFlags,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgement number.
    pub ack: u32,
    /// The payload was entirely seen before (retransmission).
    pub retransmission: bool,
    /// The payload arrived ahead of a gap and was held for reassembly.
    pub out_of_order: bool,
}

/// One packet record, with everything a per-packet verdict needs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PacketEvent {
    /// 1-based packet number in the capture.
    pub number: u64,
    /// Capture time.
    pub ts: Timestamp,
    /// Length on the wire.
    pub wire_len: u32,
    /// Source and destination address (innermost IP header), if IP.
    pub addrs: Option<(IpAddr, IpAddr)>,
    /// IP protocol number, if IP.
    pub ip_proto: Option<u8>,
    /// The flow (TCP and UDP only).
    pub flow: Option<FlowId>,
    /// Direction within the flow.
    pub direction: Option<Direction>,
    /// TCP details, for TCP packets.
    pub tcp: Option<TcpInfo>,
    /// Transport payload length (as captured).
    pub payload_len: u32,
    /// Whether the flow counts as established at this packet, as Suricata
    /// judges it (TCP: from the first packet after the handshake's final
    /// ACK; UDP: once both directions have been seen, this packet
    /// included).
    pub established: bool,
    /// App-layer events this packet completed (emitted just before it).
    pub completed: AppEvents,
    /// Part of a fragmented IP packet.
    pub fragment: bool,
    /// Tunnel headers removed (GENEVE, VXLAN, ...).
    pub tunnels: u8,
    /// Why the packet has no IP layer, if it has none.
    pub skipped: Option<SkipReason>,
}

/// Why a packet was not decoded to IP (serialisable mirror of [`Skip`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[non_exhaustive]
pub enum SkipReason {
    /// Link type not decoded.
    UnsupportedLinkType,
    /// Not an IP packet (ARP, ...).
    NotIp,
    /// Cut short by the snaplen.
    Truncated,
    /// Impossible header values.
    Malformed,
}

impl From<Skip> for SkipReason {
    fn from(s: Skip) -> Self {
        match s {
            Skip::UnsupportedLinkType => SkipReason::UnsupportedLinkType,
            Skip::NotIp => SkipReason::NotIp,
            Skip::Truncated => SkipReason::Truncated,
            Skip::Malformed => SkipReason::Malformed,
        }
    }
}

/// Where and when an app-layer event happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct AppContext {
    /// The flow.
    pub flow: FlowId,
    /// The packet that completed the message.
    pub packet: u64,
    /// Its timestamp.
    pub ts: Timestamp,
    /// Its direction.
    pub direction: Direction,
}

/// A ClientHello (TLS over TCP, or QUIC).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HelloEvent {
    /// Where it completed.
    pub ctx: AppContext,
    /// 0 for the first ClientHello of the flow, 1 for the one after a
    /// HelloRetryRequest.
    pub index: u32,
    /// The parsed ClientHello.
    pub hello: ClientHello,
    /// TLS records that carried it (TCP only; 0 for QUIC).
    pub records: u32,
    /// TCP segments (TCP) or Initial packets (QUIC) that carried it.
    pub segments: u32,
    /// CRYPTO frames that carried it (QUIC only).
    pub crypto_frames: u32,
    /// QUIC version (QUIC only).
    pub quic_version: Option<u32>,
    /// Some of its segments arrived out of order.
    pub out_of_order: bool,
}

impl HelloEvent {
    /// The JA4 fingerprint of the ClientHello (computed on demand).
    pub fn ja4(&self) -> String {
        self.hello.ja4(self.quic_version.is_some())
    }
}

/// An HTTP/1.x request head.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HttpEvent {
    /// Where it completed.
    pub ctx: AppContext,
    /// 0-based index of the request on its connection.
    pub index: u32,
    /// TCP segments the head spanned.
    pub segments: u32,
    /// The request.
    pub request: Request,
}

/// A DNS message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DnsEvent {
    /// Where it completed.
    pub ctx: AppContext,
    /// Over TCP or UDP.
    pub transport: Transport,
    /// The decoded message.
    pub message: DnsMessage,
}

/// Why a flow left the flow table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[non_exhaustive]
pub enum CloseReason {
    /// No packet within the idle timeout.
    IdleTimeout,
    /// A new connection reused the 5-tuple.
    Reused,
    /// Evicted because the flow table was full.
    TableFull,
    /// The capture ended.
    EndOfCapture,
}

/// A flow left the flow table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FlowClosed {
    /// The flow.
    pub flow: FlowId,
    /// Its endpoints.
    pub tuple: FlowTuple,
    /// Why it was closed.
    pub reason: CloseReason,
    /// Number of its last packet.
    pub last_packet: u64,
    /// Packets seen.
    pub packets: u64,
    /// TCP: a FIN was seen from each side.
    pub fin: bool,
    /// TCP: a RST was seen.
    pub rst: bool,
}

/// One decoding event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub enum Event {
    /// A packet record (always the last event of its packet).
    Packet(PacketEvent),
    /// A new flow.
    FlowOpened {
        /// The flow.
        flow: FlowId,
        /// Packet number of its first packet.
        packet: u64,
        /// Its timestamp.
        ts: Timestamp,
        /// Its endpoints.
        tuple: FlowTuple,
        /// TCP flow picked up without seeing its SYN.
        midstream: bool,
    },
    /// The flow counts as established from this packet on.
    FlowEstablished {
        /// The flow.
        flow: FlowId,
        /// The first established packet.
        packet: u64,
        /// Its timestamp.
        ts: Timestamp,
    },
    /// A flow left the table.
    FlowClosed(FlowClosed),
    /// A TLS ClientHello over TCP.
    ClientHello(Box<HelloEvent>),
    /// A ClientHello from QUIC Initial packets.
    QuicClientHello(Box<HelloEvent>),
    /// An HTTP/1.x request head.
    HttpRequest(Box<HttpEvent>),
    /// A DNS query.
    DnsQuery(Box<DnsEvent>),
    /// A DNS response.
    DnsAnswer(Box<DnsEvent>),
}
