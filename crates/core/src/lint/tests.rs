//! One positive and one negative policy per lint, each checked against what
//! AWS documents (SEMANTICS.md) or the walkthrough's troubleshooting notes.

use std::path::Path;

use super::*;
use crate::native;
use crate::policy::{ListKind, RuleGroup, RulesSource, TargetType};

fn parse(yaml: &str) -> Policy {
    let read = |_: &Path| -> Result<String, String> { Err("no includes".into()) };
    match native::parse(Path::new("p.yaml"), yaml, &read) {
        Ok(p) => p,
        Err(e) => panic!("fixture does not parse: {e}"),
    }
}

fn findings(yaml: &str) -> Vec<Finding> {
    lint(&parse(yaml), &Facts::default())
}

fn has(findings: &[Finding], lint: Lint) -> bool {
    findings.iter().any(|f| f.lint == lint)
}

fn first(findings: &[Finding], lint: Lint) -> &Finding {
    match findings.iter().find(|f| f.lint == lint) {
        Some(f) => f,
        None => panic!("no {lint} in {findings:#?}"),
    }
}

/// A well-formed strict-order policy that triggers nothing but what each
/// test adds.
fn clean(groups: &str) -> String {
    format!(
        "rule_order: strict_order
default_actions: [aws:drop_established_app_layer_to_server, aws:alert_established_app_layer_to_server]
home_net: [10.0.0.0/16]
groups:
{groups}"
    )
}

#[test]
fn a_clean_policy_has_no_findings() {
    let f = findings(&clean(
        "  - name: allow\n    priority: 1\n    allow: [.wikipedia.org, .wikimedia.org, api.github.com]\n",
    ));
    assert!(f.is_empty(), "{f:#?}");
}

#[test]
fn foreign_and_invalid_syntax_come_from_reader_errors() {
    let read = |_: &Path| -> Result<String, String> { Err("none".into()) };
    let text = clean(
        "  - name: a\n    priority: 1\n    allow: ['*.example.com', 'example.com.', 'https://x.org/a', 'ok.org']\n",
    );
    let errors = match native::parse(Path::new("p.yaml"), &text, &read) {
        Ok(_) => panic!("invalid entries must not parse"),
        Err(e) => e,
    };
    let f = from_load_errors(&errors).unwrap_or_default();
    let lints: Vec<Lint> = f.iter().map(|f| f.lint).collect();
    assert_eq!(lints, [Lint::ForeignSyntax, Lint::InvalidDomain, Lint::ForeignSyntax]);
    assert!(f[0].help.contains("`.example.com`"), "{}", f[0].help);
    assert!(f[1].help.contains("`example.com`"), "{}", f[1].help);
    // Errors that are not about names are input errors, not findings.
    let broken = native::parse(Path::new("p.yaml"), "groups: [", &read).err().unwrap_or_default();
    assert!(from_load_errors(&broken).is_none());
}

#[test]
fn uppercase_and_ip_targets() {
    let f =
        findings(&clean("  - name: a\n    priority: 1\n    allow: [.WikiPedia.org, 192.0.2.1]\n"));
    assert!(first(&f, Lint::UppercaseTarget).help.contains("`.wikipedia.org`"));
    assert!(has(&f, Lint::IpLiteralTarget));
    let f = findings(&clean(
        "  - name: a\n    priority: 1\n    allow: [.wikipedia.org, ip.example.org]\n",
    ));
    assert!(!has(&f, Lint::UppercaseTarget) && !has(&f, Lint::IpLiteralTarget), "{f:#?}");
}

#[test]
fn exact_apex_probably_meant_subdomains() {
    // The walkthrough: "leading dots are required for subdomains".
    let f = findings(&clean("  - name: a\n    priority: 1\n    allow: [wikipedia.org]\n"));
    let finding = first(&f, Lint::ExactProbablySubdomains);
    assert!(finding.help.contains("`.wikipedia.org`"));
    assert_eq!(finding.location.as_ref().map(|l| l.line), Some(7));
    // A host, or an apex listed next to its leading-dot form, is deliberate.
    let f = findings(&clean(
        "  - name: a\n    priority: 1\n    allow: [api.github.com, en.wikipedia.org]\n",
    ));
    assert!(!has(&f, Lint::ExactProbablySubdomains), "{f:#?}");
}

#[test]
fn dotted_host_probably_meant_exact() {
    let f = findings(&clean("  - name: a\n    priority: 1\n    allow: [.www.example.org]\n"));
    assert!(first(&f, Lint::SubdomainsProbablyExact).help.contains("`www.example.org`"));
    let f = findings(&clean("  - name: a\n    priority: 1\n    allow: [.docs.example.org]\n"));
    assert!(!has(&f, Lint::SubdomainsProbablyExact));
}

#[test]
fn redundant_targets_name_the_broader_entry() {
    let f = findings(&clean(
        "  - name: a\n    priority: 1\n    allow: [.example.org, www.example.org, .api.example.org, .example.org]\n",
    ));
    let redundant: Vec<&Finding> = f.iter().filter(|f| f.lint == Lint::RedundantTarget).collect();
    assert_eq!(redundant.len(), 3, "{f:#?}");
    assert!(redundant[0].message.contains("covered by `.example.org`"));
    assert!(redundant[2].message.contains("listed twice"));
    // Siblings and look-alikes are not covered.
    let f = findings(&clean(
        "  - name: a\n    priority: 1\n    allow: [www.example.org, api.example.org, .badexample.org, .org.example.net]\n",
    ));
    assert!(!has(&f, Lint::RedundantTarget), "{f:#?}");
}

#[test]
fn shadowed_by_an_earlier_group_is_proven_on_the_matcher() {
    let f = findings(&clean(
        "  - name: deny-all-example
    priority: 1
    deny: [.example.org]
  - name: allow-api
    priority: 2
    allow: [api.example.org, .docs.example.org, other.net]
",
    ));
    let shadowed: Vec<&Finding> = f.iter().filter(|f| f.lint == Lint::ShadowedRule).collect();
    assert_eq!(shadowed.len(), 2, "{f:#?}");
    assert!(shadowed[0].message.contains("`api.example.org`"));
    assert!(shadowed[1].message.contains("`.docs.example.org`"));
    assert_eq!(shadowed[0].related[0].location.line, 7);
    // The other order: the narrow entries decide first, nothing is shadowed.
    let f = findings(&clean(
        "  - name: allow-api
    priority: 1
    allow: [api.example.org]
  - name: deny-all-example
    priority: 2
    deny: [.example.org]
",
    ));
    assert!(!has(&f, Lint::ShadowedRule), "{f:#?}");
    // A narrower earlier entry does not shadow a broader later one.
    let f = findings(&clean(
        "  - name: deny-www
    priority: 1
    deny: [www.example.org]
  - name: allow
    priority: 2
    allow: [.example.org]
",
    ));
    assert!(!has(&f, Lint::ShadowedRule), "{f:#?}");
}

#[test]
fn contradictions_say_who_wins() {
    // STRICT_ORDER: the earlier group wins (SEMANTICS.md §4.3).
    let f = findings(&clean(
        "  - name: allow
    priority: 1
    allow: [.example.org]
  - name: deny
    priority: 2
    deny: [ads.example.org]
",
    ));
    let c = first(&f, Lint::Contradiction);
    assert!(c.message.contains("`.example.org` (pass in group `allow`) wins"), "{}", c.message);
    assert_eq!(c.severity, Severity::Warning);
    // The exception pattern (narrow deny first) is reported as a note.
    let f = findings(&clean(
        "  - name: deny
    priority: 1
    deny: [ads.example.org]
  - name: allow
    priority: 2
    allow: [.example.org]
",
    ));
    assert_eq!(first(&f, Lint::Contradiction).severity, Severity::Note);
    // DEFAULT_ACTION_ORDER: pass outranks drop whatever the priorities (§4.2).
    let f = findings(
        "rule_order: default_action_order
home_net: [10.0.0.0/16]
groups:
  - name: deny
    priority: 1
    deny: [ads.example.org]
  - name: allow
    priority: 2
    allow: [.example.org]
",
    );
    assert!(first(&f, Lint::Contradiction).message.contains("pass outranks drop"));
    let f = findings(&clean(
        "  - name: deny
    priority: 1
    deny: [.example.net]
  - name: allow
    priority: 2
    allow: [.example.org]
",
    ));
    assert!(!has(&f, Lint::Contradiction), "{f:#?}");
}

#[test]
fn shared_zones_and_public_suffixes() {
    // The walkthrough: `.amazonaws.com` is broad; prefer VPC endpoints.
    let f = findings(&clean(
        "  - name: a\n    priority: 1\n    allow: [.amazonaws.com, .ngrok.io, .co.uk, .github.io]\n",
    ));
    let zone = first(&f, Lint::SharedZoneAllowed);
    assert!(zone.help.contains("VPC endpoints"), "{}", zone.help);
    assert_eq!(f.iter().filter(|f| f.lint == Lint::SharedZoneAllowed).count(), 3);
    assert!(first(&f, Lint::PublicSuffixAllowed).message.contains("`.co.uk`"));
    // Specific names inside a zone are the advice, not a finding; deny lists may be broad.
    let f = findings(&clean(
        "  - name: d\n    priority: 1\n    deny: [.ngrok.io, .co.uk]\n  - name: a\n    priority: 2\n    allow: [my-bucket.s3.us-east-1.amazonaws.com, .example.co.uk]\n",
    ));
    assert!(!has(&f, Lint::SharedZoneAllowed) && !has(&f, Lint::PublicSuffixAllowed), "{f:#?}");
}

#[test]
fn cdn_hints_are_probed() {
    let f = findings(&clean("  - name: a\n    priority: 1\n    allow: [.wikipedia.org]\n"));
    assert!(first(&f, Lint::CdnNotAllowed).message.contains("upload.wikimedia.org"));
    let f = findings(&clean(
        "  - name: a\n    priority: 1\n    allow: [.wikipedia.org, .wikimedia.org]\n",
    ));
    assert!(!has(&f, Lint::CdnNotAllowed), "{f:#?}");
}

fn with_defaults(defaults: &str, groups: &str) -> Vec<Finding> {
    findings(&format!(
        "rule_order: strict_order\ndefault_actions: [{defaults}]\nhome_net: [10.0.0.0/16]\ngroups:\n{groups}"
    ))
}

const ALLOW: &str = "  - name: a\n    priority: 1\n    allow: [.wikipedia.org, .wikimedia.org]\n";
const DENY: &str = "  - name: d\n    priority: 1\n    deny: [.example.net]\n";

#[test]
fn drop_strict_with_an_allowlist() {
    // SEMANTICS.md §5.1 / pitfall 5: the handshake is dropped.
    let f = with_defaults("aws:drop_strict, aws:alert_strict", ALLOW);
    assert!(has(&f, Lint::DropStrictWithAppLayerPass), "{f:#?}");
    let f = with_defaults("aws:drop_strict, aws:alert_strict", DENY);
    assert!(!has(&f, Lint::DropStrictWithAppLayerPass), "{f:#?}");
}

#[test]
fn drop_established_and_split_client_hellos() {
    // SEMANTICS.md §11 pitfall 1.
    let f = with_defaults("aws:drop_established, aws:alert_established", ALLOW);
    assert!(
        first(&f, Lint::DropEstablishedSplitHello)
            .help
            .contains("aws:drop_established_app_layer_to_server")
    );
    let f = with_defaults(
        "aws:drop_established_app_layer_to_server, aws:alert_established_app_layer_to_server",
        ALLOW,
    );
    assert!(!has(&f, Lint::DropEstablishedSplitHello), "{f:#?}");
}

#[test]
fn drop_default_without_alert_default() {
    // SEMANTICS.md §11 pitfall 14: silent drops.
    let f = with_defaults("aws:drop_established_app_layer_to_server", ALLOW);
    assert!(
        first(&f, Lint::DropDefaultWithoutAlert)
            .help
            .contains("aws:alert_established_app_layer_to_server")
    );
    let f = with_defaults(
        "aws:drop_established_app_layer_to_server, aws:alert_established_app_layer_to_server",
        ALLOW,
    );
    assert!(!has(&f, Lint::DropDefaultWithoutAlert));
}

#[test]
fn invalid_default_action_combinations() {
    // SEMANTICS.md §5.1: one drop + one alert, families not mixed.
    for bad in [
        "aws:drop_established, aws:alert_established_app_layer",
        "aws:drop_strict, aws:drop_established",
        "aws:alert_strict, aws:alert_established",
    ] {
        let f = with_defaults(bad, ALLOW);
        assert!(has(&f, Lint::InvalidDefaultActions), "{bad}: {f:#?}");
        assert!(!has(&f, Lint::InvalidPolicy), "the compiler's copy is not repeated: {f:#?}");
    }
    let f = findings(
        "rule_order: default_action_order\ndefault_actions: [aws:drop_established]\nhome_net: [10.0.0.0/8]\ngroups:\n  - name: d\n    priority: 1\n    deny: [.example.net]\n",
    );
    assert!(has(&f, Lint::InvalidDefaultActions), "{f:#?}");
    let f = with_defaults("aws:drop_established, aws:alert_strict", DENY);
    assert!(!has(&f, Lint::InvalidDefaultActions), "{f:#?}");
}

#[test]
fn missing_rule_order() {
    let f = findings(
        "default_actions: []\nhome_net: [10.0.0.0/8]\ngroups:\n  - name: d\n    priority: 1\n    deny: [.example.net]\n",
    );
    assert!(first(&f, Lint::MissingEngineOptions).message.contains("DEFAULT_ACTION_ORDER"));
    assert!(!has(&findings(&clean(DENY)), Lint::MissingEngineOptions));
}

#[test]
fn group_rule_order_mismatch() {
    let f = findings(&clean(
        "  - name: d\n    priority: 1\n    rule_order: default_action_order\n    deny: [.example.net]\n",
    ));
    assert!(has(&f, Lint::GroupRuleOrderMismatch), "{f:#?}");
    let f = findings(&clean(
        "  - name: d\n    priority: 1\n    rule_order: strict_order\n    deny: [.example.net]\n",
    ));
    assert!(!has(&f, Lint::GroupRuleOrderMismatch));
}

#[test]
fn allowlist_with_reject_list_under_action_order() {
    // SEMANTICS.md §1.4: the allowlist's drop pre-empts reject and alert.
    let dao = "rule_order: default_action_order\nhome_net: [10.0.0.0/8]\ngroups:\n  - name: a\n    priority: 1\n    allow: [.example.org]\n  - name: r\n    priority: 2\n    reject: [.example.net]\n";
    assert!(has(&findings(dao), Lint::AllowlistWithRejectOrAlert));
    let strict = dao.replace("default_action_order", "strict_order");
    assert!(!has(&findings(&strict), Lint::AllowlistWithRejectOrAlert));
}

fn with_rule_group(priority: Option<u8>) -> Policy {
    let mut policy = parse(&clean(DENY));
    let RulesSource::DomainList(list) = &policy.groups[0].rules else { panic!("a list") };
    let mut rule = crate::expand::entry_rule(
        ListKind::Denylist,
        &list.targets[0],
        0,
        TargetType::TlsSni,
        1,
        false,
    );
    rule.priority = priority;
    let mut group: RuleGroup = policy.groups[0].clone();
    group.name = "rules".into();
    group.priority = 2;
    group.rules = RulesSource::Rules(vec![rule]);
    policy.groups.push(group);
    policy
}

#[test]
fn priority_in_strict_order() {
    let f = lint(&with_rule_group(Some(1)), &Facts::default());
    assert!(has(&f, Lint::PriorityInStrictOrder), "{f:#?}");
    let f = lint(&with_rule_group(None), &Facts::default());
    assert!(!has(&f, Lint::PriorityInStrictOrder), "{f:#?}");
}

#[test]
fn home_net_gaps_from_declared_or_observed_sources() {
    let policy = parse(&clean(ALLOW));
    let net = |t: &str| t.parse::<IpNet>().unwrap_or_else(|e| panic!("{e}"));
    let facts = Facts {
        sources: vec![
            (net("10.0.5.0/24"), "--source".into()),
            (net("10.1.0.0/16"), "spoke VPC".into()),
        ],
        ..Facts::default()
    };
    let f = lint(&policy, &facts);
    let gap = first(&f, Lint::HomeNetNotCovering);
    assert!(
        gap.message.contains("10.1.0.0/16 (spoke VPC)") && !gap.message.contains("10.0.5.0"),
        "{}",
        gap.message
    );
    let facts = Facts { sources: vec![(net("10.0.5.0/24"), "x".into())], ..Facts::default() };
    assert!(!has(&lint(&policy, &facts), Lint::HomeNetNotCovering));
}

#[test]
fn home_net_undeclared() {
    let f = findings(
        "rule_order: strict_order\ngroups:\n  - name: d\n    priority: 1\n    deny: [.example.net]\n",
    );
    assert!(has(&f, Lint::HomeNetNotDeclared));
    assert!(!has(&findings(&clean(DENY)), Lint::HomeNetNotDeclared));
}

#[test]
fn undefined_variables_come_from_the_compiler() {
    let mut policy = with_rule_group(None);
    if let RulesSource::Rules(rules) = &mut policy.groups[1].rules {
        rules[0].src = crate::address::AddrSpec::Var("SPOKES".into());
    }
    let f = lint(&policy, &Facts::default());
    assert!(first(&f, Lint::UndefinedVariable).message.contains("SPOKES"), "{f:#?}");
    assert!(!has(&lint(&with_rule_group(None), &Facts::default()), Lint::UndefinedVariable));
}

#[test]
fn capacity_and_size_limits() {
    let policy = parse(&clean(
        "  - name: a\n    priority: 1\n    capacity: 100\n    allow: [.wikipedia.org, .wikimedia.org]\n",
    ));
    let over = Facts {
        capacities: vec![Some(101)],
        rules_string_lengths: vec![Some(2_000_001)],
        ..Facts::default()
    };
    let f = lint(&policy, &over);
    assert!(first(&f, Lint::CapacityExceeded).message.contains("declared capacity 100"));
    assert!(has(&f, Lint::RulesStringTooLong));
    let huge = Facts { capacities: vec![Some(30_001)], ..Facts::default() };
    let unlimited = parse(&clean(ALLOW));
    let f = lint(&unlimited, &huge);
    assert!(first(&f, Lint::CapacityExceeded).message.contains("30000"));
    assert!(has(&f, Lint::PolicyCapacityExceeded));
    let fine = Facts {
        capacities: vec![Some(100)],
        rules_string_lengths: vec![Some(2_000_000)],
        ..Facts::default()
    };
    let f = lint(&policy, &fine);
    assert!(
        !has(&f, Lint::CapacityExceeded)
            && !has(&f, Lint::RulesStringTooLong)
            && !has(&f, Lint::PolicyCapacityExceeded)
    );
}

#[test]
fn duplicate_priorities_too_many_and_empty_groups() {
    let f = findings(&clean(
        "  - name: a\n    priority: 1\n    allow: [.wikipedia.org, .wikimedia.org]\n  - name: b\n    priority: 1\n    deny: [.example.net]\n",
    ));
    assert!(first(&f, Lint::DuplicateGroupPriority).message.contains("`a` and `b`"));
    let many: String = (1..=21)
        .map(|i| format!("  - name: g{i}\n    priority: {i}\n    deny: [.e{i}.example.net]\n"))
        .collect();
    assert!(has(&findings(&clean(&many)), Lint::TooManyGroups));
    let twenty: String = (1..=20)
        .map(|i| format!("  - name: g{i}\n    priority: {i}\n    deny: [.e{i}.example.net]\n"))
        .collect();
    let f = findings(&clean(&twenty));
    assert!(!has(&f, Lint::TooManyGroups) && !has(&f, Lint::DuplicateGroupPriority));
    let f = findings(&clean("  - name: e\n    priority: 1\n    deny: []\n"));
    assert!(has(&f, Lint::EmptyGroup));
    assert!(!has(&findings(&clean(DENY)), Lint::EmptyGroup));
}

#[test]
fn suppressions_need_a_reason() {
    let text = clean(
        "  - name: a
    priority: 1
    allow:
      # rulesim: allow(RS302) reason: our own bucket, VPC endpoint planned
      - .s3.amazonaws.com
      - .ngrok.io  # rulesim: allow(shared-zone-allowed)
      - .cloudfront.net  # rulesim: allow(RS999, RS302) reason: test
",
    );
    let mut f = lint(&parse(&text), &Facts::default());
    let (suppressions, problems) = suppress::parse("p.yaml", &text);
    assert_eq!(suppressions.len(), 2);
    assert_eq!(suppressions[0].applies_to, 9);
    let removed = suppress::apply(&mut f, &suppressions);
    assert_eq!(removed, 2, "{f:#?}");
    let zones: Vec<u32> = f
        .iter()
        .filter(|f| f.lint == Lint::SharedZoneAllowed)
        .filter_map(|f| f.location.as_ref().map(|l| l.line))
        .collect();
    assert_eq!(zones, [10], "only the one without a reason stays");
    let problem: Vec<Lint> = problems.iter().map(|p| p.lint).collect();
    assert_eq!(problem, [Lint::SuppressionWithoutReason, Lint::UnknownSuppression]);
}

#[test]
fn catalogue_codes_and_names_are_unique_and_documented() {
    let docs = include_str!("../../../../docs/lints.md");
    let mut codes = std::collections::BTreeSet::new();
    let mut names = std::collections::BTreeSet::new();
    for lint in Lint::ALL {
        assert!(codes.insert(lint.code()) && names.insert(lint.name()), "{lint}");
        assert_eq!(Lint::find(lint.code()), Some(*lint));
        assert_eq!(Lint::find(lint.name()), Some(*lint));
        let heading = format!("## {} `{}`", lint.code(), lint.name());
        assert!(docs.contains(&heading), "docs/lints.md lacks `{heading}`");
    }
}
