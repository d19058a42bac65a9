//! Flow table, TCP state, stream reassembly and app-layer dispatch.
//!
//! Flows are keyed on the 5-tuple with the endpoints sorted, and remember
//! which side is the client. TCP state follows what Suricata uses for
//! `flow:established`: SYN, SYN-ACK and a bare final ACK are not
//! established; the packet after the final ACK is, and so is a final ACK
//! that carries data (Suricata 7.0.7+). A flow picked up midstream is
//! established from its second packet. UDP is established once both
//! directions have been seen.
//!
//! Each TCP direction is reassembled in sequence order (retransmissions
//! trimmed, out-of-order segments held) up to a depth, and handed to the
//! app-layer parser the flow was recognised as. Once the parser has what it
//! needs (a TLS flow after its ClientHello flight, say) reassembly stops,
//! which keeps the per-packet cost low.

use std::collections::{BTreeMap, VecDeque};

use foldhash::HashMap;
use std::net::{IpAddr, SocketAddr};

use crate::capture::{RawPacket, Timestamp};
use crate::decode::{self, IpPacket, L4, TcpFlags, TcpHeader};
use crate::defrag::Defrag;
use crate::dns;
use crate::event::*;
use crate::http::{self, HttpClientStream};
use crate::quic::{self, QuicClient};
use crate::stats::{Config, Stats};
use crate::tls::{StreamHello, StreamState, TlsClientStream};

/// The 5-tuple with the endpoints in a canonical order, as integers
/// (IPv4 as IPv4-mapped IPv6) so hashing and comparing are cheap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct FlowKey {
    a: u128,
    b: u128,
    /// Protocol, port of `a`, port of `b`.
    rest: u64,
}

impl FlowKey {
    /// The key of a packet from `src` to `dst`, and whether `src` is the
    /// key's first endpoint (which, with the flow's client side, gives the
    /// packet's direction without comparing addresses again).
    fn new(proto: u8, src: (IpAddr, u16), dst: (IpAddr, u16)) -> (Self, bool) {
        fn ip(a: IpAddr) -> u128 {
            match a {
                IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
                IpAddr::V6(v6) => u128::from(v6),
            }
        }
        let (x, y) = ((ip(src.0), src.1), (ip(dst.0), dst.1));
        let src_is_a = x <= y;
        let (a, b) = if src_is_a { (x, y) } else { (y, x) };
        let rest = (u64::from(proto) << 32) | (u64::from(a.1) << 16) | u64::from(b.1);
        (FlowKey { a: a.0, b: b.0, rest }, src_is_a)
    }

    /// Both endpoints are the same address and port (a socket talking to
    /// itself; its packets all count as from the first endpoint).
    fn is_loop(&self) -> bool {
        self.a == self.b && (self.rest >> 16) & 0xffff == self.rest & 0xffff
    }
}

/// Seconds of capture time between sweeps of the flow table.
const SWEEP_SECS: u64 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    None,
    SynSent,
    SynRecv,
    Established,
    Closed,
}

/// One reassembled TCP direction.
#[derive(Debug, Default)]
struct Stream {
    base: Option<u32>,
    next: u64,
    buf: Vec<u8>,
    ooo: BTreeMap<u64, Vec<u8>>,
    ooo_bytes: usize,
    segments: u32,
    buf_first_segment: u32,
    saw_out_of_order: bool,
    want: bool,
}

#[derive(Debug, Default, Clone, Copy)]
struct AddResult {
    appended: bool,
    retransmission: bool,
    out_of_order: bool,
}

impl Stream {
    fn add(&mut self, seq: u32, data: &[u8], cfg: &Config, stats: &mut Stats) -> AddResult {
        let mut r = AddResult::default();
        if data.is_empty() || !self.want {
            return r;
        }
        let base = *self.base.get_or_insert(seq);
        let start = i64::from(seq.wrapping_sub(base) as i32);
        let end = start + data.len() as i64;
        let next = self.next as i64;
        if end <= next {
            stats.tcp_retransmissions += 1;
            r.retransmission = true;
            return r;
        }
        if start > next {
            r.out_of_order = true;
            self.saw_out_of_order = true;
            stats.tcp_out_of_order += 1;
            if self.ooo_bytes + data.len() <= cfg.max_out_of_order {
                self.ooo_bytes += data.len();
                self.ooo.insert(start as u64, data.to_vec());
            } else {
                stats.tcp_out_of_order_dropped += 1;
            }
            return r;
        }
        self.append(&data[(next - start) as usize..], cfg, stats);
        r.appended = true;
        while let Some((&off, _)) = self.ooo.first_key_value() {
            if off > self.next {
                break;
            }
            let Some((off, seg)) = self.ooo.pop_first() else { break };
            self.ooo_bytes -= seg.len();
            let skip = (self.next - off) as usize;
            if let Some(tail) = seg.get(skip..).filter(|t| !t.is_empty()) {
                self.append(tail, cfg, stats);
            }
        }
        r
    }

    fn append(&mut self, data: &[u8], cfg: &Config, stats: &mut Stats) {
        self.segments += 1;
        if self.buf.is_empty() {
            self.buf_first_segment = self.segments;
        }
        let room = cfg.reassembly_depth.saturating_sub(self.next) as usize;
        let take = data.len().min(room);
        self.buf.extend_from_slice(&data[..take]);
        self.next += data.len() as u64;
        if take < data.len() {
            stats.tcp_depth_reached += 1;
            self.want = false;
        }
    }

    fn consume(&mut self, n: usize) {
        if n == 0 {
            return;
        }
        self.buf.drain(..n.min(self.buf.len()));
        if !self.buf.is_empty() {
            self.buf_first_segment = self.segments;
        }
    }

    fn stop(&mut self) {
        self.want = false;
        self.buf = Vec::new();
        self.ooo.clear();
        self.ooo_bytes = 0;
    }
}

#[derive(Debug)]
enum App {
    Unknown,
    Tls(TlsClientStream),
    Http(HttpClientStream),
    Dns,
    Quic(Box<QuicClient>),
    /// A SOCKS 4/5 preamble; `greeted` once the SOCKS5 greeting is past.
    Socks {
        greeted: bool,
    },
    Other,
}

/// What every packet of a flow reads and updates, kept small so the flow
/// table stays in cache; the rest is in [`Detail`].
#[derive(Debug)]
struct Flow {
    id: FlowId,
    last_ts: Timestamp,
    last_packet: u64,
    packets: u64,
    client_isn: Option<u32>,
    transport: Transport,
    phase: Phase,
    /// Packets from the key's first endpoint go to the server (for a socket
    /// talking to itself, every packet does).
    client_is_a: bool,
    seen: [bool; 2],
    fin: [bool; 2],
    rst: bool,
    established_sent: bool,
    detail: Box<Detail>,
}

/// The part of a flow that packets with new payload (and flow events)
/// need: endpoints, reassembly and the app-layer parser.
#[derive(Debug)]
struct Detail {
    key: FlowKey,
    tuple: FlowTuple,
    streams: [Stream; 2],
    app: App,
    hellos: u32,
}

/// Flows in a slab of small records, found through a hash index: one hash
/// lookup per packet (none when it belongs to the flow of the packet
/// before), and a slot stays put when the index grows.
#[derive(Debug, Default)]
struct FlowTable {
    index: HashMap<FlowKey, usize>,
    /// The last flow found: packets of a flow often come in runs.
    last: Option<(FlowKey, usize)>,
    slots: Vec<Option<Flow>>,
    free: Vec<usize>,
}

impl FlowTable {
    /// Room for this many flows before the table grows.
    const INITIAL_CAPACITY: usize = 1024;

    fn with_capacity(flows: usize) -> Self {
        FlowTable {
            index: HashMap::with_capacity_and_hasher(flows, Default::default()),
            slots: Vec::with_capacity(flows),
            ..FlowTable::default()
        }
    }

    fn len(&self) -> usize {
        self.index.len()
    }

    fn find(&mut self, key: &FlowKey) -> Option<usize> {
        if let Some((last, slot)) = &self.last
            && last == key
        {
            return Some(*slot);
        }
        let slot = self.index.get(key).copied()?;
        self.last = Some((*key, slot));
        Some(slot)
    }

    fn at(&self, slot: usize) -> Option<&Flow> {
        self.slots.get(slot).and_then(Option::as_ref)
    }

    fn at_mut(&mut self, slot: usize) -> Option<&mut Flow> {
        self.slots.get_mut(slot).and_then(Option::as_mut)
    }

    fn insert(&mut self, flow: Flow) -> usize {
        let key = flow.detail.key;
        let slot = match self.free.pop() {
            Some(i) => {
                self.slots[i] = Some(flow);
                i
            }
            None => {
                self.slots.push(Some(flow));
                self.slots.len() - 1
            }
        };
        self.index.insert(key, slot);
        slot
    }

    fn remove(&mut self, slot: usize) -> Option<Flow> {
        let flow = self.slots.get_mut(slot)?.take()?;
        self.index.remove(&flow.detail.key);
        if self.last.is_some_and(|(_, s)| s == slot) {
            self.last = None;
        }
        self.free.push(slot);
        Some(flow)
    }

    /// The slot of the flow whose last packet is the oldest.
    fn least_recent(&self) -> Option<usize> {
        (self.slots.iter().enumerate())
            .filter_map(|(slot, f)| f.as_ref().map(|f| ((f.last_ts, f.id), slot)))
            .min()
            .map(|(_, slot)| slot)
    }

    /// The slots of the flows `which` selects, in flow order.
    fn select(&self, which: impl Fn(&Flow) -> bool) -> Vec<usize> {
        let mut chosen: Vec<(FlowId, usize)> = (self.slots.iter().enumerate())
            .filter_map(|(slot, f)| f.as_ref().filter(|f| which(f)).map(|f| (f.id, slot)))
            .collect();
        chosen.sort_unstable();
        chosen.into_iter().map(|(_, slot)| slot).collect()
    }
}

impl Flow {
    /// Direction of a packet whose source is (`src_is_a`) the key's first
    /// endpoint.
    fn direction(&self, src_is_a: bool) -> Direction {
        if src_is_a == self.client_is_a { Direction::ToServer } else { Direction::ToClient }
    }

    /// Bytes held in reassembly buffers (both directions).
    fn held(&self) -> usize {
        self.detail.streams.iter().map(|s| s.buf.len() + s.ooo_bytes).sum()
    }

    fn expired(&self, now: Timestamp, cfg: &Config) -> bool {
        let idle = match self.transport {
            Transport::Tcp if self.phase == Phase::Closed => cfg.tcp_idle_secs.min(60),
            Transport::Tcp => cfg.tcp_idle_secs,
            Transport::Udp => cfg.udp_idle_secs,
        };
        now.secs().saturating_sub(self.last_ts.secs()) > idle
    }
}

fn dir_index(d: Direction) -> usize {
    match d {
        Direction::ToServer => 0,
        Direction::ToClient => 1,
    }
}

/// The decoding engine behind [`crate::Decoder`]: everything except the
/// file reader.
#[derive(Debug, Default)]
pub(crate) struct Engine {
    cfg: Config,
    flows: FlowTable,
    next_id: u64,
    pub(crate) stats: Stats,
    pub(crate) pending: VecDeque<Event>,
    next_sweep: u64,
    defrag: Defrag,
    /// Bytes held in all reassembly buffers.
    buffered: usize,
    /// ClientHellos found by the TLS parser, before they become events
    /// (kept to reuse its allocation).
    hellos: Vec<StreamHello>,
    /// At the end of the capture, the slots of the flows still to close
    /// (last first).
    closing: Vec<usize>,
}

struct PacketCtx {
    number: u64,
    ts: Timestamp,
}

impl Engine {
    pub(crate) fn new(cfg: Config) -> Self {
        let flows = FlowTable::with_capacity(cfg.max_flows.min(FlowTable::INITIAL_CAPACITY));
        Engine { cfg, flows, ..Engine::default() }
    }

    /// Decodes one packet record: queues the flow and app events it caused
    /// and returns its packet event (which goes after them).
    pub(crate) fn process(&mut self, raw: &RawPacket<'_>) -> PacketEvent {
        let pctx = PacketCtx { number: raw.number, ts: raw.ts };
        if raw.ts.secs() >= self.next_sweep {
            self.sweep(raw.ts);
            self.next_sweep = raw.ts.secs() + SWEEP_SECS;
        }
        let mut ev = PacketEvent {
            number: raw.number,
            ts: raw.ts,
            wire_len: raw.orig_len,
            addrs: None,
            ip_proto: None,
            flow: None,
            direction: None,
            tcp: None,
            payload_len: 0,
            established: false,
            completed: AppEvents::default(),
            fragment: false,
            tunnels: 0,
            skipped: None,
        };
        match decode::decode(raw.linktype, raw.data) {
            Err(skip) => {
                let s = &mut self.stats;
                match skip {
                    decode::Skip::UnsupportedLinkType => s.unsupported_link_type += 1,
                    decode::Skip::NotIp => s.not_ip += 1,
                    decode::Skip::Truncated => s.truncated += 1,
                    decode::Skip::Malformed => s.malformed += 1,
                }
                ev.skipped = Some(skip.into());
            }
            Ok(ip) => self.ip_packet(&pctx, &ip, &mut ev),
        }
        ev
    }

    fn ip_packet(&mut self, pctx: &PacketCtx, ip: &IpPacket<'_>, ev: &mut PacketEvent) {
        self.stats.ip_packets += 1;
        ev.addrs = Some((ip.src, ip.dst));
        ev.fragment = ip.fragment;
        ev.tunnels = ip.tunnels;
        if ip.fragment {
            self.stats.fragments += 1;
        }
        if ip.tunnels > 0 {
            self.stats.tunnelled += 1;
        }
        if ip.truncated {
            self.stats.ip_truncated += 1;
        }
        self.transport(pctx, ip, ev);
    }

    fn transport(&mut self, pctx: &PacketCtx, ip: &IpPacket<'_>, ev: &mut PacketEvent) {
        match ip.l4 {
            L4::Tcp { hdr, payload } => {
                ev.ip_proto = Some(6);
                ev.payload_len = payload.len() as u32;
                self.tcp_packet(pctx, ip.src, ip.dst, hdr, payload, ev);
            }
            L4::Udp { sport, dport, payload } => {
                ev.ip_proto = Some(17);
                ev.payload_len = payload.len() as u32;
                self.udp_packet(pctx, (ip.src, sport), (ip.dst, dport), payload, ev);
            }
            L4::Icmp { .. } => {
                ev.ip_proto = Some(if ip.src.is_ipv4() { 1 } else { 58 });
                self.stats.icmp += 1;
            }
            L4::Fragment(info) => {
                ev.ip_proto = Some(info.proto);
                let Some(whole) = self.defrag.add(ip.src, ip.dst, &info, pctx.ts, &mut self.stats)
                else {
                    return;
                };
                match decode::transport(
                    ip.src,
                    ip.dst,
                    info.proto,
                    &whole,
                    ip.truncated,
                    ip.tunnels,
                ) {
                    Ok(mut pkt) => {
                        pkt.fragment = true;
                        if matches!(pkt.l4, L4::Fragment(_)) {
                            // A fragment inside a reassembled tunnel packet:
                            // one level of reassembly is enough.
                            self.stats.fragments_dropped += 1;
                        } else {
                            ev.addrs = Some((pkt.src, pkt.dst));
                            self.transport(pctx, &pkt, ev);
                        }
                    }
                    Err(_) => self.stats.malformed += 1,
                }
            }
            L4::Other(p) => {
                ev.ip_proto = Some(p);
                self.stats.other_ip_protocol += 1;
            }
        }
    }

    /// Closes the flows whose idle timeout has passed. Runs every few
    /// seconds of capture time to free memory; a packet that arrives for an
    /// expired flow closes it on the spot (see `live`), so flow boundaries
    /// do not depend on how often this runs.
    fn sweep(&mut self, now: Timestamp) {
        self.defrag.expire(now, &mut self.stats);
        for slot in self.flows.select(|f| f.expired(now, &self.cfg)) {
            self.stats.flows_timed_out += 1;
            self.close(slot, CloseReason::IdleTimeout);
        }
    }

    /// The slot of the flow with `key`, unless it has expired by `now`
    /// (then it is closed first).
    fn live(&mut self, key: &FlowKey, now: Timestamp) -> Option<usize> {
        let slot = self.flows.find(key)?;
        if self.flows.at(slot)?.expired(now, &self.cfg) {
            self.stats.flows_timed_out += 1;
            self.close(slot, CloseReason::IdleTimeout);
            return None;
        }
        Some(slot)
    }

    fn close(&mut self, slot: usize, reason: CloseReason) {
        if let Some(f) = self.flows.remove(slot) {
            self.buffered = self.buffered.saturating_sub(f.held());
            self.pending.push_back(Event::FlowClosed(FlowClosed {
                flow: f.id,
                tuple: f.detail.tuple,
                reason,
                last_packet: f.last_packet,
                packets: f.packets,
                fin: f.fin[0] && f.fin[1],
                rst: f.rst,
            }));
        }
    }

    /// The capture has ended: every flow is to be closed, in flow order,
    /// one [`Engine::close_next`] at a time (a burst of thousands of
    /// `FlowClosed` events would only sit in the queue).
    pub(crate) fn finish(&mut self) {
        self.defrag.clear(&mut self.stats);
        self.closing = self.flows.select(|_| true);
        self.closing.reverse();
    }

    /// Closes the next flow left at the end of the capture; false when none is.
    pub(crate) fn close_next(&mut self) -> bool {
        let Some(slot) = self.closing.pop() else { return false };
        self.close(slot, CloseReason::EndOfCapture);
        true
    }

    /// Creates the flow of a packet from `src` to `dst` with `key` (and
    /// whether `src` is its first endpoint); `client_is_src` decides the
    /// roles. Returns its slot.
    fn create(
        &mut self,
        pctx: &PacketCtx,
        (key, src_is_a): (FlowKey, bool),
        transport: Transport,
        (src, dst): ((IpAddr, u16), (IpAddr, u16)),
        client_is_src: bool,
    ) -> usize {
        if self.flows.len() >= self.cfg.max_flows {
            let victim = self.flows.least_recent();
            if let Some(v) = victim {
                self.stats.flows_evicted += 1;
                self.close(v, CloseReason::TableFull);
            }
        }
        let (src, dst) = (SocketAddr::from(src), SocketAddr::from(dst));
        let (client, server) = if client_is_src { (src, dst) } else { (dst, src) };
        let id = FlowId(self.next_id);
        self.next_id += 1;
        self.stats.flows += 1;
        let tuple = FlowTuple { transport, client, server };
        let dns_port = is_dns_port(client.port()) || is_dns_port(server.port());
        let mut streams = [Stream::default(), Stream::default()];
        streams[0].want = transport == Transport::Tcp;
        streams[1].want = transport == Transport::Tcp && dns_port;
        let app = if transport == Transport::Tcp && dns_port { App::Dns } else { App::Unknown };
        self.flows.insert(Flow {
            id,
            last_ts: pctx.ts,
            last_packet: pctx.number,
            packets: 0,
            client_isn: None,
            transport,
            phase: Phase::None,
            client_is_a: src_is_a == client_is_src || key.is_loop(),
            seen: [false; 2],
            fin: [false; 2],
            rst: false,
            established_sent: false,
            detail: Box::new(Detail { key, tuple, streams, app, hellos: 0 }),
        })
    }

    fn tcp_packet(
        &mut self,
        pctx: &PacketCtx,
        src_ip: IpAddr,
        dst_ip: IpAddr,
        hdr: TcpHeader,
        payload: &[u8],
        ev: &mut PacketEvent,
    ) {
        let (key, src_is_a) = FlowKey::new(6, (src_ip, hdr.sport), (dst_ip, hdr.dport));
        let flags = hdr.flags;
        let is_syn = flags.has(TcpFlags::SYN) && !flags.has(TcpFlags::ACK);
        // A new SYN on a finished connection starts a new flow.
        let mut slot = self.live(&key, pctx.ts);
        if is_syn
            && let Some(i) = slot
            && let Some(f) = self.flows.at(i)
            && f.direction(src_is_a) == Direction::ToServer
            && (f.phase == Phase::Closed
                || (f.phase == Phase::Established && f.client_isn != Some(hdr.seq)))
        {
            self.close(i, CloseReason::Reused);
            slot = None;
        }
        let client_is_src = if flags.has(TcpFlags::SYN) {
            !flags.has(TcpFlags::ACK)
        } else {
            // Midstream: the side on the lower (service) port is the server.
            hdr.dport < hdr.sport
        };
        let (slot, new) = match slot {
            Some(i) => (i, false),
            None => {
                let ends = ((src_ip, hdr.sport), (dst_ip, hdr.dport));
                (self.create(pctx, (key, src_is_a), Transport::Tcp, ends, client_is_src), true)
            }
        };
        let Some(f) = self.flows.at_mut(slot) else { return };
        let dir = f.direction(src_is_a);
        let d = dir_index(dir);
        if new {
            let midstream = !flags.has(TcpFlags::SYN);
            if midstream {
                self.stats.tcp_midstream += 1;
            }
            self.pending.push_back(Event::FlowOpened {
                flow: f.id,
                packet: pctx.number,
                ts: pctx.ts,
                tuple: f.detail.tuple,
                midstream,
            });
        }
        let mut established = matches!(f.phase, Phase::Established);
        f.packets += 1;
        f.last_ts = pctx.ts;
        f.last_packet = pctx.number;
        f.seen[d] = true;

        // Handshake and teardown.
        let mut data_seq = hdr.seq;
        if flags.has(TcpFlags::SYN) {
            data_seq = hdr.seq.wrapping_add(1);
            let s = &mut f.detail.streams[d];
            if dir == Direction::ToServer && !flags.has(TcpFlags::ACK) {
                if f.client_isn != Some(hdr.seq) {
                    f.client_isn = Some(hdr.seq);
                    s.base = Some(data_seq);
                    s.next = 0;
                }
                if f.phase == Phase::None {
                    f.phase = Phase::SynSent;
                }
            } else if dir == Direction::ToClient && flags.has(TcpFlags::ACK) {
                s.base = Some(data_seq);
                s.next = 0;
                if matches!(f.phase, Phase::None | Phase::SynSent) {
                    f.phase = Phase::SynRecv;
                }
            }
        } else if flags.has(TcpFlags::ACK)
            && dir == Direction::ToServer
            && f.phase == Phase::SynRecv
        {
            f.phase = Phase::Established;
            // A final ACK that carries data is already established itself
            // (Suricata 7.0.7+, suricata-verify bug-7264-tcp-3whs-ack-data-tls-01);
            // a bare final ACK is not.
            established = !payload.is_empty();
        } else if f.phase == Phase::None && !flags.has(TcpFlags::RST) {
            // Picked up midstream: established from the next packet.
            f.phase = Phase::Established;
        }
        if flags.has(TcpFlags::RST) {
            f.rst = true;
            f.phase = Phase::Closed;
        }
        if flags.has(TcpFlags::FIN) {
            f.fin[d] = true;
            if f.fin[0] && f.fin[1] {
                f.phase = Phase::Closed;
            }
        }

        // Reassembly and app layer, within the global memory cap. Most
        // packets come after the app layer has what it needs.
        let mut add = AddResult::default();
        let reassemble = !payload.is_empty() && f.detail.streams[d].want;
        let held_before = if reassemble { f.held() } else { 0 };
        if reassemble {
            if self.buffered + payload.len() > self.cfg.reassembly_memcap {
                self.stats.reassembly_memcap_reached += 1;
                for s in &mut f.detail.streams {
                    s.stop();
                }
            }
            add = f.detail.streams[d].add(data_seq, payload, &self.cfg, &mut self.stats);
        }
        ev.tcp = Some(TcpInfo {
            flags,
            seq: hdr.seq,
            ack: hdr.ack,
            retransmission: add.retransmission,
            out_of_order: add.out_of_order,
        });
        mark_packet(f, dir, established, pctx, ev, &mut self.pending);
        if add.appended {
            let actx = AppContext { flow: f.id, packet: pctx.number, ts: pctx.ts, direction: dir };
            let (stats, pending) = (&mut self.stats, &mut self.pending);
            ev.completed = tcp_app(&mut f.detail, d, actx, stats, pending, &mut self.hellos);
        }
        if reassemble {
            self.buffered = (self.buffered + f.held()).saturating_sub(held_before);
        }
    }

    fn udp_packet(
        &mut self,
        pctx: &PacketCtx,
        src: (IpAddr, u16),
        dst: (IpAddr, u16),
        payload: &[u8],
        ev: &mut PacketEvent,
    ) {
        let (key, src_is_a) = FlowKey::new(17, src, dst);
        let (slot, new) = match self.live(&key, pctx.ts) {
            Some(i) => (i, false),
            None => (self.create(pctx, (key, src_is_a), Transport::Udp, (src, dst), true), true),
        };
        let Some(f) = self.flows.at_mut(slot) else { return };
        if new {
            self.pending.push_back(Event::FlowOpened {
                flow: f.id,
                packet: pctx.number,
                ts: pctx.ts,
                tuple: f.detail.tuple,
                midstream: false,
            });
        }
        let dir = f.direction(src_is_a);
        let d = dir_index(dir);
        f.packets += 1;
        f.last_ts = pctx.ts;
        f.last_packet = pctx.number;
        f.seen[d] = true;
        let established = f.seen[0] && f.seen[1];
        mark_packet(f, dir, established, pctx, ev, &mut self.pending);
        let actx = AppContext { flow: f.id, packet: pctx.number, ts: pctx.ts, direction: dir };
        let app = &mut f.detail.app;
        if matches!(app, App::Unknown) {
            if is_dns_port(src.1) || is_dns_port(dst.1) {
                *app = App::Dns;
            } else if dir == Direction::ToServer && looks_like_quic(payload) {
                *app = App::Quic(Box::default());
            } else if dir == Direction::ToServer && !payload.is_empty() {
                *app = App::Other;
            }
        }
        match app {
            App::Dns => {
                ev.completed =
                    dns_message(payload, actx, Transport::Udp, &mut self.stats, &mut self.pending);
            }
            App::Quic(q) if dir == Direction::ToServer && !q.done() => {
                let (feed, hello) = q.feed(payload);
                self.stats.quic_undecryptable += u64::from(feed.failed);
                if q.done() && q.malformed() {
                    self.stats.quic_malformed += 1;
                }
                if let Some(h) = hello {
                    ev.completed = AppEvents(AppEvents::QUIC_CLIENT_HELLO);
                    self.pending.push_back(Event::QuicClientHello(Box::new(HelloEvent {
                        ctx: actx,
                        index: 0,
                        hello: h.hello,
                        records: 0,
                        segments: h.initial_packets,
                        crypto_frames: h.crypto_frames,
                        quic_version: Some(h.version),
                        out_of_order: false,
                    })));
                }
            }
            _ => {}
        }
    }
}

fn is_dns_port(p: u16) -> bool {
    matches!(p, 53 | 5353 | 5355)
}

fn looks_like_quic(p: &[u8]) -> bool {
    match quic::long_headers(p).first() {
        Some(h) => h.version != 0,
        None => false,
    }
}

fn dns_message(
    msg: &[u8],
    actx: AppContext,
    transport: Transport,
    stats: &mut Stats,
    pending: &mut VecDeque<Event>,
) -> AppEvents {
    let Some(m) = dns::parse_message(msg) else {
        stats.dns_malformed += 1;
        return AppEvents::default();
    };
    if m.partial {
        stats.dns_partial += 1;
    }
    let response = m.response;
    let e = Box::new(DnsEvent { ctx: actx, transport, message: m });
    if response {
        pending.push_back(Event::DnsAnswer(e));
        AppEvents(AppEvents::DNS_ANSWER)
    } else {
        pending.push_back(Event::DnsQuery(e));
        AppEvents(AppEvents::DNS_QUERY)
    }
}

/// Recognises the protocol from the client's first bytes. `None`: more
/// bytes are needed.
fn detect(buf: &[u8]) -> Option<App> {
    match buf {
        [] | [0x16] => return None,
        [0x16, 0x03, ..] => return Some(App::Tls(TlsClientStream::new())),
        _ => {}
    }
    let http = http::looks_like_request(buf);
    if http == Some(true) {
        return Some(App::Http(HttpClientStream::new()));
    }
    match socks_message_len(buf, false) {
        Some(None) => None,
        Some(Some(_)) => Some(App::Socks { greeted: false }),
        None if http.is_none() => None,
        None => Some(App::Other),
    }
}

/// Length of the SOCKS client message at the start of `buf`: `None` when
/// it is not one, `Some(None)` when more bytes are needed.
fn socks_message_len(buf: &[u8], greeted: bool) -> Option<Option<usize>> {
    let need = |n: usize| Some(if buf.len() >= n { Some(n) } else { None });
    let Some(first) = buf.first() else { return Some(None) };
    match (first, greeted) {
        // SOCKS5 greeting: version, method count, methods.
        (5, false) => {
            let n = usize::from(*buf.get(1)?);
            if n == 0 || n > 8 {
                return None;
            }
            need(2 + n)
        }
        // SOCKS5 request: version, command, reserved, address type, ...
        (5, true) => {
            if !matches!(buf.get(1), None | Some(1..=3)) || buf.get(2).is_some_and(|r| *r != 0) {
                return None;
            }
            match buf.get(3) {
                None => Some(None),
                Some(1) => need(10),
                Some(4) => need(22),
                Some(3) => match buf.get(4) {
                    None => Some(None),
                    Some(&n) => need(7 + usize::from(n)),
                },
                Some(_) => None,
            }
        }
        // Username/password sub-negotiation after the greeting.
        (1, true) => {
            let ulen = usize::from(*buf.get(1)?);
            let plen = usize::from(*buf.get(2 + ulen)?);
            need(3 + ulen + plen)
        }
        // SOCKS4/4a CONNECT: version, command, port, IPv4, user id NUL,
        // and for 4a (IP 0.0.0.x) a host name NUL.
        (4, _) => {
            if buf.get(1).is_some_and(|c| !matches!(c, 1 | 2)) {
                return None;
            }
            if buf.len() < 9 {
                return Some(None);
            }
            let Some(user_end) = buf[8..].iter().position(|&b| b == 0).map(|i| 8 + i + 1) else {
                return if buf.len() > 512 { None } else { Some(None) };
            };
            if buf[4..7] == [0, 0, 0] && buf[7] != 0 {
                match buf[user_end..].iter().position(|&b| b == 0) {
                    Some(i) => need(user_end + i + 1),
                    None => Some(None),
                }
            } else {
                need(user_end)
            }
        }
        _ => None,
    }
}

/// Runs the app-layer parser on direction `d` of a TCP flow after new
/// bytes were appended. A proxy preamble (HTTP CONNECT, SOCKS) hands the
/// rest of the stream back to protocol detection.
/// Fills in the packet's flow, direction and established state, and queues
/// `FlowEstablished` the first time the flow counts as established.
fn mark_packet(
    f: &mut Flow,
    dir: Direction,
    established: bool,
    pctx: &PacketCtx,
    ev: &mut PacketEvent,
    pending: &mut VecDeque<Event>,
) {
    ev.flow = Some(f.id);
    ev.direction = Some(dir);
    ev.established = established;
    if established && !f.established_sent {
        f.established_sent = true;
        pending.push_back(Event::FlowEstablished { flow: f.id, packet: pctx.number, ts: pctx.ts });
    }
}

fn tcp_app(
    f: &mut Detail,
    d: usize,
    actx: AppContext,
    stats: &mut Stats,
    pending: &mut VecDeque<Event>,
    hellos: &mut Vec<StreamHello>,
) -> AppEvents {
    let mut done = AppEvents::default();
    loop {
        if matches!(f.app, App::Unknown) {
            if d != 0 {
                // Server speaks first: not something this crate inspects.
                return done;
            }
            match detect(&f.streams[0].buf) {
                Some(app) => f.app = app,
                None => return done,
            }
        }
        let stream = &mut f.streams[d];
        let first_segment = stream.buf_first_segment;
        let segments = stream.segments.saturating_sub(first_segment) + 1;
        let mut next_app = None;
        match &mut f.app {
            App::Tls(t) => {
                let (used, state) = t.feed(&stream.buf, hellos);
                stream.consume(used);
                for h in hellos.drain(..) {
                    done.0 |= AppEvents::CLIENT_HELLO;
                    pending.push_back(Event::ClientHello(Box::new(HelloEvent {
                        ctx: actx,
                        index: f.hellos,
                        hello: h.hello,
                        records: h.records,
                        segments,
                        crypto_frames: 0,
                        quic_version: None,
                        out_of_order: stream.saw_out_of_order,
                    })));
                    f.hellos += 1;
                }
                match state {
                    StreamState::Reading => {}
                    StreamState::Malformed => {
                        stats.tls_malformed += 1;
                        stream.stop();
                    }
                    _ => stream.stop(),
                }
            }
            App::Http(h) => {
                let mut out = Vec::new();
                let first_index = h.requests();
                let used = h.feed(&stream.buf, &mut out);
                stream.consume(used);
                for (i, request) in (first_index..).zip(out) {
                    done.0 |= AppEvents::HTTP_REQUEST;
                    pending.push_back(Event::HttpRequest(Box::new(HttpEvent {
                        ctx: actx,
                        index: i,
                        segments,
                        request,
                    })));
                }
                if h.tunnelled() {
                    next_app = Some(App::Unknown);
                } else if h.stopped() {
                    stats.http_stopped += 1;
                    stream.stop();
                }
            }
            App::Socks { greeted } => loop {
                let first = stream.buf.first().copied();
                match socks_message_len(&stream.buf, *greeted) {
                    Some(Some(n)) => {
                        stream.consume(n);
                        match (first, *greeted) {
                            (Some(5), false) => *greeted = true,
                            (Some(1), true) => {}
                            // A SOCKS4 or SOCKS5 connect request: the
                            // tunnelled protocol follows.
                            _ => {
                                next_app = Some(App::Unknown);
                                break;
                            }
                        }
                    }
                    Some(None) => break,
                    None => {
                        stream.stop();
                        break;
                    }
                }
            },
            App::Dns => {
                let (msgs, used) = dns::split_tcp_messages(&stream.buf);
                for m in msgs {
                    done.0 |= dns_message(m, actx, Transport::Tcp, stats, pending).0;
                }
                stream.consume(used);
            }
            _ => {
                for s in &mut f.streams {
                    s.stop();
                }
            }
        }
        match next_app {
            Some(app) => f.app = app,
            None => return done,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::LinkType;

    /// A raw IPv4/TCP packet (no options, no checksums) with `payload`.
    fn tcp(src: ([u8; 4], u16), dst: ([u8; 4], u16), flags: u8, payload: &[u8]) -> Vec<u8> {
        let total = (40 + payload.len()) as u16;
        let mut p = vec![0x45, 0];
        p.extend(total.to_be_bytes());
        p.extend([0, 0, 0x40, 0, 64, 6, 0, 0]);
        p.extend(src.0);
        p.extend(dst.0);
        p.extend(src.1.to_be_bytes());
        p.extend(dst.1.to_be_bytes());
        p.extend([0, 0, 0, 1, 0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        p.extend(payload);
        p
    }

    fn directions(packets: &[Vec<u8>]) -> Vec<Option<Direction>> {
        let mut engine = Engine::new(Config::default());
        (packets.iter().enumerate())
            .map(|(i, data)| {
                let raw = RawPacket {
                    number: i as u64 + 1,
                    ts: Timestamp(i as u64),
                    linktype: LinkType::RAW,
                    data,
                    orig_len: data.len() as u32,
                };
                engine.process(&raw).direction
            })
            .collect()
    }

    #[test]
    fn direction_follows_the_client_whichever_endpoint_sorts_first() {
        let (low, high) = (([10, 0, 0, 1], 40000), ([10, 0, 0, 2], 443));
        for (client, server) in [(low, high), (high, low)] {
            let syn = tcp(client, server, TcpFlags::SYN, b"");
            let syn_ack = tcp(server, client, TcpFlags::SYN | TcpFlags::ACK, b"");
            let ack = tcp(client, server, TcpFlags::ACK, b"");
            assert_eq!(
                directions(&[syn, syn_ack, ack]),
                [Some(Direction::ToServer), Some(Direction::ToClient), Some(Direction::ToServer)]
            );
        }
        // Picked up at the SYN-ACK: the SYN-ACK's sender is the server.
        let syn_ack = tcp(low, high, TcpFlags::SYN | TcpFlags::ACK, b"");
        let ack = tcp(high, low, TcpFlags::ACK, b"");
        assert_eq!(
            directions(&[syn_ack, ack]),
            [Some(Direction::ToClient), Some(Direction::ToServer)]
        );
    }

    #[test]
    fn a_socket_talking_to_itself_only_sends_to_the_server() {
        let me = ([127, 0, 0, 1], 5000);
        // Even when the first packet seen is a SYN-ACK.
        let packets = [
            tcp(me, me, TcpFlags::SYN | TcpFlags::ACK, b""),
            tcp(me, me, TcpFlags::ACK, b""),
            tcp(me, me, TcpFlags::ACK | TcpFlags::PSH, b"x"),
        ];
        assert_eq!(directions(&packets), [Some(Direction::ToServer); 3]);
    }
}
