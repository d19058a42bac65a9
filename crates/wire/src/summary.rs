//! One summary line per flow: 5-tuple, transport, application, and the
//! names a domain firewall would see (SNI, Host, DNS questions), with
//! notes on anything unusual about how they were sent.
//!
//! This is what `rulesim flows` prints, and what the golden tests compare
//! with the `expected.jsonl` files of the capture corpus (same keys).

use std::collections::BTreeMap;
use std::path::Path;

use hickory_proto::rr::RecordType;

use crate::event::{Direction, Event, FlowId, Transport};
use crate::tls::{ClientHello, group};
use crate::{Decoder, Error, Stats};

/// The application protocol recognised on a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum App {
    /// TLS over TCP.
    Tls,
    /// QUIC.
    Quic,
    /// HTTP/1.x.
    Http,
    /// DNS.
    Dns,
    /// Anything else (or nothing seen).
    Other,
}

/// One flow, summarised.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FlowSummary {
    /// The capture the flow is in (as given).
    pub file: String,
    /// Flow index within the capture (by first packet).
    pub flow: u64,
    /// `tcp` or `udp`.
    pub transport: Transport,
    /// 4 or 6.
    pub ip_version: u8,
    /// Client address.
    pub src: String,
    /// Client port.
    pub sport: u16,
    /// Server address.
    pub dst: String,
    /// Server port.
    pub dport: u16,
    /// Application protocol.
    pub app: App,
    /// Server name of the first ClientHello (non-UTF-8 bytes escaped as
    /// `\xNN`).
    pub sni: Option<String>,
    /// Server names of all ClientHellos (`None` for one without SNI).
    pub sni_all: Vec<Option<String>>,
    /// Number of ClientHellos.
    pub client_hellos: u32,
    /// First Host header value.
    pub http_host: Option<String>,
    /// All Host header values, in order.
    pub http_hosts: Vec<String>,
    /// Number of HTTP requests.
    pub http_requests: u32,
    /// Question names of the DNS queries, in order.
    pub dns_qnames: Vec<String>,
    /// Question types of the DNS queries, in order.
    pub dns_qtypes: Vec<String>,
    /// Notable properties.
    pub notes: Vec<String>,
    /// Packet number of the first packet.
    pub first_frame: u64,
    /// Packets in the flow.
    pub packets: u64,
}

/// Renders raw name bytes: UTF-8 as is, other bytes as `\xNN`.
pub fn display_bytes(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => s.to_owned(),
        Err(_) => b
            .iter()
            .map(|&c| if c.is_ascii() { (c as char).to_string() } else { format!("\\x{c:02x}") })
            .collect(),
    }
}

#[derive(Debug, Default)]
struct Facts {
    syns: u32,
    tfo: bool,
    hello_segments: u32,
    hello_records: u32,
    hello_out_of_order: bool,
    hello_retransmitted: bool,
    hello_done: bool,
    quic_initials: u32,
    quic_frames: u32,
    dns_tcp: bool,
    dns_queries: u32,
    nxdomain: bool,
    http_segments: u32,
    http_no_host: bool,
    http_absolute: bool,
    hellos: Vec<ClientHello>,
}

/// Folds a stream of events into flow summaries.
#[derive(Debug, Default)]
pub struct SummaryBuilder {
    file: String,
    flows: BTreeMap<FlowId, (FlowSummary, Facts)>,
}

impl SummaryBuilder {
    /// A builder for the capture named `file`.
    pub fn new(file: &str) -> Self {
        SummaryBuilder { file: file.to_owned(), flows: BTreeMap::new() }
    }

    /// Takes one event into account.
    pub fn push(&mut self, ev: &Event) {
        match ev {
            Event::FlowOpened { flow, packet, tuple, .. } => {
                let s = FlowSummary {
                    file: self.file.clone(),
                    flow: flow.0,
                    transport: tuple.transport,
                    ip_version: if tuple.client.is_ipv4() { 4 } else { 6 },
                    src: tuple.client.ip().to_string(),
                    sport: tuple.client.port(),
                    dst: tuple.server.ip().to_string(),
                    dport: tuple.server.port(),
                    app: App::Other,
                    sni: None,
                    sni_all: Vec::new(),
                    client_hellos: 0,
                    http_host: None,
                    http_hosts: Vec::new(),
                    http_requests: 0,
                    dns_qnames: Vec::new(),
                    dns_qtypes: Vec::new(),
                    notes: Vec::new(),
                    first_frame: *packet,
                    packets: 0,
                };
                self.flows.insert(*flow, (s, Facts::default()));
            }
            Event::Packet(p) => {
                let Some((s, f)) = p.flow.and_then(|id| self.flows.get_mut(&id)) else { return };
                s.packets += 1;
                if let Some(tcp) = p.tcp {
                    let syn = tcp.flags.has(crate::decode::TcpFlags::SYN)
                        && !tcp.flags.has(crate::decode::TcpFlags::ACK);
                    if syn && p.direction == Some(Direction::ToServer) {
                        f.syns += 1;
                        if p.payload_len > 0 {
                            f.tfo = true;
                        }
                    }
                    if tcp.retransmission
                        && p.direction == Some(Direction::ToServer)
                        && s.app == App::Tls
                        && f.hello_done
                        && s.client_hellos == 1
                        && !f.hello_retransmitted
                    {
                        f.hello_retransmitted = true;
                    }
                }
            }
            Event::ClientHello(h) | Event::QuicClientHello(h) => {
                let Some((s, f)) = self.flows.get_mut(&h.ctx.flow) else { return };
                let quic = h.quic_version.is_some();
                s.app = if quic { App::Quic } else { App::Tls };
                let name = h.hello.sni.as_deref().map(display_bytes);
                if s.client_hellos == 0 {
                    s.sni = name.clone();
                    f.hello_segments = h.segments;
                    f.hello_records = h.records;
                    f.hello_out_of_order = h.out_of_order;
                    f.quic_initials = h.segments;
                    f.quic_frames = h.crypto_frames;
                    f.hello_done = true;
                }
                s.sni_all.push(name);
                s.client_hellos += 1;
                f.hellos.push(h.hello.clone());
            }
            Event::HttpRequest(r) => {
                let Some((s, f)) = self.flows.get_mut(&r.ctx.flow) else { return };
                s.app = App::Http;
                s.http_requests += 1;
                if s.http_requests == 1 {
                    f.http_segments = r.segments;
                }
                match &r.request.host {
                    Some(h) => {
                        let h = display_bytes(h);
                        if s.http_host.is_none() && s.http_hosts.is_empty() {
                            s.http_host = Some(h.clone());
                        }
                        s.http_hosts.push(h);
                    }
                    None => f.http_no_host = true,
                }
                if r.request.target_authority.is_some() && r.request.method != b"CONNECT" {
                    f.http_absolute = true;
                }
            }
            Event::DnsQuery(d) | Event::DnsAnswer(d) => {
                let Some((s, f)) = self.flows.get_mut(&d.ctx.flow) else { return };
                s.app = App::Dns;
                if d.transport == Transport::Tcp {
                    f.dns_tcp = true;
                }
                if d.message.response {
                    if d.message.rcode == 3 {
                        f.nxdomain = true;
                    }
                } else {
                    f.dns_queries += 1;
                    for q in &d.message.questions {
                        s.dns_qnames.push(q.name.clone());
                        s.dns_qtypes.push(RecordType::from(q.qtype).to_string());
                    }
                }
            }
            _ => {}
        }
    }

    /// The summaries, in flow order, with notes filled in.
    pub fn finish(self) -> Vec<FlowSummary> {
        self.flows
            .into_values()
            .map(|(mut s, f)| {
                s.notes = notes(&s, &f);
                s
            })
            .collect()
    }
}

fn notes(s: &FlowSummary, f: &Facts) -> Vec<String> {
    let mut n = Vec::new();
    if s.ip_version == 6 {
        n.push("IPv6".to_owned());
    }
    if f.syns > 1 {
        n.push("SYN retransmitted".to_owned());
    }
    if f.tfo {
        n.push("payload in SYN (TCP Fast Open)".to_owned());
    }
    if let Some(h) = f.hellos.first() {
        if s.app == App::Quic {
            n.push(format!("QUIC Initial (ClientHello in {} Initial packets)", f.quic_initials));
            n.push(format!("ClientHello in {} CRYPTO frames", f.quic_frames));
        } else if f.hello_segments > 1 {
            n.push(format!("ClientHello spans {} TCP segments", f.hello_segments));
        }
        if f.hello_out_of_order {
            n.push("ClientHello segments captured out of order".to_owned());
        }
        if f.hello_records > 1 {
            n.push(format!("ClientHello split across {} TLS records", f.hello_records));
        }
        if f.hello_retransmitted {
            n.push("retransmitted ClientHello".to_owned());
        }
        match &h.sni {
            None => n.push("no SNI".to_owned()),
            Some(name) => {
                if name.iter().any(u8::is_ascii_uppercase) {
                    n.push("uppercase letters in SNI".to_owned());
                }
                if name.ends_with(b".") {
                    n.push("trailing dot in SNI".to_owned());
                }
                if name.starts_with(b"xn--") || name.windows(5).any(|w| w == b".xn--") {
                    n.push("punycode (IDN) SNI".to_owned());
                }
            }
        }
        if let Some(ech) = &h.ech {
            n.push(
                if ech.grease { "ECH GREASE extension present" } else { "ECH extension present" }
                    .to_owned(),
            );
        }
        if h.key_share_groups().contains(&group::X25519_MLKEM768) {
            n.push("X25519MLKEM768 key share".to_owned());
        } else if h.key_share_groups().contains(&group::X25519_KYBER768_DRAFT) {
            n.push("X25519Kyber768Draft00 key share".to_owned());
        }
        if h.has_grease() && s.app == App::Tls {
            n.push("GREASE extensions".to_owned());
        }
        if h.max_version() == 0x0303 {
            n.push("TLS 1.2 only ClientHello".to_owned());
        }
        if f.hellos.len() == 2 {
            n.push("HelloRetryRequest: 2 ClientHellos".to_owned());
        }
    }
    if s.http_requests > 0 {
        if f.http_segments > 1 {
            n.push(format!("HTTP request header spans {} TCP segments", f.http_segments));
        }
        if f.http_no_host {
            n.push("HTTP request without Host header".to_owned());
        }
        if s.http_hosts
            .iter()
            .any(|h| h.rsplit_once(':').is_some_and(|(_, p)| p.bytes().all(|c| c.is_ascii_digit())))
        {
            n.push("Host header includes port".to_owned());
        }
        if f.http_absolute {
            n.push("absolute-form request target".to_owned());
        }
        if s.http_requests > 1 {
            n.push(format!("{} HTTP requests on one connection", s.http_requests));
        }
    }
    if s.app == App::Dns {
        if f.dns_tcp {
            n.push("DNS over TCP".to_owned());
            if f.dns_queries > 1 {
                n.push(format!("{} DNS queries on one TCP connection", f.dns_queries));
            }
        }
        if s.dns_qnames.iter().any(|q| q.bytes().any(|c| c.is_ascii_uppercase())) {
            n.push("mixed-case qname".to_owned());
        }
        if f.nxdomain {
            n.push("NXDOMAIN answer".to_owned());
        }
    }
    n
}

/// A capture's flows and counters.
#[derive(Debug, Clone)]
pub struct CaptureSummary {
    /// One entry per flow, in flow order.
    pub flows: Vec<FlowSummary>,
    /// Counters.
    pub stats: Stats,
    /// Damage that stopped decoding early (flows before it are included).
    pub damage: Option<Error>,
}

/// Decodes a whole capture file and summarises its flows.
///
/// Fails only if the file cannot be opened or is not a capture.
pub fn summarize_file(path: impl AsRef<Path>) -> Result<CaptureSummary, Error> {
    let path = path.as_ref();
    let mut dec = Decoder::open(path)?;
    let mut b = SummaryBuilder::new(&path.display().to_string());
    for ev in &mut dec {
        b.push(&ev);
    }
    Ok(CaptureSummary { flows: b.finish(), stats: dec.stats(), damage: dec.damage().cloned() })
}
