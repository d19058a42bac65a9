//! `rulesim test` end to end on the example policy repository.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

fn rulesim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rulesim")).args(args).output().expect("rulesim runs")
}

#[test]
fn the_example_repository_passes_its_own_tests() {
    let out = rulesim(&["test", "examples/policy-repo/rulesim.yaml"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.ends_with("5 passed, 0 failed\n"), "{stdout}");
}

#[test]
fn a_failing_case_names_the_deciding_rule() {
    // The walkthrough policy drops social media by default instead of
    // rejecting it, and does not allow npm: the example's tests say so.
    let out = rulesim(&[
        "test",
        "examples/walkthrough/rulesim.yaml",
        "--tests",
        "examples/policy-repo/tests/names.yaml",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("FAILED  social media is rejected"), "{stdout}");
    assert!(
        stdout.contains("twitter.com over tls: expected reject by deny-social-media, got drop by default action aws:drop_established"),
        "{stdout}"
    );
    assert!(
        stdout.contains("files.pythonhosted.org over tls: expected pass by allow-work, got pass by group `browser-allowed-domains` sid:"),
        "{stdout}"
    );
    assert!(
        stdout.contains("examples/walkthrough/rulesim.yaml:30:9, entry `.pythonhosted.org`"),
        "{stdout}"
    );
}

#[test]
fn bad_test_files_exit_2() {
    let dir = std::env::temp_dir().join(format!("rulesim-policytest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("t.yaml");
    std::fs::write(&file, "cases:\n  - names: [x.org]\n    expect: allow\n").unwrap();
    let out =
        rulesim(&["test", "examples/walkthrough/rulesim.yaml", "--tests", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("t.yaml:2:5: error"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = rulesim(&["test", "examples/categories/rulesim.yaml"]);
    assert_eq!(out.status.code(), Some(2), "no tests/ folder is an input error");
}
