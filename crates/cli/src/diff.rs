//! `rulesim diff OLD NEW`: which names and flows change verdict between two
//! policies, grouped by the rule now responsible, with counts.
//!
//! The names compared are every domain-list entry of either policy (the
//! entry's own name, and a name below it for leading-dot entries), plus
//! `--names FILE` (one per line); flows come from `--capture` files
//! replayed under both policies. Either side may be in any format, e.g. the
//! native file of a pull request against the deployed AWS JSON.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, ValueEnum};
use rulesim_core::lint::probe;
use rulesim_core::name::{NameSource, observe_typed};
use rulesim_core::{CompiledPolicy, DecidedBy, RulesSource, TargetType, Verdict};
use serde::Serialize;

use crate::policy_file::{self, PolicyOptions};

/// Arguments of `rulesim diff`.
#[derive(Args)]
pub(crate) struct DiffArgs {
    /// The policy before the change (any format).
    old: PathBuf,
    /// The policy after the change (any format).
    new: PathBuf,
    #[command(flatten)]
    policy_options: PolicyOptions,
    /// Captures to replay under both policies (repeatable).
    #[arg(long = "capture", value_name = "PCAP")]
    captures: Vec<PathBuf>,
    /// Extra names to compare, one per line (`#` comments).
    #[arg(long, value_name = "FILE")]
    names: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Exit 1 when anything changes verdict.
    #[arg(long)]
    fail_on_change: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Table,
    Json,
    Markdown,
}

/// One name or flow whose verdict changed.
#[derive(Serialize)]
struct Change {
    /// `tls example.com` or `capture.pcap flow 3 example.com`.
    what: String,
    before: String,
    after: String,
    /// Who decides now (group and entry, or default action).
    decided_by: String,
}

/// Runs `rulesim diff`.
pub(crate) fn run(args: &DiffArgs) -> ExitCode {
    match diff(args) {
        Ok(changes) => {
            print!("{}", render(&changes, args.format));
            if args.fail_on_change && !changes.is_empty() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(message) => {
            eprintln!("{message}");
            ExitCode::from(2)
        }
    }
}

fn diff(args: &DiffArgs) -> Result<Vec<Change>, String> {
    let old = Arc::new(policy_file::load(Some(&args.old), &args.policy_options)?);
    let new = Arc::new(policy_file::load(Some(&args.new), &args.policy_options)?);
    let mut names = BTreeSet::new();
    for policy in [&old, &new] {
        for group in &policy.policy().groups {
            if let RulesSource::DomainList(list) = &group.rules {
                for t in &list.targets {
                    names.insert(t.name.name.clone());
                    if t.name.leading_dot {
                        names.insert(format!("www.{}", t.name.name));
                    }
                }
            }
        }
    }
    if let Some(file) = &args.names {
        let text = std::fs::read_to_string(file).map_err(|e| {
            format!("error: cannot read `{}`: {e}\n  help: one name per line", file.display())
        })?;
        for line in text.lines() {
            let name = line.split('#').next().unwrap_or("").trim();
            if !name.is_empty() {
                names.insert(name.to_string());
            }
        }
    }
    let mut changes = Vec::new();
    for name in &names {
        for (kind, source, word) in [
            (TargetType::TlsSni, NameSource::TlsSni, "tls"),
            (TargetType::HttpHost, NameSource::HttpHost, "http"),
        ] {
            let observed = observe_typed(source, name);
            let verdict = |p: &CompiledPolicy| {
                let packet = probe::name_packet(
                    kind,
                    &observed.buffer,
                    probe::client(p.policy()),
                    probe::PROBE_SERVER,
                );
                p.evaluate(&packet)
            };
            let (before, after) = (verdict(&old), verdict(&new));
            if before.verdict != after.verdict {
                changes.push(Change {
                    what: format!("{word} {name}"),
                    before: word_of(before.verdict).into(),
                    after: word_of(after.verdict).into(),
                    decided_by: decider(&new, &after.decided_by),
                });
            }
        }
    }
    for capture in &args.captures {
        let replay = |p: &Arc<CompiledPolicy>| {
            rulesim_sim::Simulator::new(p.clone(), rulesim_sim::Options::default())
                .replay_file(capture)
                .map_err(|e| format!("error: cannot read capture `{}`: {e}", capture.display()))
        };
        let (before, after) = (replay(&old)?, replay(&new)?);
        for (b, a) in before.report.flows.iter().zip(&after.report.flows) {
            if b.verdict != a.verdict {
                let who = match &a.decided_by {
                    rulesim_sim::Decider::Rule { rule } => format!(
                        "group `{}` entry `{}` ({})",
                        rule.group,
                        rule.target.clone().unwrap_or_else(|| format!("sid:{}", rule.sid)),
                        rule.location
                    ),
                    other => serde_json::to_value(other)
                        .ok()
                        .and_then(|v| {
                            v.get("action")
                                .and_then(|a| a.as_str())
                                .map(|s| format!("default action {s}"))
                        })
                        .unwrap_or_else(|| "no rule".into()),
                };
                changes.push(Change {
                    what: format!(
                        "{} flow {} {}",
                        capture.display(),
                        a.flow,
                        a.names.primary().unwrap_or("(no name)")
                    ),
                    before: b.verdict.as_str().into(),
                    after: a.verdict.as_str().into(),
                    decided_by: who,
                });
            }
        }
    }
    Ok(changes)
}

fn word_of(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "pass",
        Verdict::Drop => "drop",
        Verdict::Reject => "reject",
    }
}

fn decider(policy: &CompiledPolicy, by: &DecidedBy) -> String {
    match by {
        DecidedBy::Rule { id, .. } => match policy.summary(*id) {
            Some(s) => format!(
                "group `{}` entry `{}` ({})",
                s.group,
                s.target.unwrap_or_else(|| format!("sid:{}", s.sid)),
                s.location
            ),
            None => "a rule".into(),
        },
        DecidedBy::Default { action } => format!("default action {action}"),
        DecidedBy::Nothing => "no rule".into(),
    }
}

fn render(changes: &[Change], format: Format) -> String {
    let mut groups: BTreeMap<&str, Vec<&Change>> = BTreeMap::new();
    for c in changes {
        groups.entry(c.decided_by.as_str()).or_default().push(c);
    }
    let mut out = String::new();
    match format {
        Format::Json => {
            let json: Vec<serde_json::Value> = groups
                .iter()
                .map(|(by, cs)| serde_json::json!({ "decided_by": by, "count": cs.len(), "changes": cs }))
                .collect();
            out = serde_json::to_string_pretty(
                &serde_json::json!({ "changed": changes.len(), "groups": json }),
            )
            .unwrap_or_default();
            out.push('\n');
        }
        Format::Markdown => {
            let _ = writeln!(out, "### rulesim diff: {} verdict change(s)\n", changes.len());
            for (by, cs) in &groups {
                let _ = writeln!(
                    out,
                    "**{}** ({} change(s), now decided by {by})\n",
                    cs.len(),
                    cs.len()
                );
                let _ = writeln!(out, "| name or flow | before | after |\n|---|---|---|");
                for c in cs {
                    let _ = writeln!(out, "| `{}` | {} | {} |", c.what, c.before, c.after);
                }
                out.push('\n');
            }
        }
        Format::Table => {
            for (by, cs) in &groups {
                let _ = writeln!(out, "{} change(s), now decided by {by}:", cs.len());
                for c in cs {
                    let _ = writeln!(out, "  {:<50} {:>8} -> {}", c.what, c.before, c.after);
                }
            }
            let _ = writeln!(out, "{} verdict change(s)", changes.len());
        }
    }
    out
}
