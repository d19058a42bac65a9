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

/// The parts of a ClientHello a domain firewall and a fingerprint need.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ClientHello {
    /// Legacy version field of the ClientHello body.
    pub legacy_version: u16,
    /// Server name as raw bytes, exactly as sent (case and trailing dot
    /// kept). `None` when the extension is absent or empty. With ECH this
    /// is the outer (public) name only.
    pub sni: Option<Vec<u8>>,
    /// ALPN protocol names, in order.
    pub alpn: Vec<Vec<u8>>,
    /// supported_versions entries (GREASE included), in order.
    pub supported_versions: Vec<u16>,
    /// Cipher suites, in order (GREASE included).
    pub cipher_suites: Vec<u16>,
    /// Extension types, in order (GREASE included).
    pub extensions: Vec<u16>,
    /// Named groups of the key_share entries, in order.
    pub key_share_groups: Vec<u16>,
    /// supported_groups entries, in order.
    pub supported_groups: Vec<u16>,
    /// signature_algorithms entries, in order.
    pub signature_algorithms: Vec<u16>,
    /// ECH offer, when the extension is present.
    pub ech: Option<EchOffer>,
}

impl ClientHello {
    /// The highest non-GREASE version offered (supported_versions, else the
    /// legacy version).
    pub fn max_version(&self) -> u16 {
        self.supported_versions
            .iter()
            .copied()
            .filter(|v| !is_grease(*v))
            .max()
            .unwrap_or(self.legacy_version)
    }

    /// True when any cipher suite, extension, group or version is GREASE.
    pub fn has_grease(&self) -> bool {
        self.cipher_suites
            .iter()
            .chain(&self.extensions)
            .chain(&self.supported_groups)
            .chain(&self.supported_versions)
            .any(|v| is_grease(*v))
    }

    /// True when a key share uses a post-quantum hybrid group.
    pub fn has_post_quantum_key_share(&self) -> bool {
        self.key_share_groups
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
            self.cipher_suites.iter().copied().filter(|v| !is_grease(*v)).collect();
        let exts: Vec<u16> = self.extensions.iter().copied().filter(|v| !is_grease(*v)).collect();
        let alpn = match self.alpn.first() {
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
        if !self.signature_algorithms.is_empty() {
            c_in.push('_');
            c_in.push_str(&list(&self.signature_algorithms));
        }
        let c = truncated_sha256(&c_in);
        format!("{a}_{b}_{c}")
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

fn u16_list(b: &[u8]) -> Vec<u16> {
    b.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect()
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

/// Parses one complete handshake message (4-byte header included) that
/// must be a ClientHello.
pub fn parse_client_hello(msg: &[u8]) -> Result<ClientHello, HelloError> {
    let parsed = match tls_parser::parse_tls_message_handshake(msg) {
        Ok((_, TlsMessage::Handshake(TlsMessageHandshake::ClientHello(ch)))) => ch,
        Err(tls_parser::nom::Err::Incomplete(_)) => return Err(HelloError::Incomplete),
        _ => return Err(HelloError::Malformed),
    };
    let mut hello = ClientHello {
        legacy_version: parsed.version.0,
        sni: None,
        alpn: Vec::new(),
        supported_versions: Vec::new(),
        cipher_suites: parsed.ciphers.iter().map(|c| c.0).collect(),
        extensions: Vec::new(),
        key_share_groups: Vec::new(),
        supported_groups: Vec::new(),
        signature_algorithms: Vec::new(),
        ech: None,
    };
    let mut exts = parsed.ext.unwrap_or(&[]);
    while exts.len() >= 4 {
        let ty = u16::from_be_bytes([exts[0], exts[1]]);
        let len = usize::from(u16::from_be_bytes([exts[2], exts[3]]));
        let Some(data) = exts.get(4..4 + len) else {
            return Err(HelloError::Malformed);
        };
        exts = &exts[4 + len..];
        hello.extensions.push(ty);
        match ty {
            ext::SERVER_NAME => hello.sni = parse_sni(data),
            ext::ALPN => {
                let mut l = data.get(2..).unwrap_or(&[]);
                while let Some((&n, rest)) = l.split_first() {
                    let n = usize::from(n);
                    let Some(name) = rest.get(..n) else { break };
                    hello.alpn.push(name.to_vec());
                    l = &rest[n..];
                }
            }
            ext::SUPPORTED_VERSIONS => {
                hello.supported_versions = u16_list(data.get(1..).unwrap_or(&[]));
            }
            ext::SUPPORTED_GROUPS => {
                hello.supported_groups = u16_list(data.get(2..).unwrap_or(&[]))
            }
            ext::SIGNATURE_ALGORITHMS => {
                hello.signature_algorithms = u16_list(data.get(2..).unwrap_or(&[]));
            }
            ext::KEY_SHARE => {
                let mut l = data.get(2..).unwrap_or(&[]);
                while let (Some(g), Some(n)) = (be16(l, 0), be16(l, 2)) {
                    hello.key_share_groups.push(g);
                    l = l.get(4 + usize::from(n)..).unwrap_or(&[]);
                }
            }
            ext::ECH => hello.ech = Some(parse_ech(data)),
            _ => {}
        }
    }
    Ok(hello)
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
        self.handshake.extend_from_slice(payload);
        self.records_in_msg += 1;
        while self.handshake.len() >= 4 {
            let h = &self.handshake;
            let mlen = (usize::from(h[1]) << 16) | (usize::from(h[2]) << 8) | usize::from(h[3]);
            if mlen > MAX_HANDSHAKE {
                self.finished = Some(StreamState::Malformed);
                return;
            }
            if h.len() < 4 + mlen {
                return;
            }
            if h[0] == 1 {
                match parse_client_hello(&h[..4 + mlen]) {
                    Ok(hello) => {
                        out.push(StreamHello { hello, records: self.records_in_msg });
                        self.hellos += 1;
                    }
                    Err(_) => {
                        self.finished = Some(StreamState::Malformed);
                        return;
                    }
                }
            }
            self.handshake.drain(..4 + mlen);
            self.records_in_msg = u32::from(!self.handshake.is_empty());
            if self.hellos >= 2 {
                self.finished = Some(StreamState::Done);
                return;
            }
        }
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

    #[test]
    fn garbage_is_not_a_panic() {
        for n in 0..64 {
            let b: Vec<u8> = (0..n).map(|i| (i * 37 + 22) as u8).collect();
            let _ = client_hellos_in_stream(&b);
            let _ = parse_client_hello(&b);
        }
    }
}
