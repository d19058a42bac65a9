//! The linter: what a reviewer should catch in a policy before it ships.
//!
//! Policies change in pull requests, and the mistakes that hurt are the ones
//! that look right: `*.example.com` (DNS Firewall syntax, literal in Network
//! Firewall), `example.com` without its leading dot, `.amazonaws.com` (every
//! customer's bucket), `aws:drop_strict` with a domain allowlist, a HOME_NET
//! that misses a spoke VPC. Each check is a [`Lint`] with a stable code, a
//! default [`Severity`], a one-line summary and a fix, documented in
//! `docs/lints.md`.
//!
//! The linter works on the [`Policy`] model and, where a claim is about
//! behaviour ("an earlier group decides every name this entry could match",
//! "the same name is allowed and denied"), proves it on the
//! [`CompiledPolicy`] with [`CompiledPolicy::explain`] instead of
//! re-implementing suffix matching. It does no I/O: what only the caller can
//! know (AWS capacities, rule-string sizes, source addresses seen in
//! captures or declared by the user) comes in through [`Facts`].
//!
//! Checks live by topic: [`mod@domains`] (the entries of domain lists),
//! `order` (shadowing and contradictions), `settings` (default actions,
//! engine options, HOME_NET, limits). Suppression comments for the native
//! format are read by [`suppress`].

mod catalogue;
pub mod domains;
mod order;
pub mod probe;
mod settings;
pub mod suppress;
pub mod zones;

use ipnet::IpNet;
use serde::Serialize;

pub use catalogue::{Lint, Severity};

use crate::compile::CompiledPolicy;
use crate::error::{Error, ErrorKind, Errors};
use crate::name::{NameErrorKind, parse_target};
use crate::policy::Policy;
use crate::source::Location;

/// One problem found, where it is and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Which check found it.
    pub lint: Lint,
    /// How serious it is (the lint's default unless configured).
    pub severity: Severity,
    /// What is wrong here, in one line.
    pub message: String,
    /// What to write instead, specific to this finding.
    pub help: String,
    /// Where (absent for findings about the policy as a whole when it has no file).
    pub location: Option<Location>,
    /// Other places involved (the broader entry, the winning rule), with a note each.
    pub related: Vec<Related>,
}

/// A secondary location of a [`Finding`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Related {
    /// Where.
    pub location: Location,
    /// What is there.
    pub note: String,
}

impl Finding {
    /// A finding of `lint` at its default severity.
    pub fn new(
        lint: Lint,
        location: Option<Location>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Finding {
        Finding {
            lint,
            severity: lint.default_severity(),
            message: message.into(),
            help: help.into(),
            location,
            related: Vec::new(),
        }
    }

    /// Adds a related location.
    pub fn with_related(mut self, location: Location, note: impl Into<String>) -> Finding {
        self.related.push(Related { location, note: note.into() });
        self
    }
}

/// What the caller knows and the policy does not say.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    /// Per group (same index as [`Policy::groups`]): the capacity AWS
    /// would consume, from `rulesim-aws`'s capacity formula.
    pub capacities: Vec<Option<u32>>,
    /// Per group: the length in characters of its Suricata rules string.
    pub rules_string_lengths: Vec<Option<usize>>,
    /// Source ranges whose traffic the policy must judge, and where each
    /// came from (`--source 10.1.0.0/16`, `capture.pcap flow 3`).
    pub sources: Vec<(IpNet, String)>,
}

/// Runs every check on `policy`. Findings come in source order (findings
/// without a location first), each at its lint's default severity.
pub fn lint(policy: &Policy, facts: &Facts) -> Vec<Finding> {
    let mut findings = Vec::new();
    domains::check(policy, &mut findings);
    settings::check(policy, facts, &mut findings);
    let structural =
        findings.iter().any(|f| f.severity == Severity::Error && is_structural(f.lint));
    // The behavioural checks need a compiled policy; when the structure is
    // already known to be invalid, the compiler would only repeat it.
    if !structural {
        match CompiledPolicy::build(policy.clone()) {
            Ok(compiled) => {
                order::check(&compiled, &mut findings);
                domains::check_cdns(&compiled, &mut findings);
            }
            Err(errors) => findings.extend(errors.iter().map(from_build_error)),
        }
    }
    sort(&mut findings);
    findings
}

/// Lints the compiler would also reject: when one fires, compiling is skipped.
fn is_structural(lint: Lint) -> bool {
    matches!(
        lint,
        Lint::InvalidDefaultActions
            | Lint::GroupRuleOrderMismatch
            | Lint::PriorityInStrictOrder
            | Lint::DuplicateGroupPriority
    )
}

/// Sorts findings by file, line and column; findings without a location first.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        let key = |f: &Finding| f.location.as_ref().map(|l| (l.file.clone(), l.line, l.column));
        key(a).cmp(&key(b)).then(a.lint.cmp(&b.lint))
    });
}

fn from_build_error(error: &Error) -> Finding {
    let lint = match error.kind() {
        ErrorKind::UndefinedVariable => Lint::UndefinedVariable,
        _ => Lint::InvalidPolicy,
    };
    let help = error.hint().unwrap_or(lint.help()).to_string();
    Finding::new(lint, error.location().cloned(), error.message(), help)
}

/// Turns the errors of a policy that could not be read into findings, when
/// every one of them is a bad domain-list entry (which the readers reject,
/// and which is exactly what a linter should explain). Returns `None` when
/// some error is of another kind: the input itself is broken.
pub fn from_load_errors(errors: &Errors) -> Option<Vec<Finding>> {
    let mut findings = Vec::new();
    for error in errors.iter() {
        if error.kind() != ErrorKind::InvalidName {
            return None;
        }
        findings.push(Finding::new(
            name_error_lint(error.message()),
            error.location().cloned(),
            error.message(),
            error.hint().unwrap_or_default(),
        ));
    }
    sort(&mut findings);
    Some(findings)
}

/// Which lint a reader's name error belongs to. The reader's message quotes
/// the entry in backticks; parsing it again gives the kind.
fn name_error_lint(message: &str) -> Lint {
    let written = message.split('`').nth(1).unwrap_or_default();
    match parse_target(written) {
        Err(e)
            if matches!(
                e.kind(),
                NameErrorKind::Wildcard
                    | NameErrorKind::Scheme
                    | NameErrorKind::Path
                    | NameErrorKind::Port
            ) =>
        {
            Lint::ForeignSyntax
        }
        _ => Lint::InvalidDomain,
    }
}

/// Whether any finding is at least `level` (the `--deny` threshold).
pub fn any_at_least(findings: &[Finding], level: Severity) -> bool {
    findings.iter().any(|f| f.severity >= level)
}

#[cfg(test)]
mod tests;
