//! `rulesim lint` end to end: fixtures (a bad policy and its fixed twin),
//! the example policies in every format, exit codes, suppressions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

use serde_json::Value;

fn rulesim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rulesim")).args(args).output().expect("rulesim runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `(code, file:line:col)` of every finding, from `--format json`.
fn findings(args: &[&str]) -> (Option<i32>, Vec<(String, String)>) {
    let mut all = vec!["lint", "--format", "json"];
    all.extend_from_slice(args);
    let out = rulesim(&all);
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {} {}", text(&out.stdout), text(&out.stderr)));
    let list = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let l = &f["location"];
            (
                f["code"].as_str().unwrap().to_string(),
                format!("{}:{}:{}", l["file"].as_str().unwrap_or(""), l["line"], l["column"]),
            )
        })
        .collect();
    (out.status.code(), list)
}

fn codes(list: &[(String, String)]) -> Vec<&str> {
    list.iter().map(|(c, _)| c.as_str()).collect()
}

const FIX: &str = "tests/fixtures/lint";

#[test]
fn foreign_and_invalid_names_are_findings_with_the_fix() {
    let (code, list) = findings(&[&format!("{FIX}/names-bad.yaml")]);
    assert_eq!(code, Some(1), "errors fail the lint: {list:?}");
    let f = format!("{FIX}/names-bad.yaml");
    assert_eq!(
        list,
        [
            ("RS101".to_string(), format!("{f}:9:10")),
            ("RS101".to_string(), format!("{f}:10:9")),
            ("RS102".to_string(), format!("{f}:11:20")),
        ]
    );
    let out = rulesim(&["lint", &format!("{FIX}/names-bad.yaml")]);
    let human = text(&out.stdout);
    assert!(human.contains("error[RS101]: `*.example.com` uses a `*` wildcard"), "{human}");
    assert!(
        human.contains("write `.example.com`") || human.contains("writes `.example.com`"),
        "{human}"
    );
    let (code, list) = findings(&[&format!("{FIX}/names-good.yaml")]);
    assert_eq!((code, list.len()), (Some(0), 0), "{list:?}");
}

#[test]
fn review_fixture_catches_what_a_reviewer_should() {
    let f = format!("{FIX}/review-bad.yaml");
    let (code, list) = findings(&[&f]);
    assert_eq!(code, Some(1), "RS301 is an error: {list:?}");
    let mut got = codes(&list);
    got.sort_unstable();
    got.dedup();
    assert_eq!(got, ["RS111", "RS121", "RS201", "RS202", "RS301", "RS302", "RS402", "RS403"]);
    let at = |code: &str| list.iter().find(|(c, _)| c == code).unwrap().1.clone();
    assert_eq!(at("RS302"), format!("{f}:15:9"));
    assert_eq!(at("RS301"), format!("{f}:16:9"));
    assert_eq!(at("RS111"), format!("{f}:17:9"));
    assert_eq!(at("RS121"), format!("{f}:19:9"));
    assert_eq!(at("RS201"), format!("{f}:21:9"));
    assert_eq!(at("RS402"), format!("{f}:5:1"));
    let (code, list) = findings(&[&format!("{FIX}/review-good.yaml")]);
    assert_eq!((code, list.len()), (Some(0), 0), "{list:?}");
}

#[test]
fn deny_level_decides_the_exit_code() {
    let walkthrough = "examples/walkthrough/rulesim.yaml";
    assert_eq!(rulesim(&["lint", walkthrough]).status.code(), Some(0));
    assert_eq!(rulesim(&["lint", "--deny", "warning", walkthrough]).status.code(), Some(1));
    assert_eq!(
        rulesim(&[
            "lint",
            "--deny",
            "warning",
            "--allow",
            "RS402",
            "--allow",
            "silent-default-drop",
            "--allow",
            "RS302",
            walkthrough
        ])
        .status
        .code(),
        Some(0)
    );
}

#[test]
fn the_walkthrough_reads_the_same_in_aws_json() {
    // The walkthrough's notes: `.amazonaws.com` is broad, drop_established
    // (post-quantum split ClientHellos), CDN domains.
    let (_, native) = findings(&["examples/walkthrough/rulesim.yaml"]);
    let (code, aws) = findings(&[
        "examples/aws/firewall-policy.json",
        "--group",
        "browser-allowed-domains=examples/aws/allowlist-rules.json",
    ]);
    assert_eq!(code, Some(0));
    let mut a = codes(&native);
    let mut b = codes(&aws);
    a.retain(|c| *c != "RS502");
    b.retain(|c| *c != "RS502");
    a.sort_unstable();
    b.sort_unstable();
    assert_eq!(a, b);
    assert!(a.contains(&"RS302") && a.contains(&"RS402") && a.contains(&"RS311"), "{a:?}");
    let zone = aws.iter().find(|(c, _)| c == "RS302").unwrap();
    assert_eq!(zone.1, "examples/aws/allowlist-rules.json:8:10");
}

#[test]
fn suppressions_need_a_reason() {
    let f = format!("{FIX}/suppressed.yaml");
    let (code, list) = findings(&[&f]);
    assert_eq!(code, Some(1), "{list:?}");
    assert_eq!(
        list,
        [("RS302".to_string(), format!("{f}:10:9")), ("RS902".to_string(), format!("{f}:10:26")),]
    );
    let out = rulesim(&["lint", &f]);
    assert!(text(&out.stdout).contains("(1 suppressed)"), "{}", text(&out.stdout));
}

#[test]
fn home_net_gap_from_a_capture_and_from_a_declared_source() {
    let f = format!("{FIX}/home-net.yaml");
    let out = rulesim(&[
        "lint",
        "--format",
        "json",
        &f,
        "--capture",
        "pcaps/tls_curl_allowed_blocked.pcap",
    ]);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let gap =
        json["findings"].as_array().unwrap().iter().find(|f| f["code"] == "RS501").expect("RS501");
    assert!(
        gap["message"]
            .as_str()
            .unwrap()
            .contains("10.200.0.1/32 (pcaps/tls_curl_allowed_blocked.pcap flow 0)"),
        "{gap}"
    );
    let (_, list) = findings(&[&f, "--source", "10.0.3.0/24"]);
    assert!(!codes(&list).contains(&"RS501"), "{list:?}");
    let (_, list) = findings(&[&f, "--source", "10.9.0.0/16"]);
    assert!(codes(&list).contains(&"RS501"), "{list:?}");
}

#[test]
fn unreadable_input_exits_2() {
    let out = rulesim(&["lint", "tests/fixtures/lint/does-not-exist.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("does-not-exist.yaml"), "{}", text(&out.stderr));
    let dir = std::env::temp_dir().join(format!("rulesim-lint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("rulesim.yaml");
    std::fs::write(&bad, "rule_order: strict_order\ngroups:\n  - name: [unclosed\n").unwrap();
    let out = rulesim(&["lint", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("rulesim.yaml:"), "{}", text(&out.stderr));
    assert_eq!(
        rulesim(&["lint", "--allow", "RS999", "examples/walkthrough/rulesim.yaml"]).status.code(),
        Some(2)
    );
}

#[test]
fn human_output_points_at_the_entry() {
    let out = rulesim(&["lint", "examples/walkthrough/rulesim.yaml"]);
    let human = text(&out.stdout);
    let expected = "warning[RS302]: `.amazonaws.com` allows every customer's S3 bucket, API Gateway API, Lambda function URL and load balancer
  --> examples/walkthrough/rulesim.yaml:28:9
   |
28 |       - .amazonaws.com
   |         ^^^^^^^^^^^^^^ shared-zone-allowed
   |
";
    assert!(human.contains(expected), "{human}");
    assert!(human.ends_with("0 errors, 3 warnings, 3 notes\n"), "{human}");
}
