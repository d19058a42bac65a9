//! The AWS walkthrough's files (examples/aws), read through the loader and
//! evaluated: the policy and its allowlist rule group must allow Wikipedia
//! and drop Twitter, as the walkthrough says, for the documented reasons.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use rulesim_aws::{PolicyFormat, load_policy};
use rulesim_core::{
    ClientHello, CompiledPolicy, DecidedBy, DefaultAction, Observation, Protocol, Transport,
    Verdict,
};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(p: &Path) -> Result<String, String> {
    std::fs::read_to_string(root().join(p)).map_err(|e| e.to_string())
}

fn hello(sni: &str) -> Observation<'_> {
    Observation {
        transport: Transport::Tcp,
        app: Some(Protocol::Tls),
        src: "10.0.0.5".parse().unwrap(),
        src_port: 40000,
        dst: "198.51.100.7".parse().unwrap(),
        dst_port: 443,
        to_server: true,
        established: true,
        app_layer_inspected: true,
        client_hello: Some(ClientHello { sni: Some(sni.as_bytes()) }),
        http: None,
        dns_query: None,
    }
}

#[test]
fn walkthrough_policy_with_its_group_allows_wikipedia_and_drops_twitter() {
    let groups = [(
        "browser-allowed-domains".to_string(),
        PathBuf::from("examples/aws/allowlist-rules.json"),
    )];
    let loaded =
        load_policy(Path::new("examples/aws/firewall-policy.json"), None, &groups, &read).unwrap();
    assert_eq!(loaded.format, PolicyFormat::Aws);
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let compiled = CompiledPolicy::build(loaded.policy).unwrap();
    let pass = compiled.evaluate(&hello("en.wikipedia.org"));
    assert_eq!(pass.verdict, Verdict::Pass);
    let DecidedBy::Rule { id, .. } = pass.decided_by else { panic!("{pass:?}") };
    let summary = compiled.summary(id).unwrap();
    assert_eq!(summary.group, "browser-allowed-domains");
    assert_eq!(summary.target.as_deref(), Some(".wikipedia.org"));
    // The entry's own position in the rule-group file: line 5, column 10 (the first character inside the quotes).
    assert_eq!(summary.location, "examples/aws/allowlist-rules.json:5:10");
    let drop = compiled.evaluate(&hello("twitter.com"));
    assert_eq!(drop.verdict, Verdict::Drop);
    assert_eq!(drop.decided_by, DecidedBy::Default { action: DefaultAction::DropEstablished });
}

#[test]
fn a_missing_group_file_names_the_reference_and_the_fix() {
    let err =
        load_policy(Path::new("examples/aws/firewall-policy.json"), None, &[], &read).unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("examples/aws/firewall-policy.json:6:23: error: rule group `browser-allowed-domains` is referenced but no file for it was given"),
        "{text}"
    );
    assert!(text.contains("--group browser-allowed-domains=FILE"), "{text}");
}

#[test]
fn managed_groups_are_skipped_with_a_warning() {
    let policy = r#"{"StatelessDefaultActions": ["aws:forward_to_sfe"],
 "StatelessFragmentDefaultActions": ["aws:forward_to_sfe"],
 "StatefulRuleGroupReferences": [
   {"ResourceArn": "arn:aws:network-firewall:us-east-1:aws-managed:stateful-rulegroup/MalwareDomainsStrictOrder", "Priority": 1}],
 "StatefulEngineOptions": {"RuleOrder": "STRICT_ORDER"},
 "StatefulDefaultActions": ["aws:drop_established"]}"#;
    let read = |_: &Path| Ok(policy.to_string());
    let loaded = load_policy(Path::new("p.json"), None, &[], &read).unwrap();
    assert_eq!(loaded.policy.groups.len(), 0);
    assert_eq!(loaded.warnings.len(), 1);
    let w = loaded.warnings[0].to_string();
    assert!(w.starts_with("p.json:4:21: warning: managed rule group"), "{w}");
    assert!(w.contains("cannot be evaluated offline"), "{w}");
}
