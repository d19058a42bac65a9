//! Damaged input: wrong magic, truncation, impossible lengths, snaplen cuts
//! and garbage packets are reported and counted, never a panic, and the
//! flows before the damage are still decoded.
// Helpers outside #[test] fns unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::io::Cursor;
use std::path::{Path, PathBuf};

use rulesim_wire::summary::{FlowSummary, SummaryBuilder, summarize_file};
use rulesim_wire::{Config, Decoder, ErrorKind, Stats};

fn pcap(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../pcaps").join(name)
}

fn decode_bytes(bytes: &[u8]) -> (Vec<FlowSummary>, Stats, Option<rulesim_wire::Error>) {
    let mut d = Decoder::new(Cursor::new(bytes), "mem.pcap", Config::default()).unwrap();
    let mut b = SummaryBuilder::new("mem.pcap");
    for e in &mut d {
        b.push(&e);
    }
    (b.finish(), d.stats(), d.damage().cloned())
}

/// Offsets of the record headers of a little-endian classic pcap.
fn record_offsets(bytes: &[u8]) -> Vec<usize> {
    assert_eq!(&bytes[..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
    let mut out = Vec::new();
    let mut at = 24;
    while at + 16 <= bytes.len() {
        out.push(at);
        let incl = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        at += 16 + incl;
    }
    out
}

#[test]
fn wrong_magic_names_the_file_and_the_magic() {
    let err =
        Decoder::new(Cursor::new(b"GIF89a........................"), "cat.gif", Config::default())
            .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotACapture);
    let msg = err.to_string();
    assert!(msg.starts_with("cat.gif: not a pcap or pcapng file (magic 0x47494638)"), "{msg}");
    assert!(msg.contains("give a pcap or pcapng file"), "{msg}");

    let err = Decoder::new(Cursor::new(b""), "empty.pcap", Config::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotACapture);

    let err = Decoder::open("/nonexistent/x.pcap").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert!(err.to_string().starts_with("/nonexistent/x.pcap: cannot open"));
}

#[test]
fn header_only_and_cut_header() {
    let bytes = std::fs::read(pcap("tls_curl_allowed_blocked.pcap")).unwrap();
    let (flows, stats, damage) = decode_bytes(&bytes[..24]);
    assert!(flows.is_empty() && damage.is_none());
    assert_eq!(stats.capture.packets, 0);
    let err = Decoder::new(Cursor::new(&bytes[..10]), "cut.pcap", Config::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Truncated);
}

#[test]
fn truncated_file_keeps_the_flows_before_the_cut() {
    let bytes = std::fs::read(pcap("tls_curl_allowed_blocked.pcap")).unwrap();
    let full = summarize_file(pcap("tls_curl_allowed_blocked.pcap")).unwrap().flows;
    let recs = record_offsets(&bytes);
    // Cut in the middle of a record about two thirds in.
    let k = recs.len() * 2 / 3;
    let cut = recs[k] + 20;
    let (flows, stats, damage) = decode_bytes(&bytes[..cut]);
    let damage = damage.expect("truncation is reported");
    assert_eq!(damage.kind(), ErrorKind::Truncated);
    assert_eq!(damage.offset(), Some(recs[k] as u64));
    assert_eq!(damage.packets_read(), Some(k as u64));
    assert_eq!(stats.capture.packets, k as u64);
    let msg = damage.to_string();
    assert!(msg.contains(&format!("at byte offset {}, after packet {k}", recs[k])), "{msg}");
    // Every flow that started before the cut is there with its SNI (each
    // ClientHello here is in the flow's 4th packet, long before the cut).
    let before: Vec<_> = full.iter().filter(|f| f.first_frame + 4 <= k as u64).collect();
    assert!(before.len() >= 3);
    for f in before {
        let got = flows.iter().find(|g| g.flow == f.flow).unwrap();
        assert_eq!(got.sni, f.sni);
    }
}

#[test]
fn impossible_record_length_mid_file_is_corruption_with_offset() {
    let mut bytes = std::fs::read(pcap("tls_curl_name_variants.pcap")).unwrap();
    let full = summarize_file(pcap("tls_curl_name_variants.pcap")).unwrap().flows;
    let recs = record_offsets(&bytes);
    let k = recs.len() / 2;
    bytes[recs[k] + 8..recs[k] + 12].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    let (flows, _, damage) = decode_bytes(&bytes);
    let damage = damage.unwrap();
    assert_eq!(damage.kind(), ErrorKind::Corrupt);
    assert_eq!(damage.offset(), Some(recs[k] as u64));
    assert_eq!(damage.packets_read(), Some(k as u64));
    assert!(damage.to_string().contains("pcapfix"));
    let complete: Vec<_> = full.iter().filter(|f| f.first_frame + f.packets <= k as u64).collect();
    assert!(!complete.is_empty());
    for f in complete {
        let got = flows.iter().find(|g| g.flow == f.flow).unwrap();
        assert_eq!((got.sni.clone(), got.packets), (f.sni.clone(), f.packets));
    }
}

#[test]
fn pcapng_bad_block_length_mid_file() {
    let mut bytes = std::fs::read(pcap("tls_node_https.pcapng")).unwrap();
    // Walk blocks (little-endian) and damage the 40th block's length.
    let mut at = 0;
    let mut n = 0;
    while n < 40 {
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        at += len;
        n += 1;
    }
    bytes[at + 4..at + 8].copy_from_slice(&13u32.to_le_bytes());
    let (flows, stats, damage) = decode_bytes(&bytes);
    let damage = damage.unwrap();
    assert_eq!(damage.kind(), ErrorKind::Corrupt);
    assert_eq!(damage.offset(), Some(at as u64));
    // SHB and IDB come first, so 38 packets were read.
    assert_eq!(stats.capture.packets, 38);
    assert!(flows.iter().any(|f| f.sni.as_deref() == Some("github.com")));
}

#[test]
fn snaplen_cut_packets_are_counted() {
    let bytes = std::fs::read(pcap("tls_curl_allowed_blocked.pcap")).unwrap();
    // Rewrite the file with every record cut to 66 bytes (Ethernet, IPv4
    // and a TCP header with timestamps), as `tcpdump -s 66` would write it.
    let mut out = bytes[..24].to_vec();
    let mut cut = 0;
    for at in record_offsets(&bytes) {
        let incl = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        let keep = incl.min(66);
        cut += usize::from(keep < incl);
        out.extend_from_slice(&bytes[at..at + 8]);
        out.extend_from_slice(&(keep as u32).to_le_bytes());
        out.extend_from_slice(&bytes[at + 12..at + 16]);
        out.extend_from_slice(&bytes[at + 16..at + 16 + keep]);
    }
    let (flows, stats, damage) = decode_bytes(&out);
    assert!(damage.is_none());
    assert_eq!(stats.capture.snaplen_cut, cut as u64);
    // Cut inside the payload, or (IPv6, longer headers) inside a header.
    assert_eq!(stats.ip_truncated + stats.truncated, cut as u64);
    assert!(stats.ip_truncated > 0);
    // The flows are all there, but no ClientHello could be read.
    assert_eq!(flows.len(), 7);
    assert!(flows.iter().all(|f| f.sni.is_none()));
}

#[test]
fn garbage_packets_are_counted_not_fatal() {
    let bytes = std::fs::read(pcap("tls_curl_allowed_blocked.pcap")).unwrap();
    let recs = record_offsets(&bytes);
    let mut out = bytes.clone();
    // Replace the IP version nibble of the first 3 packets (ARP-free SYNs).
    for &at in &recs[..3] {
        out[at + 16 + 14] = 0x35;
    }
    let (flows, stats, damage) = decode_bytes(&out);
    assert!(damage.is_none());
    assert_eq!(stats.malformed, 3);
    assert_eq!(stats.capture.packets, recs.len() as u64);
    // The first flow lost its SYN, SYN-ACK and ACK but is still found
    // (midstream) with its SNI.
    assert_eq!(flows[0].sni.as_deref(), Some("www.wikipedia.org"));
    assert_eq!(stats.tcp_midstream, 1);
}

#[test]
fn every_prefix_of_a_capture_decodes_without_panic() {
    for name in ["tls_http_tcp_fastopen.pcap", "quic_chromium_h3.pcapng"] {
        let bytes = std::fs::read(pcap(name)).unwrap();
        let step = (bytes.len() / 400).max(1);
        for len in (0..bytes.len()).step_by(step) {
            if let Ok(mut d) = Decoder::new(Cursor::new(&bytes[..len]), name, Config::default()) {
                for _ in &mut d {}
                if len < bytes.len() {
                    // A cut file either ends on a record boundary or says so.
                    let s = d.stats();
                    assert!(d.damage().is_some() || s.capture.packets > 0 || len <= 32);
                }
            }
        }
    }
}
