//! `rulesim check` and `rulesim render` on AWS's own files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

fn rulesim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rulesim")).args(args).output().expect("rulesim runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The AWS walkthrough: its firewall policy with its allowlist rule group
/// passes Wikipedia (by the allowlist entry) and drops Twitter (by the
/// policy's drop_established default).
#[test]
fn walkthrough_firewall_policy_with_group_passes_wikipedia_and_drops_twitter() {
    let out = rulesim(&[
        "check",
        "--policy",
        "examples/aws/firewall-policy.json",
        "--group",
        "browser-allowed-domains=examples/aws/allowlist-rules.json",
        "en.wikipedia.org",
        "twitter.com",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0].starts_with("en.wikipedia.org") && lines[0].contains("PASS"), "{stdout}");
    assert!(lines[0].contains("browser-allowed-domains sid:1"), "{stdout}");
    assert!(
        lines[0].contains("examples/aws/allowlist-rules.json:5:10, entry `.wikipedia.org`"),
        "{stdout}"
    );
    assert!(lines[1].starts_with("twitter.com") && lines[1].contains("DROP"), "{stdout}");
    assert!(lines[1].contains("default action aws:drop_established"), "{stdout}");
}

#[test]
fn a_missing_group_is_an_error_with_its_place_and_fix() {
    let out = rulesim(&["check", "--policy", "examples/aws/firewall-policy.json", "example.com"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("examples/aws/firewall-policy.json:6:23: error: rule group `browser-allowed-domains` is referenced"), "{stderr}");
    assert!(stderr.contains("help: pass --group browser-allowed-domains=FILE"), "{stderr}");
}

#[test]
fn policy_format_can_be_forced() {
    let out = rulesim(&[
        "check",
        "--policy",
        "examples/aws/allowlist-rules.json",
        "--policy-format",
        "suricata",
        "a.com",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("examples/aws/allowlist-rules.json:1:1: error:"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn render_writes_files_that_read_back() {
    let dir = std::env::temp_dir().join(format!("rulesim-render-{}", std::process::id()));
    let out = rulesim(&[
        "render",
        "--policy",
        "examples/walkthrough/rulesim.yaml",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let policy = dir.join("firewall-policy.json");
    let out = rulesim(&[
        "check",
        "--policy",
        policy.to_str().unwrap(),
        "en.wikipedia.org",
        "twitter.com",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.lines().next().unwrap().contains("PASS"), "{stdout}");
    assert!(stdout.lines().nth(1).unwrap().contains("DROP"), "{stdout}");
    let out = rulesim(&[
        "render",
        "--policy",
        "examples/walkthrough/rulesim.yaml",
        "--target",
        "suricata",
    ]);
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("==> browser-allowed-domains.rules <==\npass tls $HOME_NET any -> $EXTERNAL_NET any (ssl_state:client_hello; tls.sni; dotprefix; content:\".wikipedia.org\"; nocase; endswith;"), "{stdout}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn render_errors_exit_2_with_positions() {
    let dir = std::env::temp_dir().join(format!("rulesim-render-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.rules");
    std::fs::write(&bad, "pass tls any any -> any any (tls.sni; content:\"a.com\"; sid:1;)\ndrop tls any any -> any any (tls.sni; bsize:5; sid:2;)\n").unwrap();
    let out = rulesim(&["render", "--policy", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("bad.rules:2:39: error: keyword `bsize` is not supported by rulesim"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
