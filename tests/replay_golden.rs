//! Golden replay tests: every capture under tests/golden/*.yaml replayed
//! against each of its policies must give exactly the expected verdict,
//! deciding rule or default action, deciding packet, dropped packets,
//! findings and alert count for every flow (suricata-verify style).
//!
//! The expectations follow AWS's documented semantics (docs/semantics.md):
//! e.g. with `aws:drop_established` the first segment of a split ClientHello
//! is dropped and the completing segment passes; with
//! `aws:drop_established_app_layer` nothing is dropped before the SNI is
//! seen; QUIC is never matched by `tls.sni` rules.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use rulesim_core::{CompiledPolicy, native};
use rulesim_sim::report::FlowReport;
use rulesim_sim::{Decider, Options, Replay, Simulator};
use saphyr::{LoadableYamlNode, Yaml};

fn simulator(policy: &str, threads: usize) -> Simulator {
    let text = std::fs::read_to_string(policy).unwrap();
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| e.to_string());
    let policy = native::parse(Path::new(policy), &text, &read).unwrap();
    let compiled = CompiledPolicy::build(policy).unwrap();
    Simulator::new(Arc::new(compiled), Options { threads, ..Options::default() })
}

fn decider(d: &Decider) -> String {
    match d {
        Decider::Rule { rule } => format!("{} sid:{}", rule.group, rule.sid),
        Decider::DefaultAction { action } => format!("default {action}"),
        Decider::StatelessDefault { action } => format!("stateless {action}"),
        Decider::StreamExceptionPolicy { action } => format!("stream exception {action}"),
        Decider::NoMatch => "no match".into(),
    }
}

fn finding_kinds(f: &FlowReport) -> Vec<String> {
    let mut kinds: Vec<String> = f
        .findings
        .iter()
        .map(|x| serde_json::to_value(x).unwrap()["kind"].as_str().unwrap().to_string())
        .collect();
    kinds.sort();
    kinds.dedup();
    kinds
}

fn ints(y: &Yaml) -> Vec<u64> {
    y.as_vec().unwrap().iter().map(|v| v.as_integer().unwrap() as u64).collect()
}

fn strings(y: &Yaml) -> Vec<String> {
    y.as_vec().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

fn check_case(capture: &str, case: &Yaml, replay: &Replay) -> Vec<String> {
    let mut errors = Vec::new();
    let report = &replay.report;
    let policy = case["policy"].as_str().unwrap();
    let ctx = format!("{capture} with {policy}");
    let expect_eq = |errors: &mut Vec<String>, what: &str, got: String, want: String| {
        if got != want {
            errors.push(format!("{ctx}: {what}: got {got}, want {want}"));
        }
    };
    expect_eq(
        &mut errors,
        "packets",
        report.packets.to_string(),
        case["packets"].as_integer().unwrap().to_string(),
    );
    expect_eq(
        &mut errors,
        "dropped packets",
        report.dropped_packets.to_string(),
        case["dropped_packets"].as_integer().unwrap().to_string(),
    );
    let mut totals: BTreeMap<String, i64> = BTreeMap::new();
    for f in &report.flows {
        *totals.entry(f.verdict.as_str().to_string()).or_default() += 1;
    }
    for (k, v) in case["totals"].as_mapping().unwrap() {
        let k = k.as_str().unwrap();
        expect_eq(
            &mut errors,
            &format!("{k} flows"),
            totals.get(k).copied().unwrap_or(0).to_string(),
            v.as_integer().unwrap().to_string(),
        );
    }
    let flows = case["flows"].as_vec().unwrap();
    expect_eq(&mut errors, "flow count", report.flows.len().to_string(), flows.len().to_string());
    for want in flows {
        let id = want["flow"].as_integer().unwrap() as u64;
        let Some(got) = report.flows.iter().find(|f| f.flow == id) else {
            errors.push(format!("{ctx}: flow {id} missing"));
            continue;
        };
        let at = |what: &str| format!("flow {id} {what}");
        let name = got.names.primary().unwrap_or("").to_string();
        expect_eq(&mut errors, &at("name"), name, want["name"].as_str().unwrap().to_string());
        expect_eq(
            &mut errors,
            &at("verdict"),
            got.verdict.as_str().to_string(),
            want["verdict"].as_str().unwrap().to_string(),
        );
        expect_eq(
            &mut errors,
            &at("decided_by"),
            decider(&got.decided_by),
            want["decided_by"].as_str().unwrap().to_string(),
        );
        let deciding =
            want.as_mapping_get("deciding_packet").and_then(Yaml::as_integer).map(|n| n as u64);
        expect_eq(
            &mut errors,
            &at("deciding packet"),
            format!("{:?}", got.deciding_packet),
            format!("{deciding:?}"),
        );
        expect_eq(
            &mut errors,
            &at("dropped"),
            format!("{:?}", got.dropped),
            format!("{:?}", ints(&want["dropped"])),
        );
        expect_eq(
            &mut errors,
            &at("findings"),
            format!("{:?}", finding_kinds(got)),
            format!("{:?}", strings(&want["findings"])),
        );
        expect_eq(
            &mut errors,
            &at("alerts"),
            got.alerts.len().to_string(),
            want["alerts"].as_integer().unwrap().to_string(),
        );
    }
    errors
}

#[test]
fn golden_replays() {
    let mut files: Vec<_> = std::fs::read_dir("tests/golden")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "golden files: {files:?}");
    let mut errors = Vec::new();
    let mut flows_checked = 0;
    for file in &files {
        let docs = Yaml::load_from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let doc = &docs[0];
        let capture = doc["capture"].as_str().unwrap();
        for case in doc["cases"].as_vec().unwrap() {
            let sim = simulator(case["policy"].as_str().unwrap(), 1);
            let replay = sim.replay_file(Path::new(capture)).unwrap();
            flows_checked += case["flows"].as_vec().unwrap().len();
            errors.extend(check_case(capture, case, &replay));
        }
    }
    assert!(errors.is_empty(), "{} mismatches:\n{}", errors.len(), errors.join("\n"));
    eprintln!("{flows_checked} flow expectations checked in {} golden files", files.len());
}

/// Sharding flows over threads, or replaying files in parallel, changes nothing.
#[test]
fn threads_give_identical_results() {
    let mut captures: Vec<_> = std::fs::read_dir("pcaps")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .collect();
    captures.sort();
    captures.push("pcaps/bench/bench_tls_python_asyncio_concurrent.pcap".into());
    let policy = "examples/walkthrough/rulesim.yaml";
    let one = simulator(policy, 1);
    let json = |r: &Replay| {
        serde_json::to_string(&(&r.report, &r.alert_logs, r.flow_logs().collect::<Vec<_>>()))
            .unwrap()
    };
    let single: Vec<String> = captures.iter().map(|c| json(&one.replay_file(c).unwrap())).collect();
    for threads in [2, 3, 4] {
        let sim = simulator(policy, threads);
        for (capture, want) in captures.iter().zip(&single) {
            let got = json(&sim.replay_file(capture).unwrap());
            assert!(got == *want, "{} differs with {threads} threads", capture.display());
        }
        let parallel: Vec<String> =
            sim.replay_files(&captures).iter().map(|r| json(r.as_ref().unwrap())).collect();
        assert_eq!(parallel, single, "files in parallel with {threads} threads");
    }
}
