//! CloudFormation (YAML with short-form intrinsics) and Terraform plan JSON,
//! read into policies and evaluated.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use rulesim_aws::{PolicyFormat, load_policy};
use rulesim_core::{
    ClientHello, CompiledPolicy, DecidedBy, Observation, Protocol, Transport, Verdict,
};

fn load(name: &str) -> rulesim_aws::Loaded {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let read = |p: &Path| std::fs::read_to_string(dir.join(p)).map_err(|e| e.to_string());
    load_policy(Path::new(name), None, &[], &read).unwrap_or_else(|e| panic!("{e}"))
}

fn verdict(policy: &CompiledPolicy, src: &str, dst: &str, sni: &str) -> (Verdict, Option<String>) {
    let obs = Observation {
        transport: Transport::Tcp,
        app: Some(Protocol::Tls),
        src: src.parse().unwrap(),
        src_port: 40000,
        dst: dst.parse().unwrap(),
        dst_port: 443,
        to_server: true,
        established: true,
        app_layer_inspected: true,
        client_hello: Some(ClientHello { sni: Some(sni.as_bytes()) }),
        http: None,
        dns_query: None,
    };
    let d = policy.evaluate(&obs);
    let by = match d.decided_by {
        DecidedBy::Rule { id, .. } => Some(format!(
            "{} sid:{}",
            policy.summary(id).unwrap().group,
            policy.summary(id).unwrap().sid
        )),
        _ => None,
    };
    (d.verdict, by)
}

#[test]
fn cloudformation_yaml_with_refs_between_resources() {
    let loaded = load("template.yaml");
    assert_eq!(loaded.format, PolicyFormat::CloudFormation);
    let p = &loaded.policy;
    assert_eq!(p.name, "agent-egress");
    let groups: Vec<(&str, u32)> = p.groups.iter().map(|g| (g.name.as_str(), g.priority)).collect();
    assert_eq!(groups, [("STACK-allowed", 20), ("deny-rules", 10)]);
    assert_eq!(p.home_net.cidrs.len(), 2);
    let c = CompiledPolicy::build(loaded.policy.clone()).unwrap();
    let ext = "198.51.100.7";
    assert_eq!(
        verdict(&c, "10.200.0.5", ext, "en.wikipedia.org"),
        (Verdict::Pass, Some("STACK-allowed sid:1".into()))
    );
    // Priority 10 runs first: the rule string's drop beats the allowlist's .pypi.org.
    assert_eq!(
        verdict(&c, "10.200.0.5", ext, "upload.pypi.org"),
        (Verdict::Drop, Some("deny-rules sid:10".into()))
    );
    assert_eq!(verdict(&c, "10.200.0.5", ext, "files.pypi.org").0, Verdict::Pass);
    assert_eq!(verdict(&c, "10.200.0.5", ext, "twitter.com"), (Verdict::Drop, None));
    // The rule keeps its place in the template: line 34 (after the comment line), where the rule text starts.
    let rule = c.rule(rulesim_core::RuleId { group: 1, rule: 0 }).unwrap();
    assert_eq!(rule.provenance.location.to_string(), "template.yaml:34:13");
}

#[test]
fn terraform_plan_with_references_resolved_from_the_configuration() {
    let loaded = load("terraform-plan.json");
    assert_eq!(loaded.format, PolicyFormat::Terraform);
    let p = &loaded.policy;
    let groups: Vec<(&str, u32)> = p.groups.iter().map(|g| (g.name.as_str(), g.priority)).collect();
    assert_eq!(groups, [("browser-allowed-domains", 1), ("deny-structured", 2)]);
    let c = CompiledPolicy::build(loaded.policy.clone()).unwrap();
    assert_eq!(
        verdict(&c, "10.200.0.5", "203.0.113.9", "en.wikipedia.org"),
        (Verdict::Pass, Some("browser-allowed-domains sid:1".into()))
    );
    // The structured rule drops twitter.com to $BLOCKED only; elsewhere the default drops it.
    assert_eq!(
        verdict(&c, "10.200.0.5", "198.51.100.9", "twitter.com"),
        (Verdict::Drop, Some("deny-structured sid:7".into()))
    );
    assert_eq!(verdict(&c, "10.200.0.5", "203.0.113.9", "twitter.com"), (Verdict::Drop, None));
    // Outside HOME_NET nothing applies but the default.
    assert_eq!(verdict(&c, "192.0.2.1", "203.0.113.9", "en.wikipedia.org").1, None);
}
