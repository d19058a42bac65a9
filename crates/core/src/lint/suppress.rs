//! Inline suppressions for the native format (and the list files it
//! includes): a comment naming the lints to allow and why.
//!
//! ```yaml
//! allow:
//!   # rulesim: allow(RS302) reason: build artefacts come from our own bucket; VPC endpoint planned
//!   - .s3.amazonaws.com
//!   - example.com   # rulesim: allow(exact-apex-target) reason: only the apex serves the API
//! ```
//!
//! A comment on a line of its own applies to the next line that is not
//! blank or a comment; a comment after content applies to its own line. A
//! lint is named by code or by name, several separated by commas. The
//! reason is required: a suppression without one is itself a finding
//! ([`Lint::SuppressionWithoutReason`]), and does not suppress anything.
//! The comments are YAML comments, so the policy reader never sees them.

use std::sync::Arc;

use crate::lint::{Finding, Lint};
use crate::source::Location;

/// One `rulesim: allow(...)` comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    /// Where the comment is.
    pub at: Location,
    /// The line it applies to (1-based).
    pub applies_to: u32,
    /// The lints it allows.
    pub lints: Vec<Lint>,
    /// Why.
    pub reason: String,
}

const MARKER: &str = "rulesim:";

/// Reads the suppression comments of `text` (the file `file`). Malformed
/// ones are returned as findings.
pub fn parse(file: &str, text: &str) -> (Vec<Suppression>, Vec<Finding>) {
    let file: Arc<str> = Arc::from(file);
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut findings = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let Some(hash) = comment_start(line) else { continue };
        let comment = line[hash + 1..].trim();
        let Some(rest) = comment.strip_prefix(MARKER) else { continue };
        let rest = rest.trim_start();
        let Some(rest) = rest.strip_prefix("allow(") else { continue };
        let column = line[..hash].chars().count() as u32 + 1;
        let at = Location::new(file.clone(), index as u32 + 1, column);
        let Some((names, after)) = rest.split_once(')') else {
            findings.push(Finding::new(
                Lint::UnknownSuppression,
                Some(at),
                "the suppression's `allow(` is not closed",
                "write `# rulesim: allow(RS302) reason: ...`",
            ));
            continue;
        };
        let mut lints = Vec::new();
        for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match Lint::find(name) {
                Some(lint) => lints.push(lint),
                None => findings.push(Finding::new(
                    Lint::UnknownSuppression,
                    Some(at.clone()),
                    format!("`{name}` is not a rulesim lint"),
                    Lint::UnknownSuppression.help(),
                )),
            }
        }
        let reason =
            after.trim().strip_prefix("reason:").map(str::trim).unwrap_or_default().to_string();
        if reason.is_empty() {
            findings.push(Finding::new(
                Lint::SuppressionWithoutReason,
                Some(at),
                format!("suppression of `{}` gives no reason", names.trim()),
                Lint::SuppressionWithoutReason.help(),
            ));
            continue;
        }
        let own_line = line[..hash].trim().is_empty();
        let applies_to = if own_line {
            lines
                .iter()
                .enumerate()
                .skip(index + 1)
                .find(|(_, l)| {
                    let t = l.trim();
                    !t.is_empty() && !t.starts_with('#')
                })
                .map_or(index + 1, |(i, _)| i + 1)
        } else {
            index + 1
        };
        if !lints.is_empty() {
            out.push(Suppression { at, applies_to: applies_to as u32, lints, reason });
        }
    }
    (out, findings)
}

/// Where a `#` comment starts on a YAML or list-file line, ignoring `#`
/// inside quotes.
fn comment_start(line: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut previous = ' ';
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '#' && (i == 0 || previous.is_whitespace()) => return Some(i),
            None => {}
        }
        previous = c;
    }
    None
}

/// Removes the findings `suppressions` allow; returns how many were removed.
pub fn apply(findings: &mut Vec<Finding>, suppressions: &[Suppression]) -> usize {
    let before = findings.len();
    findings.retain(|f| {
        let Some(location) = &f.location else { return true };
        !suppressions.iter().any(|s| {
            s.at.file == location.file && s.applies_to == location.line && s.lints.contains(&f.lint)
        })
    });
    before - findings.len()
}
