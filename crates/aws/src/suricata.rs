//! The Suricata rule language, as far as AWS Network Firewall and rulesim go.
//!
//! A `RulesString` (or a `.rules` file) is parsed into core [`Rule`]s, each
//! with the line and column it was written at. The accepted subset is the one
//! AWS supports for domain filtering (SEMANTICS.md §2) and that rulesim can
//! evaluate; everything outside it is an error that names the keyword and
//! where it is, never silently ignored, because a keyword dropped on the floor
//! changes the verdict. Keywords that only label a rule (`msg`, `sid`, `rev`,
//! `metadata`, `classtype`, `reference`, `gid`, `target`, `fast_pattern`) are
//! accepted; `docs/aws-formats.md` lists the subset.
//!
//! The grammar, per rule:
//!
//! ```text
//! action protocol source source_ports direction destination destination_ports (keyword[:value]; ...)
//! ```
//!
//! Lines starting with `#` are comments; a line ending with `\` continues on
//! the next.

use std::sync::Arc;

use rulesim_core::address::{AddrSpec, PortSpec};
use rulesim_core::{
    Action, Buffer, BufferMatch, Content, Direction, ErrorKind, Errors, FlowDirection, FlowOptions,
    FlowState, Origin, Pcre, Protocol, Provenance, Rule,
};

use crate::Warning;
use crate::read::Ctx;
use crate::tree::{Pos, Text};

/// Parses a Suricata rules file (or any rule string) named `file`.
pub fn parse_rules(file: &str, text: &str) -> Result<Vec<Rule>, Errors> {
    let (rules, _) = parse_rules_with_warnings(file, text)?;
    Ok(rules)
}

/// The address and port groups Suricata's default `suricata.yaml` defines
/// besides `HOME_NET`/`EXTERNAL_NET` (`$HTTP_SERVERS`, `$HTTP_PORTS`, ...),
/// for evaluating rules written against a stock Suricata, such as its
/// verification suite's.
pub fn suricata_yaml_variables() -> rulesim_core::address::Variables {
    use rulesim_core::address::{AddrSpec, PortSpec};
    let mut vars = rulesim_core::address::Variables::default();
    for name in [
        "HTTP_SERVERS",
        "SMTP_SERVERS",
        "SQL_SERVERS",
        "DNS_SERVERS",
        "TELNET_SERVERS",
        "AIM_SERVERS",
        "DC_SERVERS",
    ] {
        vars.ip_sets.insert(name.into(), vec![AddrSpec::home_net()]);
    }
    for (name, port) in
        [("HTTP_PORTS", 80), ("SSH_PORTS", 22), ("DNP3_PORTS", 20000), ("FTP_PORTS", 21)]
    {
        vars.port_sets.insert(name.into(), vec![PortSpec::Port(port)]);
    }
    vars
}

/// Like [`parse_rules`], also returning warnings.
pub fn parse_rules_with_warnings(
    file: &str,
    text: &str,
) -> Result<(Vec<Rule>, Vec<Warning>), Errors> {
    let mut ctx = Ctx::new(Arc::from(file));
    let text = Text::lines(text.to_string(), Pos { line: 1, col: 1 }, 1);
    let rules = parse_text(&mut ctx, &text);
    ctx.errors.into_result((rules, ctx.warnings))
}

/// Parses every rule of `text`, whose characters map to source positions.
pub(crate) fn parse_text(ctx: &mut Ctx, text: &Text) -> Vec<Rule> {
    let mut rules = Vec::new();
    for (rule, pieces) in split_rules(&text.text) {
        let locate = |off: usize| {
            let i = pieces.partition_point(|(joined, _)| *joined <= off).saturating_sub(1);
            let (joined, source) = pieces.get(i).copied().unwrap_or((0, 0));
            text.pos(source + off - joined)
        };
        if let Some(rule) = parse_rule(ctx, &rule, &locate) {
            rules.push(rule);
        }
    }
    rules
}

/// Splits text into rules: skips blank and comment lines, joins `\`
/// continuations. Each rule comes with (offset in rule, offset in text)
/// pairs where its pieces start.
fn split_rules(text: &str) -> Vec<(String, Vec<(usize, usize)>)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut pieces = Vec::new();
    let mut offset = 0;
    for raw in text.split('\n') {
        let line_start = offset;
        offset += raw.len() + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = line.trim_start();
        let lead = line.len() - trimmed.len();
        if current.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        pieces.push((current.len(), line_start + lead));
        match trimmed.strip_suffix('\\') {
            Some(cont) => current.push_str(cont),
            None => {
                current.push_str(trimmed.trim_end());
                out.push((std::mem::take(&mut current), std::mem::take(&mut pieces)));
            }
        }
    }
    if !current.is_empty() {
        out.push((current, pieces));
    }
    out
}

/// Keywords accepted that do not change what a rule matches.
pub const LABEL_KEYWORDS: &[&str] =
    &["msg", "sid", "rev", "gid", "classtype", "reference", "metadata", "target", "fast_pattern"];

/// Keywords AWS Network Firewall itself rejects (SEMANTICS.md §2.2).
const AWS_UNSUPPORTED: &[&str] = &[
    "dataset",
    "datarep",
    "iprep",
    "lua",
    "luajit",
    "filestore",
    "filemagic",
    "filename",
    "fileext",
    "filemd5",
    "filesha1",
    "filesha256",
    "filesize",
    "threshold",
    "detection_filter",
    "xbits",
    "hostbits",
    "enip_command",
    "cip_service",
];

/// Every keyword the parser understands (for "did you mean").
const KNOWN: &[&str] = &[
    "msg",
    "sid",
    "rev",
    "gid",
    "classtype",
    "reference",
    "metadata",
    "target",
    "fast_pattern",
    "priority",
    "flow",
    "ssl_state",
    "tls.sni",
    "tls_sni",
    "http.host",
    "http_host",
    "dns.query",
    "dns_query",
    "http.header_names",
    "http_header_names",
    "dotprefix",
    "content",
    "nocase",
    "startswith",
    "endswith",
    "depth",
    "offset",
    "alert",
    "noalert",
    "pcre",
];

/// One rule's parsing state.
struct Parse<'a> {
    ctx: &'a mut Ctx,
    locate: &'a dyn Fn(usize) -> Pos,
    failed: bool,
}

impl Parse<'_> {
    fn err(
        &mut self,
        off: usize,
        kind: ErrorKind,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        let pos = (self.locate)(off);
        self.ctx.err(pos, kind, message, hint);
        self.failed = true;
    }
}

/// Where the last content went, for its modifiers.
#[derive(Clone, Copy)]
enum LastContent {
    Buffer(usize),
    Payload,
}

fn parse_rule(ctx: &mut Ctx, rule: &str, locate: &dyn Fn(usize) -> Pos) -> Option<Rule> {
    let mut p = Parse { ctx, locate, failed: false };
    let Some(open) = rule.find('(') else {
        p.err(
            0,
            ErrorKind::Syntax,
            "a rule needs its options in parentheses",
            "write `action proto src sport -> dst dport (keyword; ...; sid:N;)`",
        );
        return None;
    };
    let header = &rule[..open];
    let tokens = header_tokens(header);
    if tokens.len() != 7 {
        p.err(
            0,
            ErrorKind::Syntax,
            format!("a rule header has 7 parts (action, protocol, source, source port, direction, destination, destination port); found {}", tokens.len()),
            "write e.g. `pass tls $HOME_NET any -> $EXTERNAL_NET 443 (...)`",
        );
        return None;
    }
    let (a_off, action_text) = tokens[0];
    let action = match action_text {
        "pass" => Some(Action::Pass),
        "drop" => Some(Action::Drop),
        "reject" => Some(Action::Reject),
        "alert" => Some(Action::Alert),
        other => {
            p.err(
                a_off,
                ErrorKind::Unsupported,
                format!("unsupported action `{other}`"),
                "AWS Network Firewall supports the actions pass, drop, reject and alert",
            );
            None
        }
    };
    let (p_off, proto_text) = tokens[1];
    let protocol = match Protocol::parse(&proto_text.to_ascii_lowercase()) {
        Some(proto) => Some(proto),
        None => {
            p.err(
                p_off,
                ErrorKind::Unsupported,
                format!("protocol `{proto_text}` is not supported by rulesim"),
                "rulesim evaluates ip, tcp, udp, icmp, tls, http, dns and quic rules",
            );
            None
        }
    };
    let src = address(&mut p, tokens[2]);
    let src_ports = ports(&mut p, tokens[3]);
    let (d_off, dir_text) = tokens[4];
    let direction = match dir_text {
        "->" => Some(Direction::Forward),
        "<>" => Some(Direction::Both),
        other => {
            p.err(
                d_off,
                ErrorKind::Syntax,
                format!("`{other}` is not a rule direction"),
                "write `->` (source to destination) or `<>` (either way)",
            );
            None
        }
    };
    let dst = address(&mut p, tokens[5]);
    let dst_ports = ports(&mut p, tokens[6]);

    let body_end = rule.rfind(')').filter(|&c| c > open && rule[c + 1..].trim().is_empty());
    let Some(close) = body_end else {
        p.err(
            rule.len().saturating_sub(1),
            ErrorKind::Syntax,
            "the rule's options do not end with `)`",
            "close the option list with `)` at the end of the rule",
        );
        return None;
    };

    let mut rule_out = Rule {
        action: action.unwrap_or(Action::Alert),
        protocol: protocol.unwrap_or(Protocol::Ip),
        src: src.unwrap_or(AddrSpec::Any),
        src_ports: src_ports.unwrap_or(PortSpec::Any),
        direction: direction.unwrap_or_default(),
        dst: dst.unwrap_or(AddrSpec::Any),
        dst_ports: dst_ports.unwrap_or(PortSpec::Any),
        flow: FlowOptions::default(),
        ssl_state_client_hello: false,
        buffers: Vec::new(),
        sid: 0,
        rev: 0,
        msg: String::new(),
        priority: None,
        alert_on_pass: false,
        noalert: false,
        text: rule.to_string(),
        provenance: Provenance { location: p.ctx.loc(locate(0)), origin: Origin::Written },
    };
    let mut sid_seen = false;
    let mut last: Option<LastContent> = None;
    let mut payload: Vec<(usize, Content)> = Vec::new();
    let mut current: Option<usize> = None;

    for (k_off, keyword, value) in options(&rule[open + 1..close], open + 1) {
        let v_off = value.map_or(k_off, |(o, _)| o);
        let val = value.map(|(_, v)| v);
        let need = |p: &mut Parse<'_>, what: &str| -> Option<&str> {
            if val.is_none() {
                p.err(
                    k_off,
                    ErrorKind::Syntax,
                    format!("`{keyword}` needs a value"),
                    format!("write `{keyword}:{what};`"),
                );
            }
            val
        };
        match keyword {
            "msg" => {
                if let Some(v) = need(&mut p, "\"text\"") {
                    rule_out.msg = unquote(v);
                }
            }
            "sid" | "rev" | "gid" => {
                let Some(v) = need(&mut p, "1") else { continue };
                match v.trim().parse::<u32>() {
                    Ok(n) if keyword == "sid" => {
                        rule_out.sid = n;
                        sid_seen = true;
                    }
                    Ok(n) if keyword == "rev" => rule_out.rev = n,
                    Ok(_) => {}
                    Err(_) => p.err(
                        v_off,
                        ErrorKind::InvalidValue,
                        format!("`{keyword}` must be a whole number, not `{v}`"),
                        format!("write `{keyword}:1;`"),
                    ),
                }
            }
            "priority" => {
                let Some(v) = need(&mut p, "1") else { continue };
                match v.trim().parse::<u8>() {
                    Ok(n) if n >= 1 => rule_out.priority = Some(n),
                    _ => p.err(
                        v_off,
                        ErrorKind::InvalidValue,
                        format!("`priority` must be 1 to 255, not `{v}`"),
                        "write `priority:1;` (1 is the most urgent)",
                    ),
                }
            }
            "classtype" | "reference" | "metadata" | "target" | "fast_pattern" => {}
            "flow" => {
                let Some(v) = need(&mut p, "to_server,established") else { continue };
                for (i, word) in split_list(v) {
                    let w = word.trim();
                    match w {
                        "to_server" | "from_client" => {
                            rule_out.flow.direction = Some(FlowDirection::ToServer)
                        }
                        "to_client" | "from_server" => {
                            rule_out.flow.direction = Some(FlowDirection::ToClient)
                        }
                        "established" => rule_out.flow.state = Some(FlowState::Established),
                        "not_established" => rule_out.flow.state = Some(FlowState::NotEstablished),
                        "stateless" => rule_out.flow.state = Some(FlowState::Stateless),
                        other => p.err(
                            v_off + i,
                            ErrorKind::Unsupported,
                            format!("`flow:{other}` is not supported by rulesim"),
                            "use to_server, to_client, established, not_established or stateless",
                        ),
                    }
                }
            }
            "ssl_state" => {
                let Some(v) = need(&mut p, "client_hello") else { continue };
                if v.trim() == "client_hello" {
                    rule_out.ssl_state_client_hello = true;
                } else {
                    p.err(
                        v_off,
                        ErrorKind::Unsupported,
                        format!("`ssl_state:{}` is not supported by rulesim", v.trim()),
                        "rulesim evaluates `ssl_state:client_hello` only",
                    );
                }
            }
            "tls.sni" | "tls_sni" | "http.host" | "dns.query" | "dns_query"
            | "http.header_names" | "http_header_names" => {
                let buffer = match keyword {
                    "tls.sni" | "tls_sni" => Buffer::TlsSni,
                    "http.host" => Buffer::HttpHost,
                    "dns.query" | "dns_query" => Buffer::DnsQuery,
                    _ => Buffer::HttpHeaderNames,
                };
                if val.is_some() {
                    p.err(
                        k_off,
                        ErrorKind::Syntax,
                        format!("`{keyword}` takes no value"),
                        format!("write `{keyword}; content:\"...\";`"),
                    );
                }
                rule_out.buffers.push(BufferMatch {
                    buffer,
                    dotprefix: false,
                    contents: Vec::new(),
                    pcres: Vec::new(),
                });
                current = Some(rule_out.buffers.len() - 1);
            }
            "http_host" => {
                // The legacy content modifier: the previous payload content is on http.host.
                match (last, payload.pop()) {
                    (Some(LastContent::Payload), Some((_, content))) => {
                        rule_out.buffers.push(BufferMatch {
                            buffer: Buffer::HttpHost,
                            dotprefix: false,
                            contents: vec![content],
                            pcres: Vec::new(),
                        });
                        last = Some(LastContent::Buffer(rule_out.buffers.len() - 1));
                    }
                    _ => p.err(
                        k_off,
                        ErrorKind::Syntax,
                        "`http_host` must follow a `content`",
                        "write `http.host; content:\"example.com\";`",
                    ),
                }
            }
            "dotprefix" => match current.and_then(|c| rule_out.buffers.get_mut(c)) {
                Some(b) if b.contents.is_empty() => b.dotprefix = true,
                Some(_) => p.err(
                    k_off,
                    ErrorKind::Syntax,
                    "`dotprefix` must come right after its sticky buffer, before any `content`",
                    "write `tls.sni; dotprefix; content:\".example.com\"; endswith;`",
                ),
                None => p.err(
                    k_off,
                    ErrorKind::Syntax,
                    "`dotprefix` needs a sticky buffer before it",
                    "write `tls.sni; dotprefix; ...`",
                ),
            },
            "content" => {
                let Some(v) = need(&mut p, "\"example.com\"") else { continue };
                match parse_content(v) {
                    Ok(content) => match current {
                        Some(c) => {
                            rule_out.buffers[c].contents.push(content);
                            last = Some(LastContent::Buffer(c));
                        }
                        None => {
                            payload.push((k_off, content));
                            last = Some(LastContent::Payload);
                        }
                    },
                    Err(message) => p.err(v_off, ErrorKind::Syntax, message, "write content as \"text\", with |0d 0a| for bytes and \\\" \\; \\\\ for those characters"),
                }
            }
            "nocase" | "startswith" | "endswith" | "depth" | "offset" => {
                let content = match last {
                    Some(LastContent::Buffer(c)) => {
                        rule_out.buffers.get_mut(c).and_then(|b| b.contents.last_mut())
                    }
                    Some(LastContent::Payload) => payload.last_mut().map(|(_, c)| c),
                    None => None,
                };
                let Some(content) = content else {
                    p.err(
                        k_off,
                        ErrorKind::Syntax,
                        format!("`{keyword}` must follow a `content`"),
                        format!("write `content:\"...\"; {keyword};`"),
                    );
                    continue;
                };
                match keyword {
                    "nocase" => content.nocase = true,
                    "startswith" => content.startswith = true,
                    "endswith" => content.endswith = true,
                    _ => {
                        let number = val.and_then(|v| v.trim().parse::<u16>().ok());
                        match number {
                            Some(n) if keyword == "depth" && n > 0 => content.depth = Some(n),
                            Some(n) if keyword == "offset" => content.offset = Some(n),
                            _ => p.err(
                                v_off,
                                ErrorKind::InvalidValue,
                                format!("`{keyword}` needs a number of bytes"),
                                format!("write `{keyword}:4;`"),
                            ),
                        }
                    }
                }
            }
            "pcre" => {
                let Some(v) = need(&mut p, "\"/^api[0-9]+\\.example\\.com$/i\"") else { continue };
                match (current, parse_pcre(v)) {
                    (Some(c), Ok(pcre)) => rule_out.buffers[c].pcres.push(pcre),
                    (None, _) => p.err(
                        k_off,
                        ErrorKind::Unsupported,
                        "`pcre` on the packet payload is not supported by rulesim",
                        "put a sticky buffer before it: `tls.sni; pcre:\"/.../\";` (AWS allows pcre only with content, tls.sni, http.host or dns.query)",
                    ),
                    (Some(_), Err((kind, message))) => p.err(
                        v_off,
                        kind,
                        message,
                        "write `pcre:\"/pattern/flags\";` with flags among i, s, m, x, A, E, G; no look-around or back-references",
                    ),
                }
            }
            "alert" => rule_out.alert_on_pass = true,
            "noalert" => rule_out.noalert = true,
            other => {
                let (kind, message, hint) = if AWS_UNSUPPORTED.contains(&other) {
                    (
                        ErrorKind::Unsupported,
                        format!("keyword `{other}` is not supported by AWS Network Firewall"),
                        "remove it; see the Suricata caveats page of the AWS developer guide"
                            .to_string(),
                    )
                } else if let Some(s) = crate::read::closest(other, KNOWN).filter(|s| *s != other) {
                    (
                        ErrorKind::Unsupported,
                        format!("keyword `{other}` is not supported by rulesim"),
                        format!(
                            "did you mean `{s}`? docs/aws-formats.md lists the keywords rulesim evaluates"
                        ),
                    )
                } else {
                    (ErrorKind::Unsupported, format!("keyword `{other}` is not supported by rulesim"), "rulesim evaluates tls.sni, http.host, dns.query, content and its modifiers, flow, ssl_state; docs/aws-formats.md lists the subset".to_string())
                };
                p.err(k_off, kind, message, hint);
            }
        }
    }
    for (off, _) in &payload {
        p.err(
            *off,
            ErrorKind::Unsupported,
            "`content` on the packet payload is not supported by rulesim",
            "put a sticky buffer before it: `tls.sni;`, `http.host;` or `dns.query;`",
        );
    }
    for b in &rule_out.buffers {
        if b.buffer == Buffer::HttpHost {
            for c in &b.contents {
                if c.nocase || c.pattern.iter().any(u8::is_ascii_uppercase) {
                    let msg = if c.nocase {
                        format!("rule {}: `nocase` cannot be used with http.host", rule_out.sid)
                    } else {
                        format!(
                            "rule {}: A pattern with uppercase characters detected for http.host. The hostname buffer is normalized to lowercase, please specify a lowercase pattern.",
                            rule_out.sid
                        )
                    };
                    p.err(0, ErrorKind::InvalidValue, msg, "http.host is lower-cased by Suricata: write the pattern in lower case without `nocase`");
                }
            }
        }
        let bp = b.buffer.protocol();
        if rule_out.protocol.is_app_layer() && rule_out.protocol != bp {
            p.err(
                0,
                ErrorKind::Conflict,
                format!("a `{}` rule cannot inspect `{}`", rule_out.protocol, b.buffer.as_str()),
                format!("use protocol `{bp}` for this rule"),
            );
        }
    }
    // A sticky buffer without content still requires the buffer to exist.
    for b in &mut rule_out.buffers {
        if b.contents.is_empty() {
            b.contents.push(Content::default());
        }
    }
    if rule_out.ssl_state_client_hello
        && rule_out.protocol.is_app_layer()
        && rule_out.protocol != Protocol::Tls
    {
        p.err(
            0,
            ErrorKind::Conflict,
            format!("`ssl_state` needs a tls rule, not `{}`", rule_out.protocol),
            "use protocol `tls`",
        );
    }
    if !sid_seen {
        p.err(
            0,
            ErrorKind::MissingField,
            "the rule has no `sid`",
            "add `sid:N;` with a number unique in the rule group",
        );
    }
    (!p.failed).then_some(rule_out)
}

/// Whitespace-separated header words, keeping `[...]` lists whole.
fn header_tokens(header: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start: Option<usize> = None;
    for (i, c) in header.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ => {}
        }
        if c.is_whitespace() && depth <= 0 {
            if let Some(s) = start.take() {
                out.push((s, &header[s..i]));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push((s, &header[s..]));
    }
    out
}

/// `keyword[:value];` items of an option list starting at `base` in the
/// rule: (keyword offset, keyword, (value offset, value)).
/// One option: (keyword offset, keyword, (value offset, value)).
type OptionItem<'a> = (usize, &'a str, Option<(usize, &'a str)>);

fn options(body: &str, base: usize) -> Vec<OptionItem<'_>> {
    let mut out = Vec::new();
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && (bytes[i] as char).is_ascii_whitespace() {
            i += 1;
        }
        if i >= bytes.len() {
            break;
        }
        let start = i;
        let mut in_quotes = false;
        let mut colon: Option<usize> = None;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 1,
                b'"' => in_quotes = !in_quotes,
                b':' if colon.is_none() && !in_quotes => colon = Some(i),
                b';' if !in_quotes => break,
                _ => {}
            }
            i += 1;
        }
        let end = i.min(bytes.len());
        let item = &body[start..end];
        match colon {
            Some(c) => {
                let key = body[start..c].trim();
                let raw = &body[c + 1..end];
                let lead = raw.len() - raw.trim_start().len();
                out.push((base + start, key, Some((base + c + 1 + lead, raw.trim()))));
            }
            None => out.push((base + start, item.trim(), None)),
        }
        i += 1;
    }
    out
}

/// Items of a comma list with their offsets.
fn split_list(v: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in v.char_indices() {
        if c == ',' {
            out.push((start, &v[start..i]));
            start = i + 1;
        }
    }
    out.push((start, &v[start..]));
    out
}

/// `"text"` → `text`, with `\"`, `\;`, `\\` unescaped.
fn unquote(v: &str) -> String {
    let inner = v.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(v);
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Reads a `pcre` value: `"/pattern/flags"`, optionally negated with `!`,
/// into a [`Pcre`] with Suricata's flags folded into the pattern.
fn parse_pcre(value: &str) -> Result<Pcre, (ErrorKind, String)> {
    let value = value.trim();
    let (negated, quoted) = match value.strip_prefix('!') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, value),
    };
    let syntax = |what: &str| (ErrorKind::Syntax, format!("`pcre` {what}"));
    let inner = quoted
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .ok_or_else(|| syntax("needs a quoted \"/pattern/flags\""))?;
    let inner = inner.replace("\\\"", "\"").replace("\\;", ";");
    let body = inner.strip_prefix('/').ok_or_else(|| syntax("must start with `/`"))?;
    let end = body.rfind('/').ok_or_else(|| syntax("needs a closing `/`"))?;
    let (pattern, flags) = (&body[..end], &body[end + 1..]);
    let mut inline = String::new();
    let mut anchored = false;
    for flag in flags.chars() {
        match flag {
            'i' | 's' | 'm' | 'x' => inline.push(flag),
            'G' => inline.push('U'),
            'A' => anchored = true,
            // `$` already matches only at the end; O lifts a match limit.
            'E' | 'O' => {}
            other => {
                return Err((
                    ErrorKind::Unsupported,
                    format!(
                        "`pcre` flag `{other}` is not supported by rulesim (relative matching and buffer flags are not evaluated)"
                    ),
                ));
            }
        }
    }
    let mut source = String::new();
    if !inline.is_empty() {
        source.push_str(&format!("(?{inline})"));
    }
    if anchored {
        source.push_str(&format!("\\A(?:{pattern})"));
    } else {
        source.push_str(pattern);
    }
    Pcre::new(value, &source, negated).map_err(|e| {
        (
            ErrorKind::Unsupported,
            format!(
                "`pcre` pattern `{pattern}` uses syntax rulesim cannot evaluate: {}",
                e.lines().last().unwrap_or("")
            ),
        )
    })
}

/// A content value: optional `!`, quotes, `|hex|` bytes, `\` escapes.
pub(crate) fn parse_content(v: &str) -> Result<Content, String> {
    let mut v = v.trim();
    let negated = v.starts_with('!');
    if negated {
        v = v[1..].trim_start();
    }
    let inner = match v.strip_prefix('"') {
        Some(rest) => rest.strip_suffix('"').ok_or("the content's closing quote is missing")?,
        None => v,
    };
    let mut pattern = Vec::new();
    let mut hex = false;
    let mut digits = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '|' => {
                if hex {
                    if !digits.len().is_multiple_of(2) {
                        return Err(format!("`|{digits}|` has an odd number of hex digits"));
                    }
                    for pair in digits.as_bytes().chunks(2) {
                        let s = std::str::from_utf8(pair).map_err(|_| "invalid hex")?;
                        pattern.push(
                            u8::from_str_radix(s, 16)
                                .map_err(|_| format!("`{s}` is not a hex byte"))?,
                        );
                    }
                    digits.clear();
                }
                hex = !hex;
            }
            c if hex => {
                if c.is_ascii_hexdigit() {
                    digits.push(c);
                } else if !c.is_whitespace() {
                    return Err(format!("`{c}` is not a hex digit inside |...|"));
                }
            }
            '\\' => {
                let n = chars.next().ok_or("a content cannot end with `\\`")?;
                let mut buf = [0; 4];
                pattern.extend_from_slice(n.encode_utf8(&mut buf).as_bytes());
            }
            '"' => return Err("a `\"` inside content must be escaped as `\\\"`".into()),
            c => {
                let mut buf = [0; 4];
                pattern.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    if hex {
        return Err("a `|` hex section is not closed".into());
    }
    if pattern.is_empty() {
        return Err("content is empty".into());
    }
    Ok(Content { pattern, negated, ..Content::default() })
}

fn address(p: &mut Parse<'_>, (off, text): (usize, &str)) -> Option<AddrSpec> {
    match parse_address(text) {
        Ok(spec) => Some(spec),
        Err((at, message, hint)) => {
            p.err(off + at, ErrorKind::InvalidValue, message, hint);
            None
        }
    }
}

fn ports(p: &mut Parse<'_>, (off, text): (usize, &str)) -> Option<PortSpec> {
    match parse_ports(text) {
        Ok(spec) => Some(spec),
        Err((at, message, hint)) => {
            p.err(off + at, ErrorKind::InvalidValue, message, hint);
            None
        }
    }
}

type SpecError = (usize, String, String);

/// An address spec: `any`, `$VAR`, CIDR, `!spec`, `[a,b,...]`.
pub fn parse_address(text: &str) -> Result<AddrSpec, SpecError> {
    list_spec(
        text,
        0,
        &|item, at| {
            if item.eq_ignore_ascii_case("any") {
                Ok(AddrSpec::Any)
            } else if let Some(var) = item.strip_prefix('$') {
                Ok(AddrSpec::Var(var.to_string()))
            } else if item.starts_with('@') {
                Err((at, format!("IP set reference `{item}` cannot be evaluated offline"), "define the addresses in RuleVariables.IPSets instead of a prefix-list reference".to_string()))
            } else {
                rulesim_core::native::parse_net(item).map(AddrSpec::Net).ok_or_else(|| {
                    (
                        at,
                        format!("`{item}` is not an address"),
                        "write `any`, `$HOME_NET`, an address or a CIDR block such as 10.0.0.0/8"
                            .to_string(),
                    )
                })
            }
        },
        &|items| AddrSpec::List(items),
        &|inner| AddrSpec::Not(Box::new(inner)),
    )
}

/// A port spec: `any`, `443`, `1024:65535`, `1024:`, `$VAR`, `!spec`, `[...]`.
pub fn parse_ports(text: &str) -> Result<PortSpec, SpecError> {
    list_spec(
        text,
        0,
        &|item, at| {
            let bad = || {
                (
                    at,
                    format!("`{item}` is not a port"),
                    "write `any`, `443`, `1024:65535` or `$PORTS`".to_string(),
                )
            };
            if item.eq_ignore_ascii_case("any") {
                Ok(PortSpec::Any)
            } else if let Some(var) = item.strip_prefix('$') {
                Ok(PortSpec::Var(var.to_string()))
            } else if let Some((a, b)) = item.split_once(':') {
                let lo = if a.is_empty() { 0 } else { a.parse().map_err(|_| bad())? };
                let hi = if b.is_empty() { u16::MAX } else { b.parse().map_err(|_| bad())? };
                Ok(PortSpec::Range(lo, hi))
            } else {
                item.parse().map(PortSpec::Port).map_err(|_| bad())
            }
        },
        &|items| PortSpec::List(items),
        &|inner| PortSpec::Not(Box::new(inner)),
    )
}

fn list_spec<T>(
    text: &str,
    base: usize,
    item: &dyn Fn(&str, usize) -> Result<T, SpecError>,
    list: &dyn Fn(Vec<T>) -> T,
    not: &dyn Fn(T) -> T,
) -> Result<T, SpecError> {
    let trimmed = text.trim();
    let base = base + (text.len() - text.trim_start().len());
    if trimmed.is_empty() {
        return Err((base, "empty address or port".into(), "write `any`".into()));
    }
    if let Some(rest) = trimmed.strip_prefix('!') {
        return list_spec(rest, base + 1, item, list, not).map(not);
    }
    if let Some(inner) = trimmed.strip_prefix('[') {
        let inner = inner.strip_suffix(']').ok_or((
            base,
            format!("`{trimmed}`: the list is not closed with `]`"),
            "write `[a,b]`".to_string(),
        ))?;
        let mut items = Vec::new();
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in inner.char_indices() {
            match c {
                '[' => depth += 1,
                ']' => depth -= 1,
                ',' if depth == 0 => {
                    items.push(list_spec(&inner[start..i], base + 1 + start, item, list, not)?);
                    start = i + 1;
                }
                _ => {}
            }
        }
        items.push(list_spec(&inner[start..], base + 1 + start, item, list, not)?);
        return Ok(list(items));
    }
    item(trimmed, base)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn errs(text: &str) -> Vec<String> {
        match parse_rules("r.rules", text) {
            Ok(_) => Vec::new(),
            Err(e) => e.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn parses_the_documented_generated_rules() {
        let text = r#"drop tls $HOME_NET any -> $EXTERNAL_NET any (ssl_state:client_hello; tls.sni; content:"evil.com"; startswith; nocase; endswith; msg:"matching TLS denylisted FQDNs"; priority:1; flow:to_server, established; sid:1; rev:1;)
pass http $HOME_NET any -> $EXTERNAL_NET any (http.host; dotprefix; content:".amazon.com"; endswith; msg:"matching HTTP allowlisted FQDNs"; priority:1; flow:to_server, established; sid:1; rev:1;)
drop http $HOME_NET any -> $EXTERNAL_NET any (http.header_names; content:"|0d 0a|"; startswith; msg:"not matching any HTTP allowlisted FQDNs"; priority:1; flow:to_server, established; sid:3; rev:1;)"#;
        let rules = parse_rules("r.rules", text).unwrap();
        assert_eq!(rules.len(), 3);
        let r = &rules[0];
        assert_eq!(
            (r.action, r.protocol, r.sid, r.rev, r.priority),
            (Action::Drop, Protocol::Tls, 1, 1, Some(1))
        );
        assert!(r.ssl_state_client_hello);
        assert_eq!(
            r.flow,
            FlowOptions {
                direction: Some(FlowDirection::ToServer),
                state: Some(FlowState::Established)
            }
        );
        assert_eq!(
            r.buffers[0].contents[0],
            Content {
                pattern: b"evil.com".to_vec(),
                nocase: true,
                startswith: true,
                endswith: true,
                ..Content::default()
            }
        );
        assert_eq!(r.msg, "matching TLS denylisted FQDNs");
        assert!(rules[1].buffers[0].dotprefix);
        assert_eq!(rules[2].buffers[0].contents[0].pattern, b"\r\n");
        assert_eq!(rules[1].provenance.location.to_string(), "r.rules:2:1");
    }

    #[test]
    fn headers_with_lists_negation_and_ranges() {
        let rules = parse_rules(
            "r.rules",
            "alert tcp [10.0.0.0/8, !10.1.0.0/16] [1024:,!2000] <> !$HOME_NET [80,443,8000:8100] (sid:7;)",
        )
        .unwrap();
        let r = &rules[0];
        assert_eq!(r.src.to_string(), "[10.0.0.0/8,!10.1.0.0/16]");
        assert_eq!(r.src_ports.to_string(), "[1024:65535,!2000]");
        assert_eq!(r.direction, Direction::Both);
        assert_eq!(r.dst.to_string(), "!$HOME_NET");
        assert_eq!(r.dst_ports.to_string(), "[80,443,8000:8100]");
    }

    #[test]
    fn continuation_lines_comments_and_escapes() {
        let text = "# comment\n\nalert dns any any -> any any (msg:\"a \\\"b\\\"\\; c\"; \\\n  dns_query; content:\"x|2e|com\"; sid:2;)\n";
        let rules = parse_rules("r.rules", text).unwrap();
        assert_eq!(rules[0].msg, "a \"b\"; c");
        assert_eq!(rules[0].buffers[0].contents[0].pattern, b"x.com");
        assert_eq!(rules[0].buffers[0].buffer, Buffer::DnsQuery);
        assert_eq!(rules[0].provenance.location.to_string(), "r.rules:3:1");
    }

    #[test]
    fn every_error_names_the_keyword_and_its_place() {
        let e = errs("alert tls any any -> any any (tls.sni; content:\"a\"; distance:2; sid:1;)");
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].starts_with("r.rules:1:53: error: keyword `distance` is not supported"),
            "{}",
            e[0]
        );
        let e = errs(
            "pass tls any any -> any any (tls.sni; content:\"a\"; sid:1;)\nalert tls any any -> any any (dataset:isset,x; sid:2;)",
        );
        assert!(
            e[0].starts_with("r.rules:2:31: error: keyword `dataset` is not supported by AWS"),
            "{e:?}"
        );
        let e = errs("rejectboth tcp any any -> any any (sid:1;)");
        assert!(e[0].starts_with("r.rules:1:1: error: unsupported action `rejectboth`"), "{e:?}");
        let e = errs("alert ftp any any -> any any (sid:1;)");
        assert!(e[0].starts_with("r.rules:1:7: error: protocol `ftp`"), "{e:?}");
        let e = errs("alert tcp 10.0.0.300 any -> any any (sid:1;)");
        assert!(e[0].starts_with("r.rules:1:11: error: `10.0.0.300` is not an address"), "{e:?}");
        let e = errs("alert tcp any any -> any [80,x] (sid:1;)");
        assert!(e[0].starts_with("r.rules:1:30: error: `x` is not a port"), "{e:?}");
        let e = errs("alert tcp any any -> any any (msg:\"x\";)");
        assert!(e[0].contains("has no `sid`"), "{e:?}");
        let e = errs("alert tcp any any -> any any (sid:1;");
        assert!(e[0].contains("do not end with `)`"), "{e:?}");
        let e =
            errs("alert http any any -> any any (http.host; content:\"ALLCAPS.COM\"; sid:1111;)");
        assert!(
            e[0].contains("A pattern with uppercase characters detected for http.host"),
            "{e:?}"
        );
        let e = errs("alert tls any any -> any any (nocase; sid:1;)");
        assert!(e[0].starts_with("r.rules:1:31: error: `nocase` must follow a `content`"), "{e:?}");
        let e = errs("alert tls any any -> any any (tls.sni; content:\"a\"; dotprefix; sid:1;)");
        assert!(e[0].contains("`dotprefix` must come right after"), "{e:?}");
        let e = errs("alert tcp any any -> any any (content:\"GET\"; sid:1;)");
        assert!(e[0].contains("packet payload"), "{e:?}");
        let e = errs("alert tls any any -> any any (tls.snii; sid:1;)");
        assert!(e[0].contains("did you mean `tls.sni`?"), "{e:?}");
    }

    /// AWS allows `pcre` with a sticky buffer; rulesim evaluates the common
    /// regex subset with Suricata's flags.
    #[test]
    fn pcre_on_sticky_buffers() {
        let rules = parse_rules(
            "t.rules",
            r#"drop tls any any -> any any (tls.sni; content:"example"; pcre:"/^api[0-9]+\.example\.com$/i"; sid:1;)
alert dns any any -> any any (dns.query; pcre:!"/\.internal$/"; sid:2;)"#,
        )
        .unwrap();
        let sni = &rules[0].buffers[0];
        assert!(sni.matches(b"API12.example.com"));
        assert!(!sni.matches(b"www.api12.example.com"));
        assert!(!sni.matches(b"api.example.com"));
        let dns = &rules[1].buffers[0];
        assert!(dns.matches(b"example.com") && !dns.matches(b"db.internal"));

        let e = errs(r#"alert tls any any -> any any (pcre:"/x/"; sid:1;)"#);
        assert!(e[0].contains("`pcre` on the packet payload"), "{e:?}");
        let e = errs(r#"alert tls any any -> any any (tls.sni; pcre:"/x/R"; sid:1;)"#);
        assert!(e[0].contains("flag `R`"), "{e:?}");
        let e = errs(r#"alert tls any any -> any any (tls.sni; pcre:"/(?<=a)b/"; sid:1;)"#);
        assert!(e[0].contains("cannot evaluate"), "{e:?}");
        let e = errs(r#"alert tls any any -> any any (tls.sni; pcre:"x"; sid:1;)"#);
        assert!(e[0].contains("must start with `/`"), "{e:?}");
    }

    #[test]
    fn content_syntax() {
        assert_eq!(
            parse_content("!\"a|3b|b\\\"\"").unwrap(),
            Content { pattern: b"a;b\"".to_vec(), negated: true, ..Content::default() }
        );
        assert!(parse_content("\"a|3|\"").is_err());
        assert!(parse_content("\"a|3b\"").is_err());
        assert!(parse_content("\"\"").is_err());
    }
}
