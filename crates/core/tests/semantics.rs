//! AWS Network Firewall's decisions, table by table (SEMANTICS.md §1.3,
//! §4 and §5.2). Each expectation is written from the documentation, not
//! from the code.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::IpAddr;

use rulesim_core::name::{NameSource, observe, parse_target};
use rulesim_core::{
    Action, AlertSource, ClientHello, CompiledPolicy, DecidedBy, DefaultAction, DomainList,
    HomeNet, HttpRequest, ListKind, Location, Observation, Policy, Protocol, RuleGroup, RuleOrder,
    RulesSource, Target, TargetType, Transport, Verdict,
};

fn group(
    name: &str,
    priority: u32,
    kind: ListKind,
    types: &[TargetType],
    targets: &[&str],
) -> RuleGroup {
    RuleGroup {
        name: name.into(),
        priority,
        rule_order: None,
        variables: Default::default(),
        capacity: None,
        rules: RulesSource::DomainList(DomainList {
            kind,
            target_types: types.to_vec(),
            targets: targets
                .iter()
                .enumerate()
                .map(|(i, t)| Target {
                    name: parse_target(t).unwrap(),
                    written: t.to_string(),
                    location: Location::new("test.yaml", i as u32 + 10, 7),
                })
                .collect(),
        }),
        location: Location::new("test.yaml", 1, 1),
    }
}

fn policy(order: RuleOrder, defaults: &[DefaultAction], groups: Vec<RuleGroup>) -> CompiledPolicy {
    let mut p = Policy::new("test");
    p.rule_order = order;
    p.default_actions = defaults.to_vec();
    p.home_net = HomeNet { cidrs: vec!["10.0.0.0/16".parse().unwrap()], declared_at: None };
    p.groups = groups;
    CompiledPolicy::build(p).unwrap()
}

const CLIENT: &str = "10.0.1.5";
const SERVER: &str = "198.51.100.7";

/// A client-to-server TCP packet on an established TLS flow.
fn base(app: Protocol) -> Observation<'static> {
    Observation {
        transport: Transport::Tcp,
        app: Some(app),
        src: CLIENT.parse().unwrap(),
        src_port: 40000,
        dst: SERVER.parse().unwrap(),
        dst_port: 443,
        to_server: true,
        established: true,
        app_layer_inspected: true,
        client_hello: None,
        http: None,
        dns_query: None,
    }
}

fn hello(sni: Option<&[u8]>) -> Observation<'_> {
    Observation { client_hello: Some(ClientHello { sni }), ..base(Protocol::Tls) }
}

fn request(host: &[u8]) -> Observation<'_> {
    Observation {
        dst_port: 80,
        http: Some(HttpRequest { host: Some(host), header_names: Some(b"\r\nHost\r\n\r\n") }),
        ..base(Protocol::Http)
    }
}

fn reversed(obs: Observation<'_>) -> Observation<'_> {
    Observation {
        src: obs.dst,
        dst: obs.src,
        src_port: obs.dst_port,
        dst_port: obs.src_port,
        to_server: false,
        ..obs
    }
}

/// SEMANTICS.md §1.3: `.example.com` and `example.com` against observed names.
#[test]
fn truth_table_of_section_1_3() {
    // (observed, where, matches `.example.com`, matches `example.com`)
    let rows: &[(&[u8], NameSource, bool, bool)] = &[
        (b"example.com", NameSource::TlsSni, true, true),
        (b"www.example.com", NameSource::TlsSni, true, false),
        (b"a.b.c.example.com", NameSource::TlsSni, true, false),
        (b"badexample.com", NameSource::TlsSni, false, false),
        (b"example.com.evil.net", NameSource::TlsSni, false, false),
        (b"EXAMPLE.com", NameSource::TlsSni, true, true),
        (b"Example.COM", NameSource::HttpHost, true, true),
        (b"example.com.", NameSource::TlsSni, false, false),
        (b"example.com.", NameSource::HttpHost, false, false),
        (b"example.com:8080", NameSource::HttpHost, true, true),
        (b"", NameSource::TlsSni, false, false),
        (b"www.example.com", NameSource::HttpHost, true, false),
        (b"badexample.com", NameSource::HttpHost, false, false),
    ];
    let both = [TargetType::TlsSni, TargetType::HttpHost];
    for (target, column) in [(".example.com", 2), ("example.com", 3)] {
        let compiled = policy(
            RuleOrder::StrictOrder,
            &[DefaultAction::DropEstablished],
            vec![group("allow", 1, ListKind::Allowlist, &both, &[target])],
        );
        for &(raw, source, dotted, exact) in rows {
            let expected = if column == 2 { dotted } else { exact };
            let buffer = observe(source, raw).buffer;
            let obs = match source {
                NameSource::TlsSni if raw.is_empty() => hello(None),
                NameSource::TlsSni => hello(Some(&buffer)),
                _ => request(&buffer),
            };
            let decision = compiled.evaluate(&obs);
            let matched = matches!(decision.decided_by, DecidedBy::Rule { .. });
            assert_eq!(
                matched,
                expected,
                "{target} vs {:?} in {source:?}: {decision:?}",
                String::from_utf8_lossy(raw)
            );
            assert_eq!(decision.verdict, if expected { Verdict::Pass } else { Verdict::Drop });
            assert_eq!(compiled.evaluate_reference(&obs), decision);
        }
    }
}

/// The packets of SEMANTICS.md §5.2, for a TLS flow to an allowlisted and
/// to a non-listed name.
#[derive(Clone, Copy, Debug)]
enum Packet {
    Syn,
    SynAck,
    FinalAck,
    FirstHelloSegment,
    HelloAllowed,
    HelloBlocked,
    ServerBanner,
}

fn packet(kind: Packet) -> Observation<'static> {
    let not_established = Observation {
        established: false,
        app: None,
        app_layer_inspected: false,
        ..base(Protocol::Tls)
    };
    match kind {
        Packet::Syn | Packet::FinalAck => not_established,
        Packet::SynAck => reversed(not_established),
        Packet::FirstHelloSegment => {
            Observation { app_layer_inspected: false, app: None, ..base(Protocol::Tls) }
        }
        Packet::HelloAllowed => hello(Some(b"www.example.com")),
        Packet::HelloBlocked => hello(Some(b"twitter.com")),
        Packet::ServerBanner => reversed(Observation { app: None, ..base(Protocol::Tls) }),
    }
}

/// `D` = dropped by the default, `R` = decided by a rule (pass or drop as
/// the rule says), `.` = passes with nothing deciding.
const ROWS: [Packet; 7] = [
    Packet::Syn,
    Packet::SynAck,
    Packet::FinalAck,
    Packet::FirstHelloSegment,
    Packet::HelloAllowed,
    Packet::HelloBlocked,
    Packet::ServerBanner,
];

#[test]
fn strict_order_default_actions_per_packet() {
    use DefaultAction::*;
    // One column per packet, in ROWS order.
    let table: [(Option<DefaultAction>, &str); 5] = [
        (None, "....R.."),
        (Some(DropStrict), "DDDDRDD"),
        (Some(DropEstablished), "...DRDD"),
        (Some(DropEstablishedAppLayer), "....RDD"),
        (Some(DropEstablishedAppLayerToServer), "....RD."),
    ];
    for (default, expected) in table {
        let compiled = policy(
            RuleOrder::StrictOrder,
            default.as_slice(),
            vec![group("allow", 1, ListKind::Allowlist, &[TargetType::TlsSni], &[".example.com"])],
        );
        for (kind, want) in ROWS.iter().zip(expected.chars()) {
            let obs = packet(*kind);
            let d = compiled.evaluate(&obs);
            let got = match (d.verdict, d.decided_by) {
                (Verdict::Drop, DecidedBy::Default { action }) => {
                    assert_eq!(Some(action), default);
                    'D'
                }
                (Verdict::Pass, DecidedBy::Rule { flow_scope, .. }) => {
                    assert!(flow_scope, "domain rules decide for the flow");
                    'R'
                }
                (Verdict::Pass, DecidedBy::Nothing) => '.',
                other => panic!("{default:?} {kind:?}: unexpected {other:?}"),
            };
            assert_eq!(got, want, "{default:?} on {kind:?}");
            assert!(d.alerts.is_empty(), "drop defaults log nothing: {d:?}");
            assert_eq!(compiled.evaluate_reference(&obs), d);
        }
    }
}

#[test]
fn alert_defaults_log_the_same_packets_and_drop_none() {
    use DefaultAction::*;
    let table = [
        (AlertStrict, "AAAA.AA"),
        (AlertEstablished, "...A.AA"),
        (AlertEstablishedAppLayer, ".....AA"),
        (AlertEstablishedAppLayerToServer, ".....A."),
    ];
    for (default, expected) in table {
        let compiled = policy(
            RuleOrder::StrictOrder,
            &[default],
            vec![group("allow", 1, ListKind::Allowlist, &[TargetType::TlsSni], &[".example.com"])],
        );
        for (kind, want) in ROWS.iter().zip(expected.chars()) {
            let d = compiled.evaluate(&packet(*kind));
            assert_eq!(d.verdict, Verdict::Pass, "{default:?} on {kind:?}");
            let alerted = d.alerts == [AlertSource::Default { action: default }];
            assert_eq!(alerted, want == 'A', "{default:?} on {kind:?}: {d:?}");
        }
    }
}

#[test]
fn drop_and_alert_defaults_combine() {
    use DefaultAction::*;
    let valid = [
        vec![DropStrict, AlertStrict],
        vec![DropStrict, AlertEstablished],
        vec![DropEstablished, AlertEstablished],
        vec![DropEstablished, AlertStrict],
        vec![DropEstablishedAppLayer, AlertEstablishedAppLayer],
        vec![DropEstablishedAppLayerToServer, AlertEstablishedAppLayerToServer],
        vec![DropEstablishedAppLayer, AlertEstablishedAppLayerToServer],
    ];
    for defaults in valid {
        let compiled = policy(
            RuleOrder::StrictOrder,
            &defaults,
            vec![group("allow", 1, ListKind::Allowlist, &[TargetType::TlsSni], &[".example.com"])],
        );
        let d = compiled.evaluate(&packet(Packet::HelloBlocked));
        assert_eq!(d.verdict, Verdict::Drop, "{defaults:?}");
        assert_eq!(d.decided_by, DecidedBy::Default { action: defaults[0] });
        assert_eq!(d.alerts, [AlertSource::Default { action: defaults[1] }], "{defaults:?}");
    }
}

#[test]
fn invalid_default_action_combinations_are_rejected() {
    use DefaultAction::*;
    let invalid: [(RuleOrder, Vec<DefaultAction>, &str); 5] = [
        (RuleOrder::StrictOrder, vec![DropStrict, DropEstablished], "at most one drop"),
        (
            RuleOrder::StrictOrder,
            vec![AlertStrict, AlertEstablished],
            "at most one drop and one alert",
        ),
        (
            RuleOrder::StrictOrder,
            vec![DropEstablished, AlertEstablishedAppLayer],
            "cannot exist together",
        ),
        (
            RuleOrder::StrictOrder,
            vec![DropEstablishedAppLayer, AlertStrict],
            "cannot exist together",
        ),
        (RuleOrder::DefaultActionOrder, vec![DropEstablished], "need STRICT_ORDER"),
    ];
    for (order, defaults, message) in invalid {
        let mut p = Policy::new("t");
        p.rule_order = order;
        p.default_actions = defaults.clone();
        let errors = CompiledPolicy::build(p).unwrap_err();
        assert!(errors.iter().any(|e| e.message().contains(message)), "{defaults:?}: {errors}");
    }
}

/// DEFAULT_ACTION_ORDER: no defaults; an ALLOWLIST drops the rest itself
/// through its generated catch-alls (SEMANTICS.md §1.5 b/c).
#[test]
fn action_order_allowlist_drops_with_its_trailers() {
    let compiled = policy(
        RuleOrder::DefaultActionOrder,
        &[],
        vec![group(
            "allow",
            1,
            ListKind::Allowlist,
            &[TargetType::TlsSni, TargetType::HttpHost],
            &[".example.com"],
        )],
    );
    let expected = ['.', '.', '.', '.', 'P', 'X', '.'];
    for (kind, want) in ROWS.iter().zip(expected) {
        let d = compiled.evaluate(&packet(*kind));
        let got = match (d.verdict, d.decided_by) {
            (Verdict::Pass, DecidedBy::Nothing) => '.',
            (Verdict::Pass, DecidedBy::Rule { .. }) => 'P',
            (Verdict::Drop, DecidedBy::Rule { id, .. }) => {
                let rule = compiled.rule(id).unwrap();
                assert_eq!(rule.msg, "not matching any TLS allowlisted FQDNs");
                assert_eq!(rule.sid, 4, "TLS, HTTP, HTTP catch-all, TLS catch-all");
                'X'
            }
            other => panic!("{kind:?}: {other:?}"),
        };
        assert_eq!(got, want, "{kind:?}");
    }
    let d = compiled.evaluate(&request(b"evil.example.net"));
    assert_eq!(d.verdict, Verdict::Drop);
    let DecidedBy::Rule { id, .. } = d.decided_by else { panic!() };
    assert_eq!(compiled.rule(id).unwrap().msg, "not matching any HTTP allowlisted FQDNs");
    assert_eq!(d.alerts.len(), 1, "a drop rule logs its alert");
    assert_eq!(compiled.evaluate(&request(b"www.example.com")).verdict, Verdict::Pass);
}

#[test]
fn strict_order_follows_group_priority_and_action_order_follows_actions() {
    let both = [TargetType::TlsSni];
    for (deny_priority, allow_priority, order, want) in [
        (1, 2, RuleOrder::StrictOrder, Verdict::Drop),
        (2, 1, RuleOrder::StrictOrder, Verdict::Pass),
        (1, 2, RuleOrder::DefaultActionOrder, Verdict::Pass),
        (2, 1, RuleOrder::DefaultActionOrder, Verdict::Pass),
    ] {
        let defaults: &[DefaultAction] =
            if order == RuleOrder::StrictOrder { &[DefaultAction::DropEstablished] } else { &[] };
        let compiled = policy(
            order,
            defaults,
            vec![
                group("deny", deny_priority, ListKind::Denylist, &both, &[".example.com"]),
                group("allow", allow_priority, ListKind::Allowlist, &both, &["www.example.com"]),
            ],
        );
        let obs = hello(Some(b"www.example.com"));
        let d = compiled.evaluate(&obs);
        assert_eq!(d.verdict, want, "{order:?} deny={deny_priority} allow={allow_priority}");
        assert_eq!(compiled.evaluate_reference(&obs), d);
    }
}

#[test]
fn alerts_are_logged_until_the_first_terminal_rule() {
    let tls = [TargetType::TlsSni];
    let strict = policy(
        RuleOrder::StrictOrder,
        &[DefaultAction::DropEstablished],
        vec![
            group("watch", 1, ListKind::Alertlist, &tls, &[".example.com"]),
            group("allow", 2, ListKind::Allowlist, &tls, &[".example.com"]),
            group("watch-late", 3, ListKind::Alertlist, &tls, &[".example.com"]),
        ],
    );
    let d = strict.evaluate(&hello(Some(b"a.example.com")));
    assert_eq!(d.verdict, Verdict::Pass);
    assert_eq!(d.alerts.len(), 1, "only the alert before the pass: {d:?}");
    let AlertSource::Rule { id, action } = d.alerts[0] else { panic!() };
    assert_eq!((strict.group(id).name.as_str(), action), ("watch", Action::Alert));

    // Action order: pass outranks alert, so the alert list never logs
    // traffic the allowlist passes (SEMANTICS.md §11, pitfall 18).
    let action = policy(
        RuleOrder::DefaultActionOrder,
        &[],
        vec![
            group("watch", 1, ListKind::Alertlist, &tls, &[".example.com"]),
            group("allow", 2, ListKind::Allowlist, &tls, &[".example.com"]),
        ],
    );
    let d = action.evaluate(&hello(Some(b"a.example.com")));
    assert_eq!(d.verdict, Verdict::Pass);
    assert!(d.alerts.is_empty(), "{d:?}");
    let d = action.evaluate(&hello(Some(b"other.net")));
    assert_eq!(d.verdict, Verdict::Drop, "the allowlist trailer drops the rest");
    assert!(d.alerts.iter().all(|a| matches!(a, AlertSource::Rule { action: Action::Drop, .. })));
}

#[test]
fn reject_resets_tcp_and_drops_elsewhere() {
    let compiled = policy(
        RuleOrder::StrictOrder,
        &[],
        vec![group(
            "reject",
            1,
            ListKind::Rejectlist,
            &[TargetType::TlsSni, TargetType::Dns],
            &[".example.com"],
        )],
    );
    let d = compiled.evaluate(&hello(Some(b"x.example.com")));
    assert_eq!(d.verdict, Verdict::Reject);
    let dns = Observation {
        transport: Transport::Udp,
        app: Some(Protocol::Dns),
        dst_port: 53,
        established: false,
        dns_query: Some(b"X.Example.com"),
        ..base(Protocol::Dns)
    };
    let d = compiled.evaluate(&dns);
    assert_eq!(d.verdict, Verdict::Drop, "AWS resets TCP only");
    assert!(matches!(d.decided_by, DecidedBy::Rule { .. }));
}

#[test]
fn home_net_scopes_domain_rules() {
    let tls = [TargetType::TlsSni];
    let compiled = policy(
        RuleOrder::StrictOrder,
        &[DefaultAction::DropEstablished],
        vec![group("allow", 1, ListKind::Allowlist, &tls, &[".example.com"])],
    );
    let outside: IpAddr = "172.31.0.9".parse().unwrap();
    let obs = Observation { src: outside, ..hello(Some(b"www.example.com")) };
    let d = compiled.evaluate(&obs);
    assert_eq!(
        d.decided_by,
        DecidedBy::Default { action: DefaultAction::DropEstablished },
        "a spoke VPC outside HOME_NET is not matched"
    );

    // A group-level HOME_NET that covers the spoke makes the rule match.
    let mut spoke = group("allow", 1, ListKind::Allowlist, &tls, &[".example.com"]);
    spoke.variables.ip_sets.insert(
        "HOME_NET".into(),
        vec![rulesim_core::address::AddrSpec::Net("172.16.0.0/12".parse().unwrap())],
    );
    let compiled = policy(RuleOrder::StrictOrder, &[DefaultAction::DropEstablished], vec![spoke]);
    assert_eq!(compiled.evaluate(&obs).verdict, Verdict::Pass);

    // EXTERNAL_NET still derives from the *policy* HOME_NET (SEMANTICS.md
    // §11 pitfall 3): a destination inside the policy's HOME_NET is not
    // external, even for a group that widened its own HOME_NET.
    let internal_dst = Observation { dst: "10.0.9.9".parse().unwrap(), ..obs };
    assert_eq!(compiled.evaluate(&internal_dst).verdict, Verdict::Drop);
}

#[test]
fn undefined_variables_and_strict_priorities_are_build_errors() {
    let mut p = Policy::new("t");
    let mut g = group("a", 1, ListKind::Denylist, &[TargetType::TlsSni], &["a.com"]);
    g.rule_order = Some(RuleOrder::DefaultActionOrder);
    p.groups = vec![g, group("b", 1, ListKind::Denylist, &[TargetType::TlsSni], &["b.com"])];
    let errors = CompiledPolicy::build(p).unwrap_err();
    let text = errors.to_string();
    assert!(text.contains("share priority 1"), "{text}");
    assert!(text.contains("uses DEFAULT_ACTION_ORDER but the policy uses STRICT_ORDER"), "{text}");
    assert_eq!(errors.iter().count(), 2);
}

fn written(
    action: Action,
    protocol: Protocol,
    flow: rulesim_core::FlowOptions,
    sid: u32,
) -> rulesim_core::Rule {
    use rulesim_core::address::{AddrSpec, PortSpec};
    rulesim_core::Rule {
        action,
        protocol,
        src: AddrSpec::home_net(),
        src_ports: PortSpec::Any,
        direction: rulesim_core::Direction::Forward,
        dst: AddrSpec::Any,
        dst_ports: PortSpec::Any,
        flow,
        ssl_state_client_hello: false,
        buffers: Vec::new(),
        sid,
        rev: 1,
        msg: format!("rule {sid}"),
        priority: None,
        alert_on_pass: false,
        noalert: false,
        text: String::new(),
        provenance: rulesim_core::Provenance {
            location: Location::new("rules.txt", sid, 1),
            origin: rulesim_core::Origin::Written,
        },
    }
}

/// SEMANTICS.md §2.2 / §11 pitfall 6: an IP-only `pass` (addresses only)
/// decides for the whole flow, so it pre-empts the domain rules; a rule with
/// a packet keyword (`flow:`) is a packet rule and decides one packet.
#[test]
fn ip_only_rules_decide_the_flow_and_packet_rules_one_packet() {
    let mut rules = RuleGroup {
        rules: RulesSource::Rules(vec![written(Action::Pass, Protocol::Ip, Default::default(), 1)]),
        ..group("ip-only", 1, ListKind::Denylist, &[], &[])
    };
    let deny = group("deny", 2, ListKind::Denylist, &[TargetType::TlsSni], &[".example.com"]);
    let compiled = policy(
        RuleOrder::StrictOrder,
        &[DefaultAction::DropEstablished],
        vec![rules.clone(), deny.clone()],
    );
    let d = compiled.evaluate(&hello(Some(b"www.example.com")));
    assert_eq!(d.verdict, Verdict::Pass);
    let DecidedBy::Rule { id, flow_scope } = d.decided_by else { panic!("{d:?}") };
    assert!(flow_scope, "an IP-only pass sticks to the flow");
    assert_eq!(compiled.rule(id).unwrap().sid, 1);

    let to_server = rulesim_core::FlowOptions {
        direction: Some(rulesim_core::FlowDirection::ToServer),
        state: None,
    };
    rules.rules = RulesSource::Rules(vec![written(Action::Pass, Protocol::Tcp, to_server, 1)]);
    let compiled =
        policy(RuleOrder::StrictOrder, &[DefaultAction::DropEstablished], vec![rules, deny]);
    let d = compiled.evaluate(&hello(Some(b"www.example.com")));
    assert_eq!(d.verdict, Verdict::Pass);
    assert!(
        matches!(d.decided_by, DecidedBy::Rule { flow_scope: false, .. }),
        "a flow: rule decides one packet: {d:?}"
    );
    assert_eq!(compiled.evaluate_reference(&hello(Some(b"www.example.com"))), d);
}
