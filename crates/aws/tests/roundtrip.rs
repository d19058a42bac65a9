//! Render, read back, decide the same.
//!
//! Every example policy and proptest-generated policies are rendered to AWS
//! JSON, CloudFormation and Suricata text; each rendering is read back
//! through the readers users would use, and must give the same decision as
//! the original for every observation tried (verdict, deciding rule or
//! default, alerts).
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use rulesim_aws::render::{Target, render};
use rulesim_aws::{load_policy, suricata};
use rulesim_core::name::parse_target;
use rulesim_core::{
    ClientHello, CompiledPolicy, DefaultAction, DomainList, Generation, HomeNet, HttpRequest,
    ListKind, Location, Observation, Policy, Protocol, RuleGroup, RuleOrder, RulesSource,
    Target as ListTarget, TargetType, Transport, native,
};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Files in memory: what `render` produced, keyed by name.
fn reader(files: &BTreeMap<PathBuf, String>) -> impl Fn(&Path) -> Result<String, String> + '_ {
    move |p: &Path| files.get(p).cloned().ok_or_else(|| format!("no file {}", p.display()))
}

fn rendered(policy: &Policy, target: Target, dir: &str) -> BTreeMap<PathBuf, String> {
    render(policy, target)
        .unwrap_or_else(|e| panic!("render {target:?}: {e}"))
        .into_iter()
        .map(|f| (Path::new(dir).join(f.name), f.contents))
        .collect()
}

/// The policy read back from each rendering.
fn read_back(policy: &Policy) -> Vec<(&'static str, Policy)> {
    let mut out = Vec::new();
    let aws = rendered(policy, Target::Aws, "out");
    let loaded = load_policy(Path::new("out/firewall-policy.json"), None, &[], &reader(&aws))
        .unwrap_or_else(|e| panic!("aws read-back: {e}\n{aws:#?}"));
    out.push(("aws", loaded.policy));
    let cfn = rendered(policy, Target::CloudFormation, "cfn");
    let loaded = load_policy(Path::new("cfn/template.json"), None, &[], &reader(&cfn))
        .unwrap_or_else(|e| panic!("cloudformation read-back: {e}\n{cfn:#?}"));
    out.push(("cloudformation", loaded.policy));
    let rules = rendered(policy, Target::Suricata, "s");
    let mut from_rules = policy.clone();
    for group in &mut from_rules.groups {
        let name = format!("s/{}.rules", group.name);
        let text = &rules[Path::new(&name)];
        group.rules = RulesSource::Rules(
            suricata::parse_rules(&name, text).unwrap_or_else(|e| panic!("{name}: {e}\n{text}")),
        );
    }
    out.push(("suricata", from_rules));
    out
}

/// Names worth asking about: every target, its apex, a subdomain, a
/// look-alike, upper case, and unrelated names.
fn names(policy: &Policy) -> Vec<String> {
    let mut out = vec!["example.org".to_string(), "twitter.com".into(), "".into()];
    for g in &policy.groups {
        if let RulesSource::DomainList(list) = &g.rules {
            for t in &list.targets {
                let n = t.name.name.clone();
                out.push(format!("www.{n}"));
                out.push(format!("x{n}"));
                out.push(n.to_ascii_uppercase());
                out.push(format!("{n}.evil.net"));
                out.push(n);
            }
        }
    }
    out
}

fn observations<'a>(names: &'a [String], src: std::net::IpAddr) -> Vec<Observation<'a>> {
    let mut out = Vec::new();
    for n in names {
        for established in [true, false] {
            let base = Observation {
                transport: Transport::Tcp,
                app: Some(Protocol::Tls),
                src,
                src_port: 40000,
                dst: "198.51.100.7".parse().unwrap(),
                dst_port: 443,
                to_server: true,
                established,
                app_layer_inspected: true,
                client_hello: Some(ClientHello { sni: Some(n.as_bytes()) }),
                http: None,
                dns_query: None,
            };
            out.push(base);
            out.push(Observation { client_hello: Some(ClientHello { sni: None }), ..base });
            out.push(Observation {
                app: Some(Protocol::Http),
                dst_port: 80,
                client_hello: None,
                http: Some(HttpRequest {
                    host: Some(n.as_bytes()),
                    header_names: Some(b"\r\nHost\r\n\r\n"),
                }),
                ..base
            });
            out.push(Observation {
                transport: Transport::Udp,
                app: Some(Protocol::Dns),
                dst_port: 53,
                client_hello: None,
                dns_query: Some(n.as_bytes()),
                ..base
            });
        }
    }
    out
}

fn assert_same_decisions(policy: &Policy) {
    let original = CompiledPolicy::build(policy.clone()).unwrap();
    let src = rulesim_core::address::IpSet::from_nets(&policy.home_net.cidrs)
        .first()
        .unwrap_or("10.0.0.5".parse().unwrap());
    let names = names(policy);
    let obs = observations(&names, src);
    for (format, back) in read_back(policy) {
        let compiled = CompiledPolicy::build(back).unwrap_or_else(|e| panic!("{format}: {e}"));
        for o in &obs {
            assert_eq!(
                compiled.evaluate(o),
                original.evaluate(o),
                "{format}: different decision for {o:?}"
            );
        }
    }
}

#[test]
fn every_example_renders_and_reads_back_to_the_same_decisions() {
    let mut count = 0;
    for entry in std::fs::read_dir(root().join("examples")).unwrap() {
        let path = entry.unwrap().path().join("rulesim.yaml");
        if !path.exists() {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| e.to_string());
        let policy = native::parse(&path, &text, &read).unwrap();
        assert_same_decisions(&policy);
        count += 1;
    }
    assert!(count >= 2, "examples found: {count}");
}

const POOL: &[&str] = &[
    "example.com",
    ".example.com",
    "a.example.com",
    ".test",
    "b.test",
    "wikipedia.org",
    ".wikipedia.org",
    "xn--bcher-kva.example",
];

fn list_strategy() -> impl Strategy<Value = (ListKind, Vec<TargetType>, Vec<&'static str>)> {
    (
        prop::sample::select(vec![
            ListKind::Allowlist,
            ListKind::Denylist,
            ListKind::Rejectlist,
            ListKind::Alertlist,
        ]),
        prop::sample::subsequence(
            vec![TargetType::TlsSni, TargetType::HttpHost, TargetType::Dns],
            1..=3,
        ),
        prop::sample::subsequence(POOL.to_vec(), 1..=4),
    )
}

fn policy_strategy() -> impl Strategy<Value = Policy> {
    (
        any::<bool>(),
        prop::option::of(any::<bool>()),
        prop::sample::select(vec![0usize, 1, 2, 3]),
        prop::collection::vec(list_strategy(), 1..4),
        any::<bool>(),
    )
        .prop_map(|(strict, trailers, defaults, lists, home)| {
            let mut p = Policy::new("generated");
            p.rule_order =
                if strict { RuleOrder::StrictOrder } else { RuleOrder::DefaultActionOrder };
            p.generation = Generation { allowlist_trailers: trailers };
            if strict {
                p.default_actions = match defaults {
                    0 => vec![],
                    1 => vec![DefaultAction::DropEstablished],
                    2 => vec![DefaultAction::DropStrict, DefaultAction::AlertStrict],
                    _ => vec![
                        DefaultAction::DropEstablishedAppLayerToServer,
                        DefaultAction::AlertEstablishedAppLayerToServer,
                    ],
                };
            }
            if home {
                p.home_net = HomeNet {
                    cidrs: vec!["10.9.0.0/16".parse().unwrap()],
                    declared_at: Some(Location::builtin("t")),
                };
            }
            for (i, (kind, types, targets)) in lists.into_iter().enumerate() {
                p.groups.push(RuleGroup {
                    name: format!("group-{i}"),
                    priority: 10 * (i as u32 + 1),
                    rule_order: None,
                    variables: Default::default(),
                    capacity: None,
                    rules: RulesSource::DomainList(DomainList {
                        kind,
                        target_types: types,
                        targets: targets
                            .into_iter()
                            .map(|t| ListTarget {
                                name: parse_target(t).unwrap(),
                                written: t.to_string(),
                                location: Location::new("g.yaml", 1, 1),
                            })
                            .collect(),
                    }),
                    location: Location::new("g.yaml", 1, 1),
                });
            }
            p
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn generated_policies_round_trip(policy in policy_strategy()) {
        assert_same_decisions(&policy);
    }
}
