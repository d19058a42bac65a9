//! AWS Network Firewall's API shapes (botocore `network-firewall`
//! 2020-11-12) read into the core model.
//!
//! The same readers serve the AWS CLI files (`--rule-group file://`,
//! `--cli-input-json`, `describe-*` output), CloudFormation resource
//! properties and Terraform resources (which `terraform.rs` first rewrites
//! into these shapes). Unknown fields are errors, because a misspelt
//! `StatefulDefaultActions` silently changes what the firewall does.

use rulesim_core::address::{PortSpec, Variables};
use rulesim_core::name::parse_target;
use rulesim_core::{
    DefaultAction, DomainList, ErrorKind, HomeNet, ListKind, Policy, RuleGroup, RuleOrder,
    RulesSource, StatelessAction, StreamExceptionPolicy, Target, TargetType,
};

use crate::read::Ctx;
use crate::suricata;
use crate::tree::{Node, Pos, Text, Value};

/// A rule group as a file describes it; its name and priority come from the
/// policy that references it when the file does not say.
pub(crate) struct ReadGroup {
    /// `RuleGroupName`, if the file has one.
    pub(crate) name: Option<String>,
    /// The group (name may be empty, priority 0).
    pub(crate) group: RuleGroup,
}

/// A firewall policy and the groups it references, still unresolved.
pub(crate) struct ReadPolicy {
    /// `FirewallPolicyName`, if the file has one.
    pub(crate) name: Option<String>,
    /// Everything but the groups.
    pub(crate) policy: Policy,
    /// `StatefulRuleGroupReferences`, in written order.
    pub(crate) refs: Vec<GroupRef>,
}

/// One `StatefulRuleGroupReference`.
pub(crate) struct GroupRef {
    /// `ResourceArn`.
    pub(crate) arn: String,
    /// Where the ARN is written.
    pub(crate) at: Pos,
    /// `Priority`.
    pub(crate) priority: Option<u32>,
    /// `Override.Action: DROP_TO_ALERT`.
    pub(crate) drop_to_alert: bool,
}

/// Which AWS document a JSON object is, judged by its keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// A bare `RuleGroup` (`--rule-group file://`).
    RuleGroup,
    /// A `CreateRuleGroup` request (`--cli-input-json`).
    CreateRuleGroup,
    /// `describe-rule-group` output.
    DescribeRuleGroup,
    /// A bare `FirewallPolicy`.
    FirewallPolicy,
    /// A `CreateFirewallPolicy` request.
    CreateFirewallPolicy,
    /// `describe-firewall-policy` output.
    DescribeFirewallPolicy,
}

impl Shape {
    /// Recognises the document by its top-level keys.
    pub(crate) fn of(root: &Node) -> Option<Shape> {
        let has = |k: &str| root.get(k).is_some();
        Some(if has("RuleGroupResponse") {
            Shape::DescribeRuleGroup
        } else if has("FirewallPolicyResponse") {
            Shape::DescribeFirewallPolicy
        } else if has("FirewallPolicyName") || (has("FirewallPolicy") && !has("RuleGroup")) {
            Shape::CreateFirewallPolicy
        } else if has("RuleGroupName") || has("RuleGroup") || (has("Rules") && has("Type")) {
            Shape::CreateRuleGroup
        } else if has("RulesSource") {
            Shape::RuleGroup
        } else if has("StatefulRuleGroupReferences")
            || has("StatelessDefaultActions")
            || has("StatefulEngineOptions")
            || has("StatefulDefaultActions")
        {
            Shape::FirewallPolicy
        } else {
            return None;
        })
    }

    /// Whether it describes a firewall policy.
    pub(crate) fn is_policy(self) -> bool {
        matches!(
            self,
            Shape::FirewallPolicy | Shape::CreateFirewallPolicy | Shape::DescribeFirewallPolicy
        )
    }
}

const CREATE_RULE_GROUP_KEYS: &[&str] = &[
    "RuleGroupName",
    "RuleGroup",
    "Rules",
    "Type",
    "Capacity",
    "Description",
    "Tags",
    "DryRun",
    "EncryptionConfiguration",
    "SourceMetadata",
    "AnalyzeRuleGroup",
    "SummaryConfiguration",
];

/// The keys of an `AWS::NetworkFirewall::RuleGroup`'s properties.
pub(crate) const CFN_RULE_GROUP_KEYS: &[&str] = &[
    "RuleGroupName",
    "RuleGroup",
    "Type",
    "Capacity",
    "Description",
    "Tags",
    "SummaryConfiguration",
];

const CREATE_POLICY_KEYS: &[&str] = &[
    "FirewallPolicyName",
    "FirewallPolicy",
    "Description",
    "Tags",
    "DryRun",
    "EncryptionConfiguration",
];

/// The keys of an `AWS::NetworkFirewall::FirewallPolicy`'s properties.
pub(crate) const CFN_POLICY_KEYS: &[&str] =
    &["FirewallPolicyName", "FirewallPolicy", "Description", "Tags"];

/// Reads any rule-group document.
pub(crate) fn rule_group_document(ctx: &mut Ctx, root: &Node, shape: Shape) -> Option<ReadGroup> {
    match shape {
        Shape::RuleGroup => {
            Some(ReadGroup { name: None, group: rule_group_body(ctx, root, None)? })
        }
        Shape::CreateRuleGroup => create_rule_group(ctx, root, CREATE_RULE_GROUP_KEYS),
        Shape::DescribeRuleGroup => {
            let fields = ctx.object(
                root,
                "the describe-rule-group output",
                &["UpdateToken", "RuleGroup", "RuleGroupResponse"],
            );
            let response = fields.get("RuleGroupResponse");
            let name = response
                .and_then(|r| r.get("RuleGroupName"))
                .and_then(Node::as_str)
                .map(str::to_string);
            if let Some(t) = response.and_then(|r| r.get("Type")) {
                rule_group_type(ctx, t);
            }
            let body =
                ctx.required(&fields, root.at, "RuleGroup", "the describe-rule-group output")?;
            let mut group = rule_group_body(ctx, body, None)?;
            group.capacity = response
                .and_then(|r| r.get("Capacity"))
                .and_then(|c| ctx.integer(c, "`Capacity`", 1..=30_000))
                .map(|c| c as u32);
            Some(ReadGroup { name, group })
        }
        _ => None,
    }
}

fn rule_group_type(ctx: &mut Ctx, node: &Node) {
    if let Some(t) =
        ctx.one_of(node, "rule group `Type`", &["STATEFUL", "STATELESS", "STATEFUL_DOMAIN"])
        && t == "STATELESS"
    {
        ctx.err(node.at, ErrorKind::Unsupported, "stateless rule groups are not evaluated by rulesim", "rulesim models the stateful engine; with the recommended aws:forward_to_sfe default, stateless groups are not needed");
    }
}

/// A `CreateRuleGroup` request or a CloudFormation RuleGroup's properties.
pub(crate) fn create_rule_group(ctx: &mut Ctx, root: &Node, keys: &[&str]) -> Option<ReadGroup> {
    let what = "the rule group request";
    let fields = ctx.object(root, what, keys);
    let name = fields
        .get("RuleGroupName")
        .and_then(|n| ctx.string(n, "`RuleGroupName`"))
        .map(|t| t.text.clone());
    if let Some(n) = fields.get("RuleGroupName") {
        check_resource_name(ctx, n);
    }
    if let Some(t) = fields.get("Type") {
        rule_group_type(ctx, t);
    }
    let capacity = fields
        .get("Capacity")
        .and_then(|c| ctx.integer(c, "`Capacity`", 1..=30_000))
        .map(|c| c as u32);
    let mut group = match (fields.get("RuleGroup"), fields.get("Rules")) {
        (Some(body), None) => rule_group_body(ctx, body, None)?,
        (None, Some(rules)) => {
            let text = ctx.string(rules, "`Rules`")?;
            rule_group_from_rules(ctx, text, rules.at)
        }
        (Some(_), Some(rules)) => {
            ctx.err(
                rules.at,
                ErrorKind::Conflict,
                "`Rules` and `RuleGroup` cannot both be given",
                "keep one: `RuleGroup.RulesSource.RulesString` or `Rules`",
            );
            return None;
        }
        (None, None) => {
            ctx.err(
                root.at,
                ErrorKind::MissingField,
                format!("{what} has neither `RuleGroup` nor `Rules`"),
                "add `RuleGroup: {\"RulesSource\": ...}`",
            );
            return None;
        }
    };
    group.capacity = capacity;
    Some(ReadGroup { name, group })
}

fn rule_group_from_rules(ctx: &mut Ctx, text: &Text, at: Pos) -> RuleGroup {
    let rules = suricata::parse_text(ctx, text);
    empty_group(RulesSource::Rules(rules), ctx.loc(at))
}

fn empty_group(rules: RulesSource, location: rulesim_core::Location) -> RuleGroup {
    RuleGroup {
        name: String::new(),
        priority: 0,
        rule_order: None,
        variables: Variables::default(),
        capacity: None,
        rules,
        location,
    }
}

fn check_resource_name(ctx: &mut Ctx, node: &Node) {
    if let Some(name) = node.as_str() {
        let ok = !name.is_empty()
            && name.len() <= 128
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !ok {
            ctx.err(
                node.at,
                ErrorKind::InvalidValue,
                format!("`{name}` is not a valid AWS resource name"),
                "use 1 to 128 letters, digits and hyphens",
            );
        }
    }
}

/// A `RuleGroup` object (`RulesSource`, `RuleVariables`, ...).
pub(crate) fn rule_group_body(
    ctx: &mut Ctx,
    node: &Node,
    _name: Option<&str>,
) -> Option<RuleGroup> {
    let fields = ctx.object(
        node,
        "`RuleGroup`",
        &["RuleVariables", "ReferenceSets", "RulesSource", "StatefulRuleOptions"],
    );
    let variables = fields.get("RuleVariables").map(|v| rule_variables(ctx, v)).unwrap_or_default();
    let rule_order = fields.get("StatefulRuleOptions").and_then(|o| {
        let f = ctx.object(o, "`StatefulRuleOptions`", &["RuleOrder"]);
        f.get("RuleOrder").and_then(|r| rule_order(ctx, r))
    });
    let source = ctx.required(&fields, node.at, "RulesSource", "`RuleGroup`")?;
    let rules = rules_source(ctx, source)?;
    let mut group = empty_group(rules, ctx.loc(node.at));
    group.variables = variables;
    group.rule_order = rule_order;
    Some(group)
}

fn rule_order(ctx: &mut Ctx, node: &Node) -> Option<RuleOrder> {
    ctx.one_of(node, "`RuleOrder`", &["STRICT_ORDER", "DEFAULT_ACTION_ORDER"])
        .and_then(RuleOrder::from_aws)
}

fn rules_source(ctx: &mut Ctx, node: &Node) -> Option<RulesSource> {
    let fields = ctx.object(
        node,
        "`RulesSource`",
        &["RulesString", "RulesSourceList", "StatefulRules", "StatelessRulesAndCustomActions"],
    );
    let present: Vec<&str> =
        ["RulesString", "RulesSourceList", "StatefulRules", "StatelessRulesAndCustomActions"]
            .into_iter()
            .filter(|k| fields.get(k).is_some())
            .collect();
    if present.len() != 1 {
        let message = if present.is_empty() {
            "`RulesSource` holds no rules".to_string()
        } else {
            format!("`RulesSource` holds {}; AWS takes exactly one", present.join(" and "))
        };
        ctx.err(
            node.at,
            if present.is_empty() { ErrorKind::MissingField } else { ErrorKind::Conflict },
            message,
            "give one of RulesString, RulesSourceList, StatefulRules",
        );
        return None;
    }
    if let Some(s) = fields.get("RulesString") {
        let text = ctx.string(s, "`RulesString`")?;
        if text.text.chars().count() > 2_000_000 {
            ctx.err(
                s.at,
                ErrorKind::InvalidValue,
                "`RulesString` is longer than 2,000,000 characters",
                "split the rules into several rule groups",
            );
        }
        return Some(RulesSource::Rules(suricata::parse_text(ctx, text)));
    }
    if let Some(l) = fields.get("RulesSourceList") {
        return rules_source_list(ctx, l).map(RulesSource::DomainList);
    }
    if let Some(s) = fields.get("StatefulRules") {
        return Some(RulesSource::Rules(stateful_rules(ctx, s)));
    }
    if let Some(s) = fields.get("StatelessRulesAndCustomActions") {
        ctx.err(
            s.at,
            ErrorKind::Unsupported,
            "stateless rules are not evaluated by rulesim",
            "rulesim models the stateful engine; use a stateful rule group",
        );
    }
    None
}

fn rules_source_list(ctx: &mut Ctx, node: &Node) -> Option<DomainList> {
    let what = "`RulesSourceList`";
    let fields = ctx.object(node, what, &["Targets", "TargetTypes", "GeneratedRulesType"]);
    let kind = ctx.required(&fields, node.at, "GeneratedRulesType", what).and_then(|k| {
        ctx.one_of(k, "`GeneratedRulesType`", &["ALLOWLIST", "DENYLIST", "REJECTLIST", "ALERTLIST"])
    });
    let mut target_types = Vec::new();
    if let Some(types) = ctx.required(&fields, node.at, "TargetTypes", what) {
        for item in ctx.array(types, "`TargetTypes`") {
            match ctx.one_of(item, "target type", &["TLS_SNI", "HTTP_HOST"]) {
                Some("TLS_SNI") => target_types.push(TargetType::TlsSni),
                Some(_) => target_types.push(TargetType::HttpHost),
                None => {}
            }
        }
        if matches!(&types.value, Value::Array(items) if items.is_empty()) {
            ctx.err(
                types.at,
                ErrorKind::InvalidValue,
                "`TargetTypes` is empty",
                "list TLS_SNI, HTTP_HOST or both",
            );
        }
    }
    let mut targets = Vec::new();
    if let Some(list) = ctx.required(&fields, node.at, "Targets", what) {
        for item in ctx.array(list, "`Targets`") {
            let Some(text) = ctx.string(item, "a target") else { continue };
            match parse_target(&text.text) {
                Ok(name) => targets.push(Target {
                    name,
                    written: text.text.clone(),
                    location: ctx.loc(text.pos(0)),
                }),
                Err(e) => {
                    let byte = text
                        .text
                        .char_indices()
                        .nth(e.column() as usize)
                        .map_or(text.text.len(), |(b, _)| b);
                    let pos = text.pos(byte);
                    ctx.err(pos, ErrorKind::InvalidName, e.message(), e.hint());
                }
            }
        }
    }
    let kind = match kind? {
        "ALLOWLIST" => ListKind::Allowlist,
        "DENYLIST" => ListKind::Denylist,
        "REJECTLIST" => ListKind::Rejectlist,
        _ => ListKind::Alertlist,
    };
    Some(DomainList { kind, target_types, targets })
}

const STATEFUL_PROTOCOLS: &[&str] = &[
    "IP", "TCP", "UDP", "ICMP", "HTTP", "FTP", "TLS", "SMB", "DNS", "DCERPC", "SSH", "SMTP",
    "IMAP", "MSN", "KRB5", "IKEV2", "TFTP", "NTP", "DHCP", "HTTP2", "QUIC",
];

/// Structured `StatefulRules`, turned into rule text the way AWS does
/// (`keyword:settings;`, settings verbatim) and parsed like a rule string,
/// with every piece mapped back to the JSON value it came from.
fn stateful_rules(ctx: &mut Ctx, node: &Node) -> Vec<rulesim_core::Rule> {
    let mut out = Vec::new();
    for item in ctx.array(node, "`StatefulRules`") {
        let what = "a stateful rule";
        let fields = ctx.object(item, what, &["Action", "Header", "RuleOptions"]);
        let mut pieces: Vec<(String, Pos)> = Vec::new();
        let ok_before = ctx.errors.iter().count();
        if let Some(a) = ctx.required(&fields, item.at, "Action", what)
            && let Some(a) = ctx.one_of(a, "`Action`", &["PASS", "DROP", "ALERT", "REJECT"])
        {
            pieces.push((a.to_ascii_lowercase(), node_text_pos(fields.get("Action"))));
        }
        if let Some(h) = ctx.required(&fields, item.at, "Header", what) {
            let hf = ctx.object(
                h,
                "`Header`",
                &[
                    "Protocol",
                    "Source",
                    "SourcePort",
                    "Direction",
                    "Destination",
                    "DestinationPort",
                ],
            );
            for key in
                ["Protocol", "Source", "SourcePort", "Direction", "Destination", "DestinationPort"]
            {
                let Some(v) = ctx.required(&hf, h.at, key, "`Header`") else { continue };
                let text = match key {
                    "Protocol" => {
                        ctx.one_of(v, "`Protocol`", STATEFUL_PROTOCOLS).map(str::to_ascii_lowercase)
                    }
                    "Direction" => ctx
                        .one_of(v, "`Direction`", &["FORWARD", "ANY"])
                        .map(|d| if d == "FORWARD" { "->".into() } else { "<>".into() }),
                    _ => ctx.string(v, &format!("`{key}`")).map(|t| t.text.clone()),
                };
                if let Some(text) = text {
                    pieces.push((text, node_text_pos(Some(v))));
                }
            }
        }
        let mut options: Vec<(String, Pos)> = Vec::new();
        if let Some(opts) = ctx.required(&fields, item.at, "RuleOptions", what) {
            for opt in ctx.array(opts, "`RuleOptions`") {
                let of = ctx.object(opt, "a rule option", &["Keyword", "Settings"]);
                let Some(k) = ctx.required(&of, opt.at, "Keyword", "a rule option") else {
                    continue;
                };
                let Some(keyword) = ctx.string(k, "`Keyword`") else { continue };
                let mut text = keyword.text.clone();
                if let Some(s) = of.get("Settings") {
                    let settings = ctx.strings(s, "`Settings`");
                    if !settings.is_empty() {
                        text.push(':');
                        text.push_str(
                            &settings.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>().join(","),
                        );
                    }
                }
                options.push((text, node_text_pos(Some(k))));
            }
        }
        if ctx.errors.iter().count() > ok_before {
            continue;
        }
        // Assemble the rule text and where each piece came from.
        let mut text = String::new();
        let mut segments = Vec::new();
        for (i, (piece, pos)) in pieces.iter().enumerate() {
            if i > 0 {
                text.push(' ');
            }
            segments.push((text.len(), *pos));
            text.push_str(piece);
        }
        text.push_str(" (");
        for (piece, pos) in &options {
            segments.push((text.len(), *pos));
            text.push_str(piece);
            text.push_str("; ");
        }
        if text.ends_with(' ') {
            text.pop();
        }
        text.push(')');
        let text = Text::from_segments(text, segments);
        let mut rules = suricata::parse_text(ctx, &text);
        for r in &mut rules {
            r.provenance.location = ctx.loc(item.at);
        }
        out.extend(rules);
    }
    out
}

/// Where the text of a string node starts (after its quote).
fn node_text_pos(node: Option<&Node>) -> Pos {
    match node {
        Some(Node { value: Value::Str(t), .. }) => t.pos(0),
        Some(n) => n.at,
        None => Pos::default(),
    }
}

fn rule_variables(ctx: &mut Ctx, node: &Node) -> Variables {
    let mut vars = Variables::default();
    let fields = ctx.object(node, "`RuleVariables`", &["IPSets", "PortSets"]);
    if let Some(sets) = fields.get("IPSets") {
        for (name, defs) in variable_map(ctx, sets, "`IPSets`") {
            let specs = defs
                .iter()
                .filter_map(|(text, pos)| match suricata::parse_address(text) {
                    Ok(spec) => Some(spec),
                    Err((off, message, hint)) => {
                        ctx.err(pos.shift(off), ErrorKind::InvalidValue, message, hint);
                        None
                    }
                })
                .collect();
            vars.ip_sets.insert(name, specs);
        }
    }
    if let Some(sets) = fields.get("PortSets") {
        for (name, defs) in variable_map(ctx, sets, "`PortSets`") {
            let specs: Vec<PortSpec> = defs
                .iter()
                .filter_map(|(text, pos)| match suricata::parse_ports(text) {
                    Ok(spec) => Some(spec),
                    Err((off, message, hint)) => {
                        ctx.err(pos.shift(off), ErrorKind::InvalidValue, message, hint);
                        None
                    }
                })
                .collect();
            vars.port_sets.insert(name, specs);
        }
    }
    vars
}

/// `{NAME: {"Definition": [...]}}` → (name, [(definition, position of its text)]).
fn variable_map(ctx: &mut Ctx, node: &Node, what: &str) -> Vec<(String, Vec<(String, Pos)>)> {
    let Value::Object(entries) = &node.value else {
        ctx.err(
            node.at,
            ErrorKind::InvalidValue,
            format!("{what} must map names to {{\"Definition\": [...]}}"),
            "write {\"HOME_NET\": {\"Definition\": [\"10.0.0.0/16\"]}}",
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, value) in entries {
        let valid = key.name.len() <= 32
            && key.name.starts_with(|c: char| c.is_ascii_alphabetic())
            && key.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            ctx.err(key.at, ErrorKind::InvalidValue, format!("variable name `{}` is not valid", key.name), "variable names start with a letter and use letters, digits and `_`, at most 32 characters");
        }
        let f = ctx.object(value, &format!("the variable `{}`", key.name), &["Definition"]);
        let Some(def) =
            ctx.required(&f, value.at, "Definition", &format!("the variable `{}`", key.name))
        else {
            continue;
        };
        let defs = ctx
            .array(def, "`Definition`")
            .iter()
            .filter_map(|d| match &d.value {
                Value::Str(t) => Some((t.text.clone(), t.pos(0))),
                _ => None,
            })
            .collect::<Vec<_>>();
        out.push((key.name.clone(), defs));
    }
    out
}

/// Reads any firewall-policy document.
pub(crate) fn policy_document(ctx: &mut Ctx, root: &Node, shape: Shape) -> Option<ReadPolicy> {
    match shape {
        Shape::FirewallPolicy => policy_body(ctx, root, None),
        Shape::CreateFirewallPolicy => create_policy(ctx, root, CREATE_POLICY_KEYS),
        Shape::DescribeFirewallPolicy => {
            let fields = ctx.object(
                root,
                "the describe-firewall-policy output",
                &["UpdateToken", "FirewallPolicyResponse", "FirewallPolicy"],
            );
            let name = fields
                .get("FirewallPolicyResponse")
                .and_then(|r| r.get("FirewallPolicyName"))
                .and_then(Node::as_str)
                .map(str::to_string);
            let body = ctx.required(
                &fields,
                root.at,
                "FirewallPolicy",
                "the describe-firewall-policy output",
            )?;
            policy_body(ctx, body, name)
        }
        _ => None,
    }
}

/// A `CreateFirewallPolicy` request or a CloudFormation FirewallPolicy's properties.
pub(crate) fn create_policy(ctx: &mut Ctx, root: &Node, keys: &[&str]) -> Option<ReadPolicy> {
    let fields = ctx.object(root, "the firewall policy request", keys);
    if let Some(n) = fields.get("FirewallPolicyName") {
        check_resource_name(ctx, n);
    }
    let name = fields.get("FirewallPolicyName").and_then(Node::as_str).map(str::to_string);
    let body = ctx.required(&fields, root.at, "FirewallPolicy", "the firewall policy request")?;
    policy_body(ctx, body, name)
}

const POLICY_KEYS: &[&str] = &[
    "StatelessRuleGroupReferences",
    "StatelessDefaultActions",
    "StatelessFragmentDefaultActions",
    "StatelessCustomActions",
    "StatefulRuleGroupReferences",
    "StatefulDefaultActions",
    "StatefulEngineOptions",
    "TLSInspectionConfigurationArn",
    "PolicyVariables",
    "EnableTLSSessionHolding",
];

fn policy_body(ctx: &mut Ctx, node: &Node, name: Option<String>) -> Option<ReadPolicy> {
    let fields = ctx.object(node, "`FirewallPolicy`", POLICY_KEYS);
    let mut policy = Policy::new(name.clone().unwrap_or_else(|| ctx.file.to_string()));
    policy.location = Some(ctx.loc(node.at));
    // The API's default when StatefulEngineOptions is omitted.
    policy.rule_order = RuleOrder::DefaultActionOrder;
    for key in ["StatelessDefaultActions", "StatelessFragmentDefaultActions"] {
        let v = ctx.required(&fields, node.at, key, "`FirewallPolicy`");
        let Some(v) = v else { continue };
        let actions = ctx.strings(v, &format!("`{key}`"));
        let standard: Vec<_> = actions
            .iter()
            .filter_map(|(a, p)| StatelessAction::from_aws(a).map(|s| (s, *p)))
            .collect();
        match standard.as_slice() {
            [(action, _)] => {
                if key == "StatelessDefaultActions" {
                    policy.stateless_default = *action;
                } else {
                    policy.stateless_fragment_default = *action;
                }
            }
            _ => ctx.err(
                v.at,
                ErrorKind::InvalidValue,
                format!("`{key}` needs exactly one of aws:pass, aws:drop, aws:forward_to_sfe"),
                "write [\"aws:forward_to_sfe\"] (recommended)",
            ),
        }
    }
    if let Some(v) = fields.get("StatelessRuleGroupReferences")
        && !matches!(&v.value, Value::Array(a) if a.is_empty())
    {
        ctx.warn(v.at, "stateless rule groups are not evaluated; rulesim assumes every packet reaches the stateful engine");
    }
    if let Some(v) = fields.get("TLSInspectionConfigurationArn") {
        ctx.warn(v.at, "TLS inspection is not modelled; rules see the TLS SNI and plain HTTP only");
    }
    if let Some(v) = fields.get("StatefulDefaultActions") {
        policy.default_actions_at = Some(ctx.loc(v.at));
        let names: Vec<&str> = DefaultAction::ALL.iter().map(|a| a.as_aws()).collect();
        for item in ctx.array(v, "`StatefulDefaultActions`") {
            if let Some(a) = ctx
                .one_of(item, "stateful default action", &names)
                .and_then(DefaultAction::from_aws)
            {
                policy.default_actions.push(a);
            }
        }
    }
    if let Some(opts) = fields.get("StatefulEngineOptions") {
        let f = ctx.object(
            opts,
            "`StatefulEngineOptions`",
            &["RuleOrder", "StreamExceptionPolicy", "FlowTimeouts"],
        );
        if let Some(r) = f.get("RuleOrder")
            && let Some(order) = rule_order(ctx, r)
        {
            policy.rule_order = order;
            policy.rule_order_declared_at = Some(ctx.loc(r.at));
        }
        if let Some(s) = f.get("StreamExceptionPolicy") {
            policy.stream_exception_policy =
                match ctx.one_of(s, "`StreamExceptionPolicy`", &["DROP", "CONTINUE", "REJECT"]) {
                    Some("CONTINUE") => StreamExceptionPolicy::Continue,
                    Some("REJECT") => StreamExceptionPolicy::Reject,
                    _ => StreamExceptionPolicy::Drop,
                };
        }
        if let Some(t) = f.get("FlowTimeouts") {
            let tf = ctx.object(t, "`FlowTimeouts`", &["TcpIdleTimeoutSeconds"]);
            if let Some(s) = tf.get("TcpIdleTimeoutSeconds")
                && let Some(v) = ctx.integer(s, "`TcpIdleTimeoutSeconds`", 60..=6000)
            {
                policy.tcp_idle_timeout_secs = v as u32;
            }
        }
    }
    if let Some(vars) = fields.get("PolicyVariables") {
        let f = ctx.object(vars, "`PolicyVariables`", &["RuleVariables"]);
        if let Some(rv) = f.get("RuleVariables") {
            for (name, defs) in variable_map(ctx, rv, "`PolicyVariables.RuleVariables`") {
                if name != "HOME_NET" {
                    let at = rv.get(&name).map_or(rv.at, |n| n.at);
                    ctx.err(at, ErrorKind::InvalidValue, format!("policy variable `{name}` is not allowed"), "only HOME_NET can be set at policy level; define other variables in the rule group");
                    continue;
                }
                let mut cidrs = Vec::new();
                for (text, pos) in defs {
                    match rulesim_core::native::parse_net(&text) {
                        Some(net) => cidrs.push(net),
                        None => ctx.err(
                            pos,
                            ErrorKind::InvalidValue,
                            format!("`{text}` is not a CIDR block"),
                            "write an address block such as 10.0.0.0/16",
                        ),
                    }
                }
                let at = rv.get("HOME_NET").map_or(rv.at, |n| n.at);
                policy.home_net = HomeNet { cidrs, declared_at: Some(ctx.loc(at)) };
            }
        }
    }
    let mut refs = Vec::new();
    if let Some(list) = fields.get("StatefulRuleGroupReferences") {
        for item in ctx.array(list, "`StatefulRuleGroupReferences`") {
            let what = "a stateful rule group reference";
            let f = ctx.object(
                item,
                what,
                &["ResourceArn", "Priority", "Override", "DeepThreatInspection"],
            );
            let Some(arn_node) = ctx.required(&f, item.at, "ResourceArn", what) else { continue };
            let Some(arn) = ctx.string(arn_node, "`ResourceArn`") else { continue };
            let priority = f
                .get("Priority")
                .and_then(|p| ctx.integer(p, "`Priority`", 1..=65535))
                .map(|p| p as u32);
            let drop_to_alert = f.get("Override").is_some_and(|o| {
                let of = ctx.object(o, "`Override`", &["Action"]);
                of.get("Action")
                    .and_then(|a| ctx.one_of(a, "`Override.Action`", &["DROP_TO_ALERT"]))
                    .is_some()
            });
            refs.push(GroupRef { arn: arn.text.clone(), at: arn.pos(0), priority, drop_to_alert });
        }
    }
    Some(ReadPolicy { name, policy, refs })
}

/// The name part of a rule group ARN (`...:stateful-rulegroup/NAME`).
pub(crate) fn name_from_arn(arn: &str) -> Option<&str> {
    let (head, name) = arn.rsplit_once('/')?;
    (head.ends_with("stateful-rulegroup")
        || head.ends_with("stateful-domain-rulegroup")
        || head.ends_with("stateless-rulegroup"))
    .then_some(name)
    .filter(|n| !n.is_empty())
}

/// Whether the ARN names an AWS-managed rule group.
pub(crate) fn is_managed(arn: &str) -> bool {
    arn.split(':')
        .nth(4)
        .is_some_and(|account| account == "aws-managed" || account.ends_with("-managed"))
}
