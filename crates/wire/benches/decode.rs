//! Decoding throughput on the bench captures, beside the I/O floor.
//!
//! `records` only walks the file's packet records (what any pcap reader
//! must do) in memory, `records_from_file` does the same reading the file
//! (page cache), `headers` adds the link/IP/TCP header parsing of every
//! record, `flow_lookups` one hash-map lookup per packet on its 5-tuple,
//! `first_hellos` also hands the first TLS record of every TCP flow to
//! tls-parser (a lower bound for any decoder that reads ClientHellos), and
//! `decode` runs the whole pipeline to flow and app events from memory.
//! Each is measured in bytes/s and in packets/s.

// criterion_group! generates an undocumented function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::io::Cursor;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rulesim_wire::{CaptureReader, Config, Decoder};

/// The allocator of the `rulesim` binary, so the figures are the product's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CAPTURES: [&str; 2] =
    ["bench_tls_curl_sequential.pcap", "bench_tls_python_asyncio_concurrent.pcap"];

fn read_records(bytes: &[u8]) -> u64 {
    let Ok(mut r) = CaptureReader::new(Cursor::new(bytes), "bench") else { return 0 };
    let mut sum = 0u64;
    while let Some(p) = r.next_packet() {
        sum += p.data.len() as u64;
    }
    sum
}

fn read_records_from_file(path: &Path) -> u64 {
    let Ok(f) = std::fs::File::open(path) else { return 0 };
    let Ok(mut r) = CaptureReader::new(
        std::io::BufReader::with_capacity(rulesim_wire::READ_BUFFER, f),
        "bench",
    ) else {
        return 0;
    };
    let mut sum = 0u64;
    while let Some(p) = r.next_packet() {
        sum += p.data.len() as u64;
    }
    sum
}

/// Records from memory plus the link, IP and transport headers of each
/// (no flows, no reassembly, no application layer, no events).
fn read_headers(bytes: &[u8]) -> u64 {
    let Ok(mut r) = CaptureReader::new(Cursor::new(bytes), "bench") else { return 0 };
    let mut sum = 0u64;
    while let Some(p) = r.next_packet() {
        if let Ok(ip) = rulesim_wire::decode::decode(p.linktype, p.data) {
            sum += u64::from(ip.tunnels) + u64::from(ip.src.is_ipv4());
        }
    }
    sum
}

/// `headers` plus the least any flow tracker does: one hash-map lookup (or
/// insert) per TCP/UDP packet on its 5-tuple, endpoints in canonical order
/// and packed as integers, as the decoder's own flow table keys them. No
/// state, reassembly, application layer or events.
fn flow_lookups(bytes: &[u8]) -> u64 {
    lookups_and_hellos(bytes, false)
}

/// `flow_lookups` plus tls-parser on the first TLS record each TCP flow
/// carries (one segment; no reassembly, no extension walk, no events): the
/// least a decoder that reports ClientHellos must do.
fn first_hellos(bytes: &[u8]) -> u64 {
    lookups_and_hellos(bytes, true)
}

fn lookups_and_hellos(bytes: &[u8], hellos: bool) -> u64 {
    use rulesim_wire::decode::L4;
    fn ip(a: std::net::IpAddr) -> u128 {
        match a {
            std::net::IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
            std::net::IpAddr::V6(v6) => u128::from(v6),
        }
    }
    let Ok(mut r) = CaptureReader::new(Cursor::new(bytes), "bench") else { return 0 };
    // Flow number, and whether its first TLS record was parsed.
    let mut flows: foldhash::HashMap<(u128, u128, u32), (u32, bool)> = foldhash::HashMap::default();
    let mut sum = 0u64;
    while let Some(p) = r.next_packet() {
        let Ok(pkt) = rulesim_wire::decode::decode(p.linktype, p.data) else { continue };
        let (a, b, tcp_payload) = match pkt.l4 {
            L4::Tcp { hdr, payload } => {
                ((ip(pkt.src), hdr.sport), (ip(pkt.dst), hdr.dport), payload)
            }
            L4::Udp { sport, dport, .. } => ((ip(pkt.src), sport), (ip(pkt.dst), dport), &[][..]),
            _ => continue,
        };
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let key = (lo.0, hi.0, (u32::from(lo.1) << 16) | u32::from(hi.1));
        let next = flows.len() as u32;
        let flow = flows.entry(key).or_insert((next, false));
        sum += u64::from(flow.0);
        if hellos && !flow.1 && tcp_payload.first() == Some(&0x16) {
            flow.1 = true;
            if let Ok((_, record)) = tls_parser::parse_tls_plaintext(tcp_payload) {
                sum += record.msg.len() as u64;
            }
        }
    }
    sum
}

fn decode_all(bytes: &[u8]) -> u64 {
    let Ok(d) = Decoder::new(Cursor::new(bytes), "bench", Config::default()) else { return 0 };
    d.count() as u64
}

fn bench(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../pcaps/bench");
    for name in CAPTURES {
        let Ok(bytes) = std::fs::read(dir.join(name)) else {
            eprintln!("skipping {name}: not found in {}", dir.display());
            continue;
        };
        let packets = {
            let Ok(mut r) = CaptureReader::new(Cursor::new(&bytes[..]), name) else { continue };
            let mut n = 0;
            while r.next_packet().is_some() {
                n += 1;
            }
            n
        };
        for (unit, throughput) in [
            ("bytes", Throughput::Bytes(bytes.len() as u64)),
            ("packets", Throughput::Elements(packets)),
        ] {
            let mut g = c.benchmark_group(format!("{unit}/{name}"));
            g.throughput(throughput);
            g.sample_size(20);
            g.bench_function("records", |b| b.iter(|| read_records(black_box(&bytes))));
            let path = dir.join(name);
            g.bench_function("records_from_file", |b| b.iter(|| read_records_from_file(&path)));
            g.bench_function("headers", |b| b.iter(|| read_headers(black_box(&bytes))));
            g.bench_function("flow_lookups", |b| b.iter(|| flow_lookups(black_box(&bytes))));
            g.bench_function("first_hellos", |b| b.iter(|| first_hellos(black_box(&bytes))));
            g.bench_function("decode", |b| b.iter(|| decode_all(black_box(&bytes))));
            g.finish();
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
