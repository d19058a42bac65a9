//! `rulesim flows CAPTURE...`: one line per flow with the names a domain
//! firewall sees (TLS/QUIC SNI, HTTP Host, DNS questions) and notes on how
//! they were sent. The decoding and the per-flow record live in
//! `rulesim_wire::summary`; this module only prints.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use rulesim_wire::summary::{FlowSummary, summarize_file};

/// Arguments of `rulesim flows`.
#[derive(Args)]
pub(crate) struct FlowsArgs {
    /// Capture files (pcap or pcapng).
    #[arg(required = true)]
    captures: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

/// How flows are printed.
#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// Aligned columns for people.
    Table,
    /// One JSON object per flow (the keys of pcaps/expected.jsonl).
    Jsonl,
}

/// Runs `rulesim flows`: 0 when every capture was read to its end, 2 when a
/// capture could not be read or was damaged (the flows before the damage
/// are still printed).
pub(crate) fn run(args: &FlowsArgs) -> ExitCode {
    let mut code = ExitCode::SUCCESS;
    let mut rows: Vec<FlowSummary> = Vec::new();
    for path in &args.captures {
        match summarize_file(path) {
            Ok(s) => {
                if let Some(damage) = &s.damage {
                    eprintln!("rulesim flows: {damage}");
                    code = ExitCode::from(2);
                }
                rows.extend(s.flows);
            }
            Err(e) => {
                eprintln!("rulesim flows: {e}");
                code = ExitCode::from(2);
            }
        }
    }
    let out = match args.format {
        Format::Jsonl => rows
            .iter()
            .filter_map(|r| serde_json::to_string(r).ok())
            .map(|l| l + "\n")
            .collect::<String>(),
        Format::Table if rows.is_empty() => String::new(),
        Format::Table => table(&rows, args.captures.len() > 1),
    };
    // A closed pipe (`| head`) is not an error worth a message.
    let _ = std::io::stdout().write_all(out.as_bytes());
    code
}

fn table(rows: &[FlowSummary], with_file: bool) -> String {
    let join = |v: &[String]| if v.is_empty() { "-".to_owned() } else { v.join(",") };
    let endpoint = |ip: &str, port: u16| {
        if ip.contains(':') { format!("[{ip}]:{port}") } else { format!("{ip}:{port}") }
    };
    let mut cells: Vec<Vec<String>> = vec![
        ["FILE", "FLOW", "PROTO", "CLIENT", "SERVER", "APP", "SNI", "HOSTS", "QNAMES", "NOTES"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
    ];
    for r in rows {
        let sni: Vec<String> =
            r.sni_all.iter().map(|s| s.clone().unwrap_or_else(|| "(none)".to_owned())).collect();
        let qnames: Vec<String> =
            r.dns_qnames.iter().zip(&r.dns_qtypes).map(|(n, t)| format!("{n}/{t}")).collect();
        let proto = serde_json::to_value(r.transport).ok();
        let app = serde_json::to_value(r.app).ok();
        let text = |v: Option<serde_json::Value>| {
            v.and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
        };
        cells.push(vec![
            r.file.clone(),
            r.flow.to_string(),
            text(proto),
            endpoint(&r.src, r.sport),
            endpoint(&r.dst, r.dport),
            text(app),
            join(&sni),
            join(&r.http_hosts),
            join(&qnames),
            if r.notes.is_empty() { String::new() } else { r.notes.join("; ") },
        ]);
    }
    let skip = usize::from(!with_file);
    let cols = cells[0].len();
    let widths: Vec<usize> = (0..cols)
        .map(|c| cells.iter().map(|row| row[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in &cells {
        let mut line = String::new();
        for c in skip..cols {
            if c + 1 == cols {
                line.push_str(&row[c]);
            } else {
                line.push_str(&format!("{:<w$}  ", row[c], w = widths[c]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
