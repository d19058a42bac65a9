//! Domain lists become the Suricata rules AWS generates for them.
//!
//! AWS documents the rules its `RulesSourceList` turns into (SEMANTICS.md
//! §1.5); rulesim generates the same rules, byte for byte where AWS shows
//! them, and evaluates them with the same engine as hand-written rules. One
//! evaluation path means a domain list and the rule string rendered from it
//! cannot disagree.
//!
//! Where AWS is silent rulesim makes a documented choice (docs/semantics.md):
//! * rules are numbered target by target, TLS before HTTP (the documented
//!   DENYLIST example), then the ALLOWLIST catch-alls, HTTP before TLS (the
//!   `sid:4` seen in AWS's logs for a two-type list);
//! * STRICT_ORDER groups omit `priority:1` (AWS forbids `priority` there) and
//!   emit no catch-alls unless [`crate::Generation::allowlist_trailers`] says so;
//! * DNS lists (a rulesim extension) generate `dns.query` rules with `nocase`
//!   and `flow:to_server` only, since a UDP query is not yet "established".

use crate::address::{AddrSpec, PortSpec};
use crate::policy::{
    Action, Buffer, BufferMatch, Content, Direction, DomainList, FlowDirection, FlowOptions,
    FlowState, ListKind, Protocol, Rule, RuleOrder, Target, TargetType,
};
use crate::source::{Location, Origin, Provenance};

/// How a domain list's generated rules are laid out within its group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListLayout {
    /// The target types, in generation order.
    pub types: Vec<TargetType>,
    /// How many entries the list has.
    pub targets: u32,
    /// The catch-all rules after the entries, in order.
    pub trailers: Vec<TargetType>,
    /// Whether generated rules carry `priority:1`.
    pub priority: bool,
}

/// What one generated rule is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListRule {
    /// The rule for entry `target` on protocol `kind`.
    Entry {
        /// Index of the entry.
        target: u32,
        /// Its protocol.
        kind: TargetType,
    },
    /// A catch-all drop for `kind`.
    Trailer(TargetType),
}

impl ListLayout {
    /// The layout of `list` in a group evaluated under `order`.
    pub fn new(list: &DomainList, order: RuleOrder, trailers: bool) -> ListLayout {
        let mut types = list.target_types.clone();
        types.sort_unstable();
        types.dedup();
        let trailers = if trailers && list.kind == ListKind::Allowlist {
            [TargetType::HttpHost, TargetType::TlsSni, TargetType::Dns]
                .into_iter()
                .filter(|t| types.contains(t))
                .collect()
        } else {
            Vec::new()
        };
        ListLayout {
            types,
            targets: u32::try_from(list.targets.len()).unwrap_or(u32::MAX),
            trailers,
            priority: order == RuleOrder::DefaultActionOrder,
        }
    }

    /// How many rules the list generates.
    pub fn len(&self) -> u32 {
        self.targets * self.types.len() as u32 + self.trailers.len() as u32
    }

    /// Whether the list generates no rule.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Index (0-based, `sid - 1`) of the rule for `target` on `kind`.
    pub fn index_of(&self, target: u32, kind: TargetType) -> Option<u32> {
        let t = self.types.iter().position(|k| *k == kind)? as u32;
        Some(target * self.types.len() as u32 + t)
    }

    /// Index of the catch-all for `kind`.
    pub fn trailer_index(&self, kind: TargetType) -> Option<u32> {
        let t = self.trailers.iter().position(|k| *k == kind)? as u32;
        Some(self.targets * self.types.len() as u32 + t)
    }

    /// What rule `index` is.
    pub fn rule_at(&self, index: u32) -> Option<ListRule> {
        let per_target = self.types.len() as u32;
        let entries = self.targets * per_target;
        if index < entries {
            Some(ListRule::Entry {
                target: index / per_target,
                kind: self.types[(index % per_target) as usize],
            })
        } else {
            self.trailers.get((index - entries) as usize).map(|k| ListRule::Trailer(*k))
        }
    }

    /// Builds rule `index` of `list`.
    pub fn rule(&self, list: &DomainList, index: u32, group_location: &Location) -> Option<Rule> {
        Some(match self.rule_at(index)? {
            ListRule::Entry { target, kind } => entry_rule(
                list.kind,
                &list.targets[target as usize],
                target,
                kind,
                index + 1,
                self.priority,
            ),
            ListRule::Trailer(kind) => trailer_rule(kind, index + 1, self.priority, group_location),
        })
    }

    /// Every rule of `list`, in order.
    pub fn rules(&self, list: &DomainList, group_location: &Location) -> Vec<Rule> {
        (0..self.len()).filter_map(|i| self.rule(list, i, group_location)).collect()
    }
}

fn protocol_words(kind: TargetType) -> (Protocol, &'static str) {
    match kind {
        TargetType::TlsSni => (Protocol::Tls, "TLS"),
        TargetType::HttpHost => (Protocol::Http, "HTTP"),
        TargetType::Dns => (Protocol::Dns, "DNS"),
    }
}

/// The header every generated rule of `kind` uses.
fn header(kind: TargetType) -> (AddrSpec, AddrSpec, FlowOptions, &'static str, &'static str) {
    match kind {
        TargetType::Dns => (
            AddrSpec::home_net(),
            AddrSpec::Any,
            FlowOptions { direction: Some(FlowDirection::ToServer), state: None },
            "$HOME_NET any -> any any",
            "flow:to_server",
        ),
        TargetType::TlsSni | TargetType::HttpHost => (
            AddrSpec::home_net(),
            AddrSpec::external_net(),
            FlowOptions {
                direction: Some(FlowDirection::ToServer),
                state: Some(FlowState::Established),
            },
            "$HOME_NET any -> $EXTERNAL_NET any",
            "flow:to_server, established",
        ),
    }
}

/// The rule AWS generates for one list entry (SEMANTICS.md §1.6).
pub fn entry_rule(
    list_kind: ListKind,
    target: &Target,
    target_index: u32,
    kind: TargetType,
    sid: u32,
    priority: bool,
) -> Rule {
    let action = list_kind.action();
    let (protocol, word) = protocol_words(kind);
    let (src, dst, flow, header_text, flow_text) = header(kind);
    let dotted = target.name.leading_dot;
    let pattern = target.name.to_aws();
    let nocase = kind != TargetType::HttpHost;
    let msg = format!("matching {word} {} FQDNs", list_kind.msg_word());

    let mut options = String::new();
    if kind == TargetType::TlsSni {
        options.push_str("ssl_state:client_hello; ");
    }
    options.push_str(kind.buffer().as_str());
    options.push_str("; ");
    if dotted {
        options.push_str("dotprefix; ");
    }
    options.push_str(&format!("content:\"{pattern}\"; "));
    if !dotted {
        options.push_str("startswith; ");
    }
    if nocase {
        options.push_str("nocase; ");
    }
    options.push_str(&format!("endswith; msg:\"{msg}\"; "));
    if priority {
        options.push_str("priority:1; ");
    }
    options.push_str(&format!("{flow_text}; sid:{sid}; rev:1;"));

    Rule {
        action,
        protocol,
        src,
        src_ports: PortSpec::Any,
        direction: Direction::Forward,
        dst,
        dst_ports: PortSpec::Any,
        flow,
        ssl_state_client_hello: kind == TargetType::TlsSni,
        buffers: vec![BufferMatch {
            buffer: kind.buffer(),
            dotprefix: dotted,
            contents: vec![Content {
                pattern: pattern.into_bytes(),
                nocase,
                startswith: !dotted,
                endswith: true,
                ..Content::default()
            }],
            pcres: Vec::new(),
        }],
        sid,
        rev: 1,
        msg,
        priority: priority.then_some(1),
        alert_on_pass: false,
        noalert: false,
        text: format!("{action} {protocol} {header_text} ({options})"),
        provenance: Provenance {
            location: target.location.clone(),
            origin: Origin::ListEntry { target: target.written.clone(), index: target_index },
        },
    }
}

/// The catch-all drop an ALLOWLIST adds for `kind` (SEMANTICS.md §1.5 b, c).
pub fn trailer_rule(kind: TargetType, sid: u32, priority: bool, location: &Location) -> Rule {
    let (protocol, word) = protocol_words(kind);
    let (src, dst, flow, header_text, flow_text) = header(kind);
    let msg = format!("not matching any {word} allowlisted FQDNs");
    let priority_text = if priority { "priority:1; " } else { "" };
    let (options, ssl_state, buffers) = match kind {
        TargetType::HttpHost => (
            format!(
                "http.header_names; content:\"|0d 0a|\"; startswith; msg:\"{msg}\"; {priority_text}{flow_text}; sid:{sid}; rev:1;"
            ),
            false,
            vec![BufferMatch {
                buffer: Buffer::HttpHeaderNames,
                dotprefix: false,
                contents: vec![Content {
                    pattern: b"\r\n".to_vec(),
                    startswith: true,
                    ..Content::default()
                }],
                pcres: Vec::new(),
            }],
        ),
        TargetType::TlsSni => (
            format!(
                "msg:\"{msg}\"; {priority_text}ssl_state:client_hello; {flow_text}; sid:{sid}; rev:1;"
            ),
            true,
            Vec::new(),
        ),
        TargetType::Dns => (
            format!("msg:\"{msg}\"; {priority_text}{flow_text}; sid:{sid}; rev:1;"),
            false,
            Vec::new(),
        ),
    };
    Rule {
        action: Action::Drop,
        protocol,
        src,
        src_ports: PortSpec::Any,
        direction: Direction::Forward,
        dst,
        dst_ports: PortSpec::Any,
        flow,
        ssl_state_client_hello: ssl_state,
        buffers,
        sid,
        rev: 1,
        msg,
        priority: priority.then_some(1),
        alert_on_pass: false,
        noalert: false,
        text: format!("drop {protocol} {header_text} ({options})"),
        provenance: Provenance { location: location.clone(), origin: Origin::ListTrailer },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::name::parse_target;

    fn list(kind: ListKind, types: &[TargetType], targets: &[&str]) -> DomainList {
        DomainList {
            kind,
            target_types: types.to_vec(),
            targets: targets
                .iter()
                .map(|t| Target {
                    name: parse_target(t).unwrap(),
                    written: t.to_string(),
                    location: Location::new("t.yaml", 1, 1),
                })
                .collect(),
        }
    }

    fn texts(list: &DomainList, order: RuleOrder) -> Vec<String> {
        let layout = ListLayout::new(list, order, order == RuleOrder::DefaultActionOrder);
        layout.rules(list, &Location::new("t.yaml", 1, 1)).into_iter().map(|r| r.text).collect()
    }

    /// SEMANTICS.md §1.5 (a), quoted from the AWS developer guide.
    #[test]
    fn denylist_matches_the_documented_rules() {
        let l =
            list(ListKind::Denylist, &[TargetType::TlsSni, TargetType::HttpHost], &["evil.com"]);
        assert_eq!(
            texts(&l, RuleOrder::DefaultActionOrder),
            [
                r#"drop tls $HOME_NET any -> $EXTERNAL_NET any (ssl_state:client_hello; tls.sni; content:"evil.com"; startswith; nocase; endswith; msg:"matching TLS denylisted FQDNs"; priority:1; flow:to_server, established; sid:1; rev:1;)"#,
                r#"drop http $HOME_NET any -> $EXTERNAL_NET any (http.host; content:"evil.com"; startswith; endswith; msg:"matching HTTP denylisted FQDNs"; priority:1; flow:to_server, established; sid:2; rev:1;)"#,
            ]
        );
    }

    /// SEMANTICS.md §1.5 (b) and (c).
    #[test]
    fn allowlist_matches_the_documented_rules() {
        let http =
            list(ListKind::Allowlist, &[TargetType::HttpHost], &[".amazon.com", "example.com"]);
        assert_eq!(
            texts(&http, RuleOrder::DefaultActionOrder),
            [
                r#"pass http $HOME_NET any -> $EXTERNAL_NET any (http.host; dotprefix; content:".amazon.com"; endswith; msg:"matching HTTP allowlisted FQDNs"; priority:1; flow:to_server, established; sid:1; rev:1;)"#,
                r#"pass http $HOME_NET any -> $EXTERNAL_NET any (http.host; content:"example.com"; startswith; endswith; msg:"matching HTTP allowlisted FQDNs"; priority:1; flow:to_server, established; sid:2; rev:1;)"#,
                r#"drop http $HOME_NET any -> $EXTERNAL_NET any (http.header_names; content:"|0d 0a|"; startswith; msg:"not matching any HTTP allowlisted FQDNs"; priority:1; flow:to_server, established; sid:3; rev:1;)"#,
            ]
        );
        let tls = list(ListKind::Allowlist, &[TargetType::TlsSni], &[".amazon.com", "example.com"]);
        assert_eq!(
            texts(&tls, RuleOrder::DefaultActionOrder),
            [
                r#"pass tls $HOME_NET any -> $EXTERNAL_NET any (ssl_state:client_hello; tls.sni; dotprefix; content:".amazon.com"; nocase; endswith; msg:"matching TLS allowlisted FQDNs"; priority:1; flow:to_server, established; sid:1; rev:1;)"#,
                r#"pass tls $HOME_NET any -> $EXTERNAL_NET any (ssl_state:client_hello; tls.sni; content:"example.com"; startswith; nocase; endswith; msg:"matching TLS allowlisted FQDNs"; priority:1; flow:to_server, established; sid:2; rev:1;)"#,
                r#"drop tls $HOME_NET any -> $EXTERNAL_NET any (msg:"not matching any TLS allowlisted FQDNs"; priority:1; ssl_state:client_hello; flow:to_server, established; sid:3; rev:1;)"#,
            ]
        );
    }

    /// AWS's logs show the TLS catch-all of a one-entry, two-type allowlist as sid 4.
    #[test]
    fn two_type_allowlist_puts_the_tls_trailer_at_sid_4() {
        let l = list(
            ListKind::Allowlist,
            &[TargetType::HttpHost, TargetType::TlsSni],
            &[".amazon.com"],
        );
        let layout = ListLayout::new(&l, RuleOrder::DefaultActionOrder, true);
        assert_eq!(layout.trailer_index(TargetType::TlsSni), Some(3));
        assert_eq!(layout.index_of(0, TargetType::TlsSni), Some(0));
        assert_eq!(layout.len(), 4);
        for i in 0..4 {
            assert_eq!(layout.rule(&l, i, &Location::builtin("t")).unwrap().sid, i + 1);
        }
    }

    #[test]
    fn strict_order_omits_priority_and_trailers() {
        let l = list(ListKind::Allowlist, &[TargetType::TlsSni], &[".a.com"]);
        assert_eq!(
            texts(&l, RuleOrder::StrictOrder),
            [
                r#"pass tls $HOME_NET any -> $EXTERNAL_NET any (ssl_state:client_hello; tls.sni; dotprefix; content:".a.com"; nocase; endswith; msg:"matching TLS allowlisted FQDNs"; flow:to_server, established; sid:1; rev:1;)"#,
            ]
        );
    }
}
