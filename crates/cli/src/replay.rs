//! `rulesim replay CAPTURE...`: what AWS would do to every packet and flow.
//!
//! The product's main job. Captures (files, or directories searched for
//! `.pcap`/`.pcapng`/`.cap`) are replayed against the policy; the output is a
//! summary (flows by verdict, top blocked names, findings) and a per-flow
//! table, or JSON for machines, plus AWS-format ALERT and FLOW logs with
//! `--eve`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use clap::{Args, ValueEnum};
use rulesim_sim::report::FlowReport;
use rulesim_sim::{Decider, FlowVerdict, Options, Progress, Replay, Simulator};

use crate::policy_file;

/// Arguments of `rulesim replay`.
#[derive(Args)]
pub(crate) struct ReplayArgs {
    /// Capture files (pcap, pcapng) or directories holding them.
    #[arg(required = true)]
    captures: Vec<PathBuf>,
    /// Policy file (default: ./rulesim.yaml).
    #[arg(long, short)]
    policy: Option<PathBuf>,
    #[command(flatten)]
    policy_options: policy_file::PolicyOptions,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Write AWS Network Firewall ALERT and FLOW log records (alert.json,
    /// flow.json, one JSON record per line) into this directory.
    #[arg(long, value_name = "DIR")]
    eve: Option<PathBuf>,
    /// Exit 1 when a flow is blocked, or when any finding is reported.
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Summary and per-flow table.
    Text,
    /// One JSON document with every capture's report.
    Json,
    /// One JSON line per flow.
    Jsonl,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOn {
    /// A flow was blocked or rejected.
    Blocked,
    /// Any finding was reported.
    Finding,
}

/// Runs `rulesim replay`.
pub(crate) fn run(args: &ReplayArgs) -> ExitCode {
    let policy = match policy_file::load(args.policy.as_deref(), &args.policy_options) {
        Ok(p) => p,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let captures = match find_captures(&args.captures) {
        Ok(c) => c,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let threads =
        args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let progress = ProgressBar::start(&captures);
    let options = Options {
        threads,
        progress: progress.as_ref().map(ProgressBar::callback),
        ..Options::default()
    };
    let simulator = Simulator::new(Arc::new(policy), options);
    let results = simulator.replay_files(&captures);
    if let Some(p) = progress {
        p.finish();
    }

    let mut replays = Vec::new();
    let mut failed = false;
    for result in results {
        match result {
            Ok(replay) => {
                if let Some(damage) = &replay.report.damage {
                    eprintln!("warning: {damage}; flows before the damage are reported");
                }
                replays.push(replay);
            }
            Err(e) => {
                eprintln!("error: {e}");
                failed = true;
            }
        }
    }
    if let Some(dir) = &args.eve
        && let Err(e) = write_eve(dir, &replays)
    {
        eprintln!("error: cannot write logs to {}: {e}", dir.display());
        return ExitCode::from(2);
    }
    if let Err(e) = print(&replays, args.format)
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    if failed {
        return ExitCode::from(2);
    }
    let flows = || replays.iter().flat_map(|r| &r.report.flows);
    let fail = match args.fail_on {
        Some(FailOn::Blocked) => {
            flows().any(|f| matches!(f.verdict, FlowVerdict::Blocked | FlowVerdict::Rejected))
        }
        Some(FailOn::Finding) => flows().any(|f| !f.findings.is_empty()),
        None => false,
    };
    if fail { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

/// Expands directories into the captures they hold, sorted.
fn find_captures(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input)
            .map_err(|e| format!("cannot read `{}`: {e}", input.display()))?;
        if meta.is_dir() {
            let mut found = Vec::new();
            collect(input, &mut found)
                .map_err(|e| format!("cannot list `{}`: {e}", input.display()))?;
            if found.is_empty() {
                return Err(format!("`{}` holds no .pcap, .pcapng or .cap file", input.display()));
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(input.clone());
        }
    }
    Ok(out)
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("pcap" | "pcapng" | "cap")
        ) {
            out.push(path);
        }
    }
    Ok(())
}

/// A byte-count progress bar on stderr, for terminals only.
struct ProgressBar {
    total: u64,
    done: Arc<AtomicU64>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ProgressBar {
    /// Starts a bar when stderr is a terminal and there is enough to read.
    fn start(captures: &[PathBuf]) -> Option<ProgressBar> {
        let total: u64 =
            captures.iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum();
        if !std::io::stderr().is_terminal() || total < 32 << 20 {
            return None;
        }
        let done = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (d, s) = (Arc::clone(&done), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                let read = d.load(Ordering::Relaxed).min(total);
                let width = 40;
                let filled = (read as f64 / total as f64 * width as f64) as usize;
                eprint!(
                    "\r[{}{}] {:>3}% {} / {} MB",
                    "#".repeat(filled),
                    " ".repeat(width - filled),
                    read * 100 / total.max(1),
                    read >> 20,
                    total >> 20
                );
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
            eprint!("\r{}\r", " ".repeat(70));
        });
        Some(ProgressBar { total, done, stop, thread: Some(thread) })
    }

    fn callback(&self) -> Progress {
        let done = Arc::clone(&self.done);
        Progress(Arc::new(move |n| {
            done.fetch_add(n, Ordering::Relaxed);
        }))
    }

    fn finish(mut self) {
        let _ = self.total;
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn write_eve(dir: &Path, replays: &[Replay]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut alerts = std::io::BufWriter::new(std::fs::File::create(dir.join("alert.json"))?);
    let mut flows = std::io::BufWriter::new(std::fs::File::create(dir.join("flow.json"))?);
    for replay in replays {
        for record in &replay.alert_logs {
            serde_json::to_writer(&mut alerts, record)?;
            alerts.write_all(b"\n")?;
        }
        for record in replay.flow_logs() {
            serde_json::to_writer(&mut flows, &record)?;
            flows.write_all(b"\n")?;
        }
    }
    alerts.flush()?;
    flows.flush()
}

fn print(replays: &[Replay], format: Format) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match format {
        Format::Json => {
            let reports: Vec<_> = replays.iter().map(|r| &r.report).collect();
            serde_json::to_writer_pretty(&mut out, &reports)?;
            out.write_all(b"\n")?;
        }
        Format::Jsonl => {
            for replay in replays {
                for flow in &replay.report.flows {
                    let line = serde_json::json!({ "file": replay.report.file, "flow": flow });
                    serde_json::to_writer(&mut out, &line)?;
                    out.write_all(b"\n")?;
                }
            }
        }
        Format::Text => {
            let colour = std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            out.write_all(text(replays, colour).as_bytes())?;
        }
    }
    out.flush()
}

fn paint(text: &str, code: &str, colour: bool) -> String {
    if colour { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() }
}

fn verdict_colour(v: FlowVerdict) -> &'static str {
    match v {
        FlowVerdict::Allowed => "32",
        FlowVerdict::AllowedWithDrops => "33",
        FlowVerdict::Blocked | FlowVerdict::Rejected => "31",
    }
}

fn decider_text(d: &Decider) -> String {
    match d {
        Decider::Rule { rule } => {
            let target = rule.target.as_deref().map(|t| format!(" `{t}`")).unwrap_or_default();
            format!("{} sid:{}{target} ({})", rule.group, rule.sid, rule.location)
        }
        Decider::DefaultAction { action } => format!("default {action}"),
        Decider::StatelessDefault { action } => format!("stateless default {action}"),
        Decider::StreamExceptionPolicy { action } => format!("stream exception policy {action}"),
        Decider::NoMatch => "no rule matched".into(),
    }
}

fn text(replays: &[Replay], colour: bool) -> String {
    let mut out = String::new();
    let all: Vec<&FlowReport> = replays.iter().flat_map(|r| &r.report.flows).collect();
    let packets: u64 = replays.iter().map(|r| r.report.packets).sum();
    let dropped: u64 = replays.iter().map(|r| r.report.dropped_packets).sum();
    let mut by_verdict: BTreeMap<FlowVerdict, usize> = BTreeMap::new();
    for f in &all {
        *by_verdict.entry(f.verdict).or_default() += 1;
    }
    let _ = writeln!(
        out,
        "{} capture(s), {packets} packets ({dropped} dropped), {} flows: {}",
        replays.len(),
        all.len(),
        by_verdict
            .iter()
            .map(|(v, n)| paint(
                &format!("{n} {}", v.as_str().replace('_', " ")),
                verdict_colour(*v),
                colour
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut blocked: BTreeMap<&str, usize> = BTreeMap::new();
    for f in
        all.iter().filter(|f| matches!(f.verdict, FlowVerdict::Blocked | FlowVerdict::Rejected))
    {
        *blocked
            .entry(f.names.primary().filter(|n| !n.is_empty()).unwrap_or("(no name)"))
            .or_default() += 1;
    }
    if !blocked.is_empty() {
        let mut top: Vec<_> = blocked.into_iter().collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let _ = writeln!(out, "\ntop blocked names:");
        for (name, n) in top.iter().take(10) {
            let _ = writeln!(out, "  {n:>5}  {name}");
        }
    }
    let mut findings: BTreeMap<String, usize> = BTreeMap::new();
    for f in &all {
        for finding in &f.findings {
            let kind = serde_json::to_value(finding)
                .ok()
                .and_then(|v| v["kind"].as_str().map(String::from))
                .unwrap_or_default();
            *findings.entry(kind).or_default() += 1;
        }
    }
    if !findings.is_empty() {
        let _ = writeln!(out, "\nfindings:");
        for (kind, n) in &findings {
            let _ = writeln!(out, "  {n:>5}  {}", kind.replace('_', " "));
        }
    }
    for replay in replays {
        let _ = writeln!(out, "\n{}", replay.report.file);
        for f in &replay.report.flows {
            let e = &f.endpoints;
            let name = f.names.primary().filter(|n| !n.is_empty()).unwrap_or("-");
            let verdict =
                paint(&format!("{:<18}", f.verdict.as_str()), verdict_colour(f.verdict), colour);
            let _ = writeln!(
                out,
                "  {:>4} {} {} -> {} {:<4} {:<28} {verdict} {}",
                f.flow,
                e.transport,
                std::net::SocketAddr::new(e.src, e.sport),
                std::net::SocketAddr::new(e.dst, e.dport),
                f.app.unwrap_or("-"),
                name,
                decider_text(&f.decided_by)
            );
            if !f.dropped.is_empty() && f.verdict == FlowVerdict::AllowedWithDrops {
                let list: Vec<String> = f.dropped.iter().map(u64::to_string).collect();
                let _ = writeln!(out, "         dropped packets: {}", list.join(", "));
            }
            for finding in &f.findings {
                let _ = writeln!(out, "         ! {}", finding.describe());
            }
        }
        if replay.report.flowless.packets > 0 {
            let _ = writeln!(
                out,
                "  {} packet(s) outside TCP/UDP flows, {} dropped",
                replay.report.flowless.packets,
                replay.report.flowless.dropped.len()
            );
        }
    }
    out
}
