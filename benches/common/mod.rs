//! What both benchmarks build: a STRICT_ORDER policy with one TLS_SNI +
//! HTTP_HOST allowlist and `aws:drop_established`.

use rulesim_core::name::parse_target;
use rulesim_core::{
    DefaultAction, DomainList, HomeNet, ListKind, Location, Policy, RuleGroup, RuleOrder,
    RulesSource, Target, TargetType,
};

/// The allowlist policy of `entries` (written as in a list) for clients in `home_net`.
pub(crate) fn allowlist_policy(entries: &[String], home_net: &[&str]) -> Policy {
    let location = Location::new("bench.yaml", 1, 1);
    let targets: Vec<Target> = entries
        .iter()
        .filter_map(|t| {
            parse_target(t).ok().map(|name| Target {
                name,
                written: t.clone(),
                location: location.clone(),
            })
        })
        .collect();
    let mut p = Policy::new("bench");
    p.rule_order = RuleOrder::StrictOrder;
    p.default_actions = vec![DefaultAction::DropEstablished];
    p.home_net = HomeNet {
        cidrs: home_net.iter().map(|c| c.parse().expect("a CIDR")).collect(),
        declared_at: None,
    };
    p.groups.push(RuleGroup {
        name: "allow".into(),
        priority: 1,
        rule_order: None,
        variables: Default::default(),
        capacity: None,
        rules: RulesSource::DomainList(DomainList {
            kind: ListKind::Allowlist,
            target_types: vec![TargetType::TlsSni, TargetType::HttpHost],
            targets,
        }),
        location,
    });
    p
}
