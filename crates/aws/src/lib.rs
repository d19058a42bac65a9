//! rulesim-aws: the file formats people already have, read into rulesim's
//! policy model, and the files they deploy, rendered from it.
//!
//! rulesim is only useful if it works on the policy a team actually runs.
//! That policy lives in AWS CLI JSON (`create-rule-group`,
//! `create-firewall-policy`, `describe-*` output), in a CloudFormation
//! template, in a Terraform plan, or in a Suricata rules file. This crate
//! reads each of them into [`rulesim_core::Policy`], keeping the
//! file:line:column of every rule and list entry, and renders a policy back
//! to AWS JSON, CloudFormation, Terraform and Suricata text.
//!
//! * [`load_policy`] detects the format from the content and resolves
//!   references between files (a firewall policy and its rule groups).
//! * [`suricata`] parses the Suricata rule subset AWS supports.
//! * [`render`] writes the deployable files, with capacities checked.
//!
//! Every reader collects all errors of a file with their positions and a
//! `help:` line; none panics on any input.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rulesim_core::{Error, ErrorKind, Errors, Location, Policy, RuleGroup, RuleOrder, RulesSource};

mod cfn;
mod read;
pub mod render;
mod shapes;
pub mod suricata;
mod terraform;
mod tree;

use read::Ctx;
use shapes::{GroupRef, ReadGroup, ReadPolicy, Shape};

/// The policy file formats rulesim reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PolicyFormat {
    /// rulesim's own YAML (`rulesim.yaml`).
    Native,
    /// AWS CLI JSON: a rule group or firewall policy, as a bare object, a
    /// `create-*` request or `describe-*` output.
    Aws,
    /// A CloudFormation template (JSON or YAML).
    CloudFormation,
    /// `terraform show -json` of a plan.
    Terraform,
    /// A Suricata rules file.
    Suricata,
}

impl PolicyFormat {
    /// Every format, with the names [`PolicyFormat::from_name`] accepts.
    pub const ALL: [(PolicyFormat, &'static str); 5] = [
        (PolicyFormat::Native, "native"),
        (PolicyFormat::Aws, "aws"),
        (PolicyFormat::CloudFormation, "cloudformation"),
        (PolicyFormat::Terraform, "terraform"),
        (PolicyFormat::Suricata, "suricata"),
    ];

    /// Parses a format name (`native`, `aws`, `cloudformation`/`cfn`,
    /// `terraform`/`tf`, `suricata`).
    pub fn from_name(name: &str) -> Option<PolicyFormat> {
        match name.to_ascii_lowercase().as_str() {
            "cfn" => Some(PolicyFormat::CloudFormation),
            "tf" => Some(PolicyFormat::Terraform),
            "rules" => Some(PolicyFormat::Suricata),
            other => PolicyFormat::ALL.iter().find(|(_, n)| *n == other).map(|(f, _)| *f),
        }
    }

    /// The canonical name.
    pub fn name(self) -> &'static str {
        PolicyFormat::ALL.iter().find(|(f, _)| *f == self).map_or("native", |(_, n)| n)
    }
}

impl std::str::FromStr for PolicyFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<PolicyFormat, String> {
        PolicyFormat::from_name(s).ok_or_else(|| {
            format!("unknown policy format `{s}`; use native, aws, cloudformation, terraform or suricata")
        })
    }
}

impl fmt::Display for PolicyFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Something worth telling the user that does not stop evaluation (a
/// managed rule group that cannot be evaluated offline, an implied policy).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// Where, if known.
    pub location: Option<Location>,
    /// What.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(l) = &self.location {
            write!(f, "{l}: ")?;
        }
        write!(f, "warning: {}", self.message)
    }
}

/// A policy read from files, and what the reader wants the user to know.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The policy.
    pub policy: Policy,
    /// Warnings, in the order found.
    pub warnings: Vec<Warning>,
    /// The format the main file was read as.
    pub format: PolicyFormat,
}

/// Reads a file's text; returns the text or an error message.
pub type ReadFn<'a> = dyn Fn(&Path) -> Result<String, String> + 'a;

/// Reads the policy at `path`, in `format` or the format detected from its
/// content. `groups` maps rule-group names (as in the ARNs a firewall policy
/// references) to files; unmapped groups are looked up beside the policy as
/// `NAME.json`, `NAME.rules`. `read` fetches every file, which keeps I/O
/// with the caller.
pub fn load_policy(
    path: &Path,
    format: Option<PolicyFormat>,
    groups: &[(String, PathBuf)],
    read: &ReadFn<'_>,
) -> Result<Loaded, Errors> {
    let file: Arc<str> = Arc::from(path.display().to_string());
    let text = read(path).map_err(|e| {
        Errors::from(
            Error::new(ErrorKind::Io, format!("cannot read policy `{file}`: {e}"))
                .with_hint("check the path given to --policy"),
        )
    })?;
    let format = match format {
        Some(f) => f,
        None => detect(path, &text).ok_or_else(|| {
            Errors::from(
                Error::new(ErrorKind::Syntax, "cannot tell which policy format this file is")
                    .at(Location::new(file.clone(), 1, 1))
                    .with_hint("pass --policy-format native|aws|cloudformation|terraform|suricata"),
            )
        })?,
    };
    let mut loader = Loader {
        dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
        groups,
        read,
        errors: Errors::new(),
        warnings: Vec::new(),
        used: Vec::new(),
    };
    let policy = match format {
        PolicyFormat::Native => match rulesim_core::native::parse(path, &text, read) {
            Ok(p) => Some(p),
            Err(e) => {
                loader.errors.extend(e);
                None
            }
        },
        PolicyFormat::Suricata => {
            let mut ctx = Ctx::new(file.clone());
            let t = tree::Text::lines(text.clone(), tree::Pos { line: 1, col: 1 }, 1);
            let rules = suricata::parse_text(&mut ctx, &t);
            let group = RuleGroup {
                name: group_name_from_path(path),
                priority: 1,
                rule_order: None,
                variables: Default::default(),
                capacity: None,
                rules: RulesSource::Rules(rules),
                location: Location::new(file.clone(), 1, 1),
            };
            loader.absorb(ctx);
            Some(loader.lone_group(&file, group))
        }
        PolicyFormat::Aws => loader.aws(&file, &text),
        PolicyFormat::CloudFormation => {
            let mut ctx = Ctx::new(file.clone());
            let doc = cfn::read(&mut ctx, &text);
            loader.absorb(ctx);
            doc.and_then(|d| loader.document(&file, d))
        }
        PolicyFormat::Terraform => {
            let mut ctx = Ctx::new(file.clone());
            let doc = terraform::read(&mut ctx, &text);
            loader.absorb(ctx);
            doc.and_then(|d| loader.document(&file, d))
        }
    };
    for (name, p) in groups {
        if !loader.used.contains(name) && format != PolicyFormat::Native {
            loader.warnings.push(Warning {
                location: None,
                message: format!("--group {name}={} is not referenced by the policy", p.display()),
            });
        }
    }
    match policy {
        Some(policy) if loader.errors.is_empty() => {
            Ok(Loaded { policy, warnings: loader.warnings, format })
        }
        _ => Err(loader.errors),
    }
}

/// Guesses the format from the content (and the extension, for rules files).
pub fn detect(path: &Path, text: &str) -> Option<PolicyFormat> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('{') {
        let Ok(root) = tree::parse_json(&Arc::from("detect"), trimmed) else {
            // Broken JSON: let the AWS reader report where.
            return Some(PolicyFormat::Aws);
        };
        if root.get("AWSTemplateFormatVersion").is_some() || root.get("Resources").is_some() {
            return Some(PolicyFormat::CloudFormation);
        }
        if root.get("format_version").is_some()
            && (root.get("planned_values").is_some() || root.get("resource_changes").is_some())
        {
            return Some(PolicyFormat::Terraform);
        }
        return Some(PolicyFormat::Aws);
    }
    let has_top_key = |key: &str| {
        text.lines().any(|l| l.starts_with(key) && l[key.len()..].trim_start().starts_with(':'))
    };
    if has_top_key("AWSTemplateFormatVersion")
        || (has_top_key("Resources") && text.contains("AWS::NetworkFirewall::"))
    {
        return Some(PolicyFormat::CloudFormation);
    }
    if ["groups", "rule_order", "default_actions", "categories", "home_net"]
        .iter()
        .any(|k| has_top_key(k))
    {
        return Some(PolicyFormat::Native);
    }
    let first_rule = text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#'));
    let looks_like_rule = first_rule.is_some_and(|l| {
        let word = l.split_whitespace().next().unwrap_or("");
        ["pass", "drop", "reject", "alert"].contains(&word) && l.contains('(')
    });
    if looks_like_rule || path.extension().is_some_and(|e| e == "rules") {
        return Some(PolicyFormat::Suricata);
    }
    if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
        return Some(PolicyFormat::Native);
    }
    None
}

fn group_name_from_path(path: &Path) -> String {
    path.file_stem().map_or_else(|| "rules".to_string(), |s| s.to_string_lossy().into_owned())
}

/// What a CloudFormation template or Terraform plan holds.
pub(crate) struct Document {
    /// Rule groups defined in the document, by name.
    pub groups: Vec<ReadGroup>,
    /// The firewall policy, if the document has one.
    pub policy: Option<ReadPolicy>,
}

struct Loader<'a> {
    dir: PathBuf,
    groups: &'a [(String, PathBuf)],
    read: &'a ReadFn<'a>,
    errors: Errors,
    warnings: Vec<Warning>,
    used: Vec<String>,
}

impl Loader<'_> {
    /// Takes a file's errors (in source order) and warnings.
    fn absorb(&mut self, ctx: Ctx) {
        let mut errors: Vec<Error> = ctx.errors.into_iter().collect();
        errors.sort_by_key(|e| e.location().map(|l| (l.line, l.column)));
        for e in errors {
            self.errors.push(e);
        }
        self.warnings.extend(ctx.warnings);
    }

    /// A rule group on its own, evaluated as the only group of a policy.
    fn lone_group(&mut self, file: &Arc<str>, mut group: RuleGroup) -> Policy {
        let mut policy = Policy::new(group.name.clone());
        policy.location = Some(Location::new(file.clone(), 1, 1));
        // A group without StatefulRuleOptions is DEFAULT_ACTION_ORDER in the API.
        policy.rule_order = group.rule_order.unwrap_or(RuleOrder::DefaultActionOrder);
        group.priority = 1;
        self.warnings.push(Warning {
            location: Some(group.location.clone()),
            message: format!(
                "a rule group on its own: evaluated as the only group of a {} policy with no default actions and HOME_NET = private ranges",
                policy.rule_order.as_aws()
            ),
        });
        policy.groups.push(group);
        policy
    }

    fn aws(&mut self, file: &Arc<str>, text: &str) -> Option<Policy> {
        let mut ctx = Ctx::new(file.clone());
        let root = match tree::parse_json(file, text) {
            Ok(root) => root,
            Err(e) => {
                self.errors.push(e);
                return None;
            }
        };
        let Some(shape) = Shape::of(&root) else {
            self.errors.push(
                Error::new(ErrorKind::MissingField, "this JSON is neither a rule group nor a firewall policy")
                    .at(ctx.loc(root.at))
                    .with_hint("expected RulesSource (a RuleGroup), RuleGroupName + RuleGroup (create-rule-group), or StatefulRuleGroupReferences / FirewallPolicy (a firewall policy)"),
            );
            return None;
        };
        if shape.is_policy() {
            let read = shapes::policy_document(&mut ctx, &root, shape);
            self.absorb(ctx);
            let read = read?;
            Some(self.resolve(read, &[]))
        } else {
            let group = shapes::rule_group_document(&mut ctx, &root, shape);
            self.absorb(ctx);
            let ReadGroup { name, mut group } = group?;
            group.name = name.unwrap_or_else(|| group_name_from_path(Path::new(&**file)));
            Some(self.lone_group(file, group))
        }
    }

    fn document(&mut self, file: &Arc<str>, doc: Document) -> Option<Policy> {
        let known = doc.groups;
        match doc.policy {
            Some(policy) => Some(self.resolve(policy, &known)),
            None => {
                let mut groups: Vec<RuleGroup> = known
                    .into_iter()
                    .map(|g| {
                        let mut group = g.group;
                        group.name = g.name.unwrap_or_default();
                        group
                    })
                    .collect();
                match groups.len() {
                    0 => {
                        self.errors.push(
                            Error::new(ErrorKind::MissingField, "no AWS::NetworkFirewall rule group or firewall policy found")
                                .at(Location::new(file.clone(), 1, 1))
                                .with_hint("the file must define aws_networkfirewall_* / AWS::NetworkFirewall::* resources"),
                        );
                        None
                    }
                    1 => groups.pop().map(|g| self.lone_group(file, g)),
                    _ => {
                        let mut policy = Policy::new(file.to_string());
                        policy.location = Some(Location::new(file.clone(), 1, 1));
                        policy.rule_order =
                            groups[0].rule_order.unwrap_or(RuleOrder::DefaultActionOrder);
                        for (i, mut g) in groups.into_iter().enumerate() {
                            g.priority = i as u32 + 1;
                            policy.groups.push(g);
                        }
                        self.warnings.push(Warning {
                            location: policy.location.clone(),
                            message: "no firewall policy: the rule groups are evaluated together in written order, with no default actions".into(),
                        });
                        Some(policy)
                    }
                }
            }
        }
    }

    /// Attaches the referenced rule groups to a policy: from `known` (groups
    /// defined in the same document), the `--group` map, or files beside it.
    fn resolve(&mut self, read: ReadPolicy, known: &[ReadGroup]) -> Policy {
        let ReadPolicy { name, mut policy, refs } = read;
        if let Some(name) = name {
            policy.name = name;
        }
        let file: Arc<str> =
            policy.location.as_ref().map_or_else(|| Arc::from(""), |l| l.file.clone());
        let strict = policy.rule_order == RuleOrder::StrictOrder;
        for (i, r) in refs.into_iter().enumerate() {
            let at = Location::new(file.clone(), r.at.line, r.at.col);
            if shapes::is_managed(&r.arn) {
                self.warnings.push(Warning {
                    location: Some(at),
                    message: format!("managed rule group `{}` cannot be evaluated offline (its rules are not published); it is skipped", r.arn),
                });
                continue;
            }
            let Some(name) = shapes::name_from_arn(&r.arn).map(str::to_string) else {
                self.errors.push(
                    Error::new(ErrorKind::InvalidValue, format!("cannot tell the rule group name from `{}`", r.arn))
                        .at(at)
                        .with_hint("reference stateful groups as arn:aws:network-firewall:REGION:ACCOUNT:stateful-rulegroup/NAME"),
                );
                continue;
            };
            if strict && r.priority.is_none() {
                self.errors.push(
                    Error::new(ErrorKind::MissingField, format!("the reference to `{name}` has no `Priority`"))
                        .at(at.clone())
                        .with_hint("STRICT_ORDER policies need a unique Priority (1–65535) on every rule group reference"),
                );
            }
            let Some(mut group) = self.find_group(&name, known, &at) else { continue };
            group.name = name;
            group.priority = r.priority.unwrap_or(i as u32 + 1);
            self.apply_override(&r, &mut group, &at);
            policy.groups.push(group);
        }
        policy
    }

    fn apply_override(&mut self, r: &GroupRef, group: &mut RuleGroup, at: &Location) {
        if !r.drop_to_alert {
            return;
        }
        match &mut group.rules {
            RulesSource::Rules(rules) => {
                for rule in rules.iter_mut().filter(|r| r.action == rulesim_core::Action::Drop) {
                    rule.action = rulesim_core::Action::Alert;
                }
            }
            RulesSource::DomainList(list) if list.kind == rulesim_core::ListKind::Denylist => {
                list.kind = rulesim_core::ListKind::Alertlist;
            }
            RulesSource::DomainList(_) => self.warnings.push(Warning {
                location: Some(at.clone()),
                message: "Override DROP_TO_ALERT on this domain list is not modelled".into(),
            }),
        }
    }

    fn find_group(&mut self, name: &str, known: &[ReadGroup], at: &Location) -> Option<RuleGroup> {
        if let Some(i) = known.iter().position(|g| g.name.as_deref() == Some(name)) {
            return Some(known[i].group.clone());
        }
        let explicit = self.groups.iter().find(|(n, _)| n == name).map(|(_, p)| p.clone());
        let candidates: Vec<PathBuf> = match &explicit {
            Some(p) => vec![p.clone()],
            None => {
                ["json", "rules"].iter().map(|ext| self.dir.join(format!("{name}.{ext}"))).collect()
            }
        };
        self.used.push(name.to_string());
        for path in &candidates {
            let text = match (self.read)(path) {
                Ok(t) => t,
                Err(e) if explicit.is_some() => {
                    self.errors.push(
                        Error::new(
                            ErrorKind::Io,
                            format!(
                                "cannot read rule group `{name}` from `{}`: {e}",
                                path.display()
                            ),
                        )
                        .at(at.clone())
                        .with_hint("check the path given to --group NAME=FILE"),
                    );
                    return None;
                }
                Err(_) => continue,
            };
            return self.group_file(path, &text);
        }
        self.errors.push(
            Error::new(ErrorKind::MissingField, format!("rule group `{name}` is referenced but no file for it was given"))
                .at(at.clone())
                .with_hint(format!("pass --group {name}=FILE (the rule group's JSON or .rules file), or put it beside the policy as {name}.json")),
        );
        None
    }

    /// Reads a rule-group file: AWS JSON in any of its shapes, or Suricata rules.
    fn group_file(&mut self, path: &Path, text: &str) -> Option<RuleGroup> {
        let file: Arc<str> = Arc::from(path.display().to_string());
        let mut ctx = Ctx::new(file.clone());
        let group = if text.trim_start().starts_with('{') {
            match tree::parse_json(&file, text) {
                Ok(root) => match Shape::of(&root) {
                    Some(shape) if !shape.is_policy() => {
                        shapes::rule_group_document(&mut ctx, &root, shape).map(|g| g.group)
                    }
                    _ => {
                        ctx.err(
                            root.at,
                            ErrorKind::MissingField,
                            "this file is not a rule group",
                            "give the rule group's JSON (with RulesSource) or a .rules file",
                        );
                        None
                    }
                },
                Err(e) => {
                    ctx.errors.push(e);
                    None
                }
            }
        } else {
            let t = tree::Text::lines(text.to_string(), tree::Pos { line: 1, col: 1 }, 1);
            let rules = suricata::parse_text(&mut ctx, &t);
            Some(RuleGroup {
                name: String::new(),
                priority: 0,
                rule_order: None,
                variables: Default::default(),
                capacity: None,
                rules: RulesSource::Rules(rules),
                location: Location::new(file, 1, 1),
            })
        };
        self.absorb(ctx);
        group
    }
}
