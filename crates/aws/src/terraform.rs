//! Terraform plans (`terraform show -json PLAN`) holding
//! `aws_networkfirewall_rule_group` and `aws_networkfirewall_firewall_policy`.
//!
//! The provider's attributes are the API's fields in snake_case, with every
//! nested block a list and maps written as `{key, ip_set}` blocks. Each
//! resource's planned `values` are rewritten into the API shape (keeping
//! positions) and read by the same code as AWS CLI JSON. A policy's
//! `resource_arn` is not known before apply when the group is created in
//! the same plan; it is then taken from the plan's `configuration`, whose
//! expression names the referenced resource.

use crate::Document;
use crate::read::Ctx;
use crate::render::group_arn;
use crate::shapes::{self, ReadGroup};
use crate::tree::{self, Key, Node, Pos, Text, Value};
use rulesim_core::ErrorKind;

const RULE_GROUP: &str = "aws_networkfirewall_rule_group";
const POLICY: &str = "aws_networkfirewall_firewall_policy";

/// One planned resource.
struct Planned<'a> {
    address: String,
    /// The module path prefix (`module.a.`), empty at the root.
    module: String,
    kind: &'a str,
    values: &'a Node,
    at: Pos,
}

/// Reads a plan.
pub(crate) fn read(ctx: &mut Ctx, text: &str) -> Option<Document> {
    let root = match tree::parse_json(&ctx.file, text) {
        Ok(r) => r,
        Err(e) => {
            ctx.errors.push(e);
            return None;
        }
    };
    let Some(module) = root.get("planned_values").and_then(|p| p.get("root_module")) else {
        ctx.err(
            root.at,
            ErrorKind::MissingField,
            "the plan has no `planned_values.root_module`",
            "give the output of `terraform show -json PLANFILE` for a saved plan",
        );
        return None;
    };
    let mut planned = Vec::new();
    collect(module, &mut planned);
    let config = root.get("configuration").and_then(|c| c.get("root_module"));
    // Group names by address, for references the plan cannot resolve yet.
    let names: Vec<(String, String)> = planned
        .iter()
        .filter(|p| p.kind == RULE_GROUP)
        .filter_map(|p| Some((p.address.clone(), p.values.get("name")?.as_str()?.to_string())))
        .collect();
    let mut doc = Document { groups: Vec::new(), policy: None };
    for p in &planned {
        if p.kind == RULE_GROUP {
            let node = rename_top(
                p.values,
                &[
                    ("name", "RuleGroupName"),
                    ("type", "Type"),
                    ("capacity", "Capacity"),
                    ("description", "Description"),
                    ("rules", "Rules"),
                    ("rule_group", "RuleGroup"),
                ],
            );
            if let Some(ReadGroup { name, group }) = shapes::create_rule_group(
                ctx,
                &node,
                &["RuleGroupName", "Type", "Capacity", "Description", "Rules", "RuleGroup"],
            ) {
                doc.groups.push(ReadGroup { name, group });
            }
        } else if p.kind == POLICY {
            if doc.policy.is_some() {
                ctx.warn(
                    p.at,
                    format!(
                        "only the first firewall policy is evaluated; `{}` is ignored",
                        p.address
                    ),
                );
                continue;
            }
            let mut node = rename_top(
                p.values,
                &[
                    ("name", "FirewallPolicyName"),
                    ("description", "Description"),
                    ("firewall_policy", "FirewallPolicy"),
                ],
            );
            fill_arns(&mut node, config, p, &names);
            if let Some(policy) = shapes::create_policy(
                ctx,
                &node,
                &["FirewallPolicyName", "Description", "FirewallPolicy"],
            ) {
                doc.policy = Some(policy);
            }
        }
    }
    Some(doc)
}

fn collect<'a>(module: &'a Node, out: &mut Vec<Planned<'a>>) {
    let prefix =
        module.get("address").and_then(Node::as_str).map(|a| format!("{a}.")).unwrap_or_default();
    if let Some(Value::Array(resources)) = module.get("resources").map(|r| &r.value) {
        for r in resources {
            let (Some(kind), Some(address), Some(values)) = (
                r.get("type").and_then(Node::as_str),
                r.get("address").and_then(Node::as_str),
                r.get("values"),
            ) else {
                continue;
            };
            if r.get("mode").and_then(Node::as_str).is_some_and(|m| m != "managed") {
                continue;
            }
            out.push(Planned {
                address: address.to_string(),
                module: prefix.clone(),
                kind,
                values,
                at: r.at,
            });
        }
    }
    if let Some(Value::Array(children)) = module.get("child_modules").map(|c| &c.value) {
        for child in children {
            collect(child, out);
        }
    }
}

/// The resource's values with top-level attributes renamed (others dropped).
fn rename_top(values: &Node, map: &[(&str, &str)]) -> Node {
    let Value::Object(fields) = &values.value else { return values.clone() };
    let kept = fields
        .iter()
        .filter_map(|(k, v)| {
            let (_, aws) = map.iter().find(|(tf, _)| *tf == k.name)?;
            let v = convert(v, &k.name, 0)?;
            Some((Key { name: aws.to_string(), at: k.at }, v))
        })
        .collect();
    Node { at: values.at, value: Value::Object(kept) }
}

/// Nested blocks that are lists in the API too.
const LIST_BLOCKS: &[&str] = &[
    "stateful_rule",
    "rule_option",
    "stateful_rule_group_reference",
    "stateless_rule_group_reference",
    "stateless_custom_action",
    "stateless_rule",
    "custom_action",
];

/// `{key, <inner>}` blocks that are maps in the API, and their inner block.
const KEYED: &[(&str, &str)] =
    &[("ip_sets", "ip_set"), ("port_sets", "port_set"), ("ip_set_references", "ip_set_reference")];

fn aws_key(tf: &str) -> String {
    match tf {
        "ip_sets" => "IPSets".into(),
        "ip_set_references" => "IPSetReferences".into(),
        "tls_inspection_configuration_arn" => "TLSInspectionConfigurationArn".into(),
        "enable_tls_session_holding" => "EnableTLSSessionHolding".into(),
        "stateful_rule" => "StatefulRules".into(),
        "rule_option" => "RuleOptions".into(),
        "stateful_rule_group_reference" => "StatefulRuleGroupReferences".into(),
        "stateless_rule_group_reference" => "StatelessRuleGroupReferences".into(),
        "stateless_custom_action" => "StatelessCustomActions".into(),
        other => other
            .split('_')
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            })
            .collect(),
    }
}

/// A Terraform value in the API's shape; `None` for null, empty lists and
/// empty blocks (attributes the configuration did not set).
fn convert(node: &Node, key: &str, depth: usize) -> Option<Node> {
    if depth > 64 {
        return None;
    }
    let keyed = KEYED
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, inner)| *inner)
        // Under policy_variables, rule_variables is a map of ip_set blocks.
        .or((key == "rule_variables_keyed").then_some("ip_set"));
    match &node.value {
        Value::Null => None,
        Value::Array(items) if items.is_empty() => None,
        Value::Array(items) => {
            if let Some(inner) = keyed {
                let entries = items
                    .iter()
                    .filter_map(|item| {
                        let k = item.get("key")?;
                        let name = k.as_str()?.to_string();
                        let value = item.get(inner).and_then(|v| convert(v, inner, depth + 1))?;
                        Some((Key { name, at: k.at }, value))
                    })
                    .collect();
                return Some(Node { at: node.at, value: Value::Object(entries) });
            }
            let blocks = items.iter().all(|i| matches!(i.value, Value::Object(_)));
            if blocks && !LIST_BLOCKS.contains(&key) {
                // A single nested block.
                return items.first().and_then(|i| convert(i, key, depth + 1));
            }
            let converted: Vec<Node> =
                items.iter().filter_map(|i| convert(i, key, depth + 1)).collect();
            Some(Node { at: node.at, value: Value::Array(converted) })
        }
        Value::Object(fields) => {
            let mut out = Vec::new();
            for (k, v) in fields {
                let child_key = if key == "policy_variables" && k.name == "rule_variables" {
                    "rule_variables_keyed"
                } else {
                    k.name.as_str()
                };
                if let Some(v) = convert(v, child_key, depth + 1) {
                    out.push((Key { name: aws_key(&k.name), at: k.at }, v));
                }
            }
            (!out.is_empty()).then_some(Node { at: node.at, value: Value::Object(out) })
        }
        Value::Str(t) if t.text.is_empty() => None,
        _ => Some(node.clone()),
    }
}

/// Fills in `ResourceArn`s the plan does not know yet from the
/// configuration's references (`aws_networkfirewall_rule_group.NAME.arn`).
fn fill_arns(node: &mut Node, config: Option<&Node>, p: &Planned<'_>, names: &[(String, String)]) {
    let Some(resources) =
        config.and_then(|c| config_module(c, &p.module)).and_then(|m| m.get("resources"))
    else {
        return;
    };
    let Value::Array(resources) = &resources.value else { return };
    let local = p.address.strip_prefix(&p.module).unwrap_or(&p.address);
    let Some(expr) = resources
        .iter()
        .find(|r| r.get("address").and_then(Node::as_str) == Some(local))
        .and_then(|r| r.get("expressions"))
    else {
        return;
    };
    let refs: Vec<Option<String>> = match expr.get("firewall_policy").map(|f| &f.value) {
        Some(Value::Array(fp)) => match fp
            .first()
            .and_then(|f| f.get("stateful_rule_group_reference"))
            .map(|r| &r.value)
        {
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| {
                    let r = i.get("resource_arn")?;
                    let Value::Array(list) = &r.get("references")?.value else { return None };
                    let target =
                        list.iter().filter_map(Node::as_str).find(|s| s.starts_with(RULE_GROUP))?;
                    let address =
                        format!("{}{}", p.module, target.strip_suffix(".arn").unwrap_or(target));
                    names.iter().find(|(a, _)| *a == address).map(|(_, n)| group_arn(n))
                })
                .collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    let Value::Object(top) = &mut node.value else { return };
    let Some((_, fp)) = top.iter_mut().find(|(k, _)| k.name == "FirewallPolicy") else { return };
    let Value::Object(fp) = &mut fp.value else { return };
    let Some((_, list)) = fp.iter_mut().find(|(k, _)| k.name == "StatefulRuleGroupReferences")
    else {
        return;
    };
    let Value::Array(items) = &mut list.value else { return };
    for (item, arn) in items.iter_mut().zip(refs) {
        let Value::Object(fields) = &mut item.value else { continue };
        if fields.iter().any(|(k, _)| k.name == "ResourceArn") {
            continue;
        }
        if let Some(arn) = arn {
            let at = item.at;
            fields.push((
                Key { name: "ResourceArn".into(), at },
                Node { at, value: Value::Str(Text::lines(arn, at, at.col)) },
            ));
        }
    }
}

/// The configuration module for a module address prefix (`module.a.`).
fn config_module<'a>(root: &'a Node, prefix: &str) -> Option<&'a Node> {
    let mut module = root;
    for name in prefix.split('.').collect::<Vec<_>>().chunks(2) {
        if let [kind, call] = name {
            if *kind != "module" {
                break;
            }
            module = module.get("module_calls")?.get(call)?.get("module")?;
        }
    }
    Some(module)
}
