//! The event stream on real captures: per-packet state as Suricata judges
//! it (docs SEMANTICS §5.2 and §13), which packet completes each message,
//! DNS answers, and the memory limits.

// Helpers outside #[test] fns unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use rulesim_wire::dns::AnswerData;
use rulesim_wire::summary::{SummaryBuilder, summarize_file};
use rulesim_wire::{
    AppEvents, CloseReason, Config, Decoder, Direction, Event, FlowId, PacketEvent,
};

fn pcap(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../pcaps").join(name)
}

fn events(name: &str) -> Vec<Event> {
    Decoder::open(pcap(name)).unwrap().collect()
}

fn packets_of(ev: &[Event], flow: u64) -> Vec<&PacketEvent> {
    ev.iter()
        .filter_map(|e| match e {
            Event::Packet(p) if p.flow == Some(FlowId(flow)) => Some(p),
            _ => None,
        })
        .collect()
}

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;

#[test]
fn one_packet_event_per_record_in_order() {
    let mut d = Decoder::open(pcap("agent_session_mixed.pcap")).unwrap();
    let numbers: Vec<u64> = (&mut d)
        .filter_map(|e| if let Event::Packet(p) = e { Some(p.number) } else { None })
        .collect();
    assert_eq!(numbers, (1..=numbers.len() as u64).collect::<Vec<_>>());
    assert_eq!(d.stats().capture.packets, numbers.len() as u64);
}

#[test]
fn tcp_established_from_the_packet_after_the_final_ack() {
    let ev = events("tls_curl_allowed_blocked.pcap");
    let p = packets_of(&ev, 0);
    let flags: Vec<u8> = p.iter().map(|p| p.tcp.unwrap().flags.0 & (SYN | ACK)).collect();
    assert_eq!(&flags[..3], &[SYN, SYN | ACK, ACK]);
    assert_eq!(
        p.iter().take(4).map(|p| p.direction.unwrap()).collect::<Vec<_>>(),
        [Direction::ToServer, Direction::ToClient, Direction::ToServer, Direction::ToServer]
    );
    assert_eq!(
        p.iter().take(4).map(|p| p.established).collect::<Vec<_>>(),
        [false, false, false, true]
    );
    // The 4th packet is the ClientHello: it completes it, and it is the
    // first established packet.
    assert!(p[3].completed.contains(AppEvents::CLIENT_HELLO));
    assert!(p[3].payload_len > 0);
    let est = ev.iter().find_map(|e| match e {
        Event::FlowEstablished { flow: FlowId(0), packet, .. } => Some(*packet),
        _ => None,
    });
    assert_eq!(est, Some(p[3].number));
    // The ClientHello event comes right before its Packet event.
    let i =
        ev.iter().position(|e| matches!(e, Event::Packet(x) if x.number == p[3].number)).unwrap();
    match &ev[i - 1] {
        Event::ClientHello(h) => {
            assert_eq!(h.ctx.packet, p[3].number);
            assert_eq!(h.hello.sni.as_deref(), Some(&b"www.wikipedia.org"[..]));
            assert_eq!(h.hello.alpn().collect::<Vec<_>>(), [&b"h2"[..], b"http/1.1"]);
            assert!(h.ja4().starts_with("t13d"), "{}", h.ja4());
        }
        other => panic!("expected the ClientHello before its packet, got {other:?}"),
    }
}

#[test]
fn split_client_hello_first_segment_is_established_but_completes_nothing() {
    let ev = events("tls_chromium_wikipedia.pcap");
    // Flow 1 is TLS to update.googleapis.com with a 2-segment ClientHello.
    let p = packets_of(&ev, 1);
    let data: Vec<_> = p
        .iter()
        .filter(|p| p.direction == Some(Direction::ToServer) && p.payload_len > 0)
        .collect();
    assert!(data[0].established && data[0].completed.is_empty());
    assert!(data[1].established && data[1].completed.contains(AppEvents::CLIENT_HELLO));
    let hello = ev
        .iter()
        .find_map(|e| match e {
            Event::ClientHello(h) if h.ctx.flow == FlowId(1) => Some(h),
            _ => None,
        })
        .unwrap();
    assert_eq!(hello.segments, 2);
    assert!(hello.hello.has_post_quantum_key_share());
    assert!(hello.hello.ech.as_ref().is_some_and(|e| e.grease));
    assert!(hello.hello.has_grease());
}

#[test]
fn out_of_order_segment_is_held_and_the_earlier_one_completes() {
    let ev = events("tls_chromium_reordered_segments.pcap");
    let p = packets_of(&ev, 1);
    let data: Vec<_> = p
        .iter()
        .filter(|p| p.direction == Some(Direction::ToServer) && p.payload_len > 0)
        .collect();
    assert!(data[0].tcp.unwrap().out_of_order);
    assert!(data[0].completed.is_empty());
    assert!(data[1].completed.contains(AppEvents::CLIENT_HELLO));
}

#[test]
fn retransmitted_client_hello_is_marked_and_completes_nothing() {
    let ev = events("tls_retransmitted_clienthello.pcap");
    let p = packets_of(&ev, 1);
    let data: Vec<_> = p
        .iter()
        .filter(|p| p.direction == Some(Direction::ToServer) && p.payload_len > 0)
        .collect();
    assert!(data[0].completed.contains(AppEvents::CLIENT_HELLO));
    assert!(data[1].tcp.unwrap().retransmission);
    assert!(data[1].completed.is_empty());
    let hellos =
        ev.iter().filter(|e| matches!(e, Event::ClientHello(h) if h.ctx.flow == FlowId(1))).count();
    assert_eq!(hellos, 1);
}

#[test]
fn tcp_fast_open_client_hello_in_the_syn() {
    let ev = events("tls_http_tcp_fastopen.pcap");
    let p = packets_of(&ev, 0);
    assert_eq!(p[0].tcp.unwrap().flags.0 & (SYN | ACK), SYN);
    assert!(p[0].completed.contains(AppEvents::CLIENT_HELLO));
    assert!(!p[0].established);
    let http = packets_of(&ev, 2);
    assert!(http[0].completed.contains(AppEvents::HTTP_REQUEST));
}

#[test]
fn hello_retry_request_gives_a_second_client_hello() {
    let ev = events("tls_hello_retry_request.pcap");
    let idx: Vec<u32> = ev
        .iter()
        .filter_map(|e| match e {
            Event::ClientHello(h) if h.ctx.flow == FlowId(0) => Some(h.index),
            _ => None,
        })
        .collect();
    assert_eq!(idx, [0, 1]);
}

#[test]
fn udp_established_once_both_directions_seen_and_answers_kept() {
    let ev = events("agent_session_mixed.pcap");
    let p = packets_of(&ev, 0);
    assert!(!p[0].established && p[0].completed.contains(AppEvents::DNS_QUERY));
    assert_eq!(p[1].direction, Some(Direction::ToServer));
    assert!(!p[1].established, "second query, still one direction");
    assert!(p[2].established && p[2].completed.contains(AppEvents::DNS_ANSWER));
    // pypi.org resolves to the address the later TLS flow connects to.
    let mut addrs = Vec::new();
    let mut cname = false;
    for e in &ev {
        if let Event::DnsAnswer(a) = e {
            for r in &a.message.answers {
                match &r.data {
                    AnswerData::Addr(ip) if r.name == "pypi.org" => addrs.push(*ip),
                    AnswerData::Cname(_)
                        if a.message.questions[0].name == "files.pythonhosted.org" =>
                    {
                        cname = true
                    }
                    _ => {}
                }
            }
        }
    }
    assert!(addrs.contains(&"fd00:200::13".parse::<IpAddr>().unwrap()), "{addrs:?}");
    assert!(cname);
}

#[test]
fn several_dns_messages_per_tcp_connection() {
    let ev = events("dns_dig_udp_tcp.pcap");
    let queries: Vec<String> = ev
        .iter()
        .filter_map(|e| match e {
            Event::DnsQuery(q) if q.ctx.flow == FlowId(13) => {
                Some(q.message.questions[0].name.clone())
            }
            _ => None,
        })
        .collect();
    assert_eq!(queries, ["pypi.org", "stackoverflow.com", "evil.example.net"]);
}

#[test]
fn quic_client_hello_from_two_initials() {
    let ev = events("quic_chromium_h3.pcapng");
    let h = ev
        .iter()
        .find_map(|e| match e {
            Event::QuicClientHello(h) => Some(h),
            _ => None,
        })
        .unwrap();
    assert_eq!(h.hello.sni.as_deref(), Some(&b"www.wikipedia.org"[..]));
    assert_eq!((h.segments, h.crypto_frames, h.quic_version), (2, 12, Some(1)));
    assert!(h.ja4().starts_with("q13d"));
}

#[test]
fn flow_cap_evicts_and_counts() {
    let cfg = Config { max_flows: 1, ..Config::default() };
    let mut d = Decoder::open_with(pcap("tls_curl_allowed_blocked.pcap"), cfg).unwrap();
    let mut b = SummaryBuilder::new("x");
    for e in &mut d {
        b.push(&e);
    }
    let s = d.stats();
    assert!(s.flows_evicted >= 6, "{s:?}");
    // Sequential connections: names survive eviction.
    let snis: Vec<_> = b.finish().into_iter().filter_map(|f| f.sni).collect();
    let full: Vec<_> = summarize_file(pcap("tls_curl_allowed_blocked.pcap"))
        .unwrap()
        .flows
        .into_iter()
        .filter_map(|f| f.sni)
        .collect();
    assert_eq!(snis, full);
}

#[test]
fn reassembly_depth_bounds_inspection() {
    let cfg = Config { reassembly_depth: 100, ..Config::default() };
    let mut d = Decoder::open_with(pcap("tls_curl_allowed_blocked.pcap"), cfg).unwrap();
    let hellos = (&mut d).filter(|e| matches!(e, Event::ClientHello(_))).count();
    assert_eq!(hellos, 0);
    assert_eq!(d.stats().tcp_depth_reached, 7);
}

/// Two DNS exchanges on one 5-tuple, 181 s apart: one flow under the
/// default 300 s UDP timeout, two flows under a 120 s timeout.
#[test]
fn idle_timeout_splits_flows() {
    let file = pcap("public/zeek/dns__sshfp-trunc.pcap");
    let run = |udp_idle_secs| {
        let cfg = Config { udp_idle_secs, ..Config::default() };
        let mut d = Decoder::open_with(&file, cfg).unwrap();
        let reasons: Vec<_> = (&mut d)
            .filter_map(|e| if let Event::FlowClosed(c) = e { Some(c.reason) } else { None })
            .collect();
        (reasons, d.stats().flows_timed_out)
    };
    assert_eq!(run(300), (vec![CloseReason::EndOfCapture], 0));
    assert_eq!(run(120), (vec![CloseReason::IdleTimeout, CloseReason::EndOfCapture], 1));
}

#[test]
fn reassembly_memcap_bounds_buffered_bytes() {
    // 100 bytes for all flows: no ClientHello (each is ~500 bytes) fits.
    let cfg = Config { reassembly_memcap: 100, ..Config::default() };
    let mut d = Decoder::open_with(pcap("tls_curl_allowed_blocked.pcap"), cfg).unwrap();
    let hellos = (&mut d).filter(|e| matches!(e, Event::ClientHello(_))).count();
    assert_eq!(hellos, 0);
    assert_eq!(d.stats().reassembly_memcap_reached, 7);
}
