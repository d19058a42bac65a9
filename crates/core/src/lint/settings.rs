//! Checks on the policy's settings: default actions, engine options,
//! HOME_NET and AWS's limits. None needs the compiled matcher.

use std::collections::BTreeMap;

use crate::address::IpSet;
use crate::lint::{Facts, Finding, Lint};
use crate::policy::{Action, ListKind, Policy, RuleGroup, RuleOrder, RulesSource};
use crate::source::Location;

/// AWS's limit on stateful rule groups per policy.
pub(super) const MAX_GROUPS: usize = 20;
/// AWS's limit on one stateful rule group's capacity, and the default
/// per-policy quota.
pub(super) const MAX_CAPACITY: u32 = 30_000;
/// AWS's limit on a rule group's rules string, in characters.
pub(super) const MAX_RULES_STRING: usize = 2_000_000;

pub(super) fn check(policy: &Policy, facts: &Facts, out: &mut Vec<Finding>) {
    default_actions(policy, out);
    engine_options(policy, out);
    home_net(policy, facts, out);
    limits(policy, facts, out);
}

fn policy_location(policy: &Policy) -> Option<Location> {
    policy.location.clone()
}

fn default_actions(policy: &Policy, out: &mut Vec<Finding>) {
    let at = policy.default_actions_at.clone().or_else(|| policy_location(policy));
    let actions = &policy.default_actions;
    let drops = actions.iter().filter(|a| a.is_drop()).count();
    let alerts = actions.len() - drops;
    let mut invalid = |message: String| {
        out.push(Finding::new(
            Lint::InvalidDefaultActions,
            at.clone(),
            message,
            Lint::InvalidDefaultActions.help(),
        ));
    };
    if !actions.is_empty() && policy.rule_order == RuleOrder::DefaultActionOrder {
        invalid("stateful default actions are only allowed under STRICT_ORDER".into());
    }
    if drops > 1 || alerts > 1 {
        invalid(format!(
            "{drops} drop and {alerts} alert default actions; AWS allows at most one of each"
        ));
    }
    let app_layer = actions.iter().filter(|a| a.is_app_layer_family()).count();
    if app_layer > 0 && app_layer < actions.len() {
        let list: Vec<&str> = actions.iter().map(|a| a.as_aws()).collect();
        invalid(format!(
            "{} mixes the established and the app_layer families, which AWS rejects (\"StatefulDefaultActions cannot exist together\")",
            list.join(" + ")
        ));
    }
    if let Some(drop) = policy.drop_default()
        && policy.alert_default().is_none()
    {
        out.push(Finding::new(
            Lint::DropDefaultWithoutAlert,
            at.clone(),
            format!("`{drop}` without an alert default: what it drops is not logged"),
            format!(
                "add `{}` so drops appear in the ALERT log",
                drop.as_aws().replace("aws:drop_", "aws:alert_")
            ),
        ));
    }
}

fn engine_options(policy: &Policy, out: &mut Vec<Finding>) {
    if policy.rule_order_declared_at.is_none() {
        out.push(Finding::new(
            Lint::MissingEngineOptions,
            policy_location(policy),
            format!(
                "the rule order is not stated: rulesim read it as {}, and the AWS API uses DEFAULT_ACTION_ORDER when StatefulEngineOptions is omitted",
                policy.rule_order.as_aws()
            ),
            Lint::MissingEngineOptions.help(),
        ));
    }
    for group in &policy.groups {
        if let Some(order) = group.rule_order
            && order != policy.rule_order
        {
            out.push(Finding::new(
                Lint::GroupRuleOrderMismatch,
                Some(group.location.clone()),
                format!(
                    "group `{}` uses {} but the policy uses {}",
                    group.name,
                    order.as_aws(),
                    policy.rule_order.as_aws()
                ),
                format!("set the group's rule order to {}", policy.rule_order.as_aws()),
            ));
        }
        if let (RuleOrder::StrictOrder, RulesSource::Rules(rules)) =
            (policy.rule_order, &group.rules)
        {
            for rule in rules.iter().filter(|r| r.priority.is_some()) {
                out.push(Finding::new(
                    Lint::PriorityInStrictOrder,
                    Some(rule.provenance.location.clone()),
                    format!("rule sid:{} in group `{}` uses `priority`", rule.sid, group.name),
                    Lint::PriorityInStrictOrder.help(),
                ));
            }
        }
    }
    if policy.rule_order == RuleOrder::DefaultActionOrder {
        let allowlist = policy.groups.iter().find(|g| list_kind(g) == Some(ListKind::Allowlist));
        let other = policy.groups.iter().find(|g| {
            matches!(list_kind(g), Some(ListKind::Rejectlist | ListKind::Alertlist))
                || matches!(&g.rules, RulesSource::Rules(rules)
                    if rules.iter().any(|r| matches!(r.action, Action::Reject | Action::Alert)))
        });
        if let (Some(allow), Some(other)) = (allowlist, other) {
            out.push(
                Finding::new(
                    Lint::AllowlistWithRejectOrAlert,
                    Some(other.location.clone()),
                    format!(
                        "group `{}`'s reject/alert rules never fire on names allowlist `{}` does not allow: its catch-all drop outranks them under DEFAULT_ACTION_ORDER",
                        other.name, allow.name
                    ),
                    Lint::AllowlistWithRejectOrAlert.help(),
                )
                .with_related(allow.location.clone(), format!("allowlist `{}`", allow.name)),
            );
        }
    }
}

fn list_kind(group: &RuleGroup) -> Option<ListKind> {
    match &group.rules {
        RulesSource::DomainList(list) => Some(list.kind),
        RulesSource::Rules(_) => None,
    }
}

/// The HOME_NET a group's rules see: its own override, else the policy's.
fn group_home_net(policy: &Policy, group: &RuleGroup) -> IpSet {
    let policy_home = IpSet::from_nets(&policy.home_net.cidrs);
    match group.variables.ip_sets.get("HOME_NET") {
        Some(specs) => specs.iter().fold(IpSet::empty(), |set, spec| {
            let lookup = |name: &str| (name == "HOME_NET").then(|| policy_home.clone());
            spec.resolve(&lookup).map_or(set.clone(), |s| set.union(&s))
        }),
        None => policy_home,
    }
}

fn home_net(policy: &Policy, facts: &Facts, out: &mut Vec<Finding>) {
    let at = policy.home_net.declared_at.clone().or_else(|| policy_location(policy));
    if policy.home_net.declared_at.is_none() {
        out.push(Finding::new(
            Lint::HomeNetNotDeclared,
            at.clone(),
            "HOME_NET is not declared; rulesim assumes the private ranges, AWS the firewall VPC's CIDR",
            Lint::HomeNetNotDeclared.help(),
        ));
    }
    if facts.sources.is_empty() {
        return;
    }
    // One finding per group whose HOME_NET misses sources; groups without an
    // override share the policy's and are reported once.
    let mut reported = BTreeMap::new();
    for group in &policy.groups {
        let own = group.variables.ip_sets.contains_key("HOME_NET");
        let key = if own { Some(group.name.as_str()) } else { None };
        if reported.contains_key(&key) {
            continue;
        }
        let home = group_home_net(policy, group);
        let missing: Vec<&(ipnet::IpNet, String)> =
            facts.sources.iter().filter(|(net, _)| !home.covers(&IpSet::from_net(*net))).collect();
        reported.insert(key, ());
        if missing.is_empty() {
            continue;
        }
        let shown: Vec<String> =
            missing.iter().take(5).map(|(net, from)| format!("{net} ({from})")).collect();
        let more = if missing.len() > 5 {
            format!(" and {} more", missing.len() - 5)
        } else {
            String::new()
        };
        let (location, whose) = if own {
            (Some(group.location.clone()), format!("group `{}`'s HOME_NET", group.name))
        } else {
            (at.clone(), "HOME_NET".to_string())
        };
        out.push(Finding::new(
            Lint::HomeNetNotCovering,
            location,
            format!(
                "{whose} does not cover {}{more}: domain rules do not apply to that traffic, which falls to the default actions",
                shown.join(", ")
            ),
            Lint::HomeNetNotCovering.help(),
        ));
    }
}

fn limits(policy: &Policy, facts: &Facts, out: &mut Vec<Finding>) {
    if policy.groups.len() > MAX_GROUPS {
        out.push(Finding::new(
            Lint::TooManyGroups,
            policy_location(policy),
            format!(
                "{} stateful rule groups; AWS allows {MAX_GROUPS} per policy",
                policy.groups.len()
            ),
            Lint::TooManyGroups.help(),
        ));
    }
    if policy.rule_order == RuleOrder::StrictOrder {
        let mut seen: BTreeMap<u32, &RuleGroup> = BTreeMap::new();
        for group in &policy.groups {
            if let Some(first) = seen.get(&group.priority) {
                out.push(
                    Finding::new(
                        Lint::DuplicateGroupPriority,
                        Some(group.location.clone()),
                        format!(
                            "groups `{}` and `{}` share priority {}",
                            first.name, group.name, group.priority
                        ),
                        "give every group its own priority; lower numbers run first",
                    )
                    .with_related(first.location.clone(), format!("group `{}`", first.name)),
                );
            } else {
                seen.insert(group.priority, group);
            }
        }
    }
    let mut total: u64 = 0;
    for (i, group) in policy.groups.iter().enumerate() {
        let empty = match &group.rules {
            RulesSource::DomainList(list) => list.targets.is_empty(),
            RulesSource::Rules(rules) => rules.is_empty(),
        };
        if empty {
            out.push(Finding::new(
                Lint::EmptyGroup,
                Some(group.location.clone()),
                format!("group `{}` is empty", group.name),
                Lint::EmptyGroup.help(),
            ));
        }
        if let Some(Some(needed)) = facts.capacities.get(i) {
            total += u64::from(*needed);
            let over_declared = group.capacity.is_some_and(|c| *needed > c);
            if over_declared || *needed > MAX_CAPACITY {
                let limit = match group.capacity {
                    Some(c) if over_declared => format!("its declared capacity {c}"),
                    _ => format!("AWS's limit of {MAX_CAPACITY}"),
                };
                out.push(Finding::new(
                    Lint::CapacityExceeded,
                    Some(group.location.clone()),
                    format!("group `{}` needs capacity {needed}, more than {limit}", group.name),
                    Lint::CapacityExceeded.help(),
                ));
            }
        }
        if let Some(Some(length)) = facts.rules_string_lengths.get(i)
            && *length > MAX_RULES_STRING
        {
            out.push(Finding::new(
                    Lint::RulesStringTooLong,
                    Some(group.location.clone()),
                    format!(
                        "group `{}`'s rules are {length} characters long; AWS allows {MAX_RULES_STRING}",
                        group.name
                    ),
                    Lint::RulesStringTooLong.help(),
                ));
        }
    }
    if total > u64::from(MAX_CAPACITY) {
        out.push(Finding::new(
            Lint::PolicyCapacityExceeded,
            policy_location(policy),
            format!("the rule groups need capacity {total} together; AWS's default quota is {MAX_CAPACITY} per policy"),
            Lint::PolicyCapacityExceeded.help(),
        ));
    }
}
