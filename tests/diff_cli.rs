//! `rulesim diff` end to end: the walkthrough against the example policy
//! repository, names and a capture, table/JSON/Markdown, mixed formats.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

use serde_json::Value;

fn rulesim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rulesim")).args(args).output().expect("rulesim runs")
}

const OLD: &str = "examples/walkthrough/rulesim.yaml";
const NEW: &str = "examples/policy-repo/rulesim.yaml";

fn json(args: &[&str]) -> Value {
    let mut all = vec!["diff", "--format", "json"];
    all.extend_from_slice(args);
    let out = rulesim(&all);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn changes(report: &Value) -> Vec<(String, String, String, String)> {
    let mut out = Vec::new();
    for g in report["groups"].as_array().unwrap() {
        for c in g["changes"].as_array().unwrap() {
            out.push((
                c["what"].as_str().unwrap().to_string(),
                c["before"].as_str().unwrap().to_string(),
                c["after"].as_str().unwrap().to_string(),
                g["decided_by"].as_str().unwrap().to_string(),
            ));
        }
    }
    out
}

#[test]
fn names_and_flows_that_change_verdict_are_grouped_by_the_rule() {
    let report = json(&[OLD, NEW, "--capture", "pcaps/tls_curl_allowed_blocked.pcap"]);
    let all = changes(&report);
    let find = |what: &str| {
        all.iter().find(|c| c.0 == what).unwrap_or_else(|| panic!("{what} in {all:#?}"))
    };
    // Social media: dropped by the walkthrough's default, rejected now.
    let twitter = find("pcaps/tls_curl_allowed_blocked.pcap flow 4 twitter.com");
    assert_eq!((twitter.1.as_str(), twitter.2.as_str()), ("blocked", "rejected"));
    assert!(twitter.3.contains("`deny-social-media` entry `.twitter.com`"), "{twitter:?}");
    let npm = find("tls npmjs.org");
    assert_eq!((npm.1.as_str(), npm.2.as_str()), ("drop", "pass"));
    // `.amazonaws.com` was allowed by the walkthrough and is not any more.
    let aws = find("tls www.amazonaws.com");
    assert_eq!((aws.1.as_str(), aws.2.as_str()), ("pass", "drop"));
    assert!(aws.3.contains("default action aws:drop_established_app_layer_to_server"));
    // Unchanged names are not listed; counts add up.
    assert!(!all.iter().any(|c| c.0 == "tls pypi.org"), "{all:#?}");
    let counted: u64 =
        report["groups"].as_array().unwrap().iter().map(|g| g["count"].as_u64().unwrap()).sum();
    assert_eq!(counted, report["changed"].as_u64().unwrap());
    assert_eq!(counted as usize, all.len());
}

#[test]
fn identical_policies_in_different_formats_do_not_differ() {
    let out = rulesim(&[
        "diff",
        "--fail-on-change",
        OLD,
        "examples/aws/firewall-policy.json",
        "--group",
        "browser-allowed-domains=examples/aws/allowlist-rules.json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("0 verdict change(s)\n"));
    assert_eq!(rulesim(&["diff", "--fail-on-change", OLD, NEW]).status.code(), Some(1));
}

#[test]
fn markdown_for_a_pull_request_comment_and_extra_names() {
    let dir = std::env::temp_dir().join(format!("rulesim-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let names = dir.join("names.txt");
    std::fs::write(&names, "# names agents use\nhuggingface.co\ndocs.python.org\n").unwrap();
    let out =
        rulesim(&["diff", "--format", "markdown", OLD, NEW, "--names", names.to_str().unwrap()]);
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.starts_with("### rulesim diff: "), "{md}");
    assert!(md.contains("| name or flow | before | after |"), "{md}");
    assert!(!md.contains("huggingface.co"), "dropped by both: {md}");
    assert_eq!(rulesim(&["diff", OLD, "nope.yaml"]).status.code(), Some(2));
}
