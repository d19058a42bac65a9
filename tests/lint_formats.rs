//! `rulesim lint --format sarif|github`: SARIF validated against the SARIF
//! 2.1.0 JSON schema, annotations against GitHub's documented syntax
//! (`::error file=F,line=L,col=C,title=T::message`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

use serde_json::Value;

fn rulesim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rulesim")).args(args).output().expect("rulesim runs")
}

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string("tests/fixtures/lint/sarif-schema-2.1.0.json").unwrap();
    let mut schema: Value = serde_json::from_str(&text).unwrap();
    // Erratum: the `language` patterns (of `run` and `toolComponent`) end in
    // an unbalanced `]`, which the validator's meta-schema check rejects as
    // a regex. rulesim writes no `language`; the intended pattern ("en" or
    // "en-US") replaces them here, and the committed file stays as published.
    for owner in ["run", "toolComponent"] {
        let language = &mut schema["definitions"][owner]["properties"]["language"]["pattern"];
        assert_eq!(language, "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$");
        *language = Value::from("^[a-zA-Z]{2}(-[a-zA-Z]{2})?$");
    }
    jsonschema::options().build(&schema).expect("the schema compiles")
}

fn sarif(args: &[&str]) -> Value {
    let mut all = vec!["lint", "--format", "sarif"];
    all.extend_from_slice(args);
    let out = rulesim(&all);
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn sarif_validates_against_the_schema() {
    let validator = schema();
    for args in [
        vec!["examples/walkthrough/rulesim.yaml"],
        vec!["tests/fixtures/lint/review-bad.yaml"],
        vec!["tests/fixtures/lint/names-good.yaml"],
        vec![
            "examples/aws/firewall-policy.json",
            "--group",
            "browser-allowed-domains=examples/aws/allowlist-rules.json",
        ],
    ] {
        let log = sarif(&args);
        let errors: Vec<String> =
            validator.iter_errors(&log).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{args:?}: {errors:#?}");
        assert_eq!(log["version"], "2.1.0");
    }
}

#[test]
fn the_schema_check_is_not_vacuous() {
    let validator = schema();
    let mut log = sarif(&["tests/fixtures/lint/review-bad.yaml"]);
    log["runs"][0]["results"][0]["level"] = Value::from("fatal");
    assert!(!validator.is_valid(&log), "an invalid level must fail the schema");
    let mut log = sarif(&["tests/fixtures/lint/review-bad.yaml"]);
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        Value::from(0);
    assert!(!validator.is_valid(&log), "line 0 must fail the schema");
}

#[test]
fn sarif_results_point_at_rules_and_lines() {
    let log = sarif(&["tests/fixtures/lint/review-bad.yaml"]);
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for result in run["results"].as_array().unwrap() {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
    }
    let zone = run["results"].as_array().unwrap().iter().find(|r| r["ruleId"] == "RS302").unwrap();
    assert_eq!(zone["level"], "warning");
    let physical = &zone["locations"][0]["physicalLocation"];
    assert_eq!(physical["artifactLocation"]["uri"], "tests/fixtures/lint/review-bad.yaml");
    assert_eq!(physical["region"]["startLine"], 15);
    assert_eq!(physical["region"]["startColumn"], 9);
}

#[test]
fn github_annotations_follow_the_workflow_command_syntax() {
    let out = rulesim(&["lint", "--format", "github", "tests/fixtures/lint/review-bad.yaml"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines.len() >= 8, "{stdout}");
    for line in &lines {
        // ::LEVEL file=F,line=L,col=C,title=T::MESSAGE, with no raw newline
        // in the message and no `,` or `:` inside property values.
        let rest = line.strip_prefix("::").unwrap_or_else(|| panic!("{line}"));
        let (command, rest) = rest.split_once(' ').unwrap();
        assert!(["error", "warning", "notice"].contains(&command), "{line}");
        let (properties, message) = rest.split_once("::").unwrap();
        let keys: Vec<&str> = properties.split(',').map(|p| p.split_once('=').unwrap().0).collect();
        assert_eq!(keys, ["file", "line", "col", "title"], "{line}");
        for p in properties.split(',') {
            let value = p.split_once('=').unwrap().1;
            assert!(!value.contains(':') && !value.is_empty(), "{line}");
        }
        assert!(!message.is_empty() && message.contains("%0Ahelp"), "{line}");
    }
    assert!(
        lines.contains(&"::error file=tests/fixtures/lint/review-bad.yaml,line=16,col=9,title=RS301 public-suffix-allowed::`.co.uk` is a public suffix: it allows every domain registered under it%0Ahelp: allow the registrable domains you need, e.g. `.example.co.uk`"),
        "{stdout}"
    );
}
