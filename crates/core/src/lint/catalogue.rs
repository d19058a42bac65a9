//! The catalogue: every lint with its stable code, name, default severity,
//! one-line summary and fix. `docs/lints.md` documents each entry; a test
//! holds the two in step.

use std::fmt;

use serde::Serialize;

/// How serious a finding is. Ordered: `Note < Warning < Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth knowing; the policy does what it says.
    Note,
    /// Probably not what the author meant, or risky.
    Warning,
    /// AWS rejects it, or it cannot work as written.
    Error,
}

impl Severity {
    /// `note`, `warning` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    /// Parses `note`, `warning` or `error`.
    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "note" => Some(Severity::Note),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! catalogue {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, $name:literal, $severity:ident, $summary:literal, $help:literal; )*) => {
        /// Every check rulesim's linter runs. Codes and names are stable:
        /// suppressions and CI configurations refer to them.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[non_exhaustive]
        pub enum Lint {
            $( $(#[$doc])* $variant, )*
        }

        impl Lint {
            /// Every lint, in code order.
            pub const ALL: &'static [Lint] = &[$(Lint::$variant),*];

            /// The stable code, e.g. `RS101`.
            pub fn code(self) -> &'static str {
                match self { $(Lint::$variant => $code,)* }
            }

            /// The stable kebab-case name, e.g. `foreign-syntax`.
            pub fn name(self) -> &'static str {
                match self { $(Lint::$variant => $name,)* }
            }

            /// The severity findings get unless configured otherwise.
            pub fn default_severity(self) -> Severity {
                match self { $(Lint::$variant => Severity::$severity,)* }
            }

            /// What the lint looks for, in one line.
            pub fn summary(self) -> &'static str {
                match self { $(Lint::$variant => $summary,)* }
            }

            /// The general fix (findings add a specific one).
            pub fn help(self) -> &'static str {
                match self { $(Lint::$variant => $help,)* }
            }
        }
    };
}

catalogue! {
    /// `*.example.com`, a URL, a path or a port in a domain list.
    ForeignSyntax = "RS101", "foreign-syntax", Error,
        "a domain-list entry uses another tool's syntax (wildcard, URL, path, port)",
        "Network Firewall takes `.example.com` (the apex and every subdomain) or `host.example.com` (that name only), nothing else";
    /// A name that cannot be a host name at all.
    InvalidDomain = "RS102", "invalid-domain", Error,
        "a domain-list entry is not a valid host name (trailing dot, spaces, empty label, bad character, too long)",
        "write the host name as a client sends it, without a trailing dot or spaces";
    /// Upper-case letters in a target.
    UppercaseTarget = "RS103", "uppercase-target", Warning,
        "a domain-list entry has upper-case letters",
        "write targets in lower case: Suricata rejects upper-case `http.host` contents, and AWS's handling is undocumented";
    /// An IP address in a domain list.
    IpLiteralTarget = "RS104", "ip-literal-target", Warning,
        "a domain-list entry is an IP address",
        "TLS clients send no SNI for IP addresses, so a TLS_SNI entry never matches; filter addresses with an IP rule";
    /// `example.com` where `.example.com` was probably meant.
    ExactProbablySubdomains = "RS111", "exact-apex-target", Warning,
        "an exact entry names a registrable domain, so its subdomains (`www.`, CDNs) are not covered",
        "write `.example.com` to cover the apex and every subdomain (the walkthrough's first troubleshooting note)";
    /// `.www.example.com` where `www.example.com` was probably meant.
    SubdomainsProbablyExact = "RS112", "dotted-host-target", Note,
        "a leading-dot entry starts with a host label such as `www`, so it covers names nobody uses",
        "write `www.example.com` for that host, or `.example.com` for the whole domain";
    /// An entry covered by a broader one in the same list.
    RedundantTarget = "RS121", "redundant-target", Warning,
        "a domain-list entry is already covered by a broader entry of the same list",
        "remove the narrower entry; it can never decide anything";
    /// A rule that never decides because earlier rules always do.
    ShadowedRule = "RS201", "shadowed-rule", Warning,
        "under STRICT_ORDER an earlier group decides every name this entry could match",
        "remove the entry, or move its group before the one that decides (lower priority number)";
    /// The same name allowed and denied.
    Contradiction = "RS202", "allow-deny-conflict", Warning,
        "the same name is allowed by one entry and denied by another",
        "decide which one you mean; rulesim names the entry that wins and why";
    /// `.com`, `.co.uk`, `.github.io`: anyone can register below it.
    PublicSuffixAllowed = "RS301", "public-suffix-allowed", Error,
        "an allowed entry is a public suffix: anyone can register a name below it",
        "allow the registrable domains you need (e.g. `.example.co.uk`), never the suffix";
    /// `.amazonaws.com`, `.cloudfront.net`, ...: shared by every customer.
    SharedZoneAllowed = "RS302", "shared-zone-allowed", Warning,
        "an allowed entry covers a shared multi-tenant zone (any customer's bucket, function or tunnel)",
        "allow the specific names you use; for AWS services prefer VPC endpoints over allowing `.amazonaws.com`";
    /// An allowed site that needs a CDN the policy blocks.
    CdnNotAllowed = "RS311", "cdn-not-allowed", Note,
        "an allowed site loads its pages from a CDN domain the policy does not allow",
        "allow the CDN domain too if browsers must render the site (the walkthrough's note on CDN domains)";
    /// `aws:drop_strict` drops the handshake before any SNI is seen.
    DropStrictWithAppLayerPass = "RS401", "drop-strict-app-layer-pass", Error,
        "`aws:drop_strict` drops the TCP handshake, so app-layer pass rules (domain allowlists) never see a name",
        "use `aws:drop_established_app_layer_to_server` (or `aws:drop_established`), or add handshake pass rules";
    /// `aws:drop_established` and split post-quantum ClientHellos.
    DropEstablishedSplitHello = "RS402", "drop-established-split-hello", Warning,
        "`aws:drop_established` drops the first segment of a ClientHello split over several TCP segments (post-quantum key shares)",
        "use `aws:drop_established_app_layer_to_server`, which waits for the whole ClientHello";
    /// A drop default without an alert default.
    DropDefaultWithoutAlert = "RS403", "silent-default-drop", Warning,
        "a drop default action without an alert default: dropped traffic leaves no log",
        "add the matching alert default (e.g. `aws:alert_established_app_layer_to_server`) so drops appear in ALERT logs";
    /// Default actions AWS rejects.
    InvalidDefaultActions = "RS404", "invalid-default-actions", Error,
        "the stateful default actions are a combination AWS rejects",
        "at most one drop and one alert action, from the same family, and only under STRICT_ORDER";
    /// No `StatefulEngineOptions`.
    MissingEngineOptions = "RS411", "missing-rule-order", Warning,
        "the policy does not state its rule order; the AWS API then uses DEFAULT_ACTION_ORDER",
        "state it: `rule_order: strict_order` (native) or `StatefulEngineOptions.RuleOrder: STRICT_ORDER`";
    /// A group ordered differently from its policy.
    GroupRuleOrderMismatch = "RS412", "group-rule-order-mismatch", Error,
        "a rule group's RuleOrder differs from the policy's; AWS refuses to attach it",
        "give the group the policy's rule order (`StatefulRuleOptions.RuleOrder`)";
    /// Allowlists next to reject or alert lists under action order.
    AllowlistWithRejectOrAlert = "RS413", "allowlist-preempts-reject-alert", Warning,
        "under DEFAULT_ACTION_ORDER an allowlist's catch-all drop outranks reject and alert rules, which then never fire",
        "switch to STRICT_ORDER, or fold the reject/alert list into the allowlist's design";
    /// `priority` in a STRICT_ORDER group.
    PriorityInStrictOrder = "RS414", "priority-in-strict-order", Error,
        "a rule uses the `priority` keyword in a STRICT_ORDER group; AWS rejects it",
        "remove `priority`; under STRICT_ORDER the written order decides";
    /// HOME_NET misses the clients.
    HomeNetNotCovering = "RS501", "home-net-gap", Warning,
        "HOME_NET does not cover source addresses the policy must judge; their traffic bypasses the domain rules",
        "add the ranges (every spoke VPC for centralised inspection) to HOME_NET";
    /// HOME_NET not declared.
    HomeNetNotDeclared = "RS502", "home-net-undeclared", Note,
        "HOME_NET is not declared: rulesim assumes the private ranges, AWS uses the firewall's VPC CIDR only",
        "declare `home_net` with every client range (all spoke VPCs for multi-VPC inspection)";
    /// `$NAME` never defined.
    UndefinedVariable = "RS503", "undefined-variable", Error,
        "a rule uses a variable that is not defined",
        "define it in the rule group's IPSets/PortSets (or HOME_NET in the policy)";
    /// Capacity over the declared or the AWS limit.
    CapacityExceeded = "RS601", "capacity-exceeded", Error,
        "a rule group needs more capacity than it declares, or more than AWS's 30,000 per group",
        "raise the group's Capacity (fixed at creation: recreate the group) or split the group";
    /// Rules over 2,000,000 characters.
    RulesStringTooLong = "RS602", "rules-string-too-long", Error,
        "a rule group's rules are longer than AWS's 2,000,000-character limit",
        "split the group, or match many names with fewer rules";
    /// Two groups with one priority.
    DuplicateGroupPriority = "RS603", "duplicate-group-priority", Error,
        "two rule groups share a priority; AWS requires unique priorities",
        "give every group its own priority";
    /// More than 20 groups.
    TooManyGroups = "RS604", "too-many-groups", Error,
        "the policy references more than 20 stateful rule groups, AWS's limit",
        "merge groups";
    /// A group with nothing in it.
    EmptyGroup = "RS605", "empty-group", Warning,
        "a rule group has no rules or no domains",
        "remove the group or fill it";
    /// Policy-wide capacity.
    PolicyCapacityExceeded = "RS606", "policy-capacity-exceeded", Warning,
        "the policy's rule groups need more than 30,000 capacity, AWS's default quota per policy",
        "request a quota increase (up to 50,000) or trim the lists";
    /// What the compiler rejected and no other lint explains.
    InvalidPolicy = "RS901", "invalid-policy", Error,
        "the policy is invalid",
        "fix the error as its help line says";
    /// A suppression comment without a reason.
    SuppressionWithoutReason = "RS902", "suppression-without-reason", Error,
        "a `rulesim: allow(...)` comment gives no reason",
        "write why: `# rulesim: allow(RS302) reason: bucket names are random, VPC endpoint planned`";
    /// A suppression naming no known lint.
    UnknownSuppression = "RS903", "unknown-lint-in-suppression", Warning,
        "a `rulesim: allow(...)` comment names a lint that does not exist",
        "use a code (`RS302`) or name (`shared-zone-allowed`) from `docs/lints.md`";
}

impl Lint {
    /// Finds a lint by code (`RS302`, any case) or name (`shared-zone-allowed`).
    pub fn find(text: &str) -> Option<Lint> {
        let text = text.trim();
        Lint::ALL.iter().copied().find(|l| l.code().eq_ignore_ascii_case(text) || l.name() == text)
    }
}

impl fmt::Display for Lint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.code(), self.name())
    }
}
