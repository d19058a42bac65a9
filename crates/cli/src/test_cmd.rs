//! `rulesim test [POLICY...]`: run the declarative tests in the `tests/`
//! folder next to each policy (format: `rulesim_core::policytest`).
//!
//! A failing case says what happened instead and which rule decided it,
//! with the file:line:col of the entry, so the fix is one click away.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use rulesim_core::lint::probe;
use rulesim_core::name::{NameSource, observe_typed};
use rulesim_core::policytest::{self, Case, Check};
use rulesim_core::{CompiledPolicy, DecidedBy, Decision, TargetType, Verdict};

use crate::policy_file::{self, PolicyOptions};

/// Arguments of `rulesim test`.
#[derive(Args)]
pub(crate) struct TestArgs {
    /// Policy files; each one's tests are `tests/*.yaml` beside it (default: ./rulesim.yaml).
    policies: Vec<PathBuf>,
    #[command(flatten)]
    policy_options: PolicyOptions,
    /// Test files or folders to run instead of the `tests/` folder.
    #[arg(long = "tests", value_name = "PATH")]
    tests: Vec<PathBuf>,
}

/// Runs `rulesim test`.
pub(crate) fn run(args: &TestArgs) -> ExitCode {
    let policies = if args.policies.is_empty() {
        vec![PathBuf::from(policy_file::DEFAULT_POLICY)]
    } else {
        args.policies.clone()
    };
    let (mut passed, mut failed) = (0, 0);
    let mut out = String::new();
    for path in &policies {
        let policy = match policy_file::load(Some(path), &args.policy_options) {
            Ok(p) => p,
            Err(message) => {
                eprintln!("{message}");
                return ExitCode::from(2);
            }
        };
        let files = match test_files(path, &args.tests) {
            Ok(f) => f,
            Err(message) => {
                eprintln!("{message}");
                return ExitCode::from(2);
            }
        };
        let policy = Arc::new(policy);
        for file in files {
            let shown = file.display().to_string();
            let cases = match std::fs::read_to_string(&file)
                .map_err(|e| format!("error: cannot read `{shown}`: {e}"))
                .and_then(|text| policytest::parse(&shown, &text).map_err(|e| e.to_string()))
            {
                Ok(c) => c,
                Err(message) => {
                    eprintln!("{message}");
                    return ExitCode::from(2);
                }
            };
            let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
            for case in &cases {
                match run_case(&policy, case, &dir) {
                    Ok(failures) if failures.is_empty() => {
                        passed += 1;
                        let _ = writeln!(out, "ok      {} ({})", case.name, case.location);
                    }
                    Ok(failures) => {
                        failed += 1;
                        let _ = writeln!(out, "FAILED  {} ({})", case.name, case.location);
                        for f in failures {
                            let _ = writeln!(out, "        {f}");
                        }
                    }
                    Err(message) => {
                        eprintln!("{message}");
                        return ExitCode::from(2);
                    }
                }
            }
        }
    }
    let _ = writeln!(out, "\n{passed} passed, {failed} failed");
    print!("{out}");
    if failed > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

/// The test files: `--tests` paths, or `tests/*.yaml` beside the policy.
fn test_files(policy: &Path, given: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let roots = if given.is_empty() {
        vec![policy.parent().map(Path::to_path_buf).unwrap_or_default().join("tests")]
    } else {
        given.to_vec()
    };
    let mut files = Vec::new();
    for root in roots {
        if root.is_file() {
            files.push(root);
            continue;
        }
        let entries = std::fs::read_dir(&root).map_err(|e| {
            format!("error: no tests at `{}`: {e}\n  help: put test files in a `tests/` folder next to the policy, or pass --tests", root.display())
        })?;
        let mut found: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
            .collect();
        found.sort();
        files.extend(found);
    }
    Ok(files)
}

/// Who decided, as a test names it: the group, or the default action.
fn decider(policy: &CompiledPolicy, decision: &Decision) -> String {
    match decision.decided_by {
        DecidedBy::Rule { id, .. } => match policy.summary(id) {
            Some(s) => {
                let entry = s.target.map(|t| format!(", entry `{t}`")).unwrap_or_default();
                format!("group `{}` sid:{} at {}{entry}", s.group, s.sid, s.location)
            }
            None => "a rule".into(),
        },
        DecidedBy::Default { action } => format!("default action {action}"),
        DecidedBy::Nothing => "nothing (no rule, no default)".into(),
    }
}

fn decided_by_name(policy: &CompiledPolicy, decision: &Decision) -> String {
    match decision.decided_by {
        DecidedBy::Rule { id, .. } => policy.group(id).name.clone(),
        DecidedBy::Default { action } => action.as_aws().to_string(),
        DecidedBy::Nothing => "nothing".into(),
    }
}

fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "pass",
        Verdict::Drop => "drop",
        Verdict::Reject => "reject",
    }
}

fn proto_word(t: TargetType) -> &'static str {
    match t {
        TargetType::TlsSni => "tls",
        TargetType::HttpHost => "http",
        TargetType::Dns => "dns",
    }
}

/// The failures of one case (empty: it passed).
fn run_case(policy: &Arc<CompiledPolicy>, case: &Case, dir: &Path) -> Result<Vec<String>, String> {
    let mut failures = Vec::new();
    match &case.check {
        Check::Names { names, protos, expect, decided_by } => {
            let src = probe::client(policy.policy());
            for name in names {
                for &kind in protos {
                    let source = match kind {
                        TargetType::TlsSni => NameSource::TlsSni,
                        TargetType::HttpHost => NameSource::HttpHost,
                        TargetType::Dns => NameSource::DnsQuery,
                    };
                    let observed = observe_typed(source, name);
                    let packet =
                        probe::name_packet(kind, &observed.buffer, src, probe::PROBE_SERVER);
                    let decision = policy.evaluate(&packet);
                    let who = decided_by_name(policy, &decision);
                    let wrong_verdict = decision.verdict != *expect;
                    let wrong_decider = decided_by.as_ref().is_some_and(|d| *d != who);
                    if wrong_verdict || wrong_decider {
                        let wanted = match decided_by {
                            Some(d) => format!("{} by {d}", verdict_word(*expect)),
                            None => verdict_word(*expect).to_string(),
                        };
                        failures.push(format!(
                            "{name} over {}: expected {wanted}, got {} by {}",
                            proto_word(kind),
                            verdict_word(decision.verdict),
                            decider(policy, &decision)
                        ));
                    }
                }
            }
        }
        Check::Capture { path, flows } => {
            let capture = dir.join(path);
            let sim = rulesim_sim::Simulator::new(policy.clone(), rulesim_sim::Options::default());
            let replay = sim.replay_file(&capture).map_err(|e| {
                format!(
                    "error: cannot read capture `{}` ({}): {e}",
                    capture.display(),
                    case.location
                )
            })?;
            for (name, expected) in flows {
                let matching: Vec<_> = replay
                    .report
                    .flows
                    .iter()
                    .filter(|f| f.names.primary() == Some(name.as_str()))
                    .collect();
                if matching.is_empty() {
                    failures.push(format!(
                        "{name}: no flow in {} presents this name",
                        capture.display()
                    ));
                }
                for flow in matching {
                    if flow.verdict.as_str() != expected {
                        let who = match &flow.decided_by {
                            rulesim_sim::Decider::Rule { rule } => format!(
                                "group `{}` sid:{} at {}{}",
                                rule.group,
                                rule.sid,
                                rule.location,
                                rule.target
                                    .as_ref()
                                    .map(|t| format!(", entry `{t}`"))
                                    .unwrap_or_default()
                            ),
                            other => serde_json::to_string(other).unwrap_or_default(),
                        };
                        failures.push(format!(
                            "{name} (flow {}): expected {expected}, got {} by {who}",
                            flow.flow,
                            flow.verdict.as_str()
                        ));
                    }
                }
            }
        }
    }
    Ok(failures)
}
