//! Behavioural checks, proven on the compiled matcher: entries that never
//! decide (covered by a broader entry of their list, or shadowed by an
//! earlier group), names that are both allowed and denied, and default
//! actions that break the handshake or split ClientHellos.
//!
//! Every claim comes from [`CompiledPolicy::explain`] on the packet that
//! carries the entry's own name (and, for a leading-dot entry, a name below
//! it that no policy mentions): the matcher lists every rule that matches in
//! evaluation order, so nothing here re-implements matching.

use std::collections::HashSet;

use crate::compile::{CompiledPolicy, Match};
use crate::eval::{DecidedBy, RuleId, Verdict};
use crate::lint::domains::covers;
use crate::lint::{Finding, Lint, Severity, probe};
use crate::policy::{
    Action, DefaultAction, DomainList, ListKind, RuleOrder, RulesSource, TargetType,
};
use crate::source::{Location, Origin};

/// A label no policy mentions, to stand for "any name below an entry".
const FRESH_LABEL: &str = "rulesim-probe-7f3a9c";

pub(super) fn check(compiled: &CompiledPolicy, out: &mut Vec<Finding>) {
    defaults(compiled, out);
    let policy = compiled.policy();
    let src = probe::client(policy);
    let mut pairs: HashSet<(Key, Key)> = HashSet::new();
    for (g, group) in policy.groups.iter().enumerate() {
        let RulesSource::DomainList(list) = &group.rules else { continue };
        let mut kinds = list.target_types.clone();
        kinds.sort_unstable();
        kinds.dedup();
        for (i, target) in list.targets.iter().enumerate() {
            let mut shadowed_by: Option<(RuleId, Location)> = None;
            let mut shadowed_everywhere = true;
            for (k, &kind) in kinds.iter().enumerate() {
                let name = target.name.name.as_bytes();
                let packet = probe::name_packet(kind, name, src, probe::PROBE_SERVER);
                let (matches, _) = compiled.explain(&packet);
                let Some(own) = matches
                    .iter()
                    .position(|m| entry_of(compiled, m.id) == Some((g as u32, i as u32)))
                else {
                    shadowed_everywhere = false;
                    continue;
                };
                if k == 0 {
                    redundant(compiled, list, g, i, &matches, out);
                }
                contradictions(compiled, target.written.as_str(), &matches, &mut pairs, out);
                if policy.rule_order != RuleOrder::StrictOrder {
                    shadowed_everywhere = false;
                    continue;
                }
                match shadower(compiled, g, &matches[..own]) {
                    Some(by)
                        if !target.name.leading_dot
                            || below_decided(compiled, kind, target.name.name.as_str(), g, src) =>
                    {
                        shadowed_by.get_or_insert(by);
                    }
                    _ => shadowed_everywhere = false,
                }
            }
            if let (true, Some((id, location))) = (shadowed_everywhere, shadowed_by) {
                let by = compiled.group(id);
                let entry = compiled.summary(id).and_then(|s| s.target).unwrap_or_default();
                out.push(
                    Finding::new(
                        Lint::ShadowedRule,
                        Some(target.location.clone()),
                        format!(
                            "`{}` in group `{}` never decides: group `{}` (priority {}) decides every name it matches first, with `{entry}`",
                            target.written, group.name, by.name, by.priority
                        ),
                        format!(
                            "remove `{}`, or give group `{}` a priority below {}",
                            target.written, group.name, by.priority
                        ),
                    )
                    .with_related(location, format!("`{entry}` decides first")),
                );
            }
        }
    }
}

/// The (group, entry index) a rule was generated from, if it is a list entry.
fn entry_of(compiled: &CompiledPolicy, id: RuleId) -> Option<(u32, u32)> {
    let rule = compiled.rule(id)?;
    match rule.provenance.origin {
        Origin::ListEntry { index, .. } => Some((id.group, index)),
        _ => None,
    }
}

/// The first terminal match before this entry's own rule, if it is an entry
/// of another group's domain list with the same HOME_NET (so it matches
/// everything this entry's rule matches, on every address and port).
fn shadower(compiled: &CompiledPolicy, g: usize, before: &[Match]) -> Option<(RuleId, Location)> {
    let first = before.iter().find(|m| m.action.is_terminal())?;
    let (group, _) = entry_of(compiled, first.id)?;
    let policy = compiled.policy();
    let home = |i: usize| policy.groups[i].variables.ip_sets.get("HOME_NET");
    if group as usize == g || home(group as usize) != home(g) {
        return None;
    }
    let rule = compiled.rule(first.id)?;
    Some((first.id, rule.provenance.location.clone()))
}

/// For a leading-dot entry: whether a fresh name below it is decided by a
/// leading-dot entry of another group that covers the whole subtree.
fn below_decided(
    compiled: &CompiledPolicy,
    kind: TargetType,
    name: &str,
    g: usize,
    src: std::net::IpAddr,
) -> bool {
    let fresh = format!("{FRESH_LABEL}.{name}");
    let packet = probe::name_packet(kind, fresh.as_bytes(), src, probe::PROBE_SERVER);
    let (matches, _) = compiled.explain(&packet);
    let Some(first) = matches.iter().find(|m| m.action.is_terminal()) else { return false };
    let Some((group, index)) = entry_of(compiled, first.id) else { return false };
    if group as usize == g {
        return false;
    }
    match &compiled.policy().groups[group as usize].rules {
        RulesSource::DomainList(list) => list
            .targets
            .get(index as usize)
            .is_some_and(|t| t.name.leading_dot && (t.name.name == name || t.name.matches(name))),
        RulesSource::Rules(_) => false,
    }
}

/// Entries of the same list that cover entry `i` (found among the rules
/// matching its name).
fn redundant(
    compiled: &CompiledPolicy,
    list: &DomainList,
    g: usize,
    i: usize,
    matches: &[Match],
    out: &mut Vec<Finding>,
) {
    let target = &list.targets[i];
    let by = matches.iter().filter_map(|m| entry_of(compiled, m.id)).find_map(|(group, j)| {
        let other = list.targets.get(j as usize)?;
        let j = j as usize;
        let found = group as usize == g
            && j != i
            && covers(&other.name, &target.name)
            && (!covers(&target.name, &other.name) || j < i);
        found.then_some(other)
    });
    if let Some(other) = by {
        let message = if covers(&target.name, &other.name) {
            format!("`{}` is listed twice", target.written)
        } else {
            format!("`{}` is already covered by `{}`", target.written, other.written)
        };
        out.push(
            Finding::new(
                Lint::RedundantTarget,
                Some(target.location.clone()),
                message,
                format!("remove `{}`", target.written),
            )
            .with_related(other.location.clone(), format!("`{}` covers it", other.written)),
        );
    }
}

/// A rule, the same for every protocol a list entry generates rules for.
type Key = (u32, u32, bool);

fn key(compiled: &CompiledPolicy, id: RuleId) -> Key {
    match entry_of(compiled, id) {
        Some((group, entry)) => (group, entry, true),
        None => (id.group, id.rule, false),
    }
}

fn is_pass(action: Action) -> bool {
    action == Action::Pass
}

fn is_block(action: Action) -> bool {
    matches!(action, Action::Drop | Action::Reject)
}

/// Names matched by a pass rule and a drop/reject rule: which wins and why.
fn contradictions(
    compiled: &CompiledPolicy,
    name: &str,
    matches: &[Match],
    pairs: &mut HashSet<(Key, Key)>,
    out: &mut Vec<Finding>,
) {
    let written = |m: &&Match| {
        compiled.rule(m.id).is_some_and(|r| !matches!(r.provenance.origin, Origin::ListTrailer))
    };
    let Some(winner) = matches.iter().filter(written).find(|m| m.action.is_terminal()) else {
        return;
    };
    let losers = matches.iter().filter(written).filter(|m| {
        (is_pass(winner.action) && is_block(m.action))
            || (is_block(winner.action) && is_pass(m.action))
    });
    for loser in losers {
        let pair = (key(compiled, winner.id), key(compiled, loser.id));
        if !pairs.insert(pair) {
            continue;
        }
        let (Some(w), Some(l)) = (compiled.summary(winner.id), compiled.summary(loser.id)) else {
            continue;
        };
        let label = |s: &crate::compile::RuleSummary| match &s.target {
            Some(t) => format!("`{t}` ({} in group `{}`)", s.action, s.group),
            None => format!("sid:{} ({} in group `{}`)", s.sid, s.action, s.group),
        };
        let why = match compiled.policy().rule_order {
            RuleOrder::StrictOrder => format!(
                "group `{}` (priority {}) is evaluated first",
                w.group,
                compiled.group(winner.id).priority
            ),
            RuleOrder::DefaultActionOrder => {
                format!("{} outranks {} under DEFAULT_ACTION_ORDER", w.action, l.action)
            }
        };
        // The narrower entry winning is the usual "exception" pattern.
        let narrower_wins = match (&w.target, &l.target) {
            (Some(wt), Some(lt)) => {
                wt.trim_start_matches('.').len() > lt.trim_start_matches('.').len()
                    || (!wt.starts_with('.') && lt.starts_with('.'))
            }
            _ => false,
        };
        let Some(loser_rule) = compiled.rule(loser.id) else { continue };
        let Some(winner_rule) = compiled.rule(winner.id) else { continue };
        let mut finding = Finding::new(
            Lint::Contradiction,
            Some(loser_rule.provenance.location.clone()),
            format!(
                "`{name}` is both allowed and denied: {} wins over {}, because {why}",
                label(&w),
                label(&l)
            ),
            if narrower_wins {
                "the narrower entry wins, the usual way to carve an exception; nothing to do if that is intended".to_string()
            } else {
                format!("the broader entry {} decides; remove {} or move it first", label(&w), label(&l))
            },
        )
        .with_related(winner_rule.provenance.location.clone(), format!("{} decides", label(&w)));
        if narrower_wins {
            finding.severity = Severity::Note;
        }
        out.push(finding);
    }
}

/// Default actions against the rules: `aws:drop_strict` proven to drop the
/// handshake, `aws:drop_established` with app-layer pass rules.
fn defaults(compiled: &CompiledPolicy, out: &mut Vec<Finding>) {
    let policy = compiled.policy();
    let at = policy.default_actions_at.clone().or_else(|| policy.location.clone());
    let app_pass = policy.groups.iter().any(|g| match &g.rules {
        RulesSource::DomainList(list) => {
            list.kind == ListKind::Allowlist && !list.targets.is_empty()
        }
        RulesSource::Rules(rules) => {
            rules.iter().any(|r| r.action == Action::Pass && r.is_app_layer())
        }
    });
    if !app_pass {
        return;
    }
    match policy.drop_default() {
        Some(DefaultAction::DropStrict) => {
            let decision = compiled.evaluate(&probe::handshake_packet(probe::client(policy)));
            if decision.verdict != Verdict::Pass
                && decision.decided_by == (DecidedBy::Default { action: DefaultAction::DropStrict })
            {
                out.push(Finding::new(
                    Lint::DropStrictWithAppLayerPass,
                    at,
                    "`aws:drop_strict` drops the TCP handshake (a SYN to port 443 from HOME_NET is dropped), so no ClientHello is ever sent and the allow rules never match",
                    "use `aws:drop_established_app_layer_to_server`, or pass the handshake with `pass tcp $HOME_NET any -> $EXTERNAL_NET any (flow:not_established; ...)`",
                ));
            }
        }
        Some(DefaultAction::DropEstablished) => out.push(Finding::new(
            Lint::DropEstablishedSplitHello,
            at,
            "`aws:drop_established` drops the first segment of a ClientHello split over several TCP segments (post-quantum key shares in Chrome, Go 1.23+, the Terraform AWS provider): those TLS connections time out",
            "use `aws:drop_established_app_layer_to_server` with `aws:alert_established_app_layer_to_server`",
        )),
        _ => {}
    }
}
