//! Rendering against the documentation: the Suricata text AWS documents for
//! its domain lists (SEMANTICS.md §1.5, quoted from the AWS developer
//! guide), the capacity formula (§6) and the limits (§2.3, §6).
#![allow(clippy::unwrap_used)]

use std::path::Path;

use rulesim_aws::load_policy;
use rulesim_aws::render::{Target, capacity, render};
use rulesim_core::{Policy, native};

fn policy(yaml: &str) -> Policy {
    native::parse(Path::new("p.yaml"), yaml, &|_| Err("no includes".into())).unwrap()
}

fn suricata(yaml: &str) -> String {
    let files = render(&policy(yaml), Target::Suricata).unwrap();
    assert_eq!(files.len(), 1);
    files[0].contents.clone()
}

/// SEMANTICS.md §1.5 (a): DENYLIST `evil.com`, TLS_SNI + HTTP_HOST.
#[test]
fn denylist_rules_are_the_documented_ones() {
    let text = suricata(
        "rule_order: default_action_order\ngroups:\n  - {name: deny, priority: 1, protocols: [tls_sni, http_host], deny: [evil.com]}\n",
    );
    assert_eq!(
        text,
        concat!(
            r#"drop tls $HOME_NET any -> $EXTERNAL_NET any (ssl_state:client_hello; tls.sni; content:"evil.com"; startswith; nocase; endswith; msg:"matching TLS denylisted FQDNs"; priority:1; flow:to_server, established; sid:1; rev:1;)"#,
            "\n",
            r#"drop http $HOME_NET any -> $EXTERNAL_NET any (http.host; content:"evil.com"; startswith; endswith; msg:"matching HTTP denylisted FQDNs"; priority:1; flow:to_server, established; sid:2; rev:1;)"#,
            "\n"
        )
    );
}

/// SEMANTICS.md §1.5 (b) and (c): ALLOWLIST `.amazon.com`, `example.com`.
#[test]
fn allowlist_rules_are_the_documented_ones() {
    let http = suricata(
        "rule_order: default_action_order\ngroups:\n  - {name: allow, priority: 1, protocols: [http_host], allow: [.amazon.com, example.com]}\n",
    );
    assert_eq!(
        http.lines().collect::<Vec<_>>(),
        [
            r#"pass http $HOME_NET any -> $EXTERNAL_NET any (http.host; dotprefix; content:".amazon.com"; endswith; msg:"matching HTTP allowlisted FQDNs"; priority:1; flow:to_server, established; sid:1; rev:1;)"#,
            r#"pass http $HOME_NET any -> $EXTERNAL_NET any (http.host; content:"example.com"; startswith; endswith; msg:"matching HTTP allowlisted FQDNs"; priority:1; flow:to_server, established; sid:2; rev:1;)"#,
            r#"drop http $HOME_NET any -> $EXTERNAL_NET any (http.header_names; content:"|0d 0a|"; startswith; msg:"not matching any HTTP allowlisted FQDNs"; priority:1; flow:to_server, established; sid:3; rev:1;)"#,
        ]
    );
    let tls = suricata(
        "rule_order: default_action_order\ngroups:\n  - {name: allow, priority: 1, protocols: [tls_sni], allow: [.amazon.com, example.com]}\n",
    );
    assert_eq!(
        tls.lines().collect::<Vec<_>>(),
        [
            r#"pass tls $HOME_NET any -> $EXTERNAL_NET any (ssl_state:client_hello; tls.sni; dotprefix; content:".amazon.com"; nocase; endswith; msg:"matching TLS allowlisted FQDNs"; priority:1; flow:to_server, established; sid:1; rev:1;)"#,
            r#"pass tls $HOME_NET any -> $EXTERNAL_NET any (ssl_state:client_hello; tls.sni; content:"example.com"; startswith; nocase; endswith; msg:"matching TLS allowlisted FQDNs"; priority:1; flow:to_server, established; sid:2; rev:1;)"#,
            r#"drop tls $HOME_NET any -> $EXTERNAL_NET any (msg:"not matching any TLS allowlisted FQDNs"; priority:1; ssl_state:client_hello; flow:to_server, established; sid:3; rev:1;)"#,
        ]
    );
}

fn names(n: usize) -> String {
    (0..n).map(|i| format!("d{i}.example.com")).collect::<Vec<_>>().join(", ")
}

/// SEMANTICS.md §6: 20 allow-list domains on both protocols cost 3 + 2×19 = 41;
/// the first domain costs 1 (TLS only) or 2 (HTTP only).
#[test]
fn capacity_follows_the_documented_formula() {
    let cases = [
        (20, "[tls_sni, http_host]", 41),
        (1, "[tls_sni]", 1),
        (1, "[http_host]", 2),
        (5, "[tls_sni]", 5),
    ];
    for (n, protocols, expected) in cases {
        let p = policy(&format!(
            "groups:\n  - {{name: g, priority: 1, protocols: {protocols}, allow: [{}]}}\n",
            names(n)
        ));
        assert_eq!(capacity(&p, &p.groups[0]), expected, "{n} names on {protocols}");
    }
    // A rule string costs one unit per rule: a DNS list (rendered as rules) of 3 names.
    let p = policy(&format!(
        "groups:\n  - {{name: g, priority: 1, protocols: [dns], deny: [{}]}}\n",
        names(3)
    ));
    assert_eq!(capacity(&p, &p.groups[0]), 3);
}

#[test]
fn limits_and_declared_capacity_are_checked() {
    let too_many: String = (1..=21)
        .map(|i| format!("  - {{name: g{i}, priority: {i}, deny: [a{i}.com]}}\n"))
        .collect();
    let e = render(&policy(&format!("groups:\n{too_many}")), Target::Aws).unwrap_err().to_string();
    assert!(e.contains("the policy has 21 rule groups; AWS allows 20"), "{e}");

    let big =
        policy(&format!("groups:\n  - {{name: big, priority: 1, deny: [{}]}}\n", names(15_000)));
    let e = render(&big, Target::Aws).unwrap_err().to_string();
    assert!(
        e.starts_with("p.yaml:2:5: error: group `big` needs capacity 30001; AWS allows 30000"),
        "{e}"
    );

    let small = policy("groups:\n  - {name: g, priority: 1, capacity: 2, deny: [a.com, b.com]}\n");
    let e = render(&small, Target::Aws).unwrap_err().to_string();
    assert!(e.contains("declares capacity 2 but its rules need 5"), "{e}");

    let bad_name = policy("groups:\n  - {name: my group, priority: 1, deny: [a.com]}\n");
    let e = render(&bad_name, Target::Aws).unwrap_err().to_string();
    assert!(e.contains("`my group` is not a valid AWS rule group name"), "{e}");
}

#[test]
fn strict_order_allowlists_render_as_rules_source_lists_and_dns_as_rule_strings() {
    let p = policy(
        "default_actions: [aws:drop_established]\nhome_net: [10.0.0.0/16]\ngroups:\n  - {name: allow, priority: 1, allow: [.a.com]}\n  - {name: dns, priority: 2, protocols: [dns], deny: [b.com]}\n",
    );
    let files = render(&p, Target::Aws).unwrap();
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["allow.json", "dns.json", "firewall-policy.json"]);
    let allow: serde_json::Value = serde_json::from_str(&files[0].contents).unwrap();
    assert_eq!(
        allow["RuleGroup"]["RulesSource"]["RulesSourceList"]["GeneratedRulesType"],
        "ALLOWLIST"
    );
    assert_eq!(allow["RuleGroup"]["StatefulRuleOptions"]["RuleOrder"], "STRICT_ORDER");
    assert_eq!(allow["Capacity"], 3);
    let dns: serde_json::Value = serde_json::from_str(&files[1].contents).unwrap();
    let rules = dns["RuleGroup"]["RulesSource"]["RulesString"].as_str().unwrap();
    assert!(
        rules.starts_with("drop dns $HOME_NET any -> any any (dns.query; content:\"b.com\""),
        "{rules}"
    );
    let fp: serde_json::Value = serde_json::from_str(&files[2].contents).unwrap();
    assert_eq!(fp["FirewallPolicy"]["StatefulDefaultActions"][0], "aws:drop_established");
    assert_eq!(
        fp["FirewallPolicy"]["PolicyVariables"]["RuleVariables"]["HOME_NET"]["Definition"][0],
        "10.0.0.0/16"
    );
    assert_eq!(
        fp["FirewallPolicy"]["StatefulRuleGroupReferences"][1]["ResourceArn"],
        "arn:aws:network-firewall:REGION:ACCOUNT_ID:stateful-rulegroup/dns"
    );
}

/// The walkthrough rendered to AWS JSON says what AWS's own walkthrough files say.
#[test]
fn walkthrough_renders_to_the_walkthrough_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let read = |p: &Path| std::fs::read_to_string(root.join(p)).map_err(|e| e.to_string());
    let native =
        load_policy(Path::new("examples/walkthrough/rulesim.yaml"), None, &[], &read).unwrap();
    let files = render(&native.policy, Target::Aws).unwrap();
    let ours: serde_json::Value = serde_json::from_str(&files[0].contents).unwrap();
    let aws: serde_json::Value =
        serde_json::from_str(&read(Path::new("examples/aws/allowlist-rules.json")).unwrap())
            .unwrap();
    let list = &ours["RuleGroup"]["RulesSource"]["RulesSourceList"];
    assert_eq!(list["Targets"], aws["RulesSource"]["RulesSourceList"]["Targets"]);
    assert_eq!(
        list["GeneratedRulesType"],
        aws["RulesSource"]["RulesSourceList"]["GeneratedRulesType"]
    );
    let mut types: Vec<&str> =
        list["TargetTypes"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    types.sort_unstable();
    assert_eq!(types, ["HTTP_HOST", "TLS_SNI"]);
    let fp: serde_json::Value = serde_json::from_str(&files[1].contents).unwrap();
    let theirs: serde_json::Value =
        serde_json::from_str(&read(Path::new("examples/aws/firewall-policy.json")).unwrap())
            .unwrap();
    for key in
        ["StatelessDefaultActions", "StatelessFragmentDefaultActions", "StatefulDefaultActions"]
    {
        assert_eq!(fp["FirewallPolicy"][key], theirs[key], "{key}");
    }
    assert_eq!(fp["FirewallPolicy"]["StatefulEngineOptions"]["RuleOrder"], "STRICT_ORDER");
}

#[test]
fn terraform_output_references_groups_and_escapes_strings() {
    let p = policy(
        "rule_order: default_action_order\ngroups:\n  - {name: web-deny, priority: 1, protocols: [dns], deny: [a.com]}\n",
    );
    let tf = &render(&p, Target::Terraform).unwrap()[0].contents;
    assert!(tf.contains("resource \"aws_networkfirewall_rule_group\" \"web_deny\" {"), "{tf}");
    assert!(tf.contains("resource_arn = aws_networkfirewall_rule_group.web_deny.arn"), "{tf}");
    assert!(
        tf.contains(
            "rules_string = \"drop dns $HOME_NET any -> any any (dns.query; content:\\\"a.com\\\";"
        ),
        "{tf}"
    );
    assert!(!tf.contains("priority     ="), "action order has no priorities: {tf}");
}
