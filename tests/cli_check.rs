//! End-to-end tests of `rulesim check` on the example policies.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

fn rulesim(args: &[&str], dir: Option<&Path>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rulesim"));
    cmd.args(args);
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    cmd.output().expect("rulesim runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const WALKTHROUGH: &str = "examples/walkthrough/rulesim.yaml";

#[test]
fn walkthrough_allows_wikipedia_and_drops_twitter() {
    let out = rulesim(
        &[
            "check",
            "--policy",
            WALKTHROUGH,
            "en.wikipedia.org",
            "twitter.com",
            "docs.aws.amazon.com",
            "example.com",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].starts_with("en.wikipedia.org") && lines[0].contains("PASS"), "{text}");
    assert!(
        lines[0].contains("browser-allowed-domains sid:1")
            && lines[0].contains("rulesim.yaml:25:9, entry `.wikipedia.org`"),
        "{text}"
    );
    assert!(
        lines[1].contains("DROP") && lines[1].contains("default action aws:drop_established"),
        "{text}"
    );
    assert!(
        lines[2].contains("PASS") && lines[2].contains("entry `.docs.aws.amazon.com`"),
        "{text}"
    );
    assert!(lines[3].contains("DROP"), "{text}");
}

#[test]
fn json_output_names_rule_and_provenance() {
    let out = rulesim(
        &[
            "check",
            "--policy",
            WALKTHROUGH,
            "--proto",
            "tls,http",
            "--format",
            "json",
            "Upload.PyPI.org:443",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = v.as_array().unwrap();
    assert_eq!(results.len(), 2);
    let tls = &results[0];
    assert_eq!(tls["proto"], "tls");
    // A port in an SNI is just bytes: it does not match `.pypi.org`.
    assert_eq!(tls["verdict"], "drop");
    assert_eq!(tls["decided_by"]["kind"], "default");
    let http = &results[1];
    assert_eq!(http["buffer"], "upload.pypi.org", "http.host is lower-cased, port removed");
    assert_eq!(http["changes"], serde_json::json!(["lowercased", "port_stripped"]));
    assert_eq!(http["verdict"], "pass");
    assert_eq!(http["decided_by"]["rule"]["sid"], 10, "entry 5, HTTP rule: 2*4+2");
    assert_eq!(http["decided_by"]["rule"]["target"], ".pypi.org");
    assert_eq!(http["decided_by"]["rule"]["location"], "examples/walkthrough/rulesim.yaml:29:9");
}

#[test]
fn explain_lists_rules_and_normalisation() {
    let out = rulesim(
        &["check", "--policy", "examples/categories/rulesim.yaml", "--explain", "WWW.TikTok.com."],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("trailing dot"), "{text}");
    assert!(text.contains("no rule matches"), "a trailing dot defeats the denylist: {text}");
    let out = rulesim(
        &["check", "--policy", "examples/categories/rulesim.yaml", "--explain", "WWW.TikTok.com"],
        None,
    );
    let text = stdout(&out);
    assert!(text.contains("REJECT"), "{text}");
    assert!(text.contains("1. reject deny-social-media"), "{text}");
    assert!(text.contains(r#"dotprefix; content:".tiktok.com"; nocase; endswith;"#), "{text}");
}

#[test]
fn policy_in_the_current_directory_is_used() {
    let out = rulesim(&["check", "en.wikipedia.org"], Some(Path::new("examples/walkthrough")));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("PASS"));
    let out = rulesim(&["check", "en.wikipedia.org"], Some(Path::new("examples")));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no `rulesim.yaml`"), "{}", stderr(&out));
}

#[test]
fn bad_policies_exit_2_with_file_line_and_column() {
    let dir = std::env::temp_dir().join(format!("rulesim-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let policy = dir.join("bad.yaml");
    std::fs::write(&policy, "rule_order: strict_order\ngroups:\n  - name: g\n    priority: 1\n    allow:\n      - '*.example.com'\n      - example.com/\n").unwrap();
    let out = rulesim(&["check", "--policy", policy.to_str().unwrap(), "example.com"], None);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("bad.yaml:6:10: error: `*.example.com` uses a `*` wildcard"), "{err}");
    assert!(
        err.contains("help: `*.` is DNS Firewall syntax; Network Firewall writes `.example.com`"),
        "{err}"
    );
    assert!(err.contains("bad.yaml:7:20: error: `example.com/` has a path"), "{err}");
    assert!(err.contains("2 errors"), "{err}");
    assert!(out.stdout.is_empty());

    let out =
        rulesim(&["check", "--policy", dir.join("missing.yaml").to_str().unwrap(), "x.com"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read policy"), "{}", stderr(&out));
    std::fs::remove_dir_all(&dir).ok();
}
