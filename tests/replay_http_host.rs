//! `http.host` from a request target versus a Host header, through the
//! simulator: libhtp removes trailing dots from the host of an absolute-form
//! request target (`htp_normalize_hostname_inplace` on the parsed URI) but
//! not from the Host header, so under the walkthrough allowlist
//! (`.pypi.org`) `GET http://pypi.org./` passes and `Host: pypi.org.` alone
//! is dropped by `aws:drop_established`.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use rulesim_core::{CompiledPolicy, native};
use rulesim_sim::{Decider, FlowVerdict, Options, Simulator};
use rulesim_wire::decode::TcpFlags;
use rulesim_wire::http::Request;
use rulesim_wire::{
    AppContext, AppEvents, Direction, Event, FlowId, FlowTuple, HttpEvent, PacketEvent, TcpInfo,
    Timestamp, Transport,
};

const CLIENT: &str = "10.200.0.1:40000";
const SERVER: &str = "10.200.0.2:80";

fn walkthrough() -> Simulator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/walkthrough/rulesim.yaml");
    let text = std::fs::read_to_string(&path).expect("walkthrough policy");
    let policy = native::parse(&path, &text, &|_| Err("no includes".into())).expect("parses");
    Simulator::new(Arc::new(CompiledPolicy::build(policy).expect("compiles")), Options::default())
}

fn addr(s: &str) -> SocketAddr {
    s.parse().expect("address")
}

/// One TCP packet of flow 0.
fn packet(number: u64, to_server: bool, flags: u8, payload: u32, established: bool) -> Event {
    let (src, dst) = if to_server { (CLIENT, SERVER) } else { (SERVER, CLIENT) };
    Event::Packet(PacketEvent {
        number,
        ts: Timestamp(number * 1_000_000),
        wire_len: 60 + payload,
        addrs: Some((addr(src).ip(), addr(dst).ip())),
        ip_proto: Some(6),
        flow: Some(FlowId(0)),
        direction: Some(if to_server { Direction::ToServer } else { Direction::ToClient }),
        tcp: Some(TcpInfo {
            flags: TcpFlags(flags),
            seq: 0,
            ack: 0,
            retransmission: false,
            out_of_order: false,
        }),
        payload_len: payload,
        established,
        completed: AppEvents(if payload > 0 { AppEvents::HTTP_REQUEST } else { 0 }),
        fragment: false,
        tunnels: 0,
        skipped: None,
    })
}

/// A handshake and one request with `target` and `host`, as rulesim-wire
/// reports them.
fn request_flow(target: &str, authority: Option<&str>, host: &str) -> Vec<Event> {
    let (syn, ack) = (TcpFlags::SYN, TcpFlags::ACK);
    let request = Request {
        method: b"GET".to_vec(),
        target: target.as_bytes().to_vec(),
        version: b"HTTP/1.1".to_vec(),
        host: Some(host.as_bytes().to_vec()),
        host_headers: 1,
        header_names: b"\r\nHost\r\n\r\n".to_vec(),
        target_authority: authority.map(|a| a.as_bytes().to_vec()),
        content_length: None,
        chunked: false,
    };
    vec![
        Event::FlowOpened {
            flow: FlowId(0),
            packet: 1,
            ts: Timestamp(1_000_000),
            tuple: FlowTuple {
                transport: Transport::Tcp,
                client: addr(CLIENT),
                server: addr(SERVER),
            },
            midstream: false,
        },
        packet(1, true, syn, 0, false),
        packet(2, false, syn | ack, 0, false),
        packet(3, true, ack, 0, false),
        Event::HttpRequest(Box::new(HttpEvent {
            ctx: AppContext {
                flow: FlowId(0),
                packet: 4,
                ts: Timestamp(4_000_000),
                direction: Direction::ToServer,
            },
            index: 0,
            segments: 1,
            request,
        })),
        packet(4, true, ack | TcpFlags::PSH, 60, true),
        packet(5, false, ack, 0, true),
    ]
}

#[test]
fn request_target_host_loses_its_trailing_dot_the_host_header_keeps_it() {
    let sim = walkthrough();

    let proxied = sim.replay_events(
        "proxied",
        request_flow("http://pypi.org./", Some("pypi.org."), "pypi.org."),
    );
    let flow = &proxied.report.flows[0];
    assert_eq!(flow.verdict, FlowVerdict::Allowed, "{flow:?}");
    let Decider::Rule { rule } = &flow.decided_by else { panic!("{:?}", flow.decided_by) };
    assert_eq!(rule.group, "browser-allowed-domains");
    assert_eq!(flow.deciding_packet, Some(4));

    let direct = sim.replay_events("direct", request_flow("/", None, "pypi.org."));
    let flow = &direct.report.flows[0];
    assert_eq!(flow.verdict, FlowVerdict::Blocked, "{flow:?}");
    assert_eq!(flow.dropped, vec![4, 5]);
    assert!(
        flow.findings.iter().any(|f| matches!(f, rulesim_sim::Finding::TrailingDotName { .. })),
        "{:?}",
        flow.findings
    );
}
