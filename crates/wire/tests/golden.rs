//! Golden tests: the names extracted from every lab capture equal the
//! independently produced `expected.jsonl` (tshark with out-of-order
//! reassembly and QUIC decryption, cross-checked by a second parser and the
//! lab servers' logs).
// Helpers outside #[test] fns unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rulesim_wire::summary::{FlowSummary, summarize_file};
use serde_json::Value;

fn pcaps() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../pcaps")
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(|x| x.as_str().unwrap_or("").to_owned()).collect())
        .unwrap_or_default()
}

/// Compares one expected row with one summary; returns mismatches.
fn compare(exp: &Value, got: &FlowSummary, full: bool) -> Vec<String> {
    let mut bad = Vec::new();
    let mut check = |what: &str, e: Value, g: Value| {
        if e != g {
            bad.push(format!("{what}: expected {e}, got {g}"));
        }
    };
    check("transport", exp["transport"].clone(), serde_json::to_value(got.transport).unwrap());
    check("src", exp["src"].clone(), got.src.clone().into());
    check("sport", exp["sport"].clone(), got.sport.into());
    check("dst", exp["dst"].clone(), got.dst.clone().into());
    check("dport", exp["dport"].clone(), got.dport.into());
    check("app", exp["app"].clone(), serde_json::to_value(got.app).unwrap());
    check("sni", exp["sni"].clone(), serde_json::to_value(&got.sni).unwrap());
    check("http_host", exp["http_host"].clone(), serde_json::to_value(&got.http_host).unwrap());
    check("dns_qnames", exp["dns_qnames"].clone(), serde_json::to_value(&got.dns_qnames).unwrap());
    if full {
        check("sni_all", exp["sni_all"].clone(), serde_json::to_value(&got.sni_all).unwrap());
        check(
            "http_hosts",
            exp["http_hosts"].clone(),
            serde_json::to_value(&got.http_hosts).unwrap(),
        );
        check(
            "dns_qtypes",
            exp["dns_qtypes"].clone(),
            serde_json::to_value(&got.dns_qtypes).unwrap(),
        );
        check("first_frame", exp["first_frame"].clone(), got.first_frame.into());
        check("packets", exp["packets"].clone(), got.packets.into());
        check("ip_version", exp["ip_version"].clone(), got.ip_version.into());
    }
    bad
}

fn run(expected: &Path, full: bool) -> usize {
    let text = std::fs::read_to_string(expected).unwrap();
    let mut by_file: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).unwrap();
        by_file.entry(v["file"].as_str().unwrap().to_owned()).or_default().push(v);
    }
    let mut failures = Vec::new();
    let mut checked = 0;
    for (file, rows) in &by_file {
        let s = summarize_file(pcaps().join(file)).unwrap();
        assert!(s.damage.is_none(), "{file}: {:?}", s.damage);
        if s.flows.len() != rows.len() {
            failures.push(format!("{file}: expected {} flows, got {}", rows.len(), s.flows.len()));
        }
        for (exp, got) in rows.iter().zip(&s.flows) {
            checked += 1;
            for b in compare(exp, got, full) {
                failures.push(format!("{file} flow {}: {b}", exp["flow"]));
            }
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
    checked
}

#[test]
fn lab_captures_match_expected() {
    let n = run(&pcaps().join("expected.jsonl"), true);
    assert_eq!(n, 132);
    eprintln!("lab flows checked: {n}");
}

#[test]
fn bench_captures_match_expected() {
    let n = run(&pcaps().join("bench/expected.jsonl"), false);
    assert_eq!(n, 4500);
    eprintln!("bench flows checked: {n}");
}

/// Notes that the decoder derives must agree with the corpus notes where
/// both speak about the same property.
#[test]
fn lab_notes_agree() {
    let text = std::fs::read_to_string(pcaps().join("expected.jsonl")).unwrap();
    let ours = [
        "ClientHello spans",
        "ClientHello segments captured out of order",
        "ECH GREASE extension present",
        "X25519MLKEM768 key share",
        "payload in SYN (TCP Fast Open)",
        "HelloRetryRequest: 2 ClientHellos",
        "TLS 1.2 only ClientHello",
        "ClientHello split across",
        "DNS over TCP",
        "no SNI",
        "IPv6",
        "QUIC Initial",
        "ClientHello in 12 CRYPTO frames",
        "retransmitted ClientHello",
        "SYN retransmitted",
        "NXDOMAIN answer",
    ];
    let mut cache: BTreeMap<String, Vec<FlowSummary>> = BTreeMap::new();
    let mut bad = Vec::new();
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let file = v["file"].as_str().unwrap().to_owned();
        let flows = cache
            .entry(file.clone())
            .or_insert_with(|| summarize_file(pcaps().join(&file)).unwrap().flows);
        let got = &flows[v["flow"].as_u64().unwrap() as usize];
        let exp = strs(&v["notes"]);
        for key in ours {
            let e: Vec<_> = exp.iter().filter(|n| n.starts_with(key)).collect();
            let g: Vec<_> = got.notes.iter().filter(|n| n.starts_with(key)).collect();
            if e != g {
                bad.push(format!("{file} flow {}: {key}: expected {e:?}, got {g:?}", v["flow"]));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
