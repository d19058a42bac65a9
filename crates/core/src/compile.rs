//! Compile a [`Policy`] once, then evaluate observations against it.
//!
//! Building is the only fallible step: [`CompiledPolicy::build`] validates the
//! whole policy (default-action combinations, rule orders, priorities,
//! variables) and reports every problem at once. The result is immutable,
//! `Send + Sync` and cheap to share across threads.
//!
//! Rules are grouped into *families* that share everything but their content:
//! a hand-written rule is a family of one; a domain list is one family per
//! protocol, its entries told apart only by name. Family headers (addresses,
//! ports, flow options) are resolved to range sets once. Names go into one
//! [`NameIndex`], unanchored contents into an Aho-Corasick automaton, and the
//! few rules that fit neither are checked one by one. Evaluating a packet
//! therefore touches only the rules that can match it, and a million-entry
//! list costs one walk over the observed name.
//!
//! [`CompiledPolicy::evaluate_reference`] answers the same question with a
//! plain loop over every expanded rule; the property tests hold the two equal.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use aho_corasick::AhoCorasick;
use smallvec::SmallVec;

use crate::address::{IpSet, PortSet};
use crate::error::{Error, ErrorKind, Errors};
use crate::eval::{AlertSource, DecidedBy, Decision, Observation, RuleId, Transport, Verdict};
use crate::expand::{self, ListLayout, ListRule};
use crate::index::{Anchor, MAX_FAMILY, NameIndex, NameIndexBuilder, Posting};
use crate::policy::{
    Action, Buffer, BufferMatch, Content, DefaultAction, Direction, FlowOptions, Policy, Protocol,
    Rule, RuleGroup, RuleOrder, RulesSource, TargetType,
};

/// A policy ready to evaluate. See the module docs.
#[derive(Debug)]
pub struct CompiledPolicy {
    policy: Arc<Policy>,
    drop_default: Option<DefaultAction>,
    alert_default: Option<DefaultAction>,
    /// Per group: its position in evaluation order and its list layout.
    groups: Vec<GroupInfo>,
    families: Vec<Family>,
    /// Index owners: what a [`Posting::family`] refers to.
    owners: Vec<Owner>,
    names: NameIndex,
    unanchored: Vec<Unanchored>,
    /// Per buffer, families whose contents must be checked one by one.
    scanned: BTreeMap<Buffer, Vec<u32>>,
    /// Families with no buffer condition (IP-only, protocol and `ssl_state` rules).
    bufferless: Vec<u32>,
}

#[derive(Debug)]
struct GroupInfo {
    rank: u32,
    layout: Option<ListLayout>,
}

#[derive(Debug)]
enum Owner {
    /// A domain list: its family per target type.
    List { families: [Option<u32>; 3] },
    /// A hand-written rule whose first anchored content was indexed.
    Rule { family: u32, buffer: Buffer },
}

#[derive(Debug)]
struct Unanchored {
    buffer: Buffer,
    automaton: AhoCorasick,
    /// Pattern id → family.
    families: Vec<u32>,
}

/// Rules that share all but their content.
#[derive(Debug)]
struct Family {
    group: u32,
    header: Header,
    action: Action,
    priority: u8,
    flow_scope: bool,
    logs: bool,
    kind: FamilyKind,
}

#[derive(Debug)]
enum FamilyKind {
    /// One rule, checked in full.
    Single { index: u32, buffers: Vec<BufferMatch> },
    /// The entries of a domain list for one target type.
    List { kind: TargetType },
}

/// A rule header and flow options with variables resolved.
#[derive(Debug, Clone)]
struct Header {
    protocol: Protocol,
    src: IpSet,
    src_ports: PortSet,
    dst: IpSet,
    dst_ports: PortSet,
    both_ways: bool,
    flow: FlowOptions,
    ssl_state: bool,
}

impl Header {
    fn matches(&self, obs: &Observation<'_>) -> bool {
        obs.has_protocol(self.protocol)
            && obs.satisfies_flow(self.flow.direction, self.flow.state)
            && (!self.ssl_state || obs.client_hello.is_some())
            && (self.endpoints(obs.src, obs.src_port, obs.dst, obs.dst_port)
                || (self.both_ways && self.endpoints(obs.dst, obs.dst_port, obs.src, obs.src_port)))
    }

    fn endpoints(&self, src: std::net::IpAddr, sp: u16, dst: std::net::IpAddr, dp: u16) -> bool {
        self.src.contains(src)
            && self.dst.contains(dst)
            && self.src_ports.contains(sp)
            && self.dst_ports.contains(dp)
    }
}

/// Rules found matching one observation; rarely more than a few.
type Hits = SmallVec<[Hit; 8]>;
/// Families whose header was already checked for this observation.
type Memo = SmallVec<[(u32, bool); 8]>;

/// A matching rule found during evaluation.
#[derive(Clone, Copy, Debug)]
struct Hit {
    rank: u64,
    id: RuleId,
    action: Action,
    logs: bool,
    flow_scope: bool,
}

/// One matching rule, as [`CompiledPolicy::explain`] lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Match {
    /// The rule.
    pub id: RuleId,
    /// Its action.
    pub action: Action,
    /// Whether evaluation stopped here (or an earlier rule already decided).
    pub decisive: bool,
}

/// A rule as reports show it: enough to find it and to read it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RuleSummary {
    /// The rule group's name.
    pub group: String,
    /// `sid`.
    pub sid: u32,
    /// `rev`.
    pub rev: u32,
    /// The action.
    pub action: Action,
    /// `msg`.
    pub msg: String,
    /// Where it was written (for a generated rule, its list entry).
    pub location: String,
    /// The list entry it was generated from, if any.
    pub target: Option<String>,
    /// The rule as Suricata text.
    pub text: String,
}

/// How the compiled policy spends memory, for `BENCHMARKS.md` and `rulesim stats`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryUsage {
    /// Distinct names in the name index.
    pub names: usize,
    /// Bytes of the name index (fst and overflow postings).
    pub name_index_bytes: usize,
    /// Bytes of the name index's hash front (0 when off).
    pub hash_front_bytes: usize,
    /// Bytes of the other matchers and rule headers (approximate).
    pub other_bytes: usize,
}

/// Options for compiling a policy; [`CompiledPolicy::build`] uses the defaults.
#[derive(Clone, Debug)]
pub struct CompiledPolicyBuilder {
    hash_front: bool,
}

impl Default for CompiledPolicyBuilder {
    fn default() -> CompiledPolicyBuilder {
        CompiledPolicyBuilder { hash_front: true }
    }
}

impl CompiledPolicyBuilder {
    /// The default options.
    pub fn new() -> CompiledPolicyBuilder {
        CompiledPolicyBuilder::default()
    }

    /// Whether names are looked up through a hash front before the fst
    /// (faster, about 60 bytes per name more; default on). Decisions are the
    /// same either way.
    pub fn hash_front(&mut self, yes: bool) -> &mut CompiledPolicyBuilder {
        self.hash_front = yes;
        self
    }

    /// Validates and compiles `policy`, reporting every error found.
    pub fn build(&self, policy: Policy) -> Result<CompiledPolicy, Errors> {
        self.build_shared(Arc::new(policy))
    }

    /// Same as [`CompiledPolicyBuilder::build`], sharing an existing `Arc`.
    pub fn build_shared(&self, policy: Arc<Policy>) -> Result<CompiledPolicy, Errors> {
        let mut compiler = Compiler::new(policy);
        compiler.names.hash_front(self.hash_front);
        compiler.run()
    }
}

impl CompiledPolicy {
    /// Validates and compiles `policy` with the default options, reporting
    /// every error found.
    pub fn build(policy: Policy) -> Result<CompiledPolicy, Errors> {
        CompiledPolicyBuilder::new().build(policy)
    }

    /// The policy this was compiled from.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The group a rule belongs to.
    pub fn group(&self, id: RuleId) -> &RuleGroup {
        &self.policy.groups[id.group as usize]
    }

    /// The rule `id` (generated on the fly for domain-list entries).
    pub fn rule(&self, id: RuleId) -> Option<Cow<'_, Rule>> {
        let group = self.policy.groups.get(id.group as usize)?;
        match &group.rules {
            RulesSource::Rules(rules) => rules.get(id.rule as usize).map(Cow::Borrowed),
            RulesSource::DomainList(list) => {
                let layout = self.groups[id.group as usize].layout.as_ref()?;
                layout.rule(list, id.rule, &group.location).map(Cow::Owned)
            }
        }
    }

    /// What reports say about rule `id`.
    pub fn summary(&self, id: RuleId) -> Option<RuleSummary> {
        let rule = self.rule(id)?;
        let target = match &rule.provenance.origin {
            crate::source::Origin::ListEntry { target, .. } => Some(target.clone()),
            _ => None,
        };
        Some(RuleSummary {
            group: self.group(id).name.clone(),
            sid: rule.sid,
            rev: rule.rev,
            action: rule.action,
            msg: rule.msg.clone(),
            location: rule.provenance.location.to_string(),
            target,
            text: rule.text.clone(),
        })
    }

    /// How many rules the policy expands to.
    pub fn rule_count(&self) -> u64 {
        self.policy
            .groups
            .iter()
            .zip(&self.groups)
            .map(|(g, info)| match (&g.rules, &info.layout) {
                (RulesSource::Rules(r), _) => r.len() as u64,
                (RulesSource::DomainList(_), Some(layout)) => u64::from(layout.len()),
                (RulesSource::DomainList(_), None) => 0,
            })
            .sum()
    }

    /// The anchored-name index (for benchmarks and the linter).
    pub fn name_index(&self) -> &NameIndex {
        &self.names
    }

    /// Memory used by the compiled matchers.
    pub fn memory_usage(&self) -> MemoryUsage {
        let unanchored: usize = self.unanchored.iter().map(|u| u.automaton.memory_usage()).sum();
        MemoryUsage {
            names: self.names.len(),
            name_index_bytes: self.names.memory_usage(),
            hash_front_bytes: self.names.hash_front_memory_usage(),
            other_bytes: unanchored
                + self.families.len() * std::mem::size_of::<Family>()
                + self.owners.len() * std::mem::size_of::<Owner>(),
        }
    }

    /// What AWS does with the packet `obs`.
    pub fn evaluate(&self, obs: &Observation<'_>) -> Decision {
        let mut hits = Hits::new();
        // Most packets of a flow complete no message; without packet or
        // header rules nothing can match them and only the defaults apply.
        let carries_message =
            obs.client_hello.is_some() || obs.http.is_some() || obs.dns_query.is_some();
        if carries_message || !self.bufferless.is_empty() {
            self.collect(obs, &mut hits);
        }
        self.decide(&mut hits, obs)
    }

    /// Every rule that matches `obs`, in evaluation order, marking where
    /// evaluation stops, and the decision.
    pub fn explain(&self, obs: &Observation<'_>) -> (Vec<Match>, Decision) {
        let mut hits = Hits::new();
        self.collect(obs, &mut hits);
        hits.sort_unstable_by_key(|h| h.rank);
        let mut decided = false;
        let matches = hits
            .iter()
            .map(|h| {
                decided |= h.action.is_terminal();
                Match { id: h.id, action: h.action, decisive: decided }
            })
            .collect();
        (matches, self.decide(&mut hits, obs))
    }

    /// The same answer as [`CompiledPolicy::evaluate`], computed by a plain
    /// loop over every expanded rule with the definitional matchers. Slow; for
    /// tests and cross-checks.
    pub fn evaluate_reference(&self, obs: &Observation<'_>) -> Decision {
        let mut hits = Hits::new();
        for (g, group) in self.policy.groups.iter().enumerate() {
            let env = Env::new(&self.policy, group);
            let rules: Vec<Rule> = match &group.rules {
                RulesSource::Rules(rules) => rules.clone(),
                RulesSource::DomainList(list) => match &self.groups[g].layout {
                    Some(layout) => layout.rules(list, &group.location),
                    None => Vec::new(),
                },
            };
            for (i, rule) in rules.iter().enumerate() {
                let Ok(header) = env.header(rule) else { continue };
                let buffers_match =
                    rule.buffers.iter().all(|b| obs.buffer(b.buffer).is_some_and(|v| b.matches(v)));
                if header.matches(obs) && buffers_match {
                    let id = RuleId { group: g as u32, rule: i as u32 };
                    hits.push(Hit {
                        rank: self.rank(g as u32, rule.action, rule.effective_priority(), i as u32),
                        id,
                        action: rule.action,
                        logs: logs(rule),
                        flow_scope: rule.decides_flow(),
                    });
                }
            }
        }
        self.decide(&mut hits, obs)
    }

    /// Evaluation order: STRICT_ORDER sorts by group priority then rule
    /// index; DEFAULT_ACTION_ORDER by action class, `priority`, then load order.
    fn rank(&self, group: u32, action: Action, priority: u8, rule: u32) -> u64 {
        match self.policy.rule_order {
            RuleOrder::StrictOrder => {
                (u64::from(self.groups[group as usize].rank) << 32) | u64::from(rule)
            }
            RuleOrder::DefaultActionOrder => {
                let class = match action {
                    Action::Pass => 0u64,
                    Action::Drop => 1,
                    Action::Reject => 2,
                    Action::Alert => 3,
                };
                (class << 60)
                    | (u64::from(priority) << 52)
                    | (u64::from(group) << 32)
                    | u64::from(rule)
            }
        }
    }

    fn collect(&self, obs: &Observation<'_>, hits: &mut Hits) {
        let mut memo = Memo::new();
        for buffer in [Buffer::TlsSni, Buffer::HttpHost, Buffer::DnsQuery, Buffer::HttpHeaderNames]
        {
            let Some(value) = obs.buffer(buffer) else { continue };
            self.names.lookup(value, |posting| {
                if let Some((family, entry)) = self.resolve(posting, buffer) {
                    self.consider(family, entry, value, obs, &mut memo, hits);
                }
            });
            for u in self.unanchored.iter().filter(|u| u.buffer == buffer) {
                let mut seen: SmallVec<[u32; 8]> = SmallVec::new();
                for m in u.automaton.find_overlapping_iter(value) {
                    let family = u.families[m.pattern().as_usize()];
                    if !seen.contains(&family) {
                        seen.push(family);
                        self.consider(family, 0, value, obs, &mut memo, hits);
                    }
                }
            }
            for &family in self.scanned.get(&buffer).map(Vec::as_slice).unwrap_or(&[]) {
                self.consider(family, 0, value, obs, &mut memo, hits);
            }
        }
        for &family in &self.bufferless {
            self.consider(family, 0, b"", obs, &mut memo, hits);
        }
    }

    /// Which family and entry a posting stands for when seen in `buffer`.
    fn resolve(&self, posting: Posting, buffer: Buffer) -> Option<(u32, u32)> {
        match &self.owners[posting.family as usize] {
            Owner::List { families, .. } => {
                let slot = match buffer {
                    Buffer::TlsSni => 0,
                    Buffer::HttpHost => 1,
                    Buffer::DnsQuery => 2,
                    Buffer::HttpHeaderNames => return None,
                };
                families[slot].map(|f| (f, posting.entry))
            }
            Owner::Rule { family, buffer: b } => (*b == buffer).then_some((*family, 0)),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn consider(
        &self,
        family_id: u32,
        entry: u32,
        value: &[u8],
        obs: &Observation<'_>,
        memo: &mut Memo,
        hits: &mut Hits,
    ) {
        let family = &self.families[family_id as usize];
        let header_ok = match memo.iter().find(|(f, _)| *f == family_id) {
            Some(&(_, ok)) => ok,
            None => {
                let ok = family.header.matches(obs);
                memo.push((family_id, ok));
                ok
            }
        };
        if !header_ok {
            return;
        }
        let rule = match &family.kind {
            FamilyKind::Single { index, buffers } => {
                let all =
                    buffers.iter().all(|b| obs.buffer(b.buffer).is_some_and(|v| b.matches(v)));
                if !all {
                    return;
                }
                *index
            }
            FamilyKind::List { kind } => {
                // The index compares names case-insensitively; HTTP rules are
                // case-sensitive on a buffer Suricata has lower-cased already.
                if *kind == TargetType::HttpHost && value.iter().any(u8::is_ascii_uppercase) {
                    return;
                }
                match self.groups[family.group as usize]
                    .layout
                    .as_ref()
                    .and_then(|l| l.index_of(entry, *kind))
                {
                    Some(index) => index,
                    None => return,
                }
            }
        };
        let id = RuleId { group: family.group, rule };
        if hits.iter().any(|h| h.id == id) {
            return;
        }
        hits.push(Hit {
            rank: self.rank(family.group, family.action, family.priority, rule),
            id,
            action: family.action,
            logs: family.logs,
            flow_scope: family.flow_scope,
        });
    }

    fn decide(&self, hits: &mut Hits, obs: &Observation<'_>) -> Decision {
        hits.sort_unstable_by_key(|h| h.rank);
        let mut alerts = Vec::new();
        for &hit in hits.iter() {
            if hit.logs {
                alerts.push(AlertSource::Rule { id: hit.id, action: hit.action });
            }
            let verdict = match hit.action {
                Action::Alert => continue,
                Action::Pass => Verdict::Pass,
                Action::Drop => Verdict::Drop,
                // AWS resets TCP only; elsewhere a reject drops.
                Action::Reject if obs.transport == Transport::Tcp => Verdict::Reject,
                Action::Reject => Verdict::Drop,
            };
            return Decision {
                verdict,
                decided_by: DecidedBy::Rule { id: hit.id, flow_scope: hit.flow_scope },
                alerts,
            };
        }
        if self.policy.rule_order == RuleOrder::StrictOrder {
            if let Some(alert) = self.alert_default.filter(|a| obs.in_default_scope(a.scope())) {
                alerts.push(AlertSource::Default { action: alert });
            }
            if let Some(drop) = self.drop_default.filter(|a| obs.in_default_scope(a.scope())) {
                return Decision {
                    verdict: Verdict::Drop,
                    decided_by: DecidedBy::Default { action: drop },
                    alerts,
                };
            }
        }
        Decision { verdict: Verdict::Pass, decided_by: DecidedBy::Nothing, alerts }
    }
}

fn logs(rule: &Rule) -> bool {
    !rule.noalert && (rule.action != Action::Pass || rule.alert_on_pass)
}

/// Variable lookup for one group: the group's own variables first, then the
/// policy's `HOME_NET`. `EXTERNAL_NET` defaults to the negation of the
/// *policy's* `HOME_NET`, even when the group overrides `HOME_NET` (as AWS does).
struct Env<'a> {
    policy: &'a Policy,
    group: &'a RuleGroup,
}

impl<'a> Env<'a> {
    fn new(policy: &'a Policy, group: &'a RuleGroup) -> Env<'a> {
        Env { policy, group }
    }

    fn ip_var(&self, name: &str, depth: u32) -> Option<IpSet> {
        if depth > 8 {
            return None;
        }
        if let Some(definition) = self.group.variables.ip_sets.get(name) {
            let lookup = |n: &str| self.ip_var(n, depth + 1);
            let mut set = IpSet::empty();
            for spec in definition {
                set = set.union(&spec.resolve(&lookup).ok()?);
            }
            return Some(set);
        }
        let home = || IpSet::from_nets(&self.policy.home_net.cidrs);
        match name {
            "HOME_NET" => Some(home()),
            "EXTERNAL_NET" => Some(home().complement()),
            _ => None,
        }
    }

    fn port_var(&self, name: &str, depth: u32) -> Option<PortSet> {
        if depth > 8 {
            return None;
        }
        let definition = self.group.variables.port_sets.get(name)?;
        let lookup = |n: &str| self.port_var(n, depth + 1);
        let mut set = PortSet::empty();
        for spec in definition {
            set = set.union(&spec.resolve(&lookup).ok()?);
        }
        Some(set)
    }

    /// Resolves a rule's header; the error names the undefined variable.
    fn header(&self, rule: &Rule) -> Result<Header, String> {
        let ip = |n: &str| self.ip_var(n, 0);
        let port = |n: &str| self.port_var(n, 0);
        Ok(Header {
            protocol: rule.protocol,
            src: rule.src.resolve(&ip)?,
            src_ports: rule.src_ports.resolve(&port)?,
            dst: rule.dst.resolve(&ip)?,
            dst_ports: rule.dst_ports.resolve(&port)?,
            both_ways: rule.direction == Direction::Both,
            flow: rule.flow,
            ssl_state: rule.ssl_state_client_hello,
        })
    }
}

/// Which anchored name, if any, a content lets the index hold.
fn anchored_name(buffer: &BufferMatch) -> Option<(usize, &[u8], Anchor)> {
    buffer.contents.iter().enumerate().find_map(|(i, c)| {
        if c.negated || c.offset.is_some() || c.depth.is_some() || !c.endswith {
            return None;
        }
        let (name, anchor) = match (buffer.dotprefix, c.startswith) {
            (true, false) => (c.pattern.strip_prefix(b".")?, Anchor::Suffix),
            (true, true) => (c.pattern.strip_prefix(b".")?, Anchor::Exact),
            (false, true) => (&c.pattern[..], Anchor::Exact),
            (false, false) => return None,
        };
        (!name.is_empty()).then_some((i, name, anchor))
    })
}

fn is_unanchored(buffer: &BufferMatch, content: &Content) -> bool {
    !buffer.dotprefix
        && !content.negated
        && !content.startswith
        && !content.endswith
        && content.offset.is_none()
        && content.depth.is_none()
        && !content.pattern.is_empty()
}

struct Compiler {
    policy: Arc<Policy>,
    errors: Errors,
    groups: Vec<GroupInfo>,
    families: Vec<Family>,
    owners: Vec<Owner>,
    names: NameIndexBuilder,
    unanchored: BTreeMap<Buffer, (Vec<Vec<u8>>, Vec<u32>)>,
    scanned: BTreeMap<Buffer, Vec<u32>>,
    bufferless: Vec<u32>,
}

impl Compiler {
    fn new(policy: Arc<Policy>) -> Compiler {
        Compiler {
            policy,
            errors: Errors::new(),
            groups: Vec::new(),
            families: Vec::new(),
            owners: Vec::new(),
            names: NameIndexBuilder::new(),
            unanchored: BTreeMap::new(),
            scanned: BTreeMap::new(),
            bufferless: Vec::new(),
        }
    }

    fn run(mut self) -> Result<CompiledPolicy, Errors> {
        let policy = Arc::clone(&self.policy);
        self.check_policy(&policy);
        let mut by_priority: Vec<usize> = (0..policy.groups.len()).collect();
        by_priority.sort_by_key(|&g| (policy.groups[g].priority, g));
        let mut ranks = vec![0u32; policy.groups.len()];
        for (rank, &g) in by_priority.iter().enumerate() {
            ranks[g] = rank as u32;
        }
        let trailers = policy.generation.trailers(policy.rule_order);
        for (g, group) in policy.groups.iter().enumerate() {
            let layout = match &group.rules {
                RulesSource::DomainList(list) => {
                    Some(ListLayout::new(list, policy.rule_order, trailers))
                }
                RulesSource::Rules(_) => None,
            };
            self.groups.push(GroupInfo { rank: ranks[g], layout });
        }
        for (g, group) in policy.groups.iter().enumerate() {
            self.check_group(&policy, group);
            let env = Env::new(&policy, group);
            match &group.rules {
                RulesSource::Rules(rules) => {
                    for (i, rule) in rules.iter().enumerate() {
                        self.add_rule(&env, g as u32, i as u32, rule);
                    }
                }
                RulesSource::DomainList(list) => self.add_list(&env, g as u32, group, list),
            }
        }
        if !self.errors.is_empty() {
            return Err(self.errors);
        }
        let unanchored = std::mem::take(&mut self.unanchored)
            .into_iter()
            .filter_map(|(buffer, (patterns, families))| {
                let automaton =
                    AhoCorasick::builder().ascii_case_insensitive(true).build(&patterns).ok()?;
                Some(Unanchored { buffer, automaton, families })
            })
            .collect();
        Ok(CompiledPolicy {
            drop_default: policy.drop_default(),
            alert_default: policy.alert_default(),
            policy,
            groups: self.groups,
            families: self.families,
            owners: self.owners,
            names: self.names.build(),
            unanchored,
            scanned: self.scanned,
            bufferless: self.bufferless,
        })
    }

    fn error(&mut self, error: Error) {
        self.errors.push(error);
    }

    fn check_policy(&mut self, policy: &Policy) {
        let at = policy.default_actions_at.clone().or_else(|| policy.location.clone());
        let locate = |e: Error| match &at {
            Some(l) => e.at(l.clone()),
            None => e,
        };
        if policy.rule_order == RuleOrder::DefaultActionOrder && !policy.default_actions.is_empty()
        {
            self.error(locate(
                Error::new(ErrorKind::Conflict, "stateful default actions need STRICT_ORDER")
                    .with_hint("under DEFAULT_ACTION_ORDER unmatched traffic passes; set the rule order to STRICT_ORDER or remove the default actions"),
            ));
        }
        let drops: Vec<_> = policy.default_actions.iter().filter(|a| a.is_drop()).collect();
        let alerts: Vec<_> = policy.default_actions.iter().filter(|a| !a.is_drop()).collect();
        if drops.len() > 1 || alerts.len() > 1 {
            self.error(locate(
                Error::new(
                    ErrorKind::Conflict,
                    "at most one drop and one alert default action may be set",
                )
                .with_hint("keep one `aws:drop_*` and, optionally, one `aws:alert_*`"),
            ));
        }
        let families: Vec<bool> =
            policy.default_actions.iter().map(|a| a.is_app_layer_family()).collect();
        if families.iter().any(|&f| f) && families.iter().any(|&f| !f) {
            self.error(locate(
                Error::new(ErrorKind::Conflict, "StatefulDefaultActions cannot exist together: the established and app_layer families cannot be mixed")
                    .with_hint("pair `aws:drop_established_app_layer*` with `aws:alert_established_app_layer*`, or `aws:drop_established` with `aws:alert_established`/`aws:alert_strict`"),
            ));
        }
        if !(60..=6000).contains(&policy.tcp_idle_timeout_secs) {
            let e = Error::new(
                ErrorKind::InvalidValue,
                format!("TCP idle timeout {} s is outside 60–6000", policy.tcp_idle_timeout_secs),
            )
            .with_hint("AWS accepts 60 to 6000 seconds; the default is 350");
            self.error(locate(e));
        }
        if policy.rule_order == RuleOrder::StrictOrder {
            let mut seen: BTreeMap<u32, &str> = BTreeMap::new();
            for group in &policy.groups {
                if let Some(other) = seen.insert(group.priority, &group.name) {
                    self.error(
                        Error::new(
                            ErrorKind::Conflict,
                            format!(
                                "rule groups `{other}` and `{}` share priority {}",
                                group.name, group.priority
                            ),
                        )
                        .at(group.location.clone())
                        .with_hint(
                            "give every rule group of a STRICT_ORDER policy a distinct priority",
                        ),
                    );
                }
            }
        }
    }

    fn check_group(&mut self, policy: &Policy, group: &RuleGroup) {
        if let Some(order) = group.rule_order.filter(|o| *o != policy.rule_order) {
            self.error(
                Error::new(
                    ErrorKind::Conflict,
                    format!(
                        "rule group `{}` uses {} but the policy uses {}",
                        group.name,
                        order.as_aws(),
                        policy.rule_order.as_aws()
                    ),
                )
                .at(group.location.clone())
                .with_hint("AWS only attaches rule groups whose RuleOrder equals the policy's"),
            );
        }
        for name in group.variables.ip_sets.keys().chain(group.variables.port_sets.keys()) {
            let valid = name.len() <= 32
                && name.starts_with(|c: char| c.is_ascii_alphabetic())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                self.error(
                    Error::new(ErrorKind::InvalidValue, format!("variable name `{name}` is not valid"))
                        .at(group.location.clone())
                        .with_hint("variable names start with a letter and use letters, digits and `_`, at most 32 characters"),
                );
            }
        }
    }

    fn new_family(&mut self, family: Family) -> Option<u32> {
        let id = self.families.len() as u32;
        if id > MAX_FAMILY {
            self.error(Error::new(ErrorKind::InvalidValue, "too many rules to compile"));
            return None;
        }
        self.families.push(family);
        Some(id)
    }

    fn new_owner(&mut self, owner: Owner) -> Option<u32> {
        let id = self.owners.len() as u32;
        if id > MAX_FAMILY {
            self.error(Error::new(ErrorKind::InvalidValue, "too many rules to compile"));
            return None;
        }
        self.owners.push(owner);
        Some(id)
    }

    fn header(&mut self, env: &Env<'_>, rule: &Rule) -> Option<Header> {
        match env.header(rule) {
            Ok(header) => Some(header),
            Err(name) => {
                self.error(
                    Error::new(ErrorKind::UndefinedVariable, format!("`${name}` is not defined"))
                        .at(rule.provenance.location.clone())
                        .with_hint(format!("define `{name}` in the rule group's variables (IPSets or PortSets), or in the policy for HOME_NET")),
                );
                None
            }
        }
    }

    fn add_rule(&mut self, env: &Env<'_>, group: u32, index: u32, rule: &Rule) {
        if self.policy.rule_order == RuleOrder::StrictOrder && rule.priority.is_some() {
            self.error(
                Error::new(
                    ErrorKind::Conflict,
                    format!(
                        "rule sid:{} uses `priority`, which STRICT_ORDER rule groups do not allow",
                        rule.sid
                    ),
                )
                .at(rule.provenance.location.clone())
                .with_hint("remove `priority`; in STRICT_ORDER the rule's position decides"),
            );
        }
        let Some(header) = self.header(env, rule) else { return };
        let Some(family) = self.new_family(Family {
            group,
            header,
            action: rule.action,
            priority: rule.effective_priority(),
            flow_scope: rule.decides_flow(),
            logs: logs(rule),
            kind: FamilyKind::Single { index, buffers: rule.buffers.clone() },
        }) else {
            return;
        };
        // Index the rule by its most selective condition.
        for buffer in &rule.buffers {
            if let Some((_, name, anchor)) = anchored_name(buffer) {
                if let Some(owner) = self.new_owner(Owner::Rule { family, buffer: buffer.buffer }) {
                    self.names.insert(name, Posting { family: owner, entry: 0, anchor });
                }
                return;
            }
        }
        for buffer in &rule.buffers {
            if let Some(content) = buffer.contents.iter().find(|c| is_unanchored(buffer, c)) {
                let (patterns, families) = self.unanchored.entry(buffer.buffer).or_default();
                patterns.push(content.pattern.clone());
                families.push(family);
                return;
            }
        }
        match rule.buffers.first() {
            Some(buffer) => self.scanned.entry(buffer.buffer).or_default().push(family),
            None => self.bufferless.push(family),
        }
    }

    fn add_list(
        &mut self,
        env: &Env<'_>,
        group: u32,
        rg: &RuleGroup,
        list: &crate::policy::DomainList,
    ) {
        let Some(layout) = self.groups[group as usize].layout.clone() else { return };
        let mut families = [None; 3];
        for &kind in &layout.types {
            // Every entry of one type shares the header of its first rule.
            let template =
                expand::entry_rule(list.kind, &template_target(rg), 0, kind, 1, layout.priority);
            let Some(header) = self.header(env, &template) else { return };
            let slot = match kind {
                TargetType::TlsSni => 0,
                TargetType::HttpHost => 1,
                TargetType::Dns => 2,
            };
            families[slot] = self.new_family(Family {
                group,
                header,
                action: template.action,
                priority: template.effective_priority(),
                flow_scope: true,
                logs: logs(&template),
                kind: FamilyKind::List { kind },
            });
        }
        for (index, kind) in
            (layout.targets * layout.types.len() as u32..layout.len()).filter_map(|i| match layout
                .rule_at(i)
            {
                Some(ListRule::Trailer(kind)) => Some((i, kind)),
                _ => None,
            })
        {
            let rule = expand::trailer_rule(kind, index + 1, layout.priority, &rg.location);
            self.add_rule(env, group, index, &rule);
        }
        let Some(owner) = self.new_owner(Owner::List { families }) else { return };
        let bytes = list.targets.iter().map(|t| t.name.name.len()).sum();
        self.names.reserve(list.targets.len(), bytes);
        for (i, target) in list.targets.iter().enumerate() {
            let anchor = if target.name.leading_dot { Anchor::Suffix } else { Anchor::Exact };
            self.names.insert(
                target.name.name.as_bytes(),
                Posting { family: owner, entry: i as u32, anchor },
            );
        }
    }
}

fn template_target(group: &RuleGroup) -> crate::policy::Target {
    crate::policy::Target {
        name: crate::name::TargetName {
            name: "template.invalid".into(),
            leading_dot: false,
            changes: Default::default(),
        },
        written: String::new(),
        location: group.location.clone(),
    }
}
