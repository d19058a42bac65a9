//! CloudFormation templates (JSON or YAML) holding
//! `AWS::NetworkFirewall::RuleGroup` and `AWS::NetworkFirewall::FirewallPolicy`.
//!
//! A resource's `Properties` have the same shape as the AWS API request, so
//! after the intrinsic functions are resolved they go through the same
//! readers as the CLI JSON. Resolution is offline and partial on purpose:
//! `Ref`/`GetAtt` of a rule group become its ARN (so the policy's
//! `StatefulRuleGroupReferences` find it by name, as for CLI files), `Ref`
//! of a parameter becomes its `Default`, pseudo parameters become
//! placeholders, `Sub`, `Join` and `Select` are evaluated. Anything that
//! needs a deployed stack (`ImportValue`, conditions) is a clear error.

use crate::Document;
use crate::read::Ctx;
use crate::render::group_arn;
use crate::shapes::{self, CFN_POLICY_KEYS, CFN_RULE_GROUP_KEYS, ReadGroup};
use crate::tree::{self, Node, Pos, Text, Value};
use rulesim_core::ErrorKind;

const TEMPLATE_KEYS: &[&str] = &[
    "AWSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Parameters",
    "Mappings",
    "Conditions",
    "Transform",
    "Resources",
    "Outputs",
    "Rules",
];

const RESOURCE_KEYS: &[&str] = &[
    "Type",
    "Properties",
    "DependsOn",
    "Condition",
    "Metadata",
    "DeletionPolicy",
    "UpdateReplacePolicy",
    "UpdatePolicy",
    "CreationPolicy",
];

const RULE_GROUP: &str = "AWS::NetworkFirewall::RuleGroup";
const POLICY: &str = "AWS::NetworkFirewall::FirewallPolicy";

/// Reads a template.
pub(crate) fn read(ctx: &mut Ctx, text: &str) -> Option<Document> {
    let parsed = if text.trim_start().starts_with('{') {
        tree::parse_json(&ctx.file, text)
    } else {
        tree::parse_yaml(&ctx.file, text)
    };
    let root = match parsed {
        Ok(root) => root,
        Err(e) => {
            ctx.errors.push(e);
            return None;
        }
    };
    let fields = ctx.object(&root, "the template", TEMPLATE_KEYS);
    let parameters: Vec<(String, Option<Node>)> = match fields.get("Parameters").map(|p| &p.value) {
        Some(Value::Object(params)) => params
            .iter()
            .map(|(k, v)| {
                let default = v.get("Default").cloned().map(|d| {
                    let list =
                        v.get("Type").and_then(Node::as_str).is_some_and(|t| t.contains("List"));
                    match (&d.value, list) {
                        (Value::Str(t), true) => Node {
                            at: d.at,
                            value: Value::Array(
                                t.text.split(',').map(|s| str_node(s.trim(), d.at)).collect(),
                            ),
                        },
                        _ => d,
                    }
                });
                (k.name.clone(), default)
            })
            .collect(),
        _ => Vec::new(),
    };
    let resources = ctx.required(&fields, root.at, "Resources", "the template")?;
    let Value::Object(entries) = &resources.value else {
        ctx.err(
            resources.at,
            ErrorKind::InvalidValue,
            "`Resources` must map logical IDs to resources",
            "write `Resources:` then `MyRuleGroup: {Type: ..., Properties: ...}`",
        );
        return None;
    };
    // Rule group names first: references to them resolve to their ARNs.
    let mut resolver = Resolver { parameters, groups: Vec::new(), others: Vec::new() };
    let mut typed: Vec<(&str, Pos, &str, Option<&Node>)> = Vec::new();
    for (key, resource) in entries {
        let f = ctx.object(resource, &format!("resource `{}`", key.name), RESOURCE_KEYS);
        let Some(kind) = ctx
            .required(&f, resource.at, "Type", &format!("resource `{}`", key.name))
            .and_then(|t| ctx.string(t, "`Type`"))
        else {
            continue;
        };
        let kind = kind.text.as_str();
        if kind == RULE_GROUP {
            let name = f
                .get("Properties")
                .and_then(|p| p.get("RuleGroupName"))
                .map(|n| resolver.resolve(ctx, n, 0))
                .and_then(|n| n.as_str().map(str::to_string))
                .unwrap_or_else(|| key.name.clone());
            resolver.groups.push((key.name.clone(), name));
        } else {
            resolver.others.push(key.name.clone());
        }
        typed.push((key.name.as_str(), resource.at, kind, f.get("Properties")));
    }
    let mut doc = Document { groups: Vec::new(), policy: None };
    for (id, at, kind, properties) in typed {
        if kind != RULE_GROUP && kind != POLICY {
            continue;
        }
        let Some(properties) = properties else {
            ctx.err(
                at,
                ErrorKind::MissingField,
                format!("resource `{id}` has no `Properties`"),
                "add its Properties",
            );
            continue;
        };
        let props = resolver.resolve(ctx, properties, 0);
        if kind == RULE_GROUP {
            if let Some(ReadGroup { group, .. }) =
                shapes::create_rule_group(ctx, &props, CFN_RULE_GROUP_KEYS)
            {
                let name = resolver.groups.iter().find(|(l, _)| l == id).map(|(_, n)| n.clone());
                doc.groups.push(ReadGroup { name, group });
            }
        } else if doc.policy.is_some() {
            ctx.warn(at, format!("only the first firewall policy is evaluated; `{id}` is ignored"));
        } else if let Some(mut policy) = shapes::create_policy(ctx, &props, CFN_POLICY_KEYS) {
            if policy.name.is_none() {
                policy.name = Some(id.to_string());
            }
            doc.policy = Some(policy);
        }
    }
    Some(doc)
}

fn str_node(s: &str, at: Pos) -> Node {
    Node { at, value: Value::Str(Text::lines(s.to_string(), at, at.col)) }
}

struct Resolver {
    parameters: Vec<(String, Option<Node>)>,
    /// (logical ID, RuleGroupName) of every rule group.
    groups: Vec<(String, String)>,
    /// Logical IDs of the other resources.
    others: Vec<String>,
}

const MAX_DEPTH: usize = 64;

impl Resolver {
    /// `node` with every intrinsic function replaced by its value.
    fn resolve(&self, ctx: &mut Ctx, node: &Node, depth: usize) -> Node {
        if depth > MAX_DEPTH {
            return Node { at: node.at, value: Value::Null };
        }
        let intrinsic = match &node.value {
            Value::Tagged(tag, inner) => Some((tag.trim_start_matches('!').to_string(), &**inner)),
            Value::Object(fields) if fields.len() == 1 => {
                let (k, v) = &fields[0];
                (k.name == "Ref" || k.name.starts_with("Fn::") || k.name == "Condition")
                    .then(|| (k.name.trim_start_matches("Fn::").to_string(), v))
            }
            _ => None,
        };
        if let Some((name, arg)) = intrinsic {
            return self.intrinsic(ctx, node.at, &name, arg, depth);
        }
        let value = match &node.value {
            Value::Array(items) => {
                Value::Array(items.iter().map(|i| self.resolve(ctx, i, depth + 1)).collect())
            }
            Value::Object(fields) => Value::Object(
                fields.iter().map(|(k, v)| (k.clone(), self.resolve(ctx, v, depth + 1))).collect(),
            ),
            other => other.clone(),
        };
        Node { at: node.at, value }
    }

    fn intrinsic(&self, ctx: &mut Ctx, at: Pos, name: &str, arg: &Node, depth: usize) -> Node {
        let arg = self.resolve(ctx, arg, depth + 1);
        let text = |n: &Node| n.as_str().map(str::to_string);
        match name {
            "Ref" => match text(&arg) {
                Some(id) => self.reference(ctx, at, &id, None),
                None => self.bad(ctx, at, "`Ref` needs a name"),
            },
            "GetAtt" => {
                let parts: Vec<String> = match &arg.value {
                    Value::Str(t) => t.text.splitn(2, '.').map(str::to_string).collect(),
                    Value::Array(items) => items.iter().filter_map(&text).collect(),
                    _ => Vec::new(),
                };
                match parts.as_slice() {
                    [id, attr] => self.reference(ctx, at, id, Some(attr)),
                    _ => self.bad(ctx, at, "`GetAtt` needs `Resource.Attribute`"),
                }
            }
            "Sub" => {
                let (template, vars) = match &arg.value {
                    Value::Str(t) => (t.text.clone(), None),
                    Value::Array(items) if !items.is_empty() => {
                        (text(&items[0]).unwrap_or_default(), items.get(1))
                    }
                    _ => return self.bad(ctx, at, "`Sub` needs a string"),
                };
                let mut out = String::new();
                let mut rest = template.as_str();
                while let Some(start) = rest.find("${") {
                    out.push_str(&rest[..start]);
                    let after = &rest[start + 2..];
                    let Some(end) = after.find('}') else {
                        out.push_str(&rest[start..]);
                        rest = "";
                        break;
                    };
                    let var = &after[..end];
                    if let Some(literal) = var.strip_prefix('!') {
                        out.push_str("${");
                        out.push_str(literal);
                        out.push('}');
                    } else if let Some(v) = vars.and_then(|v| v.get(var)) {
                        out.push_str(v.as_str().unwrap_or_default());
                    } else {
                        let (id, attr) = match var.split_once('.') {
                            Some((i, a)) => (i, Some(a)),
                            None => (var, None),
                        };
                        let value = self.reference(ctx, at, id, attr.map(str::to_string).as_ref());
                        out.push_str(value.as_str().unwrap_or_default());
                    }
                    rest = &after[end + 1..];
                }
                out.push_str(rest);
                str_node(&out, at)
            }
            "Join" => match &arg.value {
                Value::Array(items) if items.len() == 2 => {
                    let sep = text(&items[0]).unwrap_or_default();
                    let parts: Vec<String> = match &items[1].value {
                        Value::Array(parts) => {
                            parts.iter().map(|p| text(p).unwrap_or_default()).collect()
                        }
                        _ => Vec::new(),
                    };
                    str_node(&parts.join(&sep), at)
                }
                _ => self.bad(ctx, at, "`Join` needs [separator, [values]]"),
            },
            "Select" => match &arg.value {
                Value::Array(items) if items.len() == 2 => {
                    let index = match &items[0].value {
                        Value::Number(n) => n.parse::<usize>().ok(),
                        Value::Str(t) => t.text.parse::<usize>().ok(),
                        _ => None,
                    };
                    match (&items[1].value, index) {
                        (Value::Array(list), Some(i)) if i < list.len() => list[i].clone(),
                        _ => self.bad(ctx, at, "`Select` index is out of range"),
                    }
                }
                _ => self.bad(ctx, at, "`Select` needs [index, [values]]"),
            },
            other => {
                ctx.err(
                    at,
                    ErrorKind::Unsupported,
                    format!("intrinsic function `{other}` cannot be resolved offline"),
                    "rulesim resolves Ref, GetAtt, Sub, Join and Select; write the value directly",
                );
                Node { at, value: Value::Null }
            }
        }
    }

    fn reference(&self, ctx: &mut Ctx, at: Pos, id: &str, attr: Option<&String>) -> Node {
        if let Some((_, name)) = self.groups.iter().find(|(l, _)| l == id) {
            let value = match attr.map(String::as_str) {
                None | Some("RuleGroupArn") => group_arn(name),
                Some(other) => format!("{name}-{other}"),
            };
            return str_node(&value, at);
        }
        if let Some((_, default)) = self.parameters.iter().find(|(p, _)| p == id) {
            return match default {
                Some(d) => Node { at, ..d.clone() },
                None => {
                    ctx.err(
                        at,
                        ErrorKind::Unsupported,
                        format!(
                            "parameter `{id}` has no `Default`, so its value is unknown offline"
                        ),
                        "give the parameter a Default",
                    );
                    Node { at, value: Value::Null }
                }
            };
        }
        let pseudo = match id {
            "AWS::Region" => Some("REGION"),
            "AWS::AccountId" => Some("ACCOUNT_ID"),
            "AWS::StackName" => Some("STACK"),
            "AWS::StackId" => Some("STACK_ID"),
            "AWS::Partition" => Some("aws"),
            "AWS::URLSuffix" => Some("amazonaws.com"),
            "AWS::NoValue" => None,
            _ => None,
        };
        if let Some(p) = pseudo {
            return str_node(p, at);
        }
        if self.others.iter().any(|o| o == id) {
            return str_node(
                &format!("{id}{}", attr.map(|a| format!(".{a}")).unwrap_or_default()),
                at,
            );
        }
        ctx.err(
            at,
            ErrorKind::UndefinedVariable,
            format!("`{id}` is neither a parameter nor a resource of this template"),
            "check the name in Ref / GetAtt / Sub",
        );
        Node { at, value: Value::Null }
    }

    fn bad(&self, ctx: &mut Ctx, at: Pos, message: &str) -> Node {
        ctx.err(
            at,
            ErrorKind::Syntax,
            message.to_string(),
            "see the CloudFormation intrinsic function reference",
        );
        Node { at, value: Value::Null }
    }
}
