//! End-to-end tests of `rulesim replay`: output formats, exit codes, and the
//! AWS log records of `--eve` checked against the documented field names and
//! types (SEMANTICS.md §7: envelope, alert, netflow).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn rulesim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rulesim")).args(args).output().expect("rulesim runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rulesim-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const WALKTHROUGH: &str = "examples/walkthrough/rulesim.yaml";

#[test]
fn text_report_summarises_and_lists_flows() {
    let out = rulesim(&["replay", "--policy", WALKTHROUGH, "pcaps/tls_chromium_wikipedia.pcap"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = stdout(&out);
    assert!(text.starts_with("1 capture(s), 185 packets"), "{text}");
    assert!(text.contains("9 flows: 2 allowed with drops, 7 blocked"), "{text}");
    assert!(text.contains("top blocked names:"), "{text}");
    assert!(text.contains("split client hello dropped"), "{text}");
    assert!(text.contains("www.wikipedia.org"), "{text}");
    assert!(text.contains("browser-allowed-domains sid:1 `.wikipedia.org` (examples/walkthrough/rulesim.yaml:25:9)"), "{text}");
    assert!(!text.contains("\x1b["), "no colour when not a terminal");
}

#[test]
fn jsonl_has_one_line_per_flow_and_directories_are_searched() {
    let out = rulesim(&["replay", "--policy", WALKTHROUGH, "--format", "jsonl", "pcaps/bench"]);
    assert!(out.status.success());
    let lines: Vec<Value> =
        stdout(&out).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(lines.len() > 1000, "{} flows", lines.len());
    assert!(lines.iter().all(|l| l["file"].as_str().unwrap().starts_with("pcaps/bench/")));
    assert!(lines.iter().all(|l| l["flow"]["verdict"].is_string()));
}

#[test]
fn fail_on_sets_the_exit_code() {
    let args = ["replay", "--policy", WALKTHROUGH, "pcaps/tls_curl_allowed_blocked.pcap"];
    assert_eq!(rulesim(&args).status.code(), Some(0));
    let out = rulesim(&[&args[..], &["--fail-on", "blocked"]].concat());
    assert_eq!(out.status.code(), Some(1));
    let out = rulesim(&[
        "replay",
        "--policy",
        WALKTHROUGH,
        "--fail-on",
        "finding",
        "pcaps/tls_ipv6.pcap",
    ]);
    assert_eq!(out.status.code(), Some(1), "tls_ipv6 has an SNI-less flow");
}

#[test]
fn bad_captures_exit_2_naming_the_file() {
    let dir = temp_dir("badcap");
    let bogus = dir.join("notes.pcap");
    std::fs::write(&bogus, b"this is not a capture file at all").unwrap();
    let out = rulesim(&["replay", "--policy", WALKTHROUGH, bogus.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("notes.pcap"), "{err}");
    let out =
        rulesim(&["replay", "--policy", WALKTHROUGH, dir.join("missing.pcap").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).ok();
}

fn is_iso(v: &Value) -> bool {
    let s = v.as_str().unwrap_or("");
    let b = s.as_bytes();
    s.len() == 31
        && s.ends_with("+0000")
        && b[4] == b'-'
        && b[10] == b'T'
        && b[19] == b'.'
        && s[20..26].bytes().all(|c| c.is_ascii_digit())
}

fn check_envelope(record: &Value) -> &Value {
    let keys: Vec<&str> = record.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["availability_zone", "event", "event_timestamp", "firewall_name"],
        "{record}"
    );
    assert!(record["firewall_name"].is_string() && record["availability_zone"].is_string());
    let ts = record["event_timestamp"].as_str().unwrap();
    assert!(
        !ts.is_empty() && ts.bytes().all(|c| c.is_ascii_digit()),
        "epoch seconds as a string: {ts}"
    );
    let event = &record["event"];
    assert!(is_iso(&event["timestamp"]), "{event}");
    assert!(event["flow_id"].is_u64());
    for ip in ["src_ip", "dest_ip"] {
        event[ip].as_str().unwrap().parse::<std::net::IpAddr>().unwrap();
    }
    assert!(event["src_port"].is_u64() && event["dest_port"].is_u64());
    assert!(["TCP", "UDP", "ICMP"].contains(&event["proto"].as_str().unwrap()));
    assert!(event["app_proto"].is_string());
    event
}

#[test]
fn eve_records_have_aws_field_names_and_types() {
    let dir = temp_dir("eve");
    let out = rulesim(&[
        "replay",
        "--policy",
        "tests/golden/policies/action-order.yaml",
        "--eve",
        dir.to_str().unwrap(),
        "pcaps/tls_chromium_wikipedia.pcap",
        "pcaps/http_curl_host_variants.pcap",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let read = |name: &str| -> Vec<Value> {
        std::fs::read_to_string(dir.join(name))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let alerts = read("alert.json");
    assert!(alerts.len() >= 8, "{} alerts", alerts.len());
    let mut saw_tls = false;
    let mut saw_http = false;
    for record in &alerts {
        let event = check_envelope(record);
        assert_eq!(event["event_type"], "alert");
        let alert = &event["alert"];
        let keys: Vec<&str> = alert.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["action", "category", "rev", "severity", "signature", "signature_id"]);
        assert_eq!(alert["action"], "blocked", "the allowlist's catch-all drops");
        assert!(
            alert["signature_id"].is_u64() && alert["rev"].is_u64() && alert["severity"].is_u64()
        );
        assert_eq!(alert["severity"], 1, "generated rules carry priority:1 in action order");
        assert_eq!(alert["category"], "");
        let signature = alert["signature"].as_str().unwrap();
        if let Some(sni) = event.get("tls") {
            saw_tls = true;
            assert!(sni["sni"].is_string());
            assert_eq!(signature, "not matching any TLS allowlisted FQDNs");
            assert_eq!(alert["signature_id"], 14);
        }
        if let Some(http) = event.get("http") {
            saw_http = true;
            assert!(http["hostname"].is_string());
            assert_eq!(signature, "not matching any HTTP allowlisted FQDNs");
            assert_eq!(alert["signature_id"], 13);
        }
    }
    assert!(saw_tls && saw_http);

    let flows = read("flow.json");
    assert!(flows.len() >= 2 * 17, "two records per flow: {}", flows.len());
    for record in &flows {
        let event = check_envelope(record);
        assert_eq!(event["event_type"], "netflow");
        let netflow = &event["netflow"];
        assert!(netflow["pkts"].is_u64() && netflow["bytes"].is_u64() && netflow["age"].is_u64());
        assert!(is_iso(&netflow["start"]) && is_iso(&netflow["end"]));
        if event["proto"] == "TCP" {
            let flags = event["tcp"]["tcp_flags"].as_str().unwrap();
            assert!(u8::from_str_radix(flags, 16).is_ok(), "{flags}");
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}
