//! Domain names at the boundary: one place where every name enters.
//!
//! Names reach rulesim from two sides. *Targets* are what a policy author
//! wrote in a domain list (`.wikipedia.org`); *observed* names are what a
//! client put on the wire (a TLS SNI, an HTTP `Host` header, a DNS question)
//! or what a user typed on the command line. Both go through this module, and
//! every function here reports what it changed, because an unexplained
//! difference between what was written and what was matched is exactly the
//! kind of surprise rulesim exists to remove.
//!
//! The two sides are deliberately not treated alike. Targets are cleaned up
//! (lower-cased, IDN converted to punycode) or rejected with a fix. Observed
//! names are turned into the *buffer* Suricata inspects, which keeps some
//! quirks AWS does not hide from you:
//!
//! * TLS SNI: the raw bytes. Generated TLS rules carry `nocase`, so case does
//!   not matter for them, but a trailing dot is kept and then matches nothing.
//! * HTTP Host: lower-cased and the port removed (Suricata's `http.host`), a
//!   trailing dot kept.
//! * DNS query: the name without its root dot, case kept (`dns.query`).

use std::fmt;

use serde::Serialize;

/// The longest name DNS allows, in bytes, without the root dot.
pub const MAX_NAME_LEN: usize = 253;
/// The longest label DNS allows, in bytes.
pub const MAX_LABEL_LEN: usize = 63;

/// Something normalisation did to a name, or noticed about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Change {
    /// Upper-case ASCII letters were lower-cased.
    Lowercased,
    /// The name had upper-case letters; they were kept (TLS SNI, DNS).
    MixedCase,
    /// Unicode labels were converted to their `xn--` form.
    Punycode,
    /// A `:port` suffix was removed (HTTP Host).
    PortStripped,
    /// The name ends with a dot; AWS does not strip it, so it matches no list entry.
    TrailingDot,
    /// Trailing dots were removed (the host of an absolute-form HTTP
    /// request target, which libhtp normalises).
    TrailingDotRemoved,
    /// The name is an IP address, not a domain name.
    IpLiteral,
    /// The name holds bytes that are not printable ASCII.
    NonAscii,
    /// The name is empty.
    Empty,
}

impl Change {
    const ALL: [Change; 9] = [
        Change::Lowercased,
        Change::MixedCase,
        Change::Punycode,
        Change::PortStripped,
        Change::TrailingDot,
        Change::TrailingDotRemoved,
        Change::IpLiteral,
        Change::NonAscii,
        Change::Empty,
    ];

    fn bit(self) -> u16 {
        1 << (self as u16)
    }

    /// A short human description.
    pub fn describe(self) -> &'static str {
        match self {
            Change::Lowercased => "lower-cased",
            Change::MixedCase => "has upper-case letters (kept)",
            Change::Punycode => "converted to punycode",
            Change::PortStripped => "port removed",
            Change::TrailingDot => "trailing dot (AWS does not strip it; matches no list entry)",
            Change::TrailingDotRemoved => "trailing dot removed (request-target host)",
            Change::IpLiteral => "IP address, not a name",
            Change::NonAscii => "non-ASCII bytes",
            Change::Empty => "empty",
        }
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// The set of [`Change`]s applied to one name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Changes(u16);

impl Changes {
    /// Adds `change`.
    pub fn insert(&mut self, change: Change) {
        self.0 |= change.bit();
    }

    /// Whether `change` is in the set.
    pub fn contains(self, change: Change) -> bool {
        self.0 & change.bit() != 0
    }

    /// Whether nothing was changed or noticed.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The changes, in a fixed order.
    pub fn iter(self) -> impl Iterator<Item = Change> {
        Change::ALL.into_iter().filter(move |c| self.contains(*c))
    }
}

impl Serialize for Changes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl fmt::Display for Changes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, change) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{change}")?;
        }
        Ok(())
    }
}

/// Why a target is not a valid Network Firewall domain-list entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NameErrorKind {
    /// Nothing (or only a dot) was written.
    Empty,
    /// `*.example.com`: DNS Firewall syntax.
    Wildcard,
    /// Two dots in a row, or a dot at an unexpected place.
    EmptyLabel,
    /// White space inside the name.
    Space,
    /// `https://...`: a URL, not a name.
    Scheme,
    /// `example.com/path`.
    Path,
    /// `example.com:443`.
    Port,
    /// `example.com.`.
    TrailingDot,
    /// A label longer than 63 bytes.
    LabelTooLong,
    /// A name longer than 253 bytes.
    NameTooLong,
    /// A character that cannot appear in a host name.
    BadCharacter,
    /// A Unicode name that IDNA cannot convert.
    BadIdn,
}

/// A rejected target, with the fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameError {
    kind: NameErrorKind,
    column: u32,
    message: String,
    hint: String,
}

impl NameError {
    fn new(kind: NameErrorKind, column: usize, message: String, hint: String) -> NameError {
        NameError { kind, column: u32::try_from(column).unwrap_or(u32::MAX), message, hint }
    }

    /// What is wrong.
    pub fn kind(&self) -> NameErrorKind {
        self.kind
    }

    /// 0-based character offset of the problem within the name as written.
    pub fn column(&self) -> u32 {
        self.column
    }

    /// One-line description.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// What to write instead.
    pub fn hint(&self) -> &str {
        &self.hint
    }
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (help: {})", self.message, self.hint)
    }
}

impl std::error::Error for NameError {}

/// A domain-list entry after normalisation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TargetName {
    /// The name without its leading dot: lower-case ASCII, IDN in punycode.
    pub name: String,
    /// Whether it was written with a leading dot (`.example.com`): the apex
    /// and every subdomain match, not only the name itself.
    pub leading_dot: bool,
    /// What normalisation changed.
    pub changes: Changes,
}

impl TargetName {
    /// The entry as Network Firewall would see it: `.` + name for leading-dot entries.
    pub fn to_aws(&self) -> String {
        if self.leading_dot { format!(".{}", self.name) } else { self.name.clone() }
    }

    /// Whether an observed name, already in normalised form (lower-case, no
    /// trailing dot), matches this entry: equality, or for leading-dot
    /// entries a label-boundary suffix. This is the definition the compiled
    /// matcher is tested against.
    pub fn matches(&self, observed: &str) -> bool {
        if observed == self.name {
            return true;
        }
        self.leading_dot
            && observed.len() > self.name.len()
            && observed.ends_with(self.name.as_str())
            && observed.as_bytes()[observed.len() - self.name.len() - 1] == b'.'
    }
}

/// Parses one domain-list entry as written by a person (`.example.com`,
/// `api.example.com`) and normalises it: ASCII lower case, Unicode labels to
/// punycode. Everything Network Firewall would take literally but can never
/// match (`*.example.com`, a URL, a trailing dot, spaces) is rejected with the
/// fix.
pub fn parse_target(text: &str) -> Result<TargetName, NameError> {
    let mut changes = Changes::default();
    if let Some(error) = foreign_syntax(text) {
        return Err(error);
    }
    let (leading_dot, rest) = match text.strip_prefix('.') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let offset = usize::from(leading_dot);
    if rest.is_empty() {
        return Err(NameError::new(
            NameErrorKind::Empty,
            0,
            "empty domain name".into(),
            "write a name such as `.example.com` (the apex and its subdomains) or `api.example.com`"
                .into(),
        ));
    }
    if rest.ends_with('.') {
        return Err(NameError::new(
            NameErrorKind::TrailingDot,
            text.chars().count() - 1,
            format!("`{text}` ends with a dot"),
            format!(
                "Network Firewall compares names literally and clients do not send the root dot; write `{}`",
                text.trim_end_matches('.')
            ),
        ));
    }
    let ascii = if rest.is_ascii() {
        if rest.bytes().any(|b| b.is_ascii_uppercase()) {
            changes.insert(Change::Lowercased);
        }
        rest.to_ascii_lowercase()
    } else {
        match idna::domain_to_ascii(rest) {
            Ok(converted) => {
                changes.insert(Change::Punycode);
                converted
            }
            Err(_) => {
                return Err(NameError::new(
                    NameErrorKind::BadIdn,
                    offset,
                    format!("`{text}` is not a valid internationalised domain name"),
                    "write the name in its `xn--` (punycode) form".into(),
                ));
            }
        }
    };
    check_labels(&ascii, text, offset)?;
    if is_ip_literal(&ascii) {
        changes.insert(Change::IpLiteral);
    }
    Ok(TargetName { name: ascii, leading_dot, changes })
}

/// Recognises syntax from other tools (DNS Firewall wildcards, URLs, ports)
/// and says what Network Firewall wants instead.
fn foreign_syntax(text: &str) -> Option<NameError> {
    if let Some(position) = text.find(char::is_whitespace) {
        return Some(NameError::new(
            NameErrorKind::Space,
            text[..position].chars().count(),
            format!("`{text}` contains white space"),
            "write one name per entry, without spaces".into(),
        ));
    }
    if let Some(position) = text.find("://") {
        let host = text[position + 3..].split(['/', ':']).next().unwrap_or("");
        return Some(NameError::new(
            NameErrorKind::Scheme,
            0,
            format!("`{text}` is a URL, not a domain name"),
            format!(
                "domain lists match the host name only; write `{host}` (or `.{host}` to include subdomains)"
            ),
        ));
    }
    if let Some(position) = text.find('*') {
        let rest = text.trim_start_matches(['*', '.']);
        return Some(NameError::new(
            NameErrorKind::Wildcard,
            text[..position].chars().count(),
            format!("`{text}` uses a `*` wildcard"),
            format!(
                "`*.` is DNS Firewall syntax; Network Firewall writes `.{rest}`, which also matches the apex `{rest}`"
            ),
        ));
    }
    if let Some(position) = text.find('/') {
        return Some(NameError::new(
            NameErrorKind::Path,
            text[..position].chars().count(),
            format!("`{text}` has a path"),
            format!(
                "domain lists see only the host name; write `{}` (URL filtering needs TLS inspection and `http.uri` rules)",
                &text[..position]
            ),
        ));
    }
    if let Some(position) = text.rfind(':') {
        let port = &text[position + 1..];
        if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) {
            return Some(NameError::new(
                NameErrorKind::Port,
                text[..position].chars().count(),
                format!("`{text}` has a port"),
                format!(
                    "domain lists match any port; write `{}` and restrict ports with a rule if needed",
                    &text[..position]
                ),
            ));
        }
    }
    None
}

fn check_labels(name: &str, written: &str, offset: usize) -> Result<(), NameError> {
    if name.len() > MAX_NAME_LEN {
        return Err(NameError::new(
            NameErrorKind::NameTooLong,
            offset,
            format!(
                "`{written}` is {} bytes long; DNS names have at most {MAX_NAME_LEN}",
                name.len()
            ),
            "shorten the name; no client can send it".into(),
        ));
    }
    let mut column = offset;
    for label in name.split('.') {
        if label.is_empty() {
            return Err(NameError::new(
                NameErrorKind::EmptyLabel,
                column,
                format!("`{written}` has an empty label (two dots in a row)"),
                "remove the extra dot; a single leading dot already means \"and every subdomain\""
                    .into(),
            ));
        }
        if label.len() > MAX_LABEL_LEN {
            return Err(NameError::new(
                NameErrorKind::LabelTooLong,
                column,
                format!(
                    "a label of `{written}` is {} bytes long; DNS allows {MAX_LABEL_LEN}",
                    label.len()
                ),
                "shorten the label; no client can send it".into(),
            ));
        }
        if let Some(i) =
            label.bytes().position(|b| !(b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        {
            let bad = label[i..].chars().next().unwrap_or('?');
            return Err(NameError::new(
                NameErrorKind::BadCharacter,
                column + i,
                format!("`{written}` contains `{bad}`, which cannot appear in a host name"),
                "host names use letters, digits, `-` and `_` between dots".into(),
            ));
        }
        column += label.len() + 1;
    }
    Ok(())
}

fn is_ip_literal(name: &str) -> bool {
    // Addresses are made of hex digits, dots and colons: most names fail
    // this at their first letter, before the parser is tried.
    name.bytes().all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b':')
        && name.parse::<std::net::IpAddr>().is_ok()
}

/// Where an observed name was seen; decides how it becomes a match buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NameSource {
    /// The `server_name` of a TLS ClientHello (`tls.sni`).
    TlsSni,
    /// The HTTP `Host` header or absolute-form request target (`http.host`).
    HttpHost,
    /// A DNS question name (`dns.query`).
    DnsQuery,
}

/// An observed name turned into the buffer Suricata would inspect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observed {
    /// The bytes rules are matched against.
    pub buffer: Vec<u8>,
    /// What was changed on the way, or noticed about it.
    pub changes: Changes,
}

impl Observed {
    /// The buffer as text (lossy for non-UTF-8 bytes).
    pub fn display(&self) -> String {
        String::from_utf8_lossy(&self.buffer).into_owned()
    }
}

/// Turns a name seen on the wire into the buffer AWS matches, exactly as
/// Suricata builds it for `source`.
pub fn observe(source: NameSource, raw: &[u8]) -> Observed {
    let mut changes = Changes::default();
    let buffer = match source {
        NameSource::TlsSni => raw.to_vec(),
        NameSource::HttpHost => http_host(raw, &mut changes),
        NameSource::DnsQuery => raw.strip_suffix(b".").unwrap_or(raw).to_vec(),
    };
    note_shape(&buffer, &mut changes);
    Observed { buffer, changes }
}

/// The `http.host` buffer of an absolute-form or CONNECT request target's
/// authority (`GET http://Example.COM.:8080/ HTTP/1.1`). It is built as
/// from a Host header, and libhtp also removes trailing dots from a URI's
/// host (`htp_normalize_hostname_inplace`, applied to the parsed URI but not
/// to the Host header), so `example.com.` here matches `.example.com`.
pub fn observe_uri_host(raw: &[u8]) -> Observed {
    let mut changes = Changes::default();
    let mut buffer = http_host(raw, &mut changes);
    if buffer.ends_with(b".") {
        changes.insert(Change::TrailingDotRemoved);
        while buffer.pop_if(|b| *b == b'.').is_some() {}
    }
    note_shape(&buffer, &mut changes);
    Observed { buffer, changes }
}

/// A Host value lower-cased, without its port.
fn http_host(raw: &[u8], changes: &mut Changes) -> Vec<u8> {
    let host = strip_port(raw, changes);
    if host.iter().any(u8::is_ascii_uppercase) {
        changes.insert(Change::Lowercased);
    }
    host.to_ascii_lowercase()
}

/// Turns a name a person typed (`rulesim check Bücher.example`) into the
/// buffer AWS would match for `source`, converting Unicode to punycode first
/// as a client would.
pub fn observe_typed(source: NameSource, text: &str) -> Observed {
    let text = text.trim();
    if text.is_ascii() {
        return observe(source, text.as_bytes());
    }
    let trailing_dot = text.ends_with('.');
    let host = text.trim_end_matches('.');
    match idna::domain_to_ascii(host) {
        Ok(mut ascii) => {
            if trailing_dot {
                ascii.push('.');
            }
            let mut observed = observe(source, ascii.as_bytes());
            observed.changes.insert(Change::Punycode);
            observed
        }
        Err(_) => observe(source, text.as_bytes()),
    }
}

fn strip_port<'a>(raw: &'a [u8], changes: &mut Changes) -> &'a [u8] {
    if raw.first() == Some(&b'[') {
        if let Some(end) = raw.iter().position(|&b| b == b']') {
            if raw.len() > end + 1 {
                changes.insert(Change::PortStripped);
            }
            return &raw[..=end];
        }
        return raw;
    }
    match raw.iter().rposition(|&b| b == b':') {
        Some(colon) if !raw[..colon].contains(&b':') => {
            changes.insert(Change::PortStripped);
            &raw[..colon]
        }
        _ => raw,
    }
}

fn note_shape(buffer: &[u8], changes: &mut Changes) {
    let Some(&last) = buffer.last() else {
        changes.insert(Change::Empty);
        return;
    };
    if last == b'.' {
        changes.insert(Change::TrailingDot);
    }
    // One pass over the name (every ClientHello and request has one).
    let (mut upper, mut unprintable, mut address_bytes) = (false, false, true);
    for &b in buffer {
        upper |= b.is_ascii_uppercase();
        unprintable |= !b.is_ascii_graphic();
        address_bytes &= b.is_ascii_hexdigit() || matches!(b, b'.' | b':' | b'[' | b']');
    }
    if upper {
        changes.insert(Change::MixedCase);
    }
    if unprintable {
        changes.insert(Change::NonAscii);
    }
    if address_bytes {
        let text = std::str::from_utf8(buffer).unwrap_or("");
        if is_ip_literal(text.trim_start_matches('[').trim_end_matches(']')) {
            changes.insert(Change::IpLiteral);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_normalise_and_report() {
        let t = parse_target(".Wikipedia.ORG").unwrap();
        assert_eq!((t.name.as_str(), t.leading_dot), ("wikipedia.org", true));
        assert!(t.changes.contains(Change::Lowercased));
        let t = parse_target("bücher.example").unwrap();
        assert_eq!(t.name, "xn--bcher-kva.example");
        assert!(t.changes.contains(Change::Punycode));
        let t = parse_target("10.0.0.1").unwrap();
        assert!(t.changes.contains(Change::IpLiteral));
    }

    #[test]
    fn request_target_hosts_lose_trailing_dots_host_headers_keep_them() {
        let uri = observe_uri_host(b"Example.COM..:8080");
        assert_eq!(uri.buffer, b"example.com");
        assert!(uri.changes.contains(Change::TrailingDotRemoved));
        assert!(uri.changes.contains(Change::PortStripped));
        assert!(!uri.changes.contains(Change::TrailingDot));
        assert_eq!(observe_uri_host(b"twitter.com").buffer, b"twitter.com");
        assert!(observe_uri_host(b"twitter.com").changes.is_empty());
        let header = observe(NameSource::HttpHost, b"Example.COM.:8080");
        assert_eq!(header.buffer, b"example.com.");
        assert!(header.changes.contains(Change::TrailingDot));
    }

    #[test]
    fn foreign_syntax_is_rejected_with_the_fix() {
        let cases = [
            ("*.example.com", NameErrorKind::Wildcard, 0, ".example.com"),
            ("**.example.com", NameErrorKind::Wildcard, 0, ".example.com"),
            ("a.*.example.com", NameErrorKind::Wildcard, 2, "Network Firewall"),
            ("https://example.com/x", NameErrorKind::Scheme, 0, "`example.com`"),
            ("example.com/path", NameErrorKind::Path, 11, "`example.com`"),
            ("example.com:443", NameErrorKind::Port, 11, "`example.com`"),
            ("example.com.", NameErrorKind::TrailingDot, 11, "`example.com`"),
            ("exa mple.com", NameErrorKind::Space, 3, "spaces"),
            ("..example.com", NameErrorKind::EmptyLabel, 1, "extra dot"),
            ("a..b", NameErrorKind::EmptyLabel, 2, "extra dot"),
            ("", NameErrorKind::Empty, 0, ".example.com"),
            (".", NameErrorKind::Empty, 0, ".example.com"),
            ("ex!ample.com", NameErrorKind::BadCharacter, 2, "letters"),
        ];
        for (text, kind, column, hint) in cases {
            let error = parse_target(text).unwrap_err();
            assert_eq!(error.kind(), kind, "{text}");
            assert_eq!(error.column(), column, "{text}");
            assert!(error.hint().contains(hint), "{text}: {}", error.hint());
        }
        let long_label = format!("{}.com", "a".repeat(64));
        assert_eq!(parse_target(&long_label).unwrap_err().kind(), NameErrorKind::LabelTooLong);
        let long_name = vec!["a".repeat(60); 5].join(".");
        assert_eq!(parse_target(&long_name).unwrap_err().kind(), NameErrorKind::NameTooLong);
    }

    #[test]
    fn leading_dot_truth_table() {
        let dotted = parse_target(".example.com").unwrap();
        let exact = parse_target("example.com").unwrap();
        for (observed, d, e) in [
            ("example.com", true, true),
            ("www.example.com", true, false),
            ("a.b.c.example.com", true, false),
            ("badexample.com", false, false),
            ("example.com.evil.net", false, false),
            ("example.com.", false, false),
            ("", false, false),
        ] {
            assert_eq!(dotted.matches(observed), d, ".example.com vs {observed}");
            assert_eq!(exact.matches(observed), e, "example.com vs {observed}");
        }
    }

    #[test]
    fn observed_buffers_follow_suricata() {
        let sni = observe(NameSource::TlsSni, b"EXAMPLE.com.");
        assert_eq!(sni.buffer, b"EXAMPLE.com.");
        assert!(sni.changes.contains(Change::MixedCase));
        assert!(sni.changes.contains(Change::TrailingDot));

        let host = observe(NameSource::HttpHost, b"Example.COM:8080");
        assert_eq!(host.buffer, b"example.com");
        assert!(host.changes.contains(Change::PortStripped));
        assert!(host.changes.contains(Change::Lowercased));

        let v6 = observe(NameSource::HttpHost, b"[fd00:200::2]:8080");
        assert_eq!(v6.buffer, b"[fd00:200::2]");
        assert!(v6.changes.contains(Change::IpLiteral));

        let dns = observe(NameSource::DnsQuery, b"WwW.WiKiPeDiA.oRg.");
        assert_eq!(dns.buffer, b"WwW.WiKiPeDiA.oRg");
        assert!(dns.changes.contains(Change::MixedCase));
        assert!(!dns.changes.contains(Change::TrailingDot));

        let typed = observe_typed(NameSource::TlsSni, "bücher.example");
        assert_eq!(typed.buffer, b"xn--bcher-kva.example");
        assert!(typed.changes.contains(Change::Punycode));
    }
}
