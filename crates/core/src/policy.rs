//! The policy model: what a firewall policy *says*, independent of the file
//! format it was written in.
//!
//! A [`Policy`] mirrors AWS Network Firewall's objects one to one: a firewall
//! policy with its engine options and default actions, referencing stateful
//! [`RuleGroup`]s, each holding either a domain list ([`DomainList`], AWS's
//! `RulesSourceList`) or Suricata-style [`Rule`]s. Every reader (native YAML,
//! AWS JSON, CloudFormation, Terraform, Suricata text) produces this model and
//! every renderer consumes it, so the formats cannot drift apart.
//!
//! The model is plain data and may be invalid; [`crate::CompiledPolicy::build`]
//! validates it and reports every problem with its location.

use std::fmt;

use ipnet::IpNet;
use serde::Serialize;

use crate::address::{AddrSpec, PortSpec, Variables};
use crate::name::TargetName;
use crate::source::{Location, Provenance};

/// How rule groups and rules are ordered (`StatefulEngineOptions.RuleOrder`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RuleOrder {
    /// Groups by priority, rules in written order; first terminal match wins.
    #[default]
    StrictOrder,
    /// All rules merged; pass beats drop beats reject beats alert, then `priority`.
    /// What the AWS API uses when `StatefulEngineOptions` is omitted.
    DefaultActionOrder,
}

impl RuleOrder {
    /// The AWS spelling.
    pub fn as_aws(self) -> &'static str {
        match self {
            RuleOrder::StrictOrder => "STRICT_ORDER",
            RuleOrder::DefaultActionOrder => "DEFAULT_ACTION_ORDER",
        }
    }

    /// Parses the AWS spelling.
    pub fn from_aws(text: &str) -> Option<RuleOrder> {
        match text {
            "STRICT_ORDER" => Some(RuleOrder::StrictOrder),
            "DEFAULT_ACTION_ORDER" => Some(RuleOrder::DefaultActionOrder),
            _ => None,
        }
    }
}

/// One of AWS's `StatefulDefaultActions` (STRICT_ORDER only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum DefaultAction {
    /// `aws:drop_strict`: drop every packet no rule decided, handshake included.
    DropStrict,
    /// `aws:drop_established`: drop packets of established flows no rule decided.
    DropEstablished,
    /// `aws:drop_established_app_layer`: like `drop_established`, but only
    /// once the application layer (e.g. the whole ClientHello) was inspected.
    DropEstablishedAppLayer,
    /// `aws:drop_established_app_layer_to_server`: the same, client-to-server packets only.
    DropEstablishedAppLayerToServer,
    /// `aws:alert_strict`.
    AlertStrict,
    /// `aws:alert_established`.
    AlertEstablished,
    /// `aws:alert_established_app_layer`.
    AlertEstablishedAppLayer,
    /// `aws:alert_established_app_layer_to_server`.
    AlertEstablishedAppLayerToServer,
}

/// Which packets a default action applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DefaultScope {
    /// Every packet.
    Strict,
    /// Packets of established flows.
    Established,
    /// Packets of established flows whose application layer was inspected.
    EstablishedAppLayer,
    /// The same, client-to-server only.
    EstablishedAppLayerToServer,
}

impl DefaultAction {
    /// All eight, in AWS's documentation order.
    pub const ALL: [DefaultAction; 8] = [
        DefaultAction::DropStrict,
        DefaultAction::DropEstablished,
        DefaultAction::DropEstablishedAppLayer,
        DefaultAction::DropEstablishedAppLayerToServer,
        DefaultAction::AlertStrict,
        DefaultAction::AlertEstablished,
        DefaultAction::AlertEstablishedAppLayer,
        DefaultAction::AlertEstablishedAppLayerToServer,
    ];

    /// The AWS spelling, e.g. `aws:drop_established`.
    pub fn as_aws(self) -> &'static str {
        match self {
            DefaultAction::DropStrict => "aws:drop_strict",
            DefaultAction::DropEstablished => "aws:drop_established",
            DefaultAction::DropEstablishedAppLayer => "aws:drop_established_app_layer",
            DefaultAction::DropEstablishedAppLayerToServer => {
                "aws:drop_established_app_layer_to_server"
            }
            DefaultAction::AlertStrict => "aws:alert_strict",
            DefaultAction::AlertEstablished => "aws:alert_established",
            DefaultAction::AlertEstablishedAppLayer => "aws:alert_established_app_layer",
            DefaultAction::AlertEstablishedAppLayerToServer => {
                "aws:alert_established_app_layer_to_server"
            }
        }
    }

    /// Parses the AWS spelling.
    pub fn from_aws(text: &str) -> Option<DefaultAction> {
        DefaultAction::ALL.into_iter().find(|a| a.as_aws() == text)
    }

    /// Whether it drops (otherwise it only alerts).
    pub fn is_drop(self) -> bool {
        matches!(
            self,
            DefaultAction::DropStrict
                | DefaultAction::DropEstablished
                | DefaultAction::DropEstablishedAppLayer
                | DefaultAction::DropEstablishedAppLayerToServer
        )
    }

    /// Which packets it applies to.
    pub fn scope(self) -> DefaultScope {
        match self {
            DefaultAction::DropStrict | DefaultAction::AlertStrict => DefaultScope::Strict,
            DefaultAction::DropEstablished | DefaultAction::AlertEstablished => {
                DefaultScope::Established
            }
            DefaultAction::DropEstablishedAppLayer | DefaultAction::AlertEstablishedAppLayer => {
                DefaultScope::EstablishedAppLayer
            }
            DefaultAction::DropEstablishedAppLayerToServer
            | DefaultAction::AlertEstablishedAppLayerToServer => {
                DefaultScope::EstablishedAppLayerToServer
            }
        }
    }

    /// Whether it belongs to the application-layer family, which AWS does not
    /// let you mix with the strict/established family.
    pub fn is_app_layer_family(self) -> bool {
        matches!(
            self.scope(),
            DefaultScope::EstablishedAppLayer | DefaultScope::EstablishedAppLayerToServer
        )
    }
}

impl fmt::Display for DefaultAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_aws())
    }
}

/// `StreamExceptionPolicy`: what happens to a flow the engine cannot follow
/// (midstream pickup, broken stream).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StreamExceptionPolicy {
    /// Fail closed: drop the rest of the flow (AWS default).
    #[default]
    Drop,
    /// Keep applying rules without earlier context.
    Continue,
    /// Drop and send a TCP reset.
    Reject,
}

impl StreamExceptionPolicy {
    /// The AWS spelling.
    pub fn as_aws(self) -> &'static str {
        match self {
            StreamExceptionPolicy::Drop => "DROP",
            StreamExceptionPolicy::Continue => "CONTINUE",
            StreamExceptionPolicy::Reject => "REJECT",
        }
    }
}

/// `StatelessDefaultActions` / `StatelessFragmentDefaultActions`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub enum StatelessAction {
    /// `aws:forward_to_sfe`: hand to the stateful engine (recommended).
    #[default]
    ForwardToSfe,
    /// `aws:pass`: let through without stateful inspection or logs.
    Pass,
    /// `aws:drop`: drop without logs.
    Drop,
}

impl StatelessAction {
    /// The AWS spelling.
    pub fn as_aws(self) -> &'static str {
        match self {
            StatelessAction::ForwardToSfe => "aws:forward_to_sfe",
            StatelessAction::Pass => "aws:pass",
            StatelessAction::Drop => "aws:drop",
        }
    }

    /// Parses the AWS spelling.
    pub fn from_aws(text: &str) -> Option<StatelessAction> {
        match text {
            "aws:forward_to_sfe" => Some(StatelessAction::ForwardToSfe),
            "aws:pass" => Some(StatelessAction::Pass),
            "aws:drop" => Some(StatelessAction::Drop),
            _ => None,
        }
    }
}

/// `HOME_NET` at policy level, and whether the user declared it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HomeNet {
    /// The CIDR blocks.
    pub cidrs: Vec<IpNet>,
    /// Where it was declared; `None` when rulesim assumed the private ranges
    /// because the policy did not say (AWS would use the VPC CIDR).
    pub declared_at: Option<Location>,
}

impl Default for HomeNet {
    fn default() -> HomeNet {
        HomeNet { cidrs: crate::address::private_ranges(), declared_at: None }
    }
}

/// Options that decide how domain lists turn into rules where AWS's own
/// behaviour is not documented. Each default is the documented best guess
/// (see `docs/semantics.md`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Generation {
    /// Whether ALLOWLISTs emit their catch-all drop rules. `None` = AWS's
    /// behaviour as documented: only under DEFAULT_ACTION_ORDER.
    pub allowlist_trailers: Option<bool>,
}

impl Generation {
    /// Whether trailers are emitted under `order`.
    pub fn trailers(self, order: RuleOrder) -> bool {
        self.allowlist_trailers.unwrap_or(order == RuleOrder::DefaultActionOrder)
    }
}

/// A whole firewall policy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    /// A name for messages (the file name, or the AWS policy name).
    pub name: String,
    /// Where the policy was read from.
    pub location: Option<Location>,
    /// `HOME_NET` for every group that does not define its own.
    pub home_net: HomeNet,
    /// `StatefulEngineOptions.RuleOrder`.
    pub rule_order: RuleOrder,
    /// Where the rule order was declared; `None` when it was omitted (AWS
    /// then uses DEFAULT_ACTION_ORDER for API-created policies).
    pub rule_order_declared_at: Option<Location>,
    /// `StatefulDefaultActions` (at most one drop and one alert).
    pub default_actions: Vec<DefaultAction>,
    /// Where the default actions were declared.
    pub default_actions_at: Option<Location>,
    /// `StatefulEngineOptions.StreamExceptionPolicy`.
    pub stream_exception_policy: StreamExceptionPolicy,
    /// `StatelessDefaultActions`.
    pub stateless_default: StatelessAction,
    /// `StatelessFragmentDefaultActions`.
    pub stateless_fragment_default: StatelessAction,
    /// `FlowTimeouts.TcpIdleTimeoutSeconds` (60–6000, default 350).
    pub tcp_idle_timeout_secs: u32,
    /// How domain lists are expanded where AWS is silent.
    pub generation: Generation,
    /// The stateful rule groups, in the order they were written.
    pub groups: Vec<RuleGroup>,
}

impl Policy {
    /// An empty STRICT_ORDER policy named `name` with AWS's defaults.
    pub fn new(name: impl Into<String>) -> Policy {
        Policy { name: name.into(), tcp_idle_timeout_secs: 350, ..Policy::default() }
    }

    /// The drop default action, if any.
    pub fn drop_default(&self) -> Option<DefaultAction> {
        self.default_actions.iter().copied().find(|a| a.is_drop())
    }

    /// The alert default action, if any.
    pub fn alert_default(&self) -> Option<DefaultAction> {
        self.default_actions.iter().copied().find(|a| !a.is_drop())
    }
}

/// A stateful rule group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleGroup {
    /// `RuleGroupName`.
    pub name: String,
    /// `StatefulRuleGroupReference.Priority` (STRICT_ORDER; lower runs first).
    pub priority: u32,
    /// The group's own `StatefulRuleOptions.RuleOrder`, if it states one.
    pub rule_order: Option<RuleOrder>,
    /// `RuleVariables` of the group; `HOME_NET` here overrides the policy's.
    pub variables: Variables,
    /// Declared `Capacity`, if any.
    pub capacity: Option<u32>,
    /// What the group holds.
    pub rules: RulesSource,
    /// Where the group was declared.
    pub location: Location,
}

/// What a rule group holds: AWS allows exactly one kind per group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RulesSource {
    /// A domain list (`RulesSourceList`), expanded to the rules AWS generates.
    DomainList(DomainList),
    /// Rules written by hand (`RulesString` or `StatefulRules`).
    Rules(Vec<Rule>),
}

/// `GeneratedRulesType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ListKind {
    /// `ALLOWLIST`: pass matching traffic.
    Allowlist,
    /// `DENYLIST`: drop matching traffic.
    Denylist,
    /// `REJECTLIST`: drop matching traffic and reset the TCP connection.
    Rejectlist,
    /// `ALERTLIST`: log matching traffic and go on.
    Alertlist,
}

impl ListKind {
    /// The AWS spelling.
    pub fn as_aws(self) -> &'static str {
        match self {
            ListKind::Allowlist => "ALLOWLIST",
            ListKind::Denylist => "DENYLIST",
            ListKind::Rejectlist => "REJECTLIST",
            ListKind::Alertlist => "ALERTLIST",
        }
    }

    /// The rule action its entries generate.
    pub fn action(self) -> Action {
        match self {
            ListKind::Allowlist => Action::Pass,
            ListKind::Denylist => Action::Drop,
            ListKind::Rejectlist => Action::Reject,
            ListKind::Alertlist => Action::Alert,
        }
    }

    /// The word AWS uses in the generated `msg` (`allowlisted`, ...).
    pub fn msg_word(self) -> &'static str {
        match self {
            ListKind::Allowlist => "allowlisted",
            ListKind::Denylist => "denylisted",
            ListKind::Rejectlist => "rejectlisted",
            ListKind::Alertlist => "alertlisted",
        }
    }
}

/// `TargetTypes`, plus DNS (a rulesim extension rendered as rule strings).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TargetType {
    /// `TLS_SNI`: the ClientHello's server name.
    TlsSni,
    /// `HTTP_HOST`: the HTTP Host header.
    HttpHost,
    /// DNS question names (not an AWS domain-list type; rendered as `dns.query` rules).
    Dns,
}

impl TargetType {
    /// The AWS spelling (`DNS` for the extension).
    pub fn as_aws(self) -> &'static str {
        match self {
            TargetType::TlsSni => "TLS_SNI",
            TargetType::HttpHost => "HTTP_HOST",
            TargetType::Dns => "DNS",
        }
    }

    /// The buffer its rules inspect.
    pub fn buffer(self) -> Buffer {
        match self {
            TargetType::TlsSni => Buffer::TlsSni,
            TargetType::HttpHost => Buffer::HttpHost,
            TargetType::Dns => Buffer::DnsQuery,
        }
    }
}

/// One entry of a domain list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The normalised name.
    pub name: TargetName,
    /// The entry as written.
    pub written: String,
    /// Where it was written.
    pub location: Location,
}

/// A domain list: AWS's `RulesSourceList`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomainList {
    /// What matching traffic gets.
    pub kind: ListKind,
    /// Which protocols the list applies to, in generation order (TLS, HTTP, DNS).
    pub target_types: Vec<TargetType>,
    /// The entries, in written order.
    pub targets: Vec<Target>,
}

/// A rule action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Let the flow through and stop inspecting it.
    Pass,
    /// Drop the packet (and the flow, for app-layer rules).
    Drop,
    /// Drop and send a TCP reset.
    Reject,
    /// Log and go on.
    Alert,
}

impl Action {
    /// The Suricata keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Pass => "pass",
            Action::Drop => "drop",
            Action::Reject => "reject",
            Action::Alert => "alert",
        }
    }

    /// Whether matching this rule ends evaluation.
    pub fn is_terminal(self) -> bool {
        self != Action::Alert
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The protocol keyword of a rule header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Protocol {
    /// Any IP packet.
    Ip,
    /// Any TCP packet.
    Tcp,
    /// Any UDP packet.
    Udp,
    /// Any ICMP or ICMPv6 packet.
    Icmp,
    /// Flows the engine recognised as TLS.
    Tls,
    /// Flows recognised as HTTP/1.
    Http,
    /// Flows recognised as DNS (UDP or TCP).
    Dns,
    /// Flows recognised as QUIC.
    Quic,
}

impl Protocol {
    /// The Suricata keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Ip => "ip",
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Icmp => "icmp",
            Protocol::Tls => "tls",
            Protocol::Http => "http",
            Protocol::Dns => "dns",
            Protocol::Quic => "quic",
        }
    }

    /// Parses the Suricata keyword (`ip`, `tcp`, `tls`, ...).
    pub fn parse(text: &str) -> Option<Protocol> {
        Some(match text {
            "ip" | "pkthdr" => Protocol::Ip,
            "tcp" => Protocol::Tcp,
            "udp" => Protocol::Udp,
            "icmp" | "icmpv4" | "icmpv6" => Protocol::Icmp,
            "tls" | "ssl" => Protocol::Tls,
            "http" | "http1" => Protocol::Http,
            "dns" => Protocol::Dns,
            "quic" => Protocol::Quic,
            _ => return None,
        })
    }

    /// Whether the protocol is an application layer (needs detection first).
    pub fn is_app_layer(self) -> bool {
        matches!(self, Protocol::Tls | Protocol::Http | Protocol::Dns | Protocol::Quic)
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `->` or `<>`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// `->`: source to destination only.
    #[default]
    Forward,
    /// `<>`: either way.
    Both,
}

/// `flow:to_server` / `flow:to_client`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowDirection {
    /// Client to server.
    ToServer,
    /// Server to client.
    ToClient,
}

/// `flow:established` and friends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowState {
    /// After the TCP handshake (UDP: after packets both ways).
    Established,
    /// Before that.
    NotEstablished,
    /// Any packet, with or without a flow.
    Stateless,
}

/// The `flow` keyword's options.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct FlowOptions {
    /// `to_server` / `to_client`.
    pub direction: Option<FlowDirection>,
    /// `established` / `not_established` / `stateless`.
    pub state: Option<FlowState>,
}

/// A sticky buffer a rule can inspect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Buffer {
    /// `tls.sni`: raw SNI bytes.
    TlsSni,
    /// `http.host`: normalised Host (lower case, no port).
    HttpHost,
    /// `dns.query`: the question name.
    DnsQuery,
    /// `http.header_names`: `\r\n`-separated header names (used by allowlist trailers).
    HttpHeaderNames,
}

impl Buffer {
    /// The Suricata keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            Buffer::TlsSni => "tls.sni",
            Buffer::HttpHost => "http.host",
            Buffer::DnsQuery => "dns.query",
            Buffer::HttpHeaderNames => "http.header_names",
        }
    }

    /// The application protocol this buffer belongs to.
    pub fn protocol(self) -> Protocol {
        match self {
            Buffer::TlsSni => Protocol::Tls,
            Buffer::HttpHost | Buffer::HttpHeaderNames => Protocol::Http,
            Buffer::DnsQuery => Protocol::Dns,
        }
    }
}

/// One `content` match and its modifiers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Content {
    /// The bytes to find.
    pub pattern: Vec<u8>,
    /// `content:!"..."`: the buffer must *not* contain it.
    pub negated: bool,
    /// `nocase`.
    pub nocase: bool,
    /// `startswith`: at offset 0.
    pub startswith: bool,
    /// `endswith`: nothing after it.
    pub endswith: bool,
    /// `offset:N`: start looking at byte N.
    pub offset: Option<u16>,
    /// `depth:N`: the match must lie within the first N bytes (from `offset`).
    pub depth: Option<u16>,
}

/// A `pcre` condition: a regular expression over the sticky buffer.
///
/// Suricata compiles PCRE; rulesim uses the `regex` crate, so the pattern
/// must be in the common subset (no look-around or back-references: the
/// reader reports those as unsupported). Equality and hashing use the
/// pattern as written.
#[derive(Clone, Debug)]
pub struct Pcre {
    /// The rule text, e.g. `/^api[0-9]+\.example\.com$/i`.
    pub written: String,
    /// `pcre:!"..."`: the buffer must not match.
    pub negated: bool,
    regex: regex::bytes::Regex,
}

impl Pcre {
    /// A condition from `source` (the regex syntax, flags already folded
    /// in as `(?i)` etc.); `written` is kept for display.
    pub fn new(written: impl Into<String>, source: &str, negated: bool) -> Result<Pcre, String> {
        let regex = regex::bytes::RegexBuilder::new(source)
            .unicode(false)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Pcre { written: written.into(), negated, regex })
    }

    /// Whether the condition holds on `buffer` (already transformed).
    pub fn matches(&self, buffer: &[u8]) -> bool {
        self.regex.is_match(buffer) != self.negated
    }
}

impl PartialEq for Pcre {
    fn eq(&self, other: &Pcre) -> bool {
        self.written == other.written && self.negated == other.negated
    }
}

impl Eq for Pcre {}

impl std::hash::Hash for Pcre {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.written.hash(state);
        self.negated.hash(state);
    }
}

/// Conditions on one sticky buffer.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BufferMatch {
    /// Which buffer.
    pub buffer: Buffer,
    /// The `dotprefix` transform: prepend `.` to the buffer before matching.
    pub dotprefix: bool,
    /// Every content must match.
    pub contents: Vec<Content>,
    /// Every `pcre` must match too.
    pub pcres: Vec<Pcre>,
}

/// A stateful rule, in Suricata's terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// `pass`, `drop`, `reject` or `alert`.
    pub action: Action,
    /// The header's protocol.
    pub protocol: Protocol,
    /// Source addresses.
    pub src: AddrSpec,
    /// Source ports.
    pub src_ports: PortSpec,
    /// `->` or `<>`.
    pub direction: Direction,
    /// Destination addresses.
    pub dst: AddrSpec,
    /// Destination ports.
    pub dst_ports: PortSpec,
    /// The `flow` keyword.
    pub flow: FlowOptions,
    /// `ssl_state:client_hello`: only once the ClientHello was fully parsed.
    pub ssl_state_client_hello: bool,
    /// Sticky-buffer conditions.
    pub buffers: Vec<BufferMatch>,
    /// `sid`.
    pub sid: u32,
    /// `rev`.
    pub rev: u32,
    /// `msg`.
    pub msg: String,
    /// `priority` (1–255; AWS forbids it in STRICT_ORDER groups).
    pub priority: Option<u8>,
    /// The `alert` keyword on a pass rule: log the pass.
    pub alert_on_pass: bool,
    /// `noalert`: match without logging.
    pub noalert: bool,
    /// The rule as Suricata text.
    pub text: String,
    /// Where it came from.
    pub provenance: Provenance,
}

impl Rule {
    /// Whether the rule inspects the application layer (a sticky buffer or
    /// `ssl_state`); such rules decide for the whole flow, all others for one
    /// packet at a time, as Suricata does. A bare `drop tls ...` with no
    /// app-layer keyword is a packet rule.
    pub fn is_app_layer(&self) -> bool {
        !self.buffers.is_empty() || self.ssl_state_client_hello
    }

    /// Whether the rule is a *packet* rule in Suricata's classification: no
    /// application-layer keyword, but a packet keyword (`flow`, the only one
    /// rulesim evaluates). Its action applies to the matching packet alone.
    /// Every other rule — app-layer, protocol-only (`drop http …` with no
    /// options) and header-only (IP-only) — decides for the whole flow
    /// (SEMANTICS.md §4.4; suricata-verify issue-5466-alert-then-pass-03 and
    /// drop-protocol-change; an allowlist catch-all with `flow:` but without
    /// `ssl_state` is a packet rule, SEMANTICS.md §13).
    pub fn is_packet_rule(&self) -> bool {
        !self.is_app_layer() && self.flow != FlowOptions::default()
    }

    /// Whether a match decides for the whole flow rather than one packet.
    pub fn decides_flow(&self) -> bool {
        !self.is_packet_rule()
    }

    /// The priority Suricata sorts by (3 when unset).
    pub fn effective_priority(&self) -> u8 {
        self.priority.unwrap_or(3)
    }
}
