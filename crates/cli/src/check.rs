//! `rulesim check NAME...`: the verdict for names, without a capture.
//!
//! Each name becomes the packet that would carry it: a completed TLS
//! ClientHello, an HTTP request or a DNS query from a `HOME_NET` client to an
//! external server, on an established flow (a DNS query is the flow's first
//! packet). The answer is what AWS does with that packet and why.

use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use rulesim_core::lint::probe;
use rulesim_core::name::{Changes, NameSource, observe_typed};
use rulesim_core::{
    AlertSource, CompiledPolicy, DecidedBy, Decision, RuleSummary, TargetType, Verdict,
};
use serde::Serialize;

use crate::policy_file;

/// Arguments of `rulesim check`.
#[derive(Args)]
pub(crate) struct CheckArgs {
    /// Names to check, as a client would send them.
    #[arg(required = true)]
    names: Vec<String>,
    /// Policy file (default: ./rulesim.yaml).
    #[arg(long, short)]
    policy: Option<PathBuf>,
    #[command(flatten)]
    policy_options: policy_file::PolicyOptions,
    /// Where the name is seen; repeat or separate with commas for several.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "tls")]
    proto: Vec<Proto>,
    /// Client address (default: the first address of HOME_NET).
    #[arg(long)]
    src: Option<IpAddr>,
    /// Server address (default: 198.51.100.1, an external documentation address).
    #[arg(long)]
    dst: Option<IpAddr>,
    /// List every matching rule in evaluation order, and what normalisation did.
    #[arg(long)]
    explain: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
enum Proto {
    /// TLS ClientHello SNI (HTTPS).
    Tls,
    /// HTTP Host header.
    Http,
    /// DNS query name.
    Dns,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// One name's result, as `--format json` prints it.
#[derive(Serialize)]
struct Outcome {
    name: String,
    proto: Proto,
    /// The buffer the rules saw.
    buffer: String,
    changes: Changes,
    verdict: Verdict,
    decided_by: Decider,
    alerts: Vec<Alert>,
    #[serde(skip_serializing_if = "Option::is_none")]
    matches: Option<Vec<MatchInfo>>,
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Decider {
    Rule { rule: RuleSummary, flow_scope: bool },
    Default { action: String },
    Nothing,
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Alert {
    Rule { rule: RuleSummary },
    Default { action: String },
}

#[derive(Serialize)]
struct MatchInfo {
    rule: RuleSummary,
    decisive: bool,
}

/// Runs `rulesim check`.
pub(crate) fn run(args: &CheckArgs) -> ExitCode {
    let policy = match policy_file::load(args.policy.as_deref(), &args.policy_options) {
        Ok(p) => p,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let src = args.src.unwrap_or_else(|| probe::client(policy.policy()));
    let dst = args.dst.unwrap_or(probe::PROBE_SERVER);
    let mut outcomes = Vec::new();
    for name in &args.names {
        if name.trim().is_empty() {
            eprintln!(
                "error: an empty name was given\n  help: pass names such as `en.wikipedia.org`"
            );
            return ExitCode::from(2);
        }
        for &proto in &args.proto {
            outcomes.push(check_one(&policy, name, proto, src, dst, args.explain));
        }
    }
    match args.format {
        Format::Json => match serde_json::to_string_pretty(&outcomes) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("error: cannot write JSON: {e}");
                return ExitCode::from(2);
            }
        },
        Format::Text => print!("{}", text_report(&outcomes, args.explain)),
    }
    ExitCode::SUCCESS
}

fn check_one(
    policy: &CompiledPolicy,
    name: &str,
    proto: Proto,
    src: IpAddr,
    dst: IpAddr,
    explain: bool,
) -> Outcome {
    let source = match proto {
        Proto::Tls => NameSource::TlsSni,
        Proto::Http => NameSource::HttpHost,
        Proto::Dns => NameSource::DnsQuery,
    };
    let observed = observe_typed(source, name);
    let kind = match proto {
        Proto::Tls => TargetType::TlsSni,
        Proto::Http => TargetType::HttpHost,
        Proto::Dns => TargetType::Dns,
    };
    let obs = probe::name_packet(kind, &observed.buffer, src, dst);
    let (matches, decision) = if explain {
        let (matches, decision) = policy.explain(&obs);
        let infos = matches
            .iter()
            .filter_map(|m| Some(MatchInfo { rule: policy.summary(m.id)?, decisive: m.decisive }))
            .collect();
        (Some(infos), decision)
    } else {
        (None, policy.evaluate(&obs))
    };
    outcome(policy, name, proto, &observed, decision, matches)
}

fn outcome(
    policy: &CompiledPolicy,
    name: &str,
    proto: Proto,
    observed: &rulesim_core::name::Observed,
    decision: Decision,
    matches: Option<Vec<MatchInfo>>,
) -> Outcome {
    let decided_by = match decision.decided_by {
        DecidedBy::Rule { id, flow_scope } => match policy.summary(id) {
            Some(rule) => Decider::Rule { rule, flow_scope },
            None => Decider::Nothing,
        },
        DecidedBy::Default { action } => Decider::Default { action: action.as_aws().into() },
        DecidedBy::Nothing => Decider::Nothing,
    };
    let alerts = decision
        .alerts
        .iter()
        .filter_map(|a| match a {
            AlertSource::Rule { id, .. } => policy.summary(*id).map(|rule| Alert::Rule { rule }),
            AlertSource::Default { action } => {
                Some(Alert::Default { action: action.as_aws().into() })
            }
        })
        .collect();
    Outcome {
        name: name.to_string(),
        proto,
        buffer: observed.display(),
        changes: observed.changes,
        verdict: decision.verdict,
        decided_by,
        alerts,
        matches,
    }
}

fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "PASS",
        Verdict::Drop => "DROP",
        Verdict::Reject => "REJECT",
    }
}

fn proto_word(p: Proto) -> &'static str {
    match p {
        Proto::Tls => "tls",
        Proto::Http => "http",
        Proto::Dns => "dns",
    }
}

fn describe_rule(rule: &RuleSummary) -> String {
    let target = rule.target.as_deref().map(|t| format!(", entry `{t}`")).unwrap_or_default();
    format!("{} sid:{} \"{}\" ({}{target})", rule.group, rule.sid, rule.msg, rule.location)
}

fn text_report(outcomes: &[Outcome], explain: bool) -> String {
    let width = outcomes.iter().map(|o| o.name.chars().count()).max().unwrap_or(0);
    let mut out = String::new();
    for o in outcomes {
        let reason = match &o.decided_by {
            Decider::Rule { rule, .. } => format!("rule {}", describe_rule(rule)),
            Decider::Default { action } => format!("default action {action} (no rule decided)"),
            Decider::Nothing => "no rule matched and no default action applies".into(),
        };
        let _ = writeln!(
            out,
            "{:<width$}  {:<4}  {:<6}  {reason}",
            o.name,
            proto_word(o.proto),
            verdict_word(o.verdict)
        );
        if !explain && !o.changes.is_empty() {
            let _ = writeln!(out, "    note: {:?}: {}", o.buffer, o.changes);
        }
        if explain {
            if o.changes.is_empty() {
                let _ = writeln!(out, "    buffer: {:?}", o.buffer);
            } else {
                let _ = writeln!(out, "    buffer: {:?} ({})", o.buffer, o.changes);
            }
            match &o.matches {
                Some(ms) if !ms.is_empty() => {
                    let _ = writeln!(out, "    matching rules, in evaluation order:");
                    let mut stopped = false;
                    for (i, m) in ms.iter().enumerate() {
                        let note = if m.decisive && !stopped {
                            stopped = true;
                            "  <- decides"
                        } else if stopped {
                            "  (not reached)"
                        } else {
                            ""
                        };
                        let _ = writeln!(
                            out,
                            "    {}. {} {}{note}",
                            i + 1,
                            m.rule.action,
                            describe_rule(&m.rule)
                        );
                        let _ = writeln!(out, "       {}", m.rule.text);
                    }
                }
                _ => {
                    let _ = writeln!(out, "    no rule matches");
                }
            }
            for alert in &o.alerts {
                match alert {
                    Alert::Rule { rule } => {
                        let _ = writeln!(out, "    alert logged: {}", describe_rule(rule));
                    }
                    Alert::Default { action } => {
                        let _ = writeln!(out, "    alert logged: default action {action}");
                    }
                }
            }
        }
    }
    out
}
