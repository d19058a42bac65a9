//! The stateful firewall, packet by packet.
//!
//! [`Engine`] consumes `rulesim-wire` events in capture order. Application
//! events (a completed ClientHello, an HTTP request, a DNS question) arrive
//! just before the packet that completed them; the engine holds them until
//! that packet's [`Event::Packet`] and then decides the packet as AWS does
//! (SEMANTICS.md §4–§5):
//!
//! 1. the stateless stage (`StatelessDefaultActions`; fragments);
//! 2. a flow already decided by an app-layer rule keeps its verdict: `pass`
//!    ends inspection, `drop`/`reject` drop everything after;
//! 3. a TCP flow picked up midstream follows the `StreamExceptionPolicy`;
//! 4. otherwise the compiled policy evaluates the packet, with the buffers
//!    this packet completed, and the default actions apply to what no rule
//!    decided.
//!
//! An engine only sees the flows it is given, so several engines can share
//! a capture's flows across threads; their results do not depend on each
//! other (DNS-based findings are added afterwards, see [`crate::findings`]).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use rulesim_core::name::{Change, Changes, NameSource, observe, observe_uri_host};
use rulesim_core::{
    AlertSource, ClientHello, CompiledPolicy, DecidedBy, Decision, HttpRequest, Observation,
    Protocol, StatelessAction, StreamExceptionPolicy, Transport, Verdict,
};
use rulesim_wire::{
    Direction, DnsEvent, Event, FlowId, FlowTuple, HelloEvent, HttpEvent, PacketEvent,
};

use crate::eve::{self, AlertEvent, EventHeader, HttpInfo, TlsInfo};
use crate::report::{
    AlertRef, Decider, DirectionCounters, Endpoints, FlowReport, FlowVerdict, FlowlessPackets,
    Names, alert_action,
};
use crate::{Finding, Options};
use rulesim_wire::decode::TcpFlags;

/// An application message waiting for the packet that completed it.
enum Pending {
    Hello(Box<HelloEvent>, bool),
    Http(Box<HttpEvent>),
    Dns(Box<DnsEvent>),
}

/// Open flows, indexed by their (sequential) id: no hashing on the
/// per-packet path, and closing order is id order.
#[derive(Default)]
struct FlowTable {
    slots: Vec<Option<Box<FlowSim>>>,
}

impl FlowTable {
    fn insert(&mut self, id: FlowId, flow: FlowSim) {
        let i = id.0 as usize;
        if i >= self.slots.len() {
            self.slots.resize_with(i + 1, || None);
        }
        self.slots[i] = Some(Box::new(flow));
    }

    fn get_mut(&mut self, id: FlowId) -> Option<&mut FlowSim> {
        self.slots.get_mut(id.0 as usize)?.as_deref_mut()
    }

    fn remove(&mut self, id: FlowId) -> Option<Box<FlowSim>> {
        self.slots.get_mut(id.0 as usize)?.take()
    }

    /// Every open flow, in id order, leaving the table empty.
    fn drain(&mut self) -> impl Iterator<Item = (FlowId, Box<FlowSim>)> + '_ {
        self.slots.drain(..).enumerate().filter_map(|(i, f)| Some((FlowId(i as u64), f?)))
    }
}

/// An application message's buffers, as the rules see them.
#[derive(Clone)]
struct Message {
    source: NameSource,
    /// `tls.sni`, `http.host` or `dns.query`.
    buffer: Option<Vec<u8>>,
    /// `http.header_names`, for HTTP requests with headers.
    header_names: Option<Vec<u8>>,
}

impl Message {
    fn new(source: NameSource, buffer: Option<Vec<u8>>) -> Message {
        Message { source, buffer, header_names: None }
    }
}

/// A name as the flow sent it, and what turning it into the buffer rules
/// see changed or noticed (case, trailing dot, IP literal).
struct SentName {
    source: NameSource,
    raw: Vec<u8>,
    changes: Changes,
}

impl SentName {
    /// Records `raw` and returns its buffer.
    fn observe(names: &mut Vec<SentName>, source: NameSource, raw: Vec<u8>) -> Vec<u8> {
        let seen = observe(source, &raw);
        names.push(SentName { source, raw, changes: seen.changes });
        seen.buffer
    }

    fn text(&self) -> String {
        text(&self.raw)
    }
}

/// A name as text for reports, invalid UTF-8 replaced (names are nearly
/// always ASCII, so the check comes first and the copy once).
fn text(raw: &[u8]) -> String {
    match std::str::from_utf8(raw) {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(raw).into_owned(),
    }
}

/// What the engine remembers of one flow.
// Laid out in declaration order: the fields every packet touches come
// first, so a packet costs a few cache lines of the flow, not all of it.
#[repr(C)]
struct FlowSim {
    /// The flow-wide decision of an app-layer rule or the exception policy.
    decided: Option<(Verdict, u64, Decider)>,
    /// The last decision for a packet without a message, per direction.
    memo: [Memo; 2],
    app: Option<Protocol>,
    app_inspected: bool,
    midstream: bool,
    /// Whether client data got through after a packet was dropped.
    recovered: bool,
    /// Whether a SYN or SYN-ACK was dropped: the connection cannot open.
    handshake_dropped: bool,
    reset: bool,
    /// Whether a rule has inspected the flow's TLS transaction.
    tls_inspected: bool,
    packets: u64,
    counters: [DirectionCounters; 2],
    /// The first packet a default action dropped, and by which.
    default_drop: Option<(u64, Decider)>,
    dropped: Vec<u64>,
    /// Messages completed before the flow was established that no rule has
    /// inspected yet.
    carried: Vec<Message>,
    /// Client data packets dropped since the last completed message.
    data_drops_since_message: Vec<u64>,
    unrecognised_bytes: u64,
    tuple: FlowTuple,
    first_packet: u64,
    /// Packets that completed an application message, and whether they passed.
    messages: Vec<(u64, bool)>,
    names: Names,
    /// (segments, packets dropped before it completed) per ClientHello.
    hellos: Vec<(u32, Vec<u64>)>,
    ech: Option<bool>,
    quic: bool,
    sent_names: Vec<SentName>,
    alerts: Vec<AlertRef>,
}

/// The last decision for a packet without a message (see
/// [`Ctx::decide_plain`]) and the state it was taken in.
type Memo = Option<(MemoKey, Decision)>;

/// The state a message-less packet's decision depends on besides the flow
/// and direction: established, application layer inspected, application
/// protocol.
type MemoKey = (bool, bool, Option<Protocol>);

/// A DNS answer: which names resolved to which addresses, and when.
#[derive(Clone, Debug)]
pub(crate) struct Resolution {
    pub(crate) packet: u64,
    pub(crate) names: Vec<String>,
    pub(crate) addrs: Vec<IpAddr>,
}

/// The simulator for a set of flows.
pub(crate) struct Engine<'a> {
    ctx: Ctx<'a>,
    /// Open flows by id (rulesim-wire numbers flows 0, 1, 2, …).
    flows: FlowTable,
    pending: Vec<Pending>,
    pub(crate) finished: Vec<FlowReport>,
    pub(crate) flowless: FlowlessPackets,
    pub(crate) alerts: Vec<(u64, u64, AlertEvent)>,
    pub(crate) resolutions: Vec<Resolution>,
    pub(crate) packets: u64,
    pub(crate) dropped_packets: u64,
}

impl<'a> Engine<'a> {
    pub(crate) fn new(policy: &'a CompiledPolicy, options: &'a Options) -> Engine<'a> {
        Engine {
            ctx: Ctx { policy, options, summaries: Default::default() },
            flows: FlowTable::default(),
            pending: Vec::new(),
            finished: Vec::new(),
            flowless: FlowlessPackets::default(),
            alerts: Vec::new(),
            resolutions: Vec::new(),
            packets: 0,
            dropped_packets: 0,
        }
    }

    /// Feeds one event.
    pub(crate) fn event(&mut self, event: Event) {
        match event {
            Event::FlowOpened { flow, packet, tuple, midstream, .. } => {
                self.flows.insert(flow, FlowSim::new(tuple, packet, midstream));
            }
            Event::ClientHello(h) => self.pending.push(Pending::Hello(h, false)),
            Event::QuicClientHello(h) => self.pending.push(Pending::Hello(h, true)),
            Event::HttpRequest(h) => self.pending.push(Pending::Http(h)),
            Event::DnsQuery(d) => self.pending.push(Pending::Dns(d)),
            Event::DnsAnswer(d) => self.answer(&d),
            Event::Packet(p) => self.packet(&p),
            Event::FlowClosed(closed) => {
                if let Some(flow) = self.flows.remove(closed.flow) {
                    let finished = flow.finish(closed.flow, self.ctx.policy);
                    self.finished.push(finished);
                }
            }
            // FlowEstablished is carried on every packet as `established`.
            _ => {}
        }
    }

    /// Closes every flow still open (end of input).
    pub(crate) fn finish(&mut self) {
        for (id, flow) in self.flows.drain() {
            let finished = flow.finish(id, self.ctx.policy);
            self.finished.push(finished);
        }
    }

    fn answer(&mut self, dns: &DnsEvent) {
        let message = &dns.message;
        let mut names: Vec<String> = message.questions.iter().map(|q| canonical(&q.name)).collect();
        let mut addrs = Vec::new();
        for answer in &message.answers {
            names.push(canonical(&answer.name));
            match &answer.data {
                rulesim_wire::dns::AnswerData::Addr(ip) => addrs.push(*ip),
                rulesim_wire::dns::AnswerData::Cname(target) => names.push(canonical(target)),
                rulesim_wire::dns::AnswerData::Https { hints, .. } => {
                    addrs.extend(hints.iter().copied())
                }
                _ => {}
            }
        }
        names.sort();
        names.dedup();
        if !addrs.is_empty() {
            self.resolutions.push(Resolution { packet: dns.ctx.packet, names, addrs });
        }
        if let Some(flow) = self.flows.get_mut(dns.ctx.flow) {
            flow.app.get_or_insert(Protocol::Dns);
        }
    }

    fn packet(&mut self, p: &PacketEvent) {
        self.packets += 1;
        // The messages this packet completed (the Vec keeps its capacity).
        let mut pending = std::mem::take(&mut self.pending);
        let verdict = match p.flow.filter(|id| self.flows.get_mut(*id).is_some()) {
            Some(id) => self.flow_packet(id, p, &mut pending),
            None => self.flowless_packet(p),
        };
        pending.clear();
        self.pending = pending;
        if verdict != Verdict::Pass {
            self.dropped_packets += 1;
        }
    }

    fn flowless_packet(&mut self, p: &PacketEvent) -> Verdict {
        self.flowless.packets += 1;
        let verdict = match self.ctx.stateless(p, None) {
            Some((verdict, _)) => verdict,
            None => match p.addrs {
                Some((src, dst)) => {
                    let transport = match p.ip_proto {
                        Some(1 | 58) => Transport::Icmp,
                        Some(6) => Transport::Tcp,
                        Some(17) => Transport::Udp,
                        Some(other) => Transport::Other(other),
                        None => Transport::Other(0),
                    };
                    let obs = Observation {
                        transport,
                        app: None,
                        src,
                        src_port: 0,
                        dst,
                        dst_port: 0,
                        to_server: true,
                        established: false,
                        app_layer_inspected: false,
                        client_hello: None,
                        http: None,
                        dns_query: None,
                    };
                    let decision = self.ctx.policy.evaluate(&obs);
                    self.ctx.log_alerts(&mut self.alerts, &decision, p, None, &obs, None);
                    decision.verdict
                }
                None => Verdict::Pass,
            },
        };
        if verdict != Verdict::Pass {
            self.flowless.dropped.push(p.number);
        }
        verdict
    }

    fn flow_packet(&mut self, id: FlowId, p: &PacketEvent, pending: &mut Vec<Pending>) -> Verdict {
        let Some(flow) = self.flows.get_mut(id) else { return Verdict::Pass };
        let verdict = self.ctx.decide(&mut self.alerts, flow, id, p, pending);
        flow.count(p);
        if verdict != Verdict::Pass {
            if flow.dropped.is_empty() {
                // A flow that loses one packet usually loses the rest.
                flow.dropped.reserve(16);
            }
            flow.dropped.push(p.number);
            flow.handshake_dropped |= p.tcp.is_some_and(|t| t.flags.0 & TcpFlags::SYN != 0);
            let message = p.completed.0 != 0;
            if p.direction == Some(Direction::ToServer) && p.payload_len > 0 && !message {
                flow.data_drops_since_message.push(p.number);
            }
        } else if p.direction == Some(Direction::ToServer)
            && p.payload_len > 0
            && !flow.dropped.is_empty()
        {
            flow.recovered = true;
        }
        verdict
    }
}

/// What every decision needs: the policy and the options.
struct Ctx<'a> {
    policy: &'a CompiledPolicy,
    options: &'a Options,
    /// Rule summaries already built, shared by the flows they decide.
    summaries: std::cell::RefCell<HashMap<rulesim_core::RuleId, Arc<rulesim_core::RuleSummary>>>,
}

impl Ctx<'_> {
    /// The stateless stage: `Some` when it decides the packet.
    fn stateless(
        &self,
        p: &PacketEvent,
        transport: Option<rulesim_wire::Transport>,
    ) -> Option<(Verdict, Decider)> {
        let policy = self.policy.policy();
        let action = if p.fragment {
            if transport == Some(rulesim_wire::Transport::Udp) {
                policy.stateless_fragment_default
            } else {
                // Non-UDP fragments are dropped silently (SEMANTICS.md §4.1).
                StatelessAction::Drop
            }
        } else {
            policy.stateless_default
        };
        let decider = Decider::StatelessDefault { action: action.as_aws() };
        match action {
            StatelessAction::ForwardToSfe => None,
            StatelessAction::Pass => Some((Verdict::Pass, decider)),
            StatelessAction::Drop => Some((Verdict::Drop, decider)),
        }
    }

    fn decide(
        &self,
        alerts: &mut Vec<(u64, u64, AlertEvent)>,
        flow: &mut FlowSim,
        id: FlowId,
        p: &PacketEvent,
        pending: &mut Vec<Pending>,
    ) -> Verdict {
        let to_server = p.direction != Some(Direction::ToClient);
        let completes = !pending.is_empty();
        let new_messages = if completes { flow.record(pending) } else { Vec::new() };

        if completes {
            flow.app_inspected = true;
        } else if p.payload_len > 0 && flow.app.is_none() {
            if to_server {
                flow.unrecognised_bytes += u64::from(p.payload_len);
                if flow.unrecognised_bytes > self.options.app_layer_giveup_bytes {
                    flow.app_inspected = true;
                }
            } else if !flow.midstream {
                // The server spoke first: its banner is the application layer.
                flow.app_inspected = true;
            }
        }

        if let Some((verdict, decider)) = self.stateless(p, Some(flow.tuple.transport)) {
            flow.decided.get_or_insert((verdict, p.number, decider));
            return verdict;
        }
        if let Some((verdict, _, _)) = &flow.decided {
            if completes {
                flow.messages.push((p.number, *verdict == Verdict::Pass));
            }
            return match verdict {
                Verdict::Pass => Verdict::Pass,
                _ => Verdict::Drop,
            };
        }
        if flow.midstream && flow.tuple.transport == rulesim_wire::Transport::Tcp {
            let policy = self.policy.policy().stream_exception_policy;
            if policy != StreamExceptionPolicy::Continue {
                let verdict = if policy == StreamExceptionPolicy::Reject {
                    Verdict::Reject
                } else {
                    Verdict::Drop
                };
                flow.reset |= verdict == Verdict::Reject;
                flow.decided = Some((
                    verdict,
                    p.number,
                    Decider::StreamExceptionPolicy { action: policy.as_aws() },
                ));
                return verdict;
            }
        }

        // A message completed before the flow was established (TCP Fast
        // Open data in the SYN, a UDP query) that no rule looked at stays
        // open for inspection, as a Suricata transaction does, until the
        // next established client packet.
        let mut messages: Vec<Message> = Vec::new();
        if to_server && p.established {
            messages.append(&mut flow.carried);
        }
        messages.extend(new_messages);
        let verdict = if messages.is_empty() {
            let (key, decision) = self.decide_plain(flow, to_server, p.established);
            if !decision.alerts.is_empty() {
                let obs = flow.observation(to_server, p.established);
                self.log_alerts(alerts, &decision, p, Some((id, &mut *flow)), &obs, None);
            }
            let verdict = self.apply(flow, &decision, p, Verdict::Pass).0;
            flow.memo[usize::from(!to_server)] = Some((key, decision));
            verdict
        } else {
            let base = flow.observation(to_server, p.established);
            self.inspect(alerts, flow, id, p, &base, messages)
        };
        if completes {
            flow.messages.push((p.number, verdict == Verdict::Pass));
        }
        verdict
    }

    /// The decision for a packet that completes no message. Its observation
    /// is the flow's plus direction and state, and [`CompiledPolicy::evaluate`]
    /// depends on nothing else, so the flow remembers the answer while the
    /// state stays the same (a blocked flow would otherwise evaluate every
    /// packet). The answer is moved out of the memo; the caller puts it back.
    fn decide_plain(
        &self,
        flow: &mut FlowSim,
        to_server: bool,
        established: bool,
    ) -> (MemoKey, Decision) {
        let key = (established, flow.app_inspected, flow.app);
        let memo = &mut flow.memo[usize::from(!to_server)];
        if let Some((_, decision)) = memo.take_if(|(k, _)| *k == key) {
            // Test builds check the claim on every packet they replay.
            debug_assert_eq!(
                decision,
                self.policy.evaluate(&flow.observation(to_server, established))
            );
            return (key, decision);
        }
        (key, self.policy.evaluate(&flow.observation(to_server, established)))
    }

    /// Evaluates each message a packet completed (or carried); the first
    /// flow-wide decision ends the inspection. Returns the packet's verdict.
    fn inspect(
        &self,
        alerts: &mut Vec<(u64, u64, AlertEvent)>,
        flow: &mut FlowSim,
        id: FlowId,
        p: &PacketEvent,
        base: &Observation<'_>,
        messages: Vec<Message>,
    ) -> Verdict {
        let mut packet_verdict = Verdict::Pass;
        let mut untouched = Vec::new();
        for message in &messages {
            let buffer = message.buffer.as_deref();
            let obs = match message.source {
                NameSource::TlsSni => {
                    Observation { client_hello: Some(ClientHello { sni: buffer }), ..*base }
                }
                NameSource::HttpHost => Observation {
                    http: Some(HttpRequest {
                        host: buffer,
                        header_names: message.header_names.as_deref(),
                    }),
                    ..*base
                },
                NameSource::DnsQuery => Observation { dns_query: buffer, ..*base },
            };
            let decision = self.policy.evaluate(&obs);
            // The names an alert record shows (SNI, or HTTP host).
            let names = match message.source {
                _ if decision.alerts.is_empty() => None,
                NameSource::TlsSni => Some((buffer.map(text).unwrap_or_default(), None)),
                NameSource::HttpHost => Some((String::new(), buffer.map(text))),
                NameSource::DnsQuery => None,
            };
            // Packet rules do not inspect the message: an app-layer rule
            // that decided or alerted closes it.
            let rule_involved =
                matches!(decision.decided_by, DecidedBy::Rule { flow_scope: true, .. })
                    || decision.alerts.iter().any(|a| match a {
                        AlertSource::Rule { id, .. } => {
                            self.policy.rule(*id).is_some_and(|r| r.is_app_layer())
                        }
                        AlertSource::Default { .. } => false,
                    });
            if rule_involved && message.source == NameSource::TlsSni {
                flow.tls_inspected = true;
            }
            if !rule_involved && !p.established {
                untouched.push(message.clone());
            }
            self.log_alerts(alerts, &decision, p, Some((id, &mut *flow)), &obs, names);
            let (verdict, flow_wide) = self.apply(flow, &decision, p, packet_verdict);
            packet_verdict = verdict;
            if flow_wide {
                untouched.clear();
                break;
            }
        }
        flow.carried.extend(untouched);
        packet_verdict
    }

    /// Applies a decision to the flow: a flow-wide rule decides the flow,
    /// and the first packet a rule or default action dropped is remembered.
    /// Returns the packet's verdict (the worse of `verdict` and the
    /// decision's) and whether the decision was flow-wide.
    fn apply(
        &self,
        flow: &mut FlowSim,
        decision: &Decision,
        p: &PacketEvent,
        verdict: Verdict,
    ) -> (Verdict, bool) {
        match decision.decided_by {
            DecidedBy::Rule { id: rule, flow_scope: true } => {
                flow.reset |= decision.verdict == Verdict::Reject;
                flow.decided = Some((decision.verdict, p.number, self.rule_decider(rule)));
                (decision.verdict, true)
            }
            DecidedBy::Rule { id: rule, flow_scope: false } => {
                if decision.verdict != Verdict::Pass {
                    flow.reset |= decision.verdict == Verdict::Reject;
                    if flow.default_drop.is_none() {
                        flow.default_drop = Some((p.number, self.rule_decider(rule)));
                    }
                }
                (worst(verdict, decision.verdict), false)
            }
            DecidedBy::Default { action } => {
                if flow.default_drop.is_none() {
                    flow.default_drop =
                        Some((p.number, Decider::DefaultAction { action: action.as_aws() }));
                }
                (worst(verdict, decision.verdict), false)
            }
            DecidedBy::Nothing => (verdict, false),
        }
    }

    fn rule_decider(&self, id: rulesim_core::RuleId) -> Decider {
        let mut cache = self.summaries.borrow_mut();
        if let Some(rule) = cache.get(&id) {
            return Decider::Rule { rule: Arc::clone(rule) };
        }
        match self.policy.summary(id) {
            Some(rule) => {
                let rule = Arc::new(rule);
                cache.insert(id, Arc::clone(&rule));
                Decider::Rule { rule }
            }
            None => Decider::NoMatch,
        }
    }

    fn log_alerts(
        &self,
        alerts: &mut Vec<(u64, u64, AlertEvent)>,
        decision: &Decision,
        p: &PacketEvent,
        mut flow: Option<(FlowId, &mut FlowSim)>,
        obs: &Observation<'_>,
        names: Option<(String, Option<String>)>,
    ) {
        if decision.alerts.is_empty() {
            return;
        }
        let action = alert_action(decision.verdict);
        let (flow_id, app) = match &flow {
            Some((id, f)) => (id.0, app_name(f.app)),
            None => (0, "failed"),
        };
        for source in &decision.alerts {
            let (sid, rev, signature, severity, origin) = match source {
                AlertSource::Rule { id, .. } => match self.policy.rule(*id) {
                    Some(rule) => (
                        rule.sid,
                        rule.rev,
                        rule.msg.clone(),
                        rule.effective_priority(),
                        self.policy.group(*id).name.clone(),
                    ),
                    None => continue,
                },
                AlertSource::Default { action } => {
                    (0, 0, format!("{} action", action.as_aws()), 3, action.as_aws().to_string())
                }
            };
            let (tls, http) = match &names {
                Some((sni, host)) => (
                    (!sni.is_empty()).then(|| TlsInfo { sni: sni.clone() }),
                    host.clone().map(|hostname| HttpInfo { hostname }),
                ),
                None => (None, None),
            };
            let event = AlertEvent {
                header: EventHeader {
                    timestamp: eve::Time(p.ts.0),
                    flow_id,
                    event_type: "alert",
                    src_ip: obs.src,
                    src_port: obs.src_port,
                    dest_ip: obs.dst,
                    dest_port: obs.dst_port,
                    proto: proto_name(obs.transport),
                    app_proto: app,
                },
                alert: eve::Alert {
                    action,
                    signature_id: sid,
                    rev,
                    signature: signature.clone(),
                    category: "",
                    severity,
                },
                tls,
                http,
            };
            alerts.push((p.number, p.ts.0, event));
            if let Some((_, f)) = flow.as_mut() {
                f.alerts.push(AlertRef {
                    packet: p.number,
                    action,
                    sid,
                    source: origin,
                    signature,
                });
            }
        }
    }
}

/// The more severe of two packet verdicts.
fn worst(a: Verdict, b: Verdict) -> Verdict {
    let rank = |v: Verdict| match v {
        Verdict::Pass => 0,
        Verdict::Drop => 1,
        Verdict::Reject => 2,
    };
    if rank(b) > rank(a) { b } else { a }
}

fn canonical(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

fn proto_name(t: Transport) -> &'static str {
    match t {
        Transport::Tcp => "TCP",
        Transport::Udp => "UDP",
        Transport::Icmp => "ICMP",
        Transport::Other(_) => "IP",
    }
}

fn app_name(app: Option<Protocol>) -> &'static str {
    match app {
        Some(Protocol::Tls) => "tls",
        Some(Protocol::Http) => "http",
        Some(Protocol::Dns) => "dns",
        Some(Protocol::Quic) => "quic",
        _ => "failed",
    }
}

impl FlowSim {
    fn new(tuple: FlowTuple, first_packet: u64, midstream: bool) -> FlowSim {
        FlowSim {
            tuple,
            midstream,
            first_packet,
            packets: 0,
            app: None,
            app_inspected: false,
            unrecognised_bytes: 0,
            decided: None,
            default_drop: None,
            dropped: Vec::new(),
            data_drops_since_message: Vec::new(),
            messages: Vec::new(),
            carried: Vec::new(),
            tls_inspected: false,
            recovered: false,
            handshake_dropped: false,
            reset: false,
            names: Names::default(),
            hellos: Vec::new(),
            ech: None,
            quic: false,
            sent_names: Vec::new(),
            alerts: Vec::new(),
            counters: [DirectionCounters::default(); 2],
            memo: Default::default(),
        }
    }

    /// Records the application messages a packet completed (names, app
    /// protocol, ECH, QUIC, split ClientHellos) and returns the buffers the
    /// rules inspect.
    fn record(&mut self, pending: &mut Vec<Pending>) -> Vec<Message> {
        let mut messages = Vec::new();
        for message in pending.drain(..) {
            match message {
                Pending::Hello(mut h, quic) => {
                    self.app = Some(if quic { Protocol::Quic } else { Protocol::Tls });
                    self.quic |= quic;
                    if let Some(ech) = &h.hello.ech {
                        self.ech = Some(self.ech.unwrap_or(true) && ech.grease);
                    }
                    let buffer = h.hello.sni.take().map(|raw| {
                        self.names.sni.push(text(&raw));
                        SentName::observe(&mut self.sent_names, NameSource::TlsSni, raw)
                    });
                    if buffer.is_none() {
                        self.names.sni.push(String::new());
                    }
                    // QUIC is not TLS to Suricata; and TLS has one transaction
                    // per flow: once a rule has looked at a ClientHello, the
                    // one after a HelloRetryRequest is not inspected again
                    // (suricata-verify bug-5758).
                    if !quic {
                        let early = std::mem::take(&mut self.data_drops_since_message);
                        self.hellos.push((h.segments, early));
                        if !self.tls_inspected {
                            messages.push(Message::new(NameSource::TlsSni, buffer));
                        }
                    }
                }
                Pending::Http(h) => {
                    self.app = Some(Protocol::Http);
                    let request = h.request;
                    if let Some(host) = request.host.as_ref().or(request.target_authority.as_ref())
                    {
                        self.names.hosts.push(text(host));
                    }
                    if let Some(host) = &request.host {
                        SentName::observe(&mut self.sent_names, NameSource::HttpHost, host.clone());
                    }
                    // Suricata's http.host prefers the request target's host.
                    let buffer = match (&request.target_authority, &request.host) {
                        (Some(authority), _) => Some(observe_uri_host(authority).buffer),
                        (None, Some(host)) => Some(observe(NameSource::HttpHost, host).buffer),
                        (None, None) => None,
                    };
                    let names = request.header_names;
                    messages.push(Message {
                        header_names: (!names.is_empty()).then_some(names),
                        ..Message::new(NameSource::HttpHost, buffer)
                    });
                }
                Pending::Dns(d) => {
                    self.app = Some(Protocol::Dns);
                    for q in &d.message.questions {
                        self.names.qnames.push(q.name.clone());
                        let raw = q.name.as_bytes().to_vec();
                        let buffer =
                            SentName::observe(&mut self.sent_names, NameSource::DnsQuery, raw);
                        messages.push(Message::new(NameSource::DnsQuery, Some(buffer)));
                    }
                }
            }
        }
        messages
    }

    /// What the rules see of a packet of this flow that carries no message.
    fn observation(&self, to_server: bool, established: bool) -> Observation<'static> {
        let (src, dst): (SocketAddr, SocketAddr) = if to_server {
            (self.tuple.client, self.tuple.server)
        } else {
            (self.tuple.server, self.tuple.client)
        };
        Observation {
            transport: match self.tuple.transport {
                rulesim_wire::Transport::Tcp => Transport::Tcp,
                rulesim_wire::Transport::Udp => Transport::Udp,
            },
            app: self.app,
            src: src.ip(),
            src_port: src.port(),
            dst: dst.ip(),
            dst_port: dst.port(),
            to_server,
            established,
            app_layer_inspected: self.app_inspected,
            client_hello: None,
            http: None,
            dns_query: None,
        }
    }

    fn count(&mut self, p: &PacketEvent) {
        self.packets += 1;
        let c = &mut self.counters[usize::from(p.direction == Some(Direction::ToClient))];
        if c.packets == 0 {
            c.first_ts = p.ts.0;
        }
        c.packets += 1;
        c.bytes += u64::from(p.wire_len);
        c.last_ts = p.ts.0;
        if let Some(tcp) = &p.tcp {
            c.flags |= tcp.flags.0;
        }
    }

    fn verdict(&self) -> (FlowVerdict, Option<u64>, Decider) {
        match &self.decided {
            Some((Verdict::Reject, n, d)) => return (FlowVerdict::Rejected, Some(*n), d.clone()),
            Some((Verdict::Drop, n, d)) => return (FlowVerdict::Blocked, Some(*n), d.clone()),
            _ => {}
        }
        let pass = self.decided.as_ref().map(|(_, n, d)| (Some(*n), d.clone()));
        if self.dropped.is_empty() {
            let (n, d) = pass.unwrap_or((None, Decider::NoMatch));
            return (FlowVerdict::Allowed, n, d);
        }
        // Stopped if the packet carrying a request was dropped, if the
        // handshake was, or if no data got through after the first drop
        // (e.g. every QUIC packet after the client's Initial).
        let message_dropped = self.messages.iter().any(|(_, passed)| !passed);
        let stopped = message_dropped || !self.recovered || self.handshake_dropped;
        if stopped {
            let (n, d) =
                self.default_drop.clone().map_or((None, Decider::NoMatch), |(n, d)| (Some(n), d));
            let verdict = if self.reset { FlowVerdict::Rejected } else { FlowVerdict::Blocked };
            return (verdict, n, d);
        }
        let (n, d) = pass.unwrap_or((None, Decider::NoMatch));
        (FlowVerdict::AllowedWithDrops, n, d)
    }

    fn finish(self: Box<Self>, id: FlowId, policy: &CompiledPolicy) -> FlowReport {
        let (verdict, deciding_packet, decided_by) = self.verdict();
        let transport = match self.tuple.transport {
            rulesim_wire::Transport::Tcp => "tcp",
            rulesim_wire::Transport::Udp => "udp",
        };
        let endpoints = Endpoints {
            transport,
            src: self.tuple.client.ip(),
            sport: self.tuple.client.port(),
            dst: self.tuple.server.ip(),
            dport: self.tuple.server.port(),
        };
        let mut findings = Vec::new();
        if self.names.sni.iter().any(String::is_empty) && !self.quic {
            findings.push(Finding::NoSni);
        }
        let connection_names = self.sent_names.iter().filter(|n| n.source != NameSource::DnsQuery);
        let names_ip = connection_names.clone().any(|n| n.changes.contains(Change::IpLiteral));
        let has_name = connection_names.clone().any(|n| !n.raw.is_empty());
        if matches!(self.app, Some(Protocol::Tls | Protocol::Http)) && (names_ip || !has_name) {
            findings.push(Finding::IpLiteralDestination);
        }
        if let Some(grease) = self.ech {
            findings.push(Finding::EchOffered { grease });
        }
        if self.quic {
            findings.push(Finding::Quic { verdict });
        }
        for (segments, dropped) in &self.hellos {
            if *segments > 1 && !dropped.is_empty() {
                findings.push(Finding::SplitClientHelloDropped {
                    segments: *segments,
                    dropped: dropped.clone(),
                });
            }
        }
        if let (Some(sni), Some(host)) = (self.names.sni.first(), self.names.hosts.first())
            && !sni.is_empty()
            && canonical(sni) != canonical(host.split(':').next().unwrap_or(host))
        {
            findings.push(Finding::SniHostMismatch { sni: sni.clone(), host: host.clone() });
        }
        for sent in &self.sent_names {
            let changes = sent.changes;
            if changes.contains(Change::MixedCase)
                || (sent.source == NameSource::HttpHost && changes.contains(Change::Lowercased))
            {
                findings.push(Finding::MixedCaseName { name: sent.text() });
            }
            if changes.contains(Change::TrailingDot) {
                findings.push(Finding::TrailingDotName { name: sent.text() });
            }
            if sent.source == NameSource::DnsQuery
                && crate::findings::tls_blocked(policy, &sent.raw, self.tuple.client.ip())
            {
                findings.push(Finding::DnsQueryForBlockedName { name: sent.text() });
            }
        }
        if self.midstream {
            findings.push(Finding::Midstream);
        }
        if self.reset {
            findings.push(Finding::ResetSent);
        }
        findings.sort();
        findings.dedup();
        let app = self.app.map(|a| app_name(Some(a)));
        FlowReport {
            flow: id.0,
            endpoints,
            app,
            verdict,
            deciding_packet,
            decided_by,
            names: self.names,
            first_packet: self.first_packet,
            packets: self.packets,
            dropped: self.dropped,
            alerts: self.alerts,
            findings,
            directions: self.counters,
        }
    }
}
