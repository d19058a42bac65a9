//! Declarative policy tests (`rulesim test`): the file format.
//!
//! In the spirit of `opa test` and suricata-verify, a test file lists
//! *cases*, each a set of names (with the protocol they arrive over) or a
//! capture, and the verdict expected. The files live in a `tests/` folder
//! next to the policy, so a pull request that changes the policy also shows
//! which expectations changed:
//!
//! ```yaml
//! cases:
//!   - name: package registries are reachable
//!     names: [pypi.org, files.pythonhosted.org]
//!     proto: [tls, http]          # default: tls
//!     expect: pass                # pass, drop or reject
//!     decided_by: allow-registries  # optional: a group name or a default action
//!   - name: the example capture
//!     capture: ../../../pcaps/tls_curl_allowed_blocked.pcap
//!     flows:                      # first name of a flow → allowed, allowed_with_drops, blocked, rejected
//!       twitter.com: blocked
//! ```
//!
//! This module only reads the file; running names is
//! [`crate::CompiledPolicy::evaluate`] on [`crate::lint::probe`] packets,
//! running captures is the simulator's job.

use std::sync::Arc;

use saphyr::{LoadableYamlNode, MarkedYamlOwned, ScalarOwned, YamlDataOwned};

use crate::error::{Error, ErrorKind, Errors};
use crate::eval::Verdict;
use crate::policy::TargetType;
use crate::source::Location;

/// One test case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// Its name, for reports.
    pub name: String,
    /// Where it is written.
    pub location: Location,
    /// What it checks.
    pub check: Check,
}

/// What a case checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Check {
    /// Names, each over each protocol, get `expect`.
    Names {
        /// Names as a client sends them.
        names: Vec<String>,
        /// The protocols they arrive over.
        protos: Vec<TargetType>,
        /// The verdict expected.
        expect: Verdict,
        /// The group (or `aws:` default action) expected to decide.
        decided_by: Option<String>,
    },
    /// Flows of a capture get the verdicts given, by their first name.
    Capture {
        /// The capture, as written (relative to the test file).
        path: String,
        /// First name of a flow → expected flow verdict (`allowed`, `blocked`, ...).
        flows: Vec<(String, String)>,
    },
}

type Node = MarkedYamlOwned;

fn text(node: &Node) -> Option<String> {
    match &node.data {
        YamlDataOwned::Value(ScalarOwned::String(s)) => Some(s.clone()),
        YamlDataOwned::Value(ScalarOwned::Integer(i)) => Some(i.to_string()),
        YamlDataOwned::Value(ScalarOwned::Boolean(b)) => Some(b.to_string()),
        YamlDataOwned::Representation(s, _, _) => Some(s.clone()),
        _ => None,
    }
}

fn list(node: &Node) -> Vec<String> {
    match &node.data {
        YamlDataOwned::Sequence(items) => items.iter().filter_map(text).collect(),
        _ => text(node).into_iter().collect(),
    }
}

fn entries(node: &Node) -> Vec<(String, &Node)> {
    match &node.data {
        YamlDataOwned::Mapping(map) => {
            map.iter().filter_map(|(k, v)| text(k).map(|k| (k, v))).collect()
        }
        _ => Vec::new(),
    }
}

/// Parses a test file (`file` names it in messages).
pub fn parse(file: &str, source: &str) -> Result<Vec<Case>, Errors> {
    let file: Arc<str> = Arc::from(file);
    let loc = |n: &Node| {
        Location::new(file.clone(), n.span.start.line() as u32, n.span.start.col() as u32 + 1)
    };
    let docs = MarkedYamlOwned::load_from_str(source).map_err(|e| {
        let m = e.marker();
        Errors::from(
            Error::new(ErrorKind::Syntax, format!("invalid YAML: {}", e.info()))
                .at(Location::new(file.clone(), m.line() as u32, m.col() as u32 + 1))
                .with_hint("check the indentation and quoting around this position"),
        )
    })?;
    let mut errors = Errors::new();
    let mut cases = Vec::new();
    let Some(root) = docs.first() else { return Ok(cases) };
    let Some((_, case_list)) = entries(root).into_iter().find(|(k, _)| k == "cases") else {
        return Err(Error::new(ErrorKind::MissingField, "a test file needs `cases:`")
            .at(loc(root))
            .with_hint("write `cases:` followed by `- name: ...` items")
            .into());
    };
    let YamlDataOwned::Sequence(items) = &case_list.data else {
        return Err(Error::new(ErrorKind::InvalidValue, "`cases` must be a list")
            .at(loc(case_list))
            .with_hint("write `- name: ...` items")
            .into());
    };
    for (i, item) in items.iter().enumerate() {
        let fields = entries(item);
        let get = |key: &str| fields.iter().find(|(k, _)| k == key).map(|(_, v)| *v);
        let mut bad = |node: &Node, message: String, hint: &str| {
            errors.push(Error::new(ErrorKind::InvalidValue, message).at(loc(node)).with_hint(hint));
        };
        for (key, node) in &fields {
            if !["name", "names", "proto", "expect", "decided_by", "capture", "flows"]
                .contains(&key.as_str())
            {
                bad(
                    node,
                    format!("unknown key `{key}` in a test case"),
                    "use name, names, proto, expect, decided_by, capture, flows",
                );
            }
        }
        let name = get("name").and_then(text).unwrap_or_else(|| format!("case {}", i + 1));
        let check = if let Some(capture) = get("capture") {
            let flows = get("flows")
                .map(|f| entries(f).into_iter().filter_map(|(k, v)| Some((k, text(v)?))).collect())
                .unwrap_or_default();
            Check::Capture { path: text(capture).unwrap_or_default(), flows }
        } else {
            let Some(names) = get("names") else {
                bad(
                    item,
                    format!("case `{name}` has neither `names` nor `capture`"),
                    "add `names: [example.com]` and `expect: pass`",
                );
                continue;
            };
            let mut protos = Vec::new();
            for p in get("proto").map(list).unwrap_or_else(|| vec!["tls".into()]) {
                match p.as_str() {
                    "tls" | "tls_sni" => protos.push(TargetType::TlsSni),
                    "http" | "http_host" => protos.push(TargetType::HttpHost),
                    "dns" => protos.push(TargetType::Dns),
                    _ => bad(item, format!("unknown protocol `{p}`"), "use tls, http or dns"),
                }
            }
            let expect = match get("expect").and_then(text).as_deref() {
                Some("pass") => Verdict::Pass,
                Some("drop") => Verdict::Drop,
                Some("reject") => Verdict::Reject,
                other => {
                    bad(
                        item,
                        format!("case `{name}`: `expect` is {other:?}"),
                        "write `expect: pass`, `drop` or `reject`",
                    );
                    continue;
                }
            };
            Check::Names {
                names: list(names),
                protos,
                expect,
                decided_by: get("decided_by").and_then(text),
            }
        };
        cases.push(Case { name, location: loc(item), check });
    }
    errors.into_result(cases)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cases_and_reports_mistakes() {
        let cases = parse(
            "t.yaml",
            "cases:\n  - name: a\n    names: [x.org]\n    proto: [tls, http]\n    expect: drop\n  - capture: c.pcap\n    flows: {x.org: blocked}\n",
        )
        .unwrap_or_default();
        assert_eq!(cases.len(), 2);
        assert_eq!(
            cases[0].check,
            Check::Names {
                names: vec!["x.org".into()],
                protos: vec![TargetType::TlsSni, TargetType::HttpHost],
                expect: Verdict::Drop,
                decided_by: None
            }
        );
        assert_eq!(cases[1].location.line, 6);
        let errors = parse("t.yaml", "cases:\n  - names: [x]\n    expect: allow\n")
            .err()
            .unwrap_or_default();
        assert!(
            errors.to_string().starts_with("t.yaml:2:5: error: case `case 1`: `expect`"),
            "{errors}"
        );
    }
}
