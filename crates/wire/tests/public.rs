//! Public captures from other projects' test suites (suricata-verify, Zeek,
//! Arkime, pcap-parser): the names extracted per flow equal the
//! `flow_names` column of `pcaps/public/SOURCES.tsv`, which was produced
//! with tshark 4.0.17 (see `pcaps/public/README.md`).
//!
//! tshark numbers streams its own way (tunnel outer layers take numbers
//! too), so flows are compared as a multiset of (transport, names) over the
//! flows that carry names, rather than by index.

// Helpers outside #[test] fns unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rulesim_wire::{Decoder, Event, FlowId, Transport};

fn public() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../pcaps/public")
}

/// Names of one flow by kind ("sni", "host", "dns"), as tshark would list
/// them (deduplicated, sorted).
type Names = BTreeMap<&'static str, BTreeSet<String>>;

/// (transport, names) for every flow of a capture that carries names.
fn extract(path: &Path) -> Vec<(String, Names)> {
    let mut d = Decoder::open(path).unwrap();
    let mut flows: BTreeMap<FlowId, (Transport, Names)> = BTreeMap::new();
    let mut transports: BTreeMap<FlowId, Transport> = BTreeMap::new();
    let mut add =
        |flow: FlowId, kind: &'static str, name: String, tr: &BTreeMap<FlowId, Transport>| {
            let t = tr[&flow];
            flows
                .entry(flow)
                .or_insert_with(|| (t, Names::new()))
                .1
                .entry(kind)
                .or_default()
                .insert(name);
        };
    for ev in &mut d {
        match ev {
            Event::FlowOpened { flow, tuple, .. } => {
                transports.insert(flow, tuple.transport);
            }
            Event::ClientHello(h) | Event::QuicClientHello(h) => {
                if let Some(s) = &h.hello.sni {
                    add(h.ctx.flow, "sni", String::from_utf8_lossy(s).into_owned(), &transports);
                }
            }
            Event::HttpRequest(r) => {
                if let Some(host) = &r.request.host {
                    add(
                        r.ctx.flow,
                        "host",
                        String::from_utf8_lossy(host).into_owned(),
                        &transports,
                    );
                }
            }
            Event::DnsQuery(m) | Event::DnsAnswer(m) => {
                for q in &m.message.questions {
                    add(m.ctx.flow, "dns", q.name.clone(), &transports);
                }
            }
            _ => {}
        }
    }
    flows
        .into_values()
        .map(|(t, n)| (if t == Transport::Tcp { "tcp" } else { "udp" }.to_owned(), n))
        .collect()
}

/// Parses a `flow_names` cell, e.g.
/// `tcp0,tcp1: sni=a.example host=a.example:443; udp0,...(5 flows): dns=x`.
fn parse_expected(cell: &str) -> Vec<(String, Names)> {
    let mut out = Vec::new();
    if cell.is_empty() {
        return out;
    }
    for group in cell.split("; ") {
        let (keys, rest) = group.split_once(": ").unwrap();
        // "tcp0,udp3" lists each flow; "udp0,udp1,udp2,...(5 flows)" elides.
        let transports: Vec<String> = match keys.split_once("...(") {
            Some((_, n)) => {
                let n = n.trim_end_matches(" flows)").parse::<usize>().unwrap();
                vec![keys[..3].to_owned(); n]
            }
            None => keys.split(',').map(|k| k[..3].to_owned()).collect(),
        };
        // "kind=a,b kind=c": a space starts a new kind only before "x=".
        let mut lists: Vec<(&'static str, String)> = Vec::new();
        for part in rest.split(' ') {
            let kind =
                ["sni", "host", "dns"].into_iter().find(|k| part.starts_with(&format!("{k}=")));
            match (kind, lists.last_mut()) {
                (Some(k), _) => lists.push((k, part[k.len() + 1..].to_owned())),
                (None, Some((_, list))) => {
                    list.push(' ');
                    list.push_str(part);
                }
                (None, None) => panic!("bad flow_names cell: {cell}"),
            }
        }
        let mut names = Names::new();
        for (kind, list) in lists {
            for n in list.split(',') {
                let n = if n == "<Root>" { "" } else { n };
                names.entry(kind).or_default().insert(n.to_owned());
            }
        }
        for transport in transports {
            out.push((transport, names.clone()));
        }
    }
    out
}

/// tshark shortens names over 200 characters to 60 plus `...[N chars]`.
fn shorten(mut flows: Vec<(String, Names)>) -> Vec<(String, Names)> {
    for (_, names) in &mut flows {
        for set in names.values_mut() {
            *set = set
                .iter()
                .map(|n| {
                    if n.len() > 200 {
                        format!("{}...[{} chars]", &n[..60], n.len())
                    } else {
                        n.clone()
                    }
                })
                .collect();
        }
    }
    flows.sort();
    flows
}

/// Files where tshark 4.0 is not the right reference, with the expected
/// value used instead and the reason.
const OVERRIDES: [(&str, &str, &str); 3] = [
    (
        "zeek/http__get-to-ssh-server.pcap",
        "tcp0: host=128.3.50.246",
        "tshark does not dissect HTTP on port 22 (README); the request is plain HTTP",
    ),
    (
        "zeek/http__query-method.pcap",
        "tcp0: host=example.com",
        "tshark 4.0 does not dissect the QUERY method (README)",
    ),
    (
        "zeek/dns__dns-invalid-names.pcap",
        "",
        "tshark prints a placeholder for a name whose compression pointer loops: no name",
    ),
];

#[test]
fn public_captures_match_tshark() {
    let tsv = std::fs::read_to_string(public().join("SOURCES.tsv")).unwrap();
    let mut lines = tsv.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (file_col, names_col) = (col("file"), col("flow_names"));
    let mut failures = Vec::new();
    let (mut files, mut flows) = (0, 0);
    for line in lines {
        let cells: Vec<&str> = line.split('\t').collect();
        let file = cells[file_col];
        let mut cell = cells.get(names_col).copied().unwrap_or("");
        if let Some((_, value, _)) = OVERRIDES.iter().find(|(f, _, _)| *f == file) {
            cell = value;
        }
        let expected = shorten(parse_expected(cell));
        let got = shorten(extract(&public().join(file)));
        files += 1;
        flows += expected.len();
        if got != expected {
            failures.push(format!("{file}:\n  expected {expected:?}\n  got      {got:?}"));
        }
    }
    eprintln!("public captures: {files} files, {flows} named flows checked");
    assert!(failures.is_empty(), "{} files differ:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn fragmented_packets_are_reassembled() {
    for file in [
        "zeek/ipv6-fragmented-dns.pcap",
        "zeek/tunnels__gtp__gtp1_gn_normal_incl_fragmentation.pcap",
    ] {
        let mut d = Decoder::open(public().join(file)).unwrap();
        for _ in &mut d {}
        let s = d.stats();
        assert!(s.fragments > 0 && s.fragments_reassembled > 0, "{file}: {s:?}");
    }
}

/// JA4 values that Suricata's own test expects for this capture
/// (suricata-verify `tests/ja4-tls-quic/test.yaml`).
#[test]
fn ja4_matches_suricata() {
    let mut tls = Vec::new();
    let mut quic = Vec::new();
    for e in Decoder::open(public().join("suricata-verify/ja4-tls-quic.pcap")).unwrap() {
        match e {
            Event::ClientHello(h) => tls.push(h.ja4()),
            Event::QuicClientHello(h) => quic.push(h.ja4()),
            _ => {}
        }
    }
    assert_eq!(tls, ["t13d1516h2_8daaf6152771_e5627efa2ab1"]);
    assert_eq!(quic, ["q13d0310h3_55b375c5d22e_cd85d2d88918"]);
}
