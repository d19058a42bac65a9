//! The compiled matcher against the definition: on random policies and
//! names, [`CompiledPolicy::evaluate`] (fst walk, Aho-Corasick, buckets) must
//! give exactly the decision of [`CompiledPolicy::evaluate_reference`] (a
//! plain loop over every expanded rule with the definitional matchers).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use rulesim_core::Pcre;
use rulesim_core::address::{AddrSpec, PortSpec};
use rulesim_core::name::{NameSource, TargetName, observe};
use rulesim_core::{
    Action, Buffer, BufferMatch, ClientHello, CompiledPolicy, CompiledPolicyBuilder, Content,
    DefaultAction, Direction, DomainList, FlowOptions, HomeNet, HttpRequest, ListKind, Location,
    Observation, Origin, Policy, Protocol, Provenance, Rule, RuleGroup, RuleOrder, RulesSource,
    Target, TargetType, Transport,
};

const LABELS: &[&str] = &["a", "b", "www", "example", "com", "net", "evil", "x-y", "co", "uk"];

fn name() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(LABELS), 1..5).prop_map(|l| l.join("."))
}

/// Observed names: listed-looking names and look-alikes, in any case, with
/// or without a trailing dot.
fn observed() -> impl Strategy<Value = String> {
    (name(), 0..6u8, any::<bool>(), any::<bool>()).prop_map(|(n, shape, upper, dot)| {
        let mut n = match shape {
            0 => format!("bad{n}"),
            1 => format!("{n}.evil.net"),
            2 => format!("deep.sub.{n}"),
            _ => n,
        };
        if upper {
            n = n.to_ascii_uppercase();
        }
        if dot {
            n.push('.');
        }
        n
    })
}

fn target() -> impl Strategy<Value = Target> {
    (name(), any::<bool>()).prop_map(|(name, leading_dot)| Target {
        written: if leading_dot { format!(".{name}") } else { name.clone() },
        name: TargetName { name, leading_dot, changes: Default::default() },
        location: Location::new("p.yaml", 1, 1),
    })
}

fn list_kind() -> impl Strategy<Value = ListKind> {
    prop::sample::select(vec![
        ListKind::Allowlist,
        ListKind::Denylist,
        ListKind::Rejectlist,
        ListKind::Alertlist,
    ])
}

fn target_types() -> impl Strategy<Value = Vec<TargetType>> {
    prop::sample::subsequence(
        vec![TargetType::TlsSni, TargetType::HttpHost, TargetType::Dns],
        1..=3,
    )
}

/// A hand-written rule with one content of random shape on one buffer.
fn rule() -> impl Strategy<Value = Rule> {
    let buffer = prop::sample::select(vec![Buffer::TlsSni, Buffer::HttpHost, Buffer::DnsQuery]);
    let action =
        prop::sample::select(vec![Action::Pass, Action::Drop, Action::Reject, Action::Alert]);
    let flags = prop::collection::vec(any::<bool>(), 5);
    let pattern = prop_oneof![
        name(),
        name().prop_map(|n| format!(".{n}")),
        prop::sample::select(LABELS).prop_map(String::from)
    ];
    let pcre = prop::option::of(prop::sample::select(vec![
        ("/^www\\./", "^www\\.", false),
        ("/example/i", "(?i)example", false),
        ("!/\\.net$/", "\\.net$", true),
    ]))
    .prop_map(|p| p.map(|(written, source, negated)| Pcre::new(written, source, negated).unwrap()));
    (buffer, action, flags, pattern, 1..4u8, pcre).prop_map(
        |(buffer, action, f, pattern, priority, pcre)| Rule {
            action,
            protocol: buffer.protocol(),
            src: AddrSpec::home_net(),
            src_ports: PortSpec::Any,
            direction: Direction::Forward,
            dst: AddrSpec::Any,
            dst_ports: PortSpec::Any,
            flow: FlowOptions::default(),
            ssl_state_client_hello: false,
            buffers: vec![BufferMatch {
                buffer,
                dotprefix: f[0],
                contents: vec![Content {
                    pattern: pattern.into_bytes(),
                    nocase: f[1],
                    startswith: f[2],
                    endswith: f[3],
                    negated: f[4] && !f[2],
                    ..Content::default()
                }],
                pcres: pcre.into_iter().collect(),
            }],
            sid: 1,
            rev: 1,
            msg: String::new(),
            priority: Some(priority),
            alert_on_pass: false,
            noalert: false,
            text: String::new(),
            provenance: Provenance {
                location: Location::new("p.rules", 1, 1),
                origin: Origin::Written,
            },
        },
    )
}

fn group() -> impl Strategy<Value = (RulesSource, u32)> {
    let list = (list_kind(), target_types(), prop::collection::vec(target(), 0..6)).prop_map(
        |(kind, target_types, targets)| {
            RulesSource::DomainList(DomainList { kind, target_types, targets })
        },
    );
    let rules = prop::collection::vec(rule(), 1..4).prop_map(RulesSource::Rules);
    (prop_oneof![3 => list, 1 => rules], 1..100u32)
}

fn defaults() -> impl Strategy<Value = Vec<DefaultAction>> {
    use DefaultAction::*;
    prop::sample::select(vec![
        vec![],
        vec![DropStrict],
        vec![DropEstablished, AlertEstablished],
        vec![DropEstablishedAppLayer],
        vec![DropEstablishedAppLayerToServer, AlertEstablishedAppLayerToServer],
        vec![AlertStrict],
    ])
}

fn policy() -> impl Strategy<Value = Policy> {
    (
        any::<bool>(),
        defaults(),
        prop::collection::vec(group(), 1..5),
        prop::option::of(any::<bool>()),
    )
        .prop_map(|(strict, defaults, groups, trailers)| {
            let mut p = Policy::new("random");
            p.rule_order =
                if strict { RuleOrder::StrictOrder } else { RuleOrder::DefaultActionOrder };
            p.default_actions = if strict { defaults } else { Vec::new() };
            p.home_net = HomeNet { cidrs: vec!["10.0.0.0/8".parse().unwrap()], declared_at: None };
            p.generation.allowlist_trailers = trailers;
            for (i, (mut rules, priority)) in groups.into_iter().enumerate() {
                if let RulesSource::Rules(rules) = &mut rules {
                    for r in rules.iter_mut().filter(|_| strict) {
                        r.priority = None;
                    }
                }
                p.groups.push(RuleGroup {
                    name: format!("g{i}"),
                    priority: priority * 10 + i as u32,
                    rule_order: None,
                    variables: Default::default(),
                    capacity: None,
                    rules,
                    location: Location::new("p.yaml", i as u32 + 1, 1),
                });
            }
            p
        })
}

#[derive(Debug, Clone)]
struct Packet {
    kind: u8,
    name: String,
    inside: bool,
    established: bool,
    to_server: bool,
    inspected: bool,
}

fn packet() -> impl Strategy<Value = Packet> {
    (0..4u8, observed(), any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
        |(kind, name, inside, established, to_server, inspected)| Packet {
            kind,
            name,
            inside,
            established,
            to_server,
            inspected,
        },
    )
}

/// The policy compiled twice: with the hash front and with the fst walk only.
fn compile(policy: Policy) -> [CompiledPolicy; 2] {
    let walk_only = CompiledPolicyBuilder::new().hash_front(false).build(policy.clone()).unwrap();
    [CompiledPolicy::build(policy).unwrap(), walk_only]
}

fn check(compiled: &[CompiledPolicy; 2], p: &Packet) -> Result<(), TestCaseError> {
    let source = match p.kind {
        0 | 1 => NameSource::TlsSni,
        2 => NameSource::HttpHost,
        _ => NameSource::DnsQuery,
    };
    let buffer = observe(source, p.name.as_bytes()).buffer;
    let (app, transport) = match source {
        NameSource::TlsSni => (Protocol::Tls, Transport::Tcp),
        NameSource::HttpHost => (Protocol::Http, Transport::Tcp),
        NameSource::DnsQuery => (Protocol::Dns, Transport::Udp),
    };
    let obs = Observation {
        transport,
        app: Some(app),
        src: if p.inside { "10.1.2.3".parse().unwrap() } else { "192.0.2.1".parse().unwrap() },
        src_port: 50000,
        dst: "198.51.100.1".parse().unwrap(),
        dst_port: 443,
        to_server: p.to_server,
        established: p.established,
        app_layer_inspected: p.inspected,
        client_hello: (source == NameSource::TlsSni)
            .then_some(ClientHello { sni: (p.kind == 0).then_some(&buffer[..]) }),
        http: (source == NameSource::HttpHost).then_some(HttpRequest {
            host: Some(&buffer),
            header_names: Some(b"\r\nHost\r\n\r\n"),
        }),
        dns_query: (source == NameSource::DnsQuery).then_some(&buffer[..]),
    };
    let reference = compiled[0].evaluate_reference(&obs);
    prop_assert_eq!(&compiled[0].evaluate(&obs), &reference, "hash front: {:?}", p);
    prop_assert_eq!(&compiled[1].evaluate(&obs), &reference, "fst walk: {:?}", p);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn compiled_matcher_equals_reference(policy in policy(), packets in prop::collection::vec(packet(), 1..24)) {
        let compiled = compile(policy);
        for p in &packets {
            check(&compiled, p)?;
        }
    }

    /// Names drawn from the policy's own targets, so that hits are common.
    #[test]
    fn compiled_matcher_equals_reference_on_listed_names(policy in policy(), prefix in prop::sample::select(vec!["", "www.", "a.b.", "bad", "WWW."]), established in any::<bool>()) {
        let names: Vec<String> = policy.groups.iter().flat_map(|g| match &g.rules {
            RulesSource::DomainList(l) => l.targets.iter().map(|t| t.name.name.clone()).collect(),
            RulesSource::Rules(_) => Vec::new(),
        }).collect();
        let compiled = compile(policy);
        for name in names {
            for kind in 0..4 {
                let p = Packet { kind, name: format!("{prefix}{name}"), inside: true, established, to_server: true, inspected: true };
                check(&compiled, &p)?;
            }
        }
    }
}

#[test]
fn compiled_policy_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<CompiledPolicy>();
    assert_send_sync::<std::sync::Arc<CompiledPolicy>>();
}
