//! `rulesim lint FILES...`: review policies before they ship.
//!
//! The checks live in `rulesim_core::lint`; this module reads the files (any
//! format), adds what only the command line can know (capacities from
//! `rulesim-aws`, source ranges from `--source` and from captures), applies
//! suppression comments, and prints the findings for people (rustc-style),
//! programs (JSON), GitHub code scanning (SARIF 2.1.0) or workflow
//! annotations.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, ValueEnum};
use rulesim_core::lint::{self, Facts, Finding, Lint, Severity, suppress};
use rulesim_core::{CompiledPolicy, Policy, RulesSource};
use serde_json::{Value, json};

use crate::policy_file::{self, PolicyOptions};

/// Arguments of `rulesim lint`.
#[derive(Args)]
pub(crate) struct LintArgs {
    /// Policy files in any supported format (default: ./rulesim.yaml).
    files: Vec<PathBuf>,
    #[command(flatten)]
    policy_options: PolicyOptions,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Exit 1 when a finding is at least this severe.
    #[arg(long, value_enum, default_value = "error")]
    deny: Level,
    /// Do not report this lint (code or name; repeatable).
    #[arg(long, value_name = "LINT")]
    allow: Vec<String>,
    /// A source range the policy must judge, e.g. a spoke VPC (repeatable).
    #[arg(long = "source", value_name = "CIDR")]
    sources: Vec<String>,
    /// A capture whose client addresses the policy must judge (repeatable).
    #[arg(long = "capture", value_name = "PCAP")]
    captures: Vec<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// rustc-style, with the source line.
    Human,
    /// One JSON document.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// GitHub Actions workflow commands (annotations).
    Github,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Level {
    Note,
    Warning,
    Error,
}

impl Level {
    fn severity(self) -> Severity {
        match self {
            Level::Note => Severity::Note,
            Level::Warning => Severity::Warning,
            Level::Error => Severity::Error,
        }
    }
}

/// Runs `rulesim lint`.
pub(crate) fn run(args: &LintArgs) -> ExitCode {
    match lint_all(args) {
        Ok((findings, suppressed)) => {
            let text = match args.format {
                Format::Human => human(&findings, suppressed),
                Format::Json => json_report(&findings, suppressed),
                Format::Sarif => sarif(&findings),
                Format::Github => github(&findings),
            };
            print!("{text}");
            if lint::any_at_least(&findings, args.deny.severity()) {
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

fn lint_all(args: &LintArgs) -> Result<(Vec<Finding>, usize), String> {
    let mut allowed = Vec::new();
    for name in &args.allow {
        match Lint::find(name) {
            Some(l) => allowed.push(l),
            None => {
                return Err(format!(
                    "error: `{name}` is not a rulesim lint\n  help: use a code or name from docs/lints.md, e.g. RS302 or shared-zone-allowed"
                ));
            }
        }
    }
    if let Some(bad) = args.sources.iter().find(|t| rulesim_core::native::parse_net(t).is_none()) {
        return Err(format!(
            "error: `{bad}` is not a CIDR block\n  help: write --source 10.1.0.0/16"
        ));
    }
    let files = if args.files.is_empty() {
        vec![PathBuf::from(policy_file::DEFAULT_POLICY)]
    } else {
        args.files.clone()
    };
    let mut findings = Vec::new();
    let mut suppressed = 0;
    for file in &files {
        let (mut found, files_read) = lint_file(file, args)?;
        found.retain(|f| !allowed.contains(&f.lint));
        let mut suppressions = Vec::new();
        for read in files_read {
            let Ok(text) = std::fs::read_to_string(&read) else { continue };
            let (mut s, problems) = suppress::parse(&read, &text);
            suppressions.append(&mut s);
            found.extend(problems);
        }
        suppressed += suppress::apply(&mut found, &suppressions);
        findings.append(&mut found);
    }
    Ok((findings, suppressed))
}

/// Lints one file; returns the findings and the files they point into.
fn lint_file(file: &Path, args: &LintArgs) -> Result<(Vec<Finding>, Vec<String>), String> {
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| e.to_string());
    let loaded = rulesim_aws::load_policy(
        file,
        args.policy_options.policy_format,
        &args.policy_options.groups,
        &read,
    );
    let mut findings = match loaded {
        Ok(loaded) => {
            let facts = facts(&loaded.policy, &args.sources, &args.captures)?;
            lint::lint(&loaded.policy, &facts)
        }
        Err(errors) => match lint::from_load_errors(&errors) {
            Some(findings) => findings,
            None => return Err(policy_file::render(&errors)),
        },
    };
    lint::sort(&mut findings);
    let mut files: Vec<String> = vec![file.display().to_string()];
    for f in &findings {
        if let Some(l) = &f.location
            && l.line > 0
            && !files.iter().any(|x| **x == *l.file)
        {
            files.push(l.file.to_string());
        }
    }
    Ok((findings, files))
}

/// What the policy does not say: capacities and rule-string sizes (from
/// rulesim-aws), and the source ranges to cover.
fn facts(policy: &Policy, sources: &[String], captures: &[PathBuf]) -> Result<Facts, String> {
    let capacities =
        policy.groups.iter().map(|g| Some(rulesim_aws::render::capacity(policy, g))).collect();
    let rules_string_lengths = policy
        .groups
        .iter()
        .map(|g| match &g.rules {
            RulesSource::Rules(_) => {
                Some(rulesim_aws::render::suricata_text(policy, g).chars().count())
            }
            RulesSource::DomainList(_) => None,
        })
        .collect();
    let mut facts = Facts { capacities, rules_string_lengths, sources: Vec::new() };
    for text in sources {
        if let Some(net) = rulesim_core::native::parse_net(text) {
            facts.sources.push((net, "--source".to_string()));
        }
    }
    if !captures.is_empty() {
        observed_sources(policy, captures, &mut facts)?;
    }
    Ok(facts)
}

/// The client address of every flow in `captures`, as /32 or /128 ranges.
fn observed_sources(
    policy: &Policy,
    captures: &[PathBuf],
    facts: &mut Facts,
) -> Result<(), String> {
    let compiled = CompiledPolicy::build(policy.clone()).map_err(|e| policy_file::render(&e))?;
    let sim = rulesim_sim::Simulator::new(Arc::new(compiled), rulesim_sim::Options::default());
    let mut seen = BTreeMap::new();
    for capture in captures {
        let replay = sim.replay_file(capture).map_err(|e| {
            format!(
                "error: cannot read capture `{}`: {e}\n  help: pass a pcap or pcapng file",
                capture.display()
            )
        })?;
        for flow in &replay.report.flows {
            let src = flow.endpoints.src.to_string();
            if seen.contains_key(&src) {
                continue;
            }
            if let Some(net) = rulesim_core::native::parse_net(&src) {
                facts.sources.push((net, format!("{} flow {}", capture.display(), flow.flow)));
                seen.insert(src, ());
            }
        }
    }
    Ok(())
}

/// Source lines of the files findings point into, read once.
#[derive(Default)]
struct Sources(BTreeMap<String, Option<Vec<String>>>);

impl Sources {
    fn line(&mut self, file: &str, line: u32) -> Option<String> {
        let lines = self.0.entry(file.to_string()).or_insert_with(|| {
            std::fs::read_to_string(file).ok().map(|t| t.lines().map(str::to_string).collect())
        });
        let index = usize::try_from(line).ok()?.checked_sub(1)?;
        lines.as_ref()?.get(index).cloned()
    }
}

/// How many characters the caret underlines: the token at `column`.
fn token_width(line: &str, column: u32) -> usize {
    let rest: String = line.chars().skip(column.saturating_sub(1) as usize).collect();
    let width = match rest.chars().next() {
        Some(q @ ('\'' | '"')) => rest[1..].find(q).map_or(rest.chars().count(), |end| end + 2),
        _ => rest
            .chars()
            .take_while(|c| !c.is_whitespace() && !matches!(c, ',' | ']' | '}' | '#'))
            .count(),
    };
    width.max(1)
}

fn human(findings: &[Finding], suppressed: usize) -> String {
    let mut sources = Sources::default();
    let mut out = String::new();
    for f in findings {
        let _ = writeln!(out, "{}[{}]: {}", f.severity, f.lint.code(), f.message);
        let gutter = f.location.as_ref().map_or(1, |l| l.line.to_string().len());
        let pad = " ".repeat(gutter);
        if let Some(l) = &f.location {
            let _ = writeln!(out, "{pad}--> {l}");
            if let Some(text) = sources.line(&l.file, l.line) {
                let caret_pad = " ".repeat(l.column.saturating_sub(1) as usize);
                let carets = "^".repeat(token_width(&text, l.column));
                let _ = writeln!(out, "{pad} |");
                let _ = writeln!(out, "{} | {text}", l.line);
                let _ = writeln!(out, "{pad} | {caret_pad}{carets} {}", f.lint.name());
                let _ = writeln!(out, "{pad} |");
            }
        }
        for r in &f.related {
            let _ = writeln!(out, "{pad} = note: {}: {}", r.location, r.note);
        }
        let _ = writeln!(out, "{pad} = help: {}", f.help);
        out.push('\n');
    }
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let _ = write!(
        out,
        "{} errors, {} warnings, {} notes",
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Note)
    );
    if suppressed > 0 {
        let _ = write!(out, " ({suppressed} suppressed)");
    }
    out.push('\n');
    out
}

fn location_json(l: &rulesim_core::Location) -> Value {
    json!({ "file": &*l.file, "line": l.line, "column": l.column })
}

fn json_report(findings: &[Finding], suppressed: usize) -> String {
    let items: Vec<Value> = findings
        .iter()
        .map(|f| {
            json!({
                "code": f.lint.code(),
                "name": f.lint.name(),
                "severity": f.severity.as_str(),
                "message": f.message,
                "help": f.help,
                "location": f.location.as_ref().map(location_json),
                "related": f.related.iter().map(|r| json!({
                    "location": location_json(&r.location),
                    "note": r.note,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let report = json!({
        "findings": items,
        "summary": {
            "errors": count(Severity::Error),
            "warnings": count(Severity::Warning),
            "notes": count(Severity::Note),
            "suppressed": suppressed,
        },
    });
    format!("{}\n", serde_json::to_string_pretty(&report).unwrap_or_default())
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Note => "note",
        Severity::Warning => "warning",
        Severity::Error => "error",
    }
}

/// A SARIF `location` (a file and, when known, a line and column).
fn sarif_location(l: &rulesim_core::Location, message: Option<&str>) -> Value {
    let mut physical = json!({ "artifactLocation": { "uri": l.file.replace('\\', "/") } });
    if l.line > 0 {
        physical["region"] = json!({ "startLine": l.line, "startColumn": l.column.max(1) });
    }
    let mut location = json!({ "physicalLocation": physical });
    if let Some(m) = message {
        location["message"] = json!({ "text": m });
    }
    location
}

/// SARIF 2.1.0: one run, every lint as a rule, every finding as a result.
fn sarif(findings: &[Finding]) -> String {
    let rules: Vec<Value> = Lint::ALL
        .iter()
        .map(|l| {
            json!({
                "id": l.code(),
                "name": l.name(),
                "shortDescription": { "text": l.summary() },
                "fullDescription": { "text": l.summary() },
                "help": { "text": l.help() },
                "helpUri": format!("https://example.invalid/rulesim/docs/lints.md#{}-{}", l.code().to_ascii_lowercase(), l.name()),
                "defaultConfiguration": { "level": sarif_level(l.default_severity()) },
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let index = Lint::ALL.iter().position(|l| *l == f.lint).unwrap_or(0);
            let mut result = json!({
                "ruleId": f.lint.code(),
                "ruleIndex": index,
                "level": sarif_level(f.severity),
                "message": { "text": format!("{}\nhelp: {}", f.message, f.help) },
            });
            if let Some(l) = &f.location {
                result["locations"] = json!([sarif_location(l, None)]);
            }
            if !f.related.is_empty() {
                let related: Vec<Value> = f
                    .related
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        let mut v = sarif_location(&r.location, Some(&r.note));
                        v["id"] = json!(i);
                        v
                    })
                    .collect();
                result["relatedLocations"] = json!(related);
            }
            result
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "rulesim",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://example.invalid/rulesim",
                    "rules": rules,
                }
            },
            "results": results,
        }],
    });
    format!("{}\n", serde_json::to_string_pretty(&log).unwrap_or_default())
}

/// Escapes a workflow command's message (GitHub: `%`, CR, LF).
fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a workflow command's property value (also `:` and `,`).
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub Actions annotations: `::warning file=F,line=L,col=C,title=T::message`.
fn github(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let mut properties = Vec::new();
        if let Some(l) = &f.location {
            properties.push(format!("file={}", escape_property(&l.file)));
            if l.line > 0 {
                properties.push(format!("line={}", l.line));
                properties.push(format!("col={}", l.column));
            }
        }
        properties.push(format!(
            "title={}",
            escape_property(&format!("{} {}", f.lint.code(), f.lint.name()))
        ));
        let message = escape_data(&format!("{}\nhelp: {}", f.message, f.help));
        let _ = writeln!(out, "::{command} {}::{message}", properties.join(","));
    }
    out
}
