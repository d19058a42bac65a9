//! Golden tests from Suricata's own verification suite (suricata-verify).
//!
//! `tests/suricata-verify/expectations.json` (generated from the shared
//! inventory by `generate.py` beside it) holds, per test, the rules, the
//! capture, the names seen in each flow, and the expected per-signature
//! alert counts. Here:
//!
//! 1. every test's rules go through the RulesString parser; a rule Suricata
//!    accepts may be rejected only as `Unsupported` (a keyword rulesim does
//!    not evaluate), never as a syntax or value error;
//! 2. tests whose expectations are per-signature alert counts on flows with
//!    a known SNI, Host or DNS name are checked with `CompiledPolicy::evaluate`
//!    on one observation per transaction (the ClientHello, the request, the
//!    query), in Suricata's action order;
//! 3. the rest need the packet-by-packet replay of their captures
//!    (rulesim-sim); the report printed by this test (`--nocapture`) says
//!    which test is covered how.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;

use rulesim_aws::suricata;
use rulesim_core::name::{NameSource, observe};
use rulesim_core::{
    AlertSource, ClientHello, CompiledPolicy, DecidedBy, ErrorKind, HttpRequest, Location,
    Observation, Policy, Protocol, RuleGroup, RuleOrder, RulesSource, Transport, Verdict,
};
use serde_json::Value;

fn expectations() -> Vec<Value> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/suricata-verify/expectations.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// How a test is covered.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Coverage {
    /// Rules parsed and every alert-count expectation checked with evaluate.
    Evaluated,
    /// Rules parsed; the expectations need packet-by-packet replay.
    ParsedNeedsReplay(String),
    /// Some rule uses a keyword rulesim does not evaluate.
    Rejected(String),
    /// The test has no rules (logging only).
    NoRules,
}

fn observation<'a>(proto: &str, flow: &str, buffer: &'a [u8]) -> Observation<'a> {
    let tcp = flow.starts_with("tcp");
    let base = Observation {
        transport: if tcp { Transport::Tcp } else { Transport::Udp },
        app: None,
        src: IpAddr::from([10, 0, 0, 1]),
        src_port: 40000,
        dst: IpAddr::from([198, 51, 100, 1]),
        dst_port: 443,
        to_server: true,
        established: tcp,
        app_layer_inspected: true,
        client_hello: None,
        http: None,
        dns_query: None,
    };
    match proto {
        "tls" => Observation {
            app: Some(Protocol::Tls),
            client_hello: Some(ClientHello { sni: Some(buffer) }),
            ..base
        },
        "quic" => Observation {
            app: Some(Protocol::Quic),
            client_hello: Some(ClientHello { sni: Some(buffer) }),
            ..base
        },
        "http" => Observation {
            app: Some(Protocol::Http),
            dst_port: 80,
            http: Some(HttpRequest { host: Some(buffer), header_names: Some(b"\r\nHost\r\n\r\n") }),
            ..base
        },
        _ => {
            Observation { app: Some(Protocol::Dns), dst_port: 53, dns_query: Some(buffer), ..base }
        }
    }
}

/// Per sid, how many transactions alert, walking each flow in order and
/// stopping at a flow-scoped pass or drop as Suricata does.
fn alert_counts(policy: &CompiledPolicy, flows: &[Value]) -> BTreeMap<u32, u64> {
    let mut counts = BTreeMap::new();
    for flow in flows {
        let proto = flow["proto"].as_str().unwrap();
        let id = flow["flow"].as_str().unwrap();
        for name in flow["names"].as_array().unwrap() {
            let source = match proto {
                "http" => NameSource::HttpHost,
                "dns" => NameSource::DnsQuery,
                _ => NameSource::TlsSni,
            };
            let buffer = observe(source, name.as_str().unwrap().as_bytes()).buffer;
            let decision = policy.evaluate(&observation(proto, id, &buffer));
            for alert in &decision.alerts {
                if let AlertSource::Rule { id, .. } = alert {
                    *counts.entry(policy.rule(*id).unwrap().sid).or_default() += 1;
                }
            }
            if let DecidedBy::Rule { flow_scope: true, .. } = decision.decided_by
                && (decision.verdict != Verdict::Reject || proto != "dns")
            {
                break;
            }
        }
    }
    counts
}

fn cover(test: &Value) -> Coverage {
    let dir = test["dir"].as_str().unwrap();
    let rules_files = test["rules"].as_object().unwrap();
    if rules_files.is_empty() {
        return Coverage::NoRules;
    }
    let mut rules = Vec::new();
    for (file, text) in rules_files {
        match suricata::parse_rules(&format!("{dir}/{file}"), text.as_str().unwrap()) {
            Ok(r) => rules.extend(r),
            Err(errors) => {
                for e in errors.iter() {
                    let allowed =
                        match dir {
                            // Suricata rejects this rule too (its test checks the load-time error).
                            "test-bad-http-host-rule-1" => e.kind() == ErrorKind::InvalidValue
                                && e.message().contains(
                                    "A pattern with uppercase characters detected for http.host",
                                ),
                            // Suricata itself fails to load this file (the test expects exit code 1).
                            "test-valid-json" => true,
                            _ => e.kind() == ErrorKind::Unsupported,
                        };
                    assert!(
                        allowed,
                        "{dir}: a rule Suricata accepts was rejected as {:?}: {e}",
                        e.kind()
                    );
                }
                let first = errors.iter().next().unwrap().message().to_string();
                return Coverage::Rejected(first);
            }
        }
    }
    let group = RuleGroup {
        name: "suricata-verify".into(),
        priority: 1,
        rule_order: None,
        variables: suricata::suricata_yaml_variables(),
        capacity: None,
        rules: RulesSource::Rules(rules.clone()),
        location: Location::builtin("suricata-verify"),
    };
    let mut policy = Policy::new(dir);
    // Suricata's action-order: pass, drop, reject, alert.
    policy.rule_order = RuleOrder::DefaultActionOrder;
    policy.groups.push(group);
    let compiled = match CompiledPolicy::build(policy) {
        Ok(c) => c,
        Err(e) => return Coverage::Rejected(e.to_string()),
    };
    let flows = test["flows"].as_array().unwrap();
    let checks = test["sid_checks"].as_array().unwrap();
    if test["requires"].get("features").is_some() {
        return Coverage::ParsedNeedsReplay(
            "needs a Suricata build feature (QA simulation, JA3/JA4, libnet)".into(),
        );
    }
    if checks.is_empty() {
        return Coverage::ParsedNeedsReplay(
            "expectations are about events other than per-signature alerts".into(),
        );
    }
    if flows.is_empty() {
        return Coverage::ParsedNeedsReplay(
            "the capture's flows carry no SNI, Host or DNS name".into(),
        );
    }
    let counts = alert_counts(&compiled, flows);
    let mut deferred = Vec::new();
    for check in checks {
        let sid = check["sid"].as_u64().unwrap() as u32;
        let expected = check["count"].as_u64().unwrap();
        // Packet-scoped rules alert once per packet: only replay can count them.
        let packet_scoped = rules.iter().filter(|r| r.sid == sid).any(|r| !r.is_app_layer());
        if packet_scoped && expected > 0 {
            deferred.push(sid);
            continue;
        }
        let got = counts.get(&sid).copied().unwrap_or(0);
        assert_eq!(
            got, expected,
            "{dir}: sid {sid} alerts {got} times, suricata-verify expects {expected}"
        );
    }
    if deferred.is_empty() {
        Coverage::Evaluated
    } else {
        Coverage::ParsedNeedsReplay(format!("packet-scoped alert counts for sid {deferred:?}"))
    }
}

#[test]
fn suricata_verify_rules_and_expectations() {
    let tests = expectations();
    assert_eq!(tests.len(), 80);
    let mut report: Vec<(Coverage, String)> = Vec::new();
    for test in &tests {
        report.push((cover(test), test["dir"].as_str().unwrap().to_string()));
    }
    report.sort();
    for (coverage, dir) in &report {
        println!("{dir}: {coverage:?}");
    }
    let count = |f: &dyn Fn(&Coverage) -> bool| report.iter().filter(|(c, _)| f(c)).count();
    let evaluated = count(&|c| *c == Coverage::Evaluated);
    let replay = count(&|c| matches!(c, Coverage::ParsedNeedsReplay(_)));
    let rejected = count(&|c| matches!(c, Coverage::Rejected(_)));
    let none = count(&|c| *c == Coverage::NoRules);
    println!(
        "evaluated {evaluated}, parsed (replay needed) {replay}, rejected {rejected}, no rules {none}"
    );
    // Coverage must not silently shrink.
    assert!(evaluated >= 10, "only {evaluated} tests evaluated");
    assert!(evaluated + replay >= 18, "only {} tests parse", evaluated + replay);
}
