//! Bad input: one clear error per mistake, at its file:line:col, with a
//! `help:` line, all errors of a file together; never a panic.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use proptest::prelude::*;
use rulesim_aws::{PolicyFormat, load_policy, suricata};

fn load(name: &str, text: &str) -> Result<rulesim_aws::Loaded, Vec<String>> {
    let read = |p: &Path| {
        if p == Path::new(name) { Ok(text.to_string()) } else { Err("not found".to_string()) }
    };
    load_policy(Path::new(name), None, &[], &read)
        .map_err(|e| e.iter().map(ToString::to_string).collect())
}

fn errors(name: &str, text: &str) -> Vec<String> {
    match load(name, text) {
        Ok(_) => panic!("{name} loaded without errors"),
        Err(e) => e,
    }
}

/// (file, text, expected errors as "line:col: error: message start").
const CASES: &[(&str, &str, &[&str])] = &[
    (
        "malformed.json",
        "{\n  \"RulesSource\": {\n    \"RulesString\": \"pass tls any any -> any any (sid:1;)\"\n  \n}",
        &["5:2: error: invalid JSON: expected `,` or `}`, found the end of the file"],
    ),
    (
        "unknown-field.json",
        "{\n  \"RulesSource\": {\"RulesSourceList\": {\"Targets\": [\".a.com\"], \"TargetTypes\": [\"TLS_SNI\"], \"GeneratedRulesType\": \"ALLOWLIST\"}},\n  \"StatefulRuleOption\": {\"RuleOrder\": \"STRICT_ORDER\"}\n}",
        &["3:3: error: unknown field `StatefulRuleOption` in `RuleGroup`"],
    ),
    (
        "bad-enum.json",
        "{\"RulesSource\": {\"RulesSourceList\": {\n  \"Targets\": [\".a.com\"],\n  \"TargetTypes\": [\"TLS\"],\n  \"GeneratedRulesType\": \"ALLOWLISTT\"}}}",
        &[
            "3:19: error: `TLS` is not a valid target type",
            "4:25: error: `ALLOWLISTT` is not a valid `GeneratedRulesType`",
        ],
    ),
    (
        "bad-keyword.json",
        "{\"RulesSource\": {\n  \"RulesString\": \"pass tls any any -> any any (tls.sni; content:\\\"a.com\\\"; flowbits:set,x; sid:1;)\\ndrop tls any any -> any any (ja3.hash; sid:2;)\"}}",
        &[
            "2:76: error: keyword `flowbits` is not supported by rulesim",
            "2:130: error: keyword `ja3.hash` is not supported by rulesim",
        ],
    ),
    (
        "bad-target.json",
        "{\"RulesSource\": {\"RulesSourceList\": {\"Targets\": [\"*.a.com\", \"https://b.com/\"], \"TargetTypes\": [\"TLS_SNI\"], \"GeneratedRulesType\": \"DENYLIST\"}}}",
        &["1:51: error: `*.a.com` uses a `*` wildcard", "1:62: error: `https://b.com/` is a URL"],
    ),
    (
        "policy.json",
        "{\"StatelessDefaultActions\": [\"aws:forward_to_sfe\"],\n \"StatelessFragmentDefaultActions\": [\"aws:forward_to_sfe\"],\n \"StatefulDefaultActions\": [\"aws:drop_establish\"],\n \"StatefulEngineOptions\": {\"RuleOrder\": \"STRICT\", \"FlowTimeouts\": {\"TcpIdleTimeoutSeconds\": 10}}}",
        &[
            "3:29: error: `aws:drop_establish` is not a valid stateful default action",
            "4:41: error: `STRICT` is not a valid `RuleOrder`",
            "4:93: error: `TcpIdleTimeoutSeconds` must be a whole number from 60 to 6000",
        ],
    ),
    (
        "template.yaml",
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Rules:\n    Type: AWS::NetworkFirewall::RuleGroup\n    Properties:\n      RuleGroupName: !Sub '${AWS::StackName}-rules'\n      Type: STATEFUL\n      Capacity: 10\n      RuleGroup:\n        RulesSource:\n          RulesString: |\n            pass tls any any -> any any (tls.sni; content:\"a.com\"; sid:1;)\n            drop tls any any -> any any (tls.sni; bsize:3; sid:2;)\n        StatefulRuleOptionz: {}\n",
        &[
            "13:51: error: keyword `bsize` is not supported by rulesim",
            "14:9: error: unknown field `StatefulRuleOptionz` in `RuleGroup`",
        ],
    ),
    (
        "broken.yaml",
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Rules: [unclosed\n",
        &["4:1: error: invalid YAML"],
    ),
];

#[test]
fn each_mistake_is_one_error_at_its_place() {
    for (name, text, expected) in CASES {
        let got = errors(name, text);
        assert_eq!(got.len(), expected.len(), "{name}: {got:#?}");
        for (g, e) in got.iter().zip(expected.iter()) {
            assert!(g.starts_with(&format!("{name}:{e}")), "{name}: expected `{e}`, got\n{g}");
            assert!(g.contains("\n  help: "), "{name}: no help line in {g}");
        }
    }
}

#[test]
fn typos_get_a_suggestion() {
    let e = errors(CASES[1].0, CASES[1].1);
    assert!(e[0].contains("did you mean `StatefulRuleOptions`?"), "{}", e[0]);
    let e = errors(CASES[5].0, CASES[5].1);
    assert!(e[0].contains("did you mean `aws:drop_established`?"), "{}", e[0]);
}

#[test]
fn format_can_be_forced() {
    let read = |_: &Path| {
        Ok("pass tls any any -> any any (tls.sni; content:\"a.com\"; sid:1;)\n".to_string())
    };
    let loaded = load_policy(Path::new("x.txt"), Some(PolicyFormat::Suricata), &[], &read).unwrap();
    assert_eq!(loaded.format, PolicyFormat::Suricata);
    assert_eq!(loaded.policy.groups[0].name, "x");
    let forced = load_policy(Path::new("x.txt"), Some(PolicyFormat::Aws), &[], &read).unwrap_err();
    assert!(forced.to_string().starts_with("x.txt:1:1: error: invalid JSON"), "{forced}");
}

fn mutate(base: &str, ops: &[(u8, usize, char)]) -> String {
    let mut chars: Vec<char> = base.chars().collect();
    for &(op, at, c) in ops {
        if chars.is_empty() {
            chars.push(c);
            continue;
        }
        let i = at % chars.len();
        match op % 3 {
            0 => chars[i] = c,
            1 => chars.insert(i, c),
            _ => {
                chars.remove(i);
            }
        }
    }
    chars.into_iter().collect()
}

const SEEDS: &[&str] = &[
    r#"drop tls $HOME_NET any -> $EXTERNAL_NET any (ssl_state:client_hello; tls.sni; content:"evil.com"; startswith; nocase; endswith; msg:"matching TLS denylisted FQDNs"; priority:1; flow:to_server, established; sid:1; rev:1;)"#,
    r#"pass http [10.0.0.0/8,!10.1.0.0/16] [1024:,!2000] <> any [80,443] (http.host; dotprefix; content:".a|2e|com"; endswith; depth:20; offset:1; alert; sid:2;)"#,
    "alert dns any any -> any any (msg:\"x\\;y\"; dns_query; content:!\"b.test\"; nocase; sid:3;) \\\n",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]
    /// Mutated rule strings never panic the parser, and every error it
    /// reports has a position inside the text.
    #[test]
    fn mutated_rule_strings_never_panic(
        seed in 0..SEEDS.len(),
        ops in prop::collection::vec((any::<u8>(), any::<usize>(), prop::sample::select(vec!['(', ')', ';', ':', '"', '\\', '|', '!', '[', ']', ',', ' ', '\n', 'a', '0', 'é', '$'])), 1..8),
    ) {
        let text = mutate(SEEDS[seed], &ops);
        if let Err(errors) = suricata::parse_rules("m.rules", &text) {
            for e in errors.iter() {
                let l = e.location().unwrap();
                prop_assert!(l.line >= 1 && l.line as usize <= text.lines().count().max(1) + 1, "{e}");
                prop_assert!(e.hint().is_some(), "{e}");
            }
        }
        // The same text inside a JSON RulesString goes through the JSON path.
        let json = serde_json::json!({"RulesSource": {"RulesString": text}}).to_string();
        let _ = load("m.json", &json);
    }

    /// Arbitrary bytes as JSON or YAML never panic the loader.
    #[test]
    fn arbitrary_documents_never_panic(text in "[{}\\[\\]\":,a-zA-Z0-9 \n!-]{0,80}") {
        let _ = load("a.json", &text);
        let _ = load("a.yaml", &format!("AWSTemplateFormatVersion: x\n{text}"));
    }
}
