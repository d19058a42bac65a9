//! From a policy to the files that deploy it.
//!
//! One [`Plan`] decides everything once: each group's AWS name, its
//! `RulesSource` (a `RulesSourceList` where AWS's own generation gives the
//! same rules, a `RulesString` otherwise), its capacity, and the policy
//! settings. The four targets only spell the plan out, so AWS JSON,
//! CloudFormation, Terraform and Suricata text cannot drift apart.
//!
//! Limits checked (SEMANTICS.md §2.3, §6): capacity ≤ 30,000 per group,
//! `RulesString` ≤ 2,000,000 characters, ≤ 20 stateful groups per policy.
//! Capacity follows SEMANTICS.md §6: a rule string or structured rules cost
//! one unit per rule; a domain list costs one unit per target and protocol,
//! plus one when `HTTP_HOST` is selected (the documented 3 + 2×19 = 41 for
//! twenty names on both protocols). A larger declared `capacity` wins, since
//! capacity cannot be raised after creation.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rulesim_core::expand::ListLayout;
use rulesim_core::{
    CompiledPolicy, Error, ErrorKind, Errors, ListKind, Policy, RuleGroup, RuleOrder, RulesSource,
    TargetType,
};
use serde::Serialize;

/// What to render.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// `create-rule-group` / `create-firewall-policy` CLI input JSON.
    Aws,
    /// One CloudFormation template (JSON) with every resource.
    CloudFormation,
    /// Terraform HCL (`aws_networkfirewall_*` resources).
    Terraform,
    /// The Suricata rules each group evaluates to (one `.rules` file per group).
    Suricata,
}

impl Target {
    /// Parses `aws`, `cloudformation` (`cfn`), `terraform` (`tf`), `suricata`.
    pub fn from_name(name: &str) -> Option<Target> {
        Some(match name.to_ascii_lowercase().as_str() {
            "aws" => Target::Aws,
            "cloudformation" | "cfn" => Target::CloudFormation,
            "terraform" | "tf" => Target::Terraform,
            "suricata" => Target::Suricata,
            _ => return None,
        })
    }
}

/// One rendered file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderedFile {
    /// File name (no directory).
    pub name: String,
    /// Its contents.
    pub contents: String,
}

/// Maximum capacity of one stateful rule group.
pub const MAX_GROUP_CAPACITY: u32 = 30_000;
/// Maximum length of a `RulesString`, in characters.
pub const MAX_RULES_STRING: usize = 2_000_000;
/// Maximum number of stateful rule groups in a policy.
pub const MAX_GROUPS: usize = 20;

/// The placeholder ARN of a rule group: replace `REGION` and `ACCOUNT_ID`.
pub fn group_arn(name: &str) -> String {
    format!("arn:aws:network-firewall:REGION:ACCOUNT_ID:stateful-rulegroup/{name}")
}

/// The capacity the group's rules need (SEMANTICS.md §6).
pub fn capacity(policy: &Policy, group: &RuleGroup) -> u32 {
    match &group.rules {
        RulesSource::Rules(rules) => rules.len() as u32,
        RulesSource::DomainList(list) => {
            if list_expressible(policy, group) {
                let types = distinct_types(&list.target_types);
                let http = u32::from(types.contains(&TargetType::HttpHost));
                (list.targets.len() as u32).saturating_mul(types.len() as u32).saturating_add(http)
            } else {
                list_layout(policy, group).map_or(0, |l| l.len())
            }
        }
    }
}

fn distinct_types(types: &[TargetType]) -> Vec<TargetType> {
    let mut t = types.to_vec();
    t.sort_unstable();
    t.dedup();
    t
}

fn list_layout(policy: &Policy, group: &RuleGroup) -> Option<ListLayout> {
    match &group.rules {
        RulesSource::DomainList(list) => Some(ListLayout::new(
            list,
            policy.rule_order,
            policy.generation.trailers(policy.rule_order),
        )),
        RulesSource::Rules(_) => None,
    }
}

/// Whether AWS's own expansion of a `RulesSourceList` gives exactly the rules
/// rulesim evaluates: TLS/HTTP only, and catch-alls exactly where AWS emits them.
fn list_expressible(policy: &Policy, group: &RuleGroup) -> bool {
    let RulesSource::DomainList(list) = &group.rules else { return false };
    let aws_trailers = policy.rule_order == RuleOrder::DefaultActionOrder;
    !list.targets.is_empty()
        && !list.target_types.is_empty()
        && !list.target_types.contains(&TargetType::Dns)
        && (list.kind != ListKind::Allowlist
            || policy.generation.trailers(policy.rule_order) == aws_trailers)
}

/// The Suricata text a group evaluates to: its rules, or the rules its
/// domain list expands to (SEMANTICS.md §1.5), one per line.
pub fn suricata_text(policy: &Policy, group: &RuleGroup) -> String {
    let rules = match &group.rules {
        RulesSource::Rules(rules) => rules.iter().map(|r| r.text.clone()).collect::<Vec<_>>(),
        RulesSource::DomainList(list) => list_layout(policy, group)
            .map(|l| l.rules(list, &group.location).into_iter().map(|r| r.text).collect())
            .unwrap_or_default(),
    };
    let mut out = rules.join("\n");
    out.push('\n');
    out
}

/// How one group is rendered.
struct GroupPlan {
    name: String,
    logical_id: String,
    capacity: u32,
    source: Source,
    ip_sets: BTreeMap<String, Vec<String>>,
    port_sets: BTreeMap<String, Vec<String>>,
    priority: u32,
}

enum Source {
    List { kind: &'static str, types: Vec<&'static str>, targets: Vec<String> },
    Rules(String),
}

struct Plan {
    policy_name: String,
    policy_logical_id: String,
    order: &'static str,
    groups: Vec<GroupPlan>,
    stateless: &'static str,
    fragments: &'static str,
    defaults: Vec<&'static str>,
    stream_exception: &'static str,
    tcp_idle: Option<u32>,
    home_net: Option<Vec<String>>,
}

fn is_aws_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// A valid AWS resource name derived from `name` (a file path becomes its stem).
fn aws_name(name: &str) -> String {
    let stem = std::path::Path::new(name)
        .file_stem()
        .map_or(name.to_string(), |s| s.to_string_lossy().into_owned());
    let base = if is_aws_name(name) { name.to_string() } else { stem };
    let mut out: String =
        base.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' }).collect();
    out.truncate(128);
    if out.trim_matches('-').is_empty() { "rulesim-policy".into() } else { out }
}

fn logical_id(name: &str, suffix: &str) -> String {
    let mut out = String::new();
    for part in name.split(|c: char| !c.is_ascii_alphanumeric()).filter(|p| !p.is_empty()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    if !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out.insert(0, 'R');
    }
    out.push_str(suffix);
    out.truncate(255);
    out
}

fn plan(policy: &Policy) -> Result<Plan, Errors> {
    // Validate as AWS would before writing anything deployable.
    CompiledPolicy::build(policy.clone())?;
    let mut errors = Errors::new();
    let at = |e: Error, l: Option<&rulesim_core::Location>| match l {
        Some(l) => e.at(l.clone()),
        None => e,
    };
    let stateful: Vec<&RuleGroup> = policy.groups.iter().collect();
    if stateful.len() > MAX_GROUPS {
        errors.push(at(
            Error::new(
                ErrorKind::InvalidValue,
                format!("the policy has {} rule groups; AWS allows {MAX_GROUPS}", stateful.len()),
            )
            .with_hint("merge domain lists of the same kind into one group"),
            policy.location.as_ref(),
        ));
    }
    let mut groups = Vec::new();
    let mut ids: Vec<String> = Vec::new();
    for group in &policy.groups {
        if !is_aws_name(&group.name) {
            errors.push(
                Error::new(
                    ErrorKind::InvalidValue,
                    format!("`{}` is not a valid AWS rule group name", group.name),
                )
                .at(group.location.clone())
                .with_hint("use 1 to 128 letters, digits and hyphens"),
            );
            continue;
        }
        if group.name == "firewall-policy" {
            errors.push(
                Error::new(
                    ErrorKind::Conflict,
                    "a rule group named `firewall-policy` would overwrite the policy file",
                )
                .at(group.location.clone())
                .with_hint("rename the group"),
            );
        }
        let needed = capacity(policy, group);
        let capacity = group.capacity.map_or(needed, |c| c.max(needed)).max(1);
        if let Some(declared) = group.capacity.filter(|c| *c < needed) {
            errors.push(
                Error::new(ErrorKind::InvalidValue, format!("group `{}` declares capacity {declared} but its rules need {needed}", group.name))
                    .at(group.location.clone())
                    .with_hint(format!("raise `capacity` to at least {needed}; capacity cannot be changed after creation")),
            );
        }
        if capacity > MAX_GROUP_CAPACITY {
            errors.push(
                Error::new(ErrorKind::InvalidValue, format!("group `{}` needs capacity {capacity}; AWS allows {MAX_GROUP_CAPACITY} per rule group", group.name))
                    .at(group.location.clone())
                    .with_hint("split the list into several rule groups"),
            );
        }
        let source = match (&group.rules, list_expressible(policy, group)) {
            (RulesSource::DomainList(list), true) => Source::List {
                kind: match list.kind {
                    ListKind::Allowlist => "ALLOWLIST",
                    ListKind::Denylist => "DENYLIST",
                    ListKind::Rejectlist => "REJECTLIST",
                    ListKind::Alertlist => "ALERTLIST",
                },
                types: distinct_types(&list.target_types).into_iter().map(|t| t.as_aws()).collect(),
                targets: list.targets.iter().map(|t| t.name.to_aws()).collect(),
            },
            _ => {
                let text = suricata_text(policy, group);
                let text = text.trim_end_matches('\n').to_string();
                if text.chars().count() > MAX_RULES_STRING {
                    errors.push(
                        Error::new(ErrorKind::InvalidValue, format!("group `{}` renders to a RulesString over {MAX_RULES_STRING} characters", group.name))
                            .at(group.location.clone())
                            .with_hint("split the group into several rule groups"),
                    );
                }
                Source::Rules(text)
            }
        };
        let mut id = logical_id(&group.name, "RuleGroup");
        while ids.contains(&id) {
            id.push('X');
        }
        ids.push(id.clone());
        groups.push(GroupPlan {
            name: group.name.clone(),
            logical_id: id,
            capacity,
            source,
            ip_sets: group
                .variables
                .ip_sets
                .iter()
                .map(|(k, v)| (k.clone(), v.iter().map(ToString::to_string).collect()))
                .collect(),
            port_sets: group
                .variables
                .port_sets
                .iter()
                .map(|(k, v)| (k.clone(), v.iter().map(ToString::to_string).collect()))
                .collect(),
            priority: group.priority,
        });
    }
    let policy_name = aws_name(&policy.name);
    let plan = Plan {
        policy_logical_id: logical_id(&policy_name, "FirewallPolicy"),
        policy_name,
        order: policy.rule_order.as_aws(),
        groups,
        stateless: policy.stateless_default.as_aws(),
        fragments: policy.stateless_fragment_default.as_aws(),
        defaults: policy.default_actions.iter().map(|a| a.as_aws()).collect(),
        stream_exception: policy.stream_exception_policy.as_aws(),
        tcp_idle: (policy.tcp_idle_timeout_secs != 350).then_some(policy.tcp_idle_timeout_secs),
        home_net: policy
            .home_net
            .declared_at
            .is_some()
            .then(|| policy.home_net.cidrs.iter().map(ToString::to_string).collect()),
    };
    errors.into_result(plan)
}

/// Renders `policy` for `target`. Validates it first (as
/// [`CompiledPolicy::build`] does) and checks AWS's limits.
pub fn render(policy: &Policy, target: Target) -> Result<Vec<RenderedFile>, Errors> {
    let plan = plan(policy)?;
    Ok(match target {
        Target::Aws => aws_files(&plan),
        Target::CloudFormation => vec![RenderedFile {
            name: "template.json".into(),
            contents: json(&cfn_template(&plan)),
        }],
        Target::Terraform => {
            vec![RenderedFile { name: "main.tf".into(), contents: terraform(&plan) }]
        }
        Target::Suricata => policy
            .groups
            .iter()
            .map(|g| RenderedFile {
                name: format!("{}.rules", g.name),
                contents: suricata_text(policy, g),
            })
            .collect(),
    })
}

fn json<T: Serialize>(value: &T) -> String {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_default();
    s.push('\n');
    s
}

// ---- AWS JSON shapes (botocore network-firewall 2020-11-12) ----

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CreateRuleGroup<'a> {
    rule_group_name: &'a str,
    #[serde(rename = "Type")]
    kind: &'static str,
    capacity: u32,
    rule_group: RuleGroupJson<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RuleGroupJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_variables: Option<RuleVariables<'a>>,
    rules_source: RulesSourceJson<'a>,
    stateful_rule_options: RuleOrderJson,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RuleVariables<'a> {
    #[serde(rename = "IPSets", skip_serializing_if = "BTreeMap::is_empty")]
    ip_sets: BTreeMap<&'a str, Definition<'a>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    port_sets: BTreeMap<&'a str, Definition<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Definition<'a> {
    definition: &'a [String],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RulesSourceJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    rules_string: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rules_source_list: Option<RulesSourceList<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RulesSourceList<'a> {
    targets: &'a [String],
    target_types: &'a [&'static str],
    generated_rules_type: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RuleOrderJson {
    rule_order: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CreateFirewallPolicy<'a> {
    firewall_policy_name: &'a str,
    firewall_policy: FirewallPolicyJson<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct FirewallPolicyJson<'a> {
    stateless_default_actions: [&'static str; 1],
    stateless_fragment_default_actions: [&'static str; 1],
    stateful_rule_group_references: Vec<GroupReference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    stateful_default_actions: Vec<&'static str>,
    stateful_engine_options: EngineOptions,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy_variables: Option<PolicyVariables<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct GroupReference {
    resource_arn: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    priority: Option<u32>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct EngineOptions {
    rule_order: &'static str,
    stream_exception_policy: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    flow_timeouts: Option<FlowTimeouts>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct FlowTimeouts {
    tcp_idle_timeout_seconds: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyVariables<'a> {
    rule_variables: BTreeMap<&'static str, Definition<'a>>,
}

fn rule_group_json(g: &GroupPlan) -> CreateRuleGroup<'_> {
    let vars = (!g.ip_sets.is_empty() || !g.port_sets.is_empty()).then(|| RuleVariables {
        ip_sets: g
            .ip_sets
            .iter()
            .map(|(k, v)| (k.as_str(), Definition { definition: v }))
            .collect(),
        port_sets: g
            .port_sets
            .iter()
            .map(|(k, v)| (k.as_str(), Definition { definition: v }))
            .collect(),
    });
    let rules_source = match &g.source {
        Source::List { kind, types, targets } => RulesSourceJson {
            rules_string: None,
            rules_source_list: Some(RulesSourceList {
                targets,
                target_types: types,
                generated_rules_type: kind,
            }),
        },
        Source::Rules(text) => {
            RulesSourceJson { rules_string: Some(text), rules_source_list: None }
        }
    };
    CreateRuleGroup {
        rule_group_name: &g.name,
        kind: "STATEFUL",
        capacity: g.capacity,
        rule_group: RuleGroupJson {
            rule_variables: vars,
            rules_source,
            // Set below by the caller's plan order.
            stateful_rule_options: RuleOrderJson { rule_order: "STRICT_ORDER" },
        },
    }
}

fn policy_json<'a>(
    plan: &'a Plan,
    arn: &dyn Fn(&GroupPlan) -> serde_json::Value,
) -> CreateFirewallPolicy<'a> {
    let strict = plan.order == "STRICT_ORDER";
    CreateFirewallPolicy {
        firewall_policy_name: &plan.policy_name,
        firewall_policy: FirewallPolicyJson {
            stateless_default_actions: [plan.stateless],
            stateless_fragment_default_actions: [plan.fragments],
            stateful_rule_group_references: plan
                .groups
                .iter()
                .map(|g| GroupReference {
                    resource_arn: arn(g),
                    priority: strict.then_some(g.priority),
                })
                .collect(),
            stateful_default_actions: plan.defaults.clone(),
            stateful_engine_options: EngineOptions {
                rule_order: plan.order,
                stream_exception_policy: plan.stream_exception,
                flow_timeouts: plan.tcp_idle.map(|t| FlowTimeouts { tcp_idle_timeout_seconds: t }),
            },
            policy_variables: plan.home_net.as_ref().map(|cidrs| PolicyVariables {
                rule_variables: BTreeMap::from([("HOME_NET", Definition { definition: cidrs })]),
            }),
        },
    }
}

fn aws_files(plan: &Plan) -> Vec<RenderedFile> {
    let mut files = Vec::new();
    for g in &plan.groups {
        let mut body = rule_group_json(g);
        body.rule_group.stateful_rule_options.rule_order = plan.order;
        files.push(RenderedFile { name: format!("{}.json", g.name), contents: json(&body) });
    }
    let policy = policy_json(plan, &|g| serde_json::Value::String(group_arn(&g.name)));
    files.push(RenderedFile { name: "firewall-policy.json".into(), contents: json(&policy) });
    files
}

// ---- CloudFormation ----

#[derive(Serialize)]
struct Template<'a> {
    #[serde(rename = "AWSTemplateFormatVersion")]
    version: &'static str,
    #[serde(rename = "Description")]
    description: &'static str,
    #[serde(rename = "Resources")]
    resources: BTreeMap<&'a str, Resource<'a>>,
}

#[derive(Serialize)]
struct Resource<'a> {
    #[serde(rename = "Type")]
    kind: &'static str,
    #[serde(rename = "Properties")]
    properties: Properties<'a>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Properties<'a> {
    Group(CreateRuleGroup<'a>),
    Policy(CreateFirewallPolicy<'a>),
}

fn cfn_template(plan: &Plan) -> Template<'_> {
    let mut resources = BTreeMap::new();
    for g in &plan.groups {
        let mut body = rule_group_json(g);
        body.rule_group.stateful_rule_options.rule_order = plan.order;
        resources.insert(
            g.logical_id.as_str(),
            Resource {
                kind: "AWS::NetworkFirewall::RuleGroup",
                properties: Properties::Group(body),
            },
        );
    }
    let policy = policy_json(plan, &|g| serde_json::json!({ "Ref": g.logical_id }));
    resources.insert(
        plan.policy_logical_id.as_str(),
        Resource {
            kind: "AWS::NetworkFirewall::FirewallPolicy",
            properties: Properties::Policy(policy),
        },
    );
    Template {
        version: "2010-09-09",
        description: "AWS Network Firewall policy and rule groups rendered by rulesim",
        resources,
    }
}

// ---- Terraform ----

/// A quoted HCL string: escapes quotes, backslashes, control characters and
/// template sequences (`${`, `%{`).
fn hcl_string(s: &str) -> String {
    let mut out = String::from("\"");
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn hcl_list(items: &[impl AsRef<str>]) -> String {
    let parts: Vec<String> = items.iter().map(|s| hcl_string(s.as_ref())).collect();
    format!("[{}]", parts.join(", "))
}

fn tf_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c.to_ascii_lowercase() } else { '_' })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        out.insert(0, '_');
    }
    out
}

fn terraform(plan: &Plan) -> String {
    let mut out =
        String::from("# AWS Network Firewall policy and rule groups rendered by rulesim.\n");
    for g in &plan.groups {
        let _ = writeln!(
            out,
            "\nresource \"aws_networkfirewall_rule_group\" {} {{",
            hcl_string(&tf_name(&g.name))
        );
        let _ = writeln!(out, "  name     = {}", hcl_string(&g.name));
        let _ = writeln!(out, "  type     = \"STATEFUL\"");
        let _ = writeln!(out, "  capacity = {}", g.capacity);
        out.push_str("  rule_group {\n");
        if !g.ip_sets.is_empty() || !g.port_sets.is_empty() {
            out.push_str("    rule_variables {\n");
            for (k, v) in &g.ip_sets {
                let _ = writeln!(
                    out,
                    "      ip_sets {{\n        key = {}\n        ip_set {{\n          definition = {}\n        }}\n      }}",
                    hcl_string(k),
                    hcl_list(v)
                );
            }
            for (k, v) in &g.port_sets {
                let _ = writeln!(
                    out,
                    "      port_sets {{\n        key = {}\n        port_set {{\n          definition = {}\n        }}\n      }}",
                    hcl_string(k),
                    hcl_list(v)
                );
            }
            out.push_str("    }\n");
        }
        out.push_str("    rules_source {\n");
        match &g.source {
            Source::List { kind, types, targets } => {
                out.push_str("      rules_source_list {\n");
                let _ = writeln!(out, "        generated_rules_type = {}", hcl_string(kind));
                let _ = writeln!(out, "        target_types         = {}", hcl_list(types));
                let _ = writeln!(out, "        targets              = {}", hcl_list(targets));
                out.push_str("      }\n");
            }
            Source::Rules(text) => {
                let _ = writeln!(out, "      rules_string = {}", hcl_string(text));
            }
        }
        out.push_str("    }\n");
        let _ = writeln!(
            out,
            "    stateful_rule_options {{\n      rule_order = {}\n    }}",
            hcl_string(plan.order)
        );
        out.push_str("  }\n}\n");
    }
    let _ = writeln!(
        out,
        "\nresource \"aws_networkfirewall_firewall_policy\" {} {{",
        hcl_string(&tf_name(&plan.policy_name))
    );
    let _ = writeln!(out, "  name = {}", hcl_string(&plan.policy_name));
    out.push_str("  firewall_policy {\n");
    let _ =
        writeln!(out, "    stateless_default_actions          = {}", hcl_list(&[plan.stateless]));
    let _ =
        writeln!(out, "    stateless_fragment_default_actions = {}", hcl_list(&[plan.fragments]));
    if !plan.defaults.is_empty() {
        let _ =
            writeln!(out, "    stateful_default_actions           = {}", hcl_list(&plan.defaults));
    }
    out.push_str("    stateful_engine_options {\n");
    let _ = writeln!(out, "      rule_order              = {}", hcl_string(plan.order));
    let _ = writeln!(out, "      stream_exception_policy = {}", hcl_string(plan.stream_exception));
    if let Some(t) = plan.tcp_idle {
        let _ = writeln!(
            out,
            "      flow_timeouts {{\n        tcp_idle_timeout_seconds = {t}\n      }}"
        );
    }
    out.push_str("    }\n");
    for g in &plan.groups {
        out.push_str("    stateful_rule_group_reference {\n");
        if plan.order == "STRICT_ORDER" {
            let _ = writeln!(out, "      priority     = {}", g.priority);
        }
        let _ = writeln!(
            out,
            "      resource_arn = aws_networkfirewall_rule_group.{}.arn",
            tf_name(&g.name)
        );
        out.push_str("    }\n");
    }
    if let Some(cidrs) = &plan.home_net {
        let _ = writeln!(
            out,
            "    policy_variables {{\n      rule_variables {{\n        key = \"HOME_NET\"\n        ip_set {{\n          definition = {}\n        }}\n      }}\n    }}",
            hcl_list(cidrs)
        );
    }
    out.push_str("  }\n}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hcl_strings_escape_templates_and_quotes() {
        assert_eq!(hcl_string("a\"b\\c\n${x} %{y} $z"), r#""a\"b\\c\n$${x} %%{y} $z""#);
        assert_eq!(tf_name("browser-allowed-domains"), "browser_allowed_domains");
        assert_eq!(
            logical_id("browser-allowed-domains", "RuleGroup"),
            "BrowserAllowedDomainsRuleGroup"
        );
        assert_eq!(aws_name("examples/walkthrough/rulesim.yaml"), "rulesim");
        assert_eq!(aws_name("agent-egress"), "agent-egress");
    }
}
