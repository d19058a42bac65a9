//! TLS ClientHello extraction.
//!
//! A ClientHello may be split across TLS records (OpenSSL `-max_send_frag`)
//! and across TCP segments (post-quantum key shares make it ~2 KB). The
//! TCP layer hands this module the reassembled to-server byte stream;
//! [`TlsClientStream`] undoes the record layer, collects the handshake
//! bytes and, once a ClientHello message is complete, parses it with the
//! `tls-parser` crate. The extensions are walked here so that every
//! extension type (GREASE, ECH, unknown ones) is seen for the fingerprint.
//!
//! After a HelloRetryRequest the client sends a second ClientHello on the
//! same connection; both are reported.

use sha2::{Digest, Sha256};
use tls_parser::{TlsMessage, TlsMessageHandshake};

/// Largest handshake message collected (the ClientHello limit).
const MAX_HANDSHAKE: usize = 64 * 1024;

/// Extension type numbers this crate interprets.
pub mod ext {
    /// server_name.
    pub const SERVER_NAME: u16 = 0;
    /// supported_groups.
    pub const SUPPORTED_GROUPS: u16 = 10;
    /// signature_algorithms.
    pub const SIGNATURE_ALGORITHMS: u16 = 13;
    /// application_layer_protocol_negotiation.
    pub const ALPN: u16 = 16;
    /// supported_versions.
    pub const SUPPORTED_VERSIONS: u16 = 43;
    /// key_share.
    pub const KEY_SHARE: u16 = 51;
    /// encrypted_client_hello.
    pub const ECH: u16 = 0xfe0d;
}

/// Named group code points of interest.
pub mod group {
    /// X25519MLKEM768 (post-quantum hybrid, standard code point).
    pub const X25519_MLKEM768: u16 = 0x11ec;
    /// X25519Kyber768Draft00 (pre-standard hybrid).
    pub const X25519_KYBER768_DRAFT: u16 = 0x6399;
}

/// Whether a 16-bit value is a GREASE value (RFC 8701).
pub fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && (v >> 8) == (v & 0xff)
}

/// What the ECH extension of a ClientHello says.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EchOffer {
    /// True when the offer looks like GREASE ECH (an outer ECH whose
    /// payload size is one BoringSSL/Chrome uses for GREASE). Nobody on the
    /// path can know for sure without the server's keys, and real ECH pads
    /// to the same sizes, so this is a heuristic: real ECH (e.g. Zeek's
    /// `tls13-ech.pcap`) is also reported as GREASE. Match `config_id`
    /// against the ECH configs of DNS HTTPS answers to know better.
    pub grease: bool,
    /// ECH ClientHello type byte (0 = outer, 1 = inner).
    pub kind: u8,
    /// The config_id byte (outer ECH only).
    pub config_id: u8,
    /// Length of the encrypted payload.
    pub payload_len: usize,
}

/// The 16-bit lists of a ClientHello, in the order they are stored.
const LISTS: usize = 6;
const CIPHER_SUITES: usize = 0;
const EXTENSIONS: usize = 1;
const SUPPORTED_VERSIONS: usize = 2;
const KEY_SHARE_GROUPS: usize = 3;
const SUPPORTED_GROUPS: usize = 4;
const SIGNATURE_ALGORITHMS: usize = 5;

/// The parts of a ClientHello a domain firewall and a fingerprint need.
///
/// Every connection has one, so it is kept to three allocations: the
/// server name (which consumers keep), the ALPN list as sent, and all the
/// 16-bit lists back to back, read through the methods below. When an
/// extension appears twice (which RFC 8446 forbids), the first one counts,
/// as in Suricata (which raises `tls.multiple_sni_extensions` and keeps the
/// first server name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHello {
    /// Legacy version field of the ClientHello body.
    pub legacy_version: u16,
    /// Server name as raw bytes, exactly as sent (case and trailing dot
    /// kept). `None` when the extension is absent or holds no host name.
    /// With ECH this is the outer (public) name only.
    pub sni: Option<Vec<u8>>,
    /// ECH offer, when the extension is present.
    pub ech: Option<EchOffer>,
    /// The ALPN extension's protocol name list (length-prefixed names).
    alpn: Vec<u8>,
    /// The lists named by the constants above, back to back.
    lists: Vec<u16>,
    /// Where each list ends in `lists`.
    ends: [u32; LISTS],
}

impl ClientHello {
    fn list(&self, which: usize) -> &[u16] {
        let start = if which == 0 { 0 } else { self.ends[which - 1] as usize };
        self.lists.get(start..self.ends[which] as usize).unwrap_or(&[])
    }

    /// ALPN protocol names, in order.
    pub fn alpn(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let mut rest = &self.alpn[..];
        std::iter::from_fn(move || {
            let (&n, tail) = rest.split_first()?;
            let name = tail.get(..usize::from(n))?;
            rest = &tail[name.len()..];
            Some(name)
        })
    }

    /// Cipher suites, in order (GREASE included).
    pub fn cipher_suites(&self) -> &[u16] {
        self.list(CIPHER_SUITES)
    }

    /// Extension types, in order (GREASE and repeats included).
    pub fn extensions(&self) -> &[u16] {
        self.list(EXTENSIONS)
    }

    /// supported_versions entries (GREASE included), in order.
    pub fn supported_versions(&self) -> &[u16] {
        self.list(SUPPORTED_VERSIONS)
    }

    /// Named groups of the key_share entries, in order.
    pub fn key_share_groups(&self) -> &[u16] {
        self.list(KEY_SHARE_GROUPS)
    }

    /// supported_groups entries, in order.
    pub fn supported_groups(&self) -> &[u16] {
        self.list(SUPPORTED_GROUPS)
    }

    /// signature_algorithms entries, in order.
    pub fn signature_algorithms(&self) -> &[u16] {
        self.list(SIGNATURE_ALGORITHMS)
    }

    /// The highest non-GREASE version offered (supported_versions, else the
    /// legacy version).
    pub fn max_version(&self) -> u16 {
        self.supported_versions()
            .iter()
            .copied()
            .filter(|v| !is_grease(*v))
            .max()
            .unwrap_or(self.legacy_version)
    }

    /// True when any cipher suite, extension, group or version is GREASE.
    pub fn has_grease(&self) -> bool {
        self.cipher_suites()
            .iter()
            .chain(self.extensions())
            .chain(self.supported_groups())
            .chain(self.supported_versions())
            .any(|v| is_grease(*v))
    }

    /// True when a key share uses a post-quantum hybrid group.
    pub fn has_post_quantum_key_share(&self) -> bool {
        self.key_share_groups()
            .iter()
            .any(|g| matches!(*g, group::X25519_MLKEM768 | group::X25519_KYBER768_DRAFT))
    }

    /// A JA4 fingerprint (FoxIO JA4 definition). `quic` selects the `q`
    /// transport prefix.
    pub fn ja4(&self, quic: bool) -> String {
        let version = match self.max_version() {
            0x0304 => "13",
            0x0303 => "12",
            0x0302 => "11",
            0x0301 => "10",
            0x0300 => "s3",
            0x0002 => "s2",
            0xfeff => "d1",
            0xfefd => "d2",
            0xfefc => "d3",
            _ => "00",
        };
        let ciphers: Vec<u16> =
            self.cipher_suites().iter().copied().filter(|v| !is_grease(*v)).collect();
        let exts: Vec<u16> = self.extensions().iter().copied().filter(|v| !is_grease(*v)).collect();
        let alpn = match self.alpn().next() {
            Some(a) if !a.is_empty() => {
                let f = a[0];
                let l = a[a.len() - 1];
                if f.is_ascii_alphanumeric() && l.is_ascii_alphanumeric() {
                    format!("{}{}", f as char, l as char)
                } else {
                    let h = crate::capture::hex(&[f, l]);
                    format!("{}{}", &h[..1], &h[3..])
                }
            }
            _ => "00".to_owned(),
        };
        let a = format!(
            "{}{}{}{:02}{:02}{}",
            if quic { 'q' } else { 't' },
            version,
            if self.sni.is_some() { 'd' } else { 'i' },
            ciphers.len().min(99),
            exts.len().min(99),
            alpn
        );
        let mut sorted_c = ciphers;
        sorted_c.sort_unstable();
        let mut sorted_e: Vec<u16> =
            exts.into_iter().filter(|e| *e != ext::SERVER_NAME && *e != ext::ALPN).collect();
        sorted_e.sort_unstable();
        let list = |v: &[u16]| v.iter().map(|x| format!("{x:04x}")).collect::<Vec<_>>().join(",");
        let b = truncated_sha256(&list(&sorted_c));
        let mut c_in = list(&sorted_e);
        if !self.signature_algorithms().is_empty() {
            c_in.push('_');
            c_in.push_str(list(self.signature_algorithms()).as_str());
        }
        let c = truncated_sha256(&c_in);
        format!("{a}_{b}_{c}")
    }
}

/// Serialised with every list spelled out, as a struct of plain fields.
impl serde::Serialize for ClientHello {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("ClientHello", 10)?;
        s.serialize_field("legacy_version", &self.legacy_version)?;
        s.serialize_field("sni", &self.sni)?;
        s.serialize_field("alpn", &self.alpn().collect::<Vec<_>>())?;
        s.serialize_field("supported_versions", self.supported_versions())?;
        s.serialize_field("cipher_suites", self.cipher_suites())?;
        s.serialize_field("extensions", self.extensions())?;
        s.serialize_field("key_share_groups", self.key_share_groups())?;
        s.serialize_field("supported_groups", self.supported_groups())?;
        s.serialize_field("signature_algorithms", self.signature_algorithms())?;
        s.serialize_field("ech", &self.ech)?;
        s.end()
    }
}

fn truncated_sha256(s: &str) -> String {
    if s.is_empty() {
        return "000000000000".to_owned();
    }
    let d = Sha256::digest(s.as_bytes());
    crate::capture::hex(&d[..6])
}

/// Why a ClientHello could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HelloError {
    /// More bytes are needed.
    Incomplete,
    /// Not a well-formed ClientHello.
    Malformed,
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn u16s(b: &[u8]) -> impl Iterator<Item = u16> + '_ {
    b.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]]))
}

/// Walks `(type, body)` extensions; `None` at the end, `Some(Err)` when the
/// framing is broken.
fn extensions(mut rest: &[u8]) -> impl Iterator<Item = Result<(u16, &[u8]), HelloError>> {
    std::iter::from_fn(move || {
        if rest.len() < 4 {
            return None;
        }
        let ty = u16::from_be_bytes([rest[0], rest[1]]);
        let len = usize::from(u16::from_be_bytes([rest[2], rest[3]]));
        let Some(body) = rest.get(4..4 + len) else {
            rest = &[];
            return Some(Err(HelloError::Malformed));
        };
        rest = &rest[4 + len..];
        Some(Ok((ty, body)))
    })
}

/// The named groups of a key_share extension's entries.
fn key_share_groups(body: &[u8]) -> impl Iterator<Item = u16> + '_ {
    let mut l = body.get(2..).unwrap_or(&[]);
    std::iter::from_fn(move || {
        let (g, n) = (be16(l, 0)?, be16(l, 2)?);
        l = l.get(4 + usize::from(n)..).unwrap_or(&[]);
        Some(g)
    })
}

/// Parses one complete handshake message (4-byte header included) that
/// must be a ClientHello.
pub fn parse_client_hello(msg: &[u8]) -> Result<ClientHello, HelloError> {
    let parsed = match tls_parser::parse_tls_message_handshake(msg) {
        Ok((_, TlsMessage::Handshake(TlsMessageHandshake::ClientHello(ch)))) => ch,
        Err(tls_parser::nom::Err::Incomplete(_)) => return Err(HelloError::Incomplete),
        _ => return Err(HelloError::Malformed),
    };
    let raw_extensions = parsed.ext.unwrap_or(&[]);
    // First pass: check the framing, count the extensions and keep the
    // first body of each kind read here.
    let mut count = 0;
    let mut sni = None;
    let mut first: [Option<&[u8]>; LISTS] = [None; LISTS];
    let (mut alpn, mut ech) = (None, None);
    for e in extensions(raw_extensions) {
        let (ty, body) = e?;
        count += 1;
        let slot = match ty {
            // Suricata keeps the first extension that names a host.
            ext::SERVER_NAME if sni.is_none() => {
                sni = parse_sni(body);
                continue;
            }
            ext::ALPN => &mut alpn,
            ext::ECH => &mut ech,
            ext::SUPPORTED_VERSIONS => &mut first[SUPPORTED_VERSIONS],
            ext::KEY_SHARE => &mut first[KEY_SHARE_GROUPS],
            ext::SUPPORTED_GROUPS => &mut first[SUPPORTED_GROUPS],
            ext::SIGNATURE_ALGORITHMS => &mut first[SIGNATURE_ALGORITHMS],
            _ => continue,
        };
        slot.get_or_insert(body);
    }
    // Second pass: every list into one buffer of the exact size.
    let body = |which: usize, skip: usize| first[which].and_then(|b| b.get(skip..)).unwrap_or(&[]);
    let key_shares = first[KEY_SHARE_GROUPS].unwrap_or(&[]);
    let capacity = parsed.ciphers.len()
        + count
        + body(SUPPORTED_VERSIONS, 1).len() / 2
        + key_share_groups(key_shares).count()
        + body(SUPPORTED_GROUPS, 2).len() / 2
        + body(SIGNATURE_ALGORITHMS, 2).len() / 2;
    let mut lists = Vec::with_capacity(capacity);
    let mut ends = [0u32; LISTS];
    for (which, end) in ends.iter_mut().enumerate() {
        match which {
            CIPHER_SUITES => lists.extend(parsed.ciphers.iter().map(|c| c.0)),
            EXTENSIONS => lists.extend(extensions(raw_extensions).flatten().map(|(ty, _)| ty)),
            SUPPORTED_VERSIONS => lists.extend(u16s(body(which, 1))),
            KEY_SHARE_GROUPS => lists.extend(key_share_groups(key_shares)),
            _ => lists.extend(u16s(body(which, 2))),
        }
        *end = lists.len() as u32;
    }
    Ok(ClientHello {
        legacy_version: parsed.version.0,
        sni,
        ech: ech.map(parse_ech),
        alpn: alpn.and_then(|b| b.get(2..)).unwrap_or(&[]).to_vec(),
        lists,
        ends,
    })
}

fn parse_sni(data: &[u8]) -> Option<Vec<u8>> {
    let mut l = data.get(2..)?;
    while l.len() >= 3 {
        let ty = l[0];
        let n = usize::from(u16::from_be_bytes([l[1], l[2]]));
        let name = l.get(3..3 + n)?;
        if ty == 0 {
            return Some(name.to_vec());
        }
        l = &l[3 + n..];
    }
    None
}

/// ECH GREASE as sent by Chrome/BoringSSL uses these payload sizes
/// (128 + multiples of 32 minus the 16-byte tag); a real ECH payload is the
/// padded inner ClientHello. Without the client's key material nobody on
/// the path can know, so this is a heuristic and documented as such.
fn parse_ech(data: &[u8]) -> EchOffer {
    let kind = data.first().copied().unwrap_or(0);
    // outer: type(1) kdf(2) aead(2) config_id(1) enc<2> payload<2>
    let enc_len = usize::from(be16(data, 6).unwrap_or(0));
    let payload_len = usize::from(be16(data, 8 + enc_len).unwrap_or(0));
    let grease = kind == 0 && matches!(payload_len, 144 | 176 | 208 | 240);
    let config_id = data.get(5).copied().unwrap_or(0);
    EchOffer { grease, kind, config_id, payload_len }
}

/// One ClientHello found in a to-server TLS stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamHello {
    /// The parsed ClientHello.
    pub hello: ClientHello,
    /// Number of TLS records that carried it.
    pub records: u32,
}

/// Progress of the to-server TLS record parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamState {
    /// Waiting for more records.
    Reading,
    /// Nothing more of interest can follow (encrypted data, or two
    /// ClientHellos seen).
    Done,
    /// The stream is not TLS or is damaged.
    Malformed,
}

/// Record-layer parser for the client's side of a TLS connection.
#[derive(Debug, Clone, Default)]
pub struct TlsClientStream {
    handshake: Vec<u8>,
    records_in_msg: u32,
    hellos: u32,
    after_ccs: bool,
    finished: Option<StreamState>,
}

impl TlsClientStream {
    /// A parser at the start of a connection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of ClientHellos found so far.
    pub fn hellos(&self) -> u32 {
        self.hellos
    }

    /// Consumes complete records from the front of `buf`, pushing every
    /// completed ClientHello into `out`. Returns the number of bytes
    /// consumed and the parser state.
    pub fn feed(&mut self, buf: &[u8], out: &mut Vec<StreamHello>) -> (usize, StreamState) {
        let mut used = 0;
        loop {
            if let Some(s) = self.finished {
                return (buf.len(), s);
            }
            let rest = &buf[used..];
            if rest.len() < 5 {
                return (used, StreamState::Reading);
            }
            let ty = rest[0];
            let len = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
            if rest[1] != 3 && !(rest[1] == 2 && rest[2] == 0) || len > 16384 + 2048 {
                self.finished = Some(StreamState::Malformed);
                continue;
            }
            if rest.len() < 5 + len {
                return (used, StreamState::Reading);
            }
            let payload = &rest[5..5 + len];
            used += 5 + len;
            match ty {
                22 => self.handshake_record(payload, out),
                20 => self.after_ccs = true,
                // Alert, application data or anything else: the plaintext
                // part of the client's flight is over.
                _ => self.finished = Some(StreamState::Done),
            }
        }
    }

    fn handshake_record(&mut self, payload: &[u8], out: &mut Vec<StreamHello>) {
        if self.after_ccs && self.handshake.is_empty() && payload.first() != Some(&1) {
            // Encrypted Finished of TLS 1.2.
            self.finished = Some(StreamState::Done);
            return;
        }
        self.records_in_msg += 1;
        if self.handshake.is_empty() {
            // Usually a record holds whole messages: read them in place and
            // keep only the start of a message that continues.
            let used = self.messages(payload, out);
            if self.finished.is_none() {
                self.handshake.extend_from_slice(&payload[used..]);
            }
        } else {
            let mut held = std::mem::take(&mut self.handshake);
            held.extend_from_slice(payload);
            let used = self.messages(&held, out);
            held.drain(..used);
            self.handshake = held;
        }
    }

    /// Parses the complete handshake messages at the front of `buf`,
    /// pushing the ClientHellos into `out`. Returns the bytes used.
    fn messages(&mut self, buf: &[u8], out: &mut Vec<StreamHello>) -> usize {
        let mut used = 0;
        while let Some(h) = buf.get(used..).filter(|h| h.len() >= 4) {
            let mlen = (usize::from(h[1]) << 16) | (usize::from(h[2]) << 8) | usize::from(h[3]);
            if mlen > MAX_HANDSHAKE {
                self.finished = Some(StreamState::Malformed);
                return used;
            }
            let Some(msg) = h.get(..4 + mlen) else { return used };
            if h[0] == 1 {
                match parse_client_hello(msg) {
                    Ok(hello) => {
                        out.push(StreamHello { hello, records: self.records_in_msg });
                        self.hellos += 1;
                    }
                    Err(_) => {
                        self.finished = Some(StreamState::Malformed);
                        return used;
                    }
                }
            }
            used += msg.len();
            // A record that also holds the start of the next message counts
            // for that message too.
            self.records_in_msg = u32::from(used < buf.len());
            if self.hellos >= 2 {
                self.finished = Some(StreamState::Done);
                return used;
            }
        }
        used
    }
}

/// Parses a whole to-server byte stream at once (for tests and fuzzing).
pub fn client_hellos_in_stream(stream: &[u8]) -> Vec<StreamHello> {
    let mut p = TlsClientStream::new();
    let mut out = Vec::new();
    let _ = p.feed(stream, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grease_values() {
        assert!(is_grease(0x0a0a));
        assert!(is_grease(0xfafa));
        assert!(!is_grease(0x0a1a));
        assert!(!is_grease(0x1301));
    }

    /// A ClientHello handshake message with one cipher suite and `exts`.
    fn hello_with(exts: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let mut body = vec![0x03, 0x03];
        body.extend([7u8; 32]);
        body.push(0); // session id
        body.extend([0, 4, 0x0a, 0x0a, 0x13, 0x01]); // GREASE, TLS_AES_128_GCM_SHA256
        body.extend([1, 0]); // null compression
        let mut e = Vec::new();
        for (ty, data) in exts {
            e.extend(ty.to_be_bytes());
            e.extend((data.len() as u16).to_be_bytes());
            e.extend(data);
        }
        body.extend((e.len() as u16).to_be_bytes());
        body.extend(e);
        let mut msg = vec![1];
        msg.extend(&(body.len() as u32).to_be_bytes()[1..]);
        msg.extend(body);
        msg
    }

    fn server_name(name: &[u8]) -> Vec<u8> {
        let mut v = ((name.len() + 3) as u16).to_be_bytes().to_vec();
        v.push(0);
        v.extend((name.len() as u16).to_be_bytes());
        v.extend(name);
        v
    }

    #[test]
    fn the_first_server_name_counts_as_in_suricata() {
        let msg = hello_with(&[
            (ext::SERVER_NAME, server_name(b"allowed.example")),
            (ext::SERVER_NAME, server_name(b"blocked.example")),
        ]);
        let h = parse_client_hello(&msg).unwrap();
        assert_eq!(h.sni.as_deref(), Some(&b"allowed.example"[..]));
        assert_eq!(h.extensions(), [0, 0]);
        // An empty first extension names no host: the next one does.
        let msg = hello_with(&[(ext::SERVER_NAME, vec![0, 0]), (0, server_name(b"b.example"))]);
        assert_eq!(parse_client_hello(&msg).unwrap().sni.as_deref(), Some(&b"b.example"[..]));
    }

    #[test]
    fn lists_and_alpn_read_back_in_order() {
        let msg = hello_with(&[
            (0x1a1a, vec![]),
            (
                ext::ALPN,
                vec![0, 12, 2, b'h', b'2', 8, b'h', b't', b't', b'p', b'/', b'1', b'.', b'1'],
            ),
            (ext::SUPPORTED_VERSIONS, vec![4, 0x03, 0x04, 0x03, 0x03]),
            (ext::SUPPORTED_GROUPS, vec![0, 4, 0x11, 0xec, 0x00, 0x1d]),
            (ext::KEY_SHARE, vec![0, 10, 0x11, 0xec, 0, 2, 9, 9, 0x00, 0x1d, 0, 0]),
            (ext::SIGNATURE_ALGORITHMS, vec![0, 2, 0x04, 0x03]),
            // A second supported_versions does not count.
            (ext::SUPPORTED_VERSIONS, vec![2, 0x03, 0x01]),
        ]);
        let h = parse_client_hello(&msg).unwrap();
        assert_eq!(h.cipher_suites(), [0x0a0a, 0x1301]);
        assert_eq!(h.extensions(), [0x1a1a, 16, 43, 10, 51, 13, 43]);
        assert_eq!(h.alpn().collect::<Vec<_>>(), [&b"h2"[..], b"http/1.1"]);
        assert_eq!(h.supported_versions(), [0x0304, 0x0303]);
        assert_eq!(h.supported_groups(), [0x11ec, 0x001d]);
        assert_eq!(h.key_share_groups(), [0x11ec, 0x001d]);
        assert_eq!(h.signature_algorithms(), [0x0403]);
        assert!(h.has_post_quantum_key_share() && h.has_grease());
        assert_eq!(h.max_version(), 0x0304);
        let json = serde_json::to_value(&h).unwrap();
        assert_eq!(
            json["alpn"],
            serde_json::json!([[104, 50], [104, 116, 116, 112, 47, 49, 46, 49]])
        );
        assert_eq!(json["supported_groups"], serde_json::json!([0x11ec, 0x001d]));
        // Broken framing is malformed, not a panic.
        let mut cut = hello_with(&[(ext::ALPN, vec![0, 3, 2, b'h', b'2'])]);
        let n = cut.len();
        cut[n - 6] = 0xff;
        assert_eq!(parse_client_hello(&cut), Err(HelloError::Malformed));
    }

    #[test]
    fn garbage_is_not_a_panic() {
        for n in 0..64 {
            let b: Vec<u8> = (0..n).map(|i| (i * 37 + 22) as u8).collect();
            let _ = client_hellos_in_stream(&b);
            let _ = parse_client_hello(&b);
        }
    }
}
