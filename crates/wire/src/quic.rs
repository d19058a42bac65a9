//! QUIC Initial decryption and ClientHello extraction (QUIC v1, v2 and the
//! late drafts).
//!
//! A QUIC client's ClientHello travels in CRYPTO frames inside Initial
//! packets. Initial packets are encrypted, but with keys anyone can derive
//! from the version's published salt and the Destination Connection ID
//! (RFC 9001 §5.2, RFC 9369 §3.3), which is exactly what a firewall does to
//! read the SNI. Chromium spreads the ClientHello over several Initials and
//! shuffles the CRYPTO frames among PING and PADDING frames, so frames are
//! reassembled by offset across packets and out of order.

use std::collections::BTreeMap;

use aes::Aes128;
use aes::cipher::{BlockEncrypt, KeyInit, generic_array::GenericArray};
use aes_gcm::Aes128Gcm;
use aes_gcm::aead::{Aead, Payload};
use hkdf::Hkdf;
use sha2::Sha256;

use crate::tls::{ClientHello, parse_client_hello};

/// Largest CRYPTO stream offset accepted (bounds memory per flow).
const MAX_CRYPTO: u64 = 64 * 1024;

/// QUIC version 1 (RFC 9000).
pub const VERSION_1: u32 = 0x0000_0001;
/// QUIC version 2 (RFC 9369).
pub const VERSION_2: u32 = 0x6b33_43cf;

const SALT_V1: [u8; 20] = [
    0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad,
    0xcc, 0xbb, 0x7f, 0x0a,
];
const SALT_V2: [u8; 20] = [
    0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb,
    0xf9, 0xbd, 0x2e, 0xd9,
];
const SALT_DRAFT29: [u8; 20] = [
    0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0,
    0x43, 0x90, 0xa8, 0x99,
];
const SALT_DRAFT23: [u8; 20] = [
    0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7, 0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65,
    0xbe, 0xf9, 0xf5, 0x02,
];

/// Salt and label style for a version whose Initial packets we can open.
fn version_params(version: u32) -> Option<(&'static [u8; 20], bool)> {
    match version {
        VERSION_1 => Some((&SALT_V1, false)),
        VERSION_2 => Some((&SALT_V2, true)),
        0xff00_001d..=0xff00_0022 => Some((&SALT_DRAFT29, false)),
        0xff00_0017..=0xff00_001c => Some((&SALT_DRAFT23, false)),
        _ => None,
    }
}

/// Whether `version` is one this module decrypts.
pub fn is_supported_version(version: u32) -> bool {
    version_params(version).is_some()
}

fn initial_packet_type(version: u32) -> u8 {
    if version == VERSION_2 { 1 } else { 0 }
}

fn expand_label(secret: &[u8], label: &str, len: usize) -> Option<Vec<u8>> {
    let hk = Hkdf::<Sha256>::from_prk(secret).ok()?;
    let full = format!("tls13 {label}");
    let mut info = Vec::with_capacity(4 + full.len());
    info.extend_from_slice(&(len as u16).to_be_bytes());
    info.push(full.len() as u8);
    info.extend_from_slice(full.as_bytes());
    info.push(0);
    let mut out = vec![0u8; len];
    hk.expand(&info, &mut out).ok()?;
    Some(out)
}

/// Client Initial packet protection keys for one Destination Connection ID.
#[derive(Clone)]
struct Keys {
    dcid: Vec<u8>,
    aead: Aes128Gcm,
    iv: [u8; 12],
    hp: Aes128,
}

impl Keys {
    fn derive(version: u32, dcid: &[u8]) -> Option<Keys> {
        let (salt, v2) = version_params(version)?;
        let (prk, _) = Hkdf::<Sha256>::extract(Some(salt), dcid);
        let client = expand_label(&prk, "client in", 32)?;
        let (k, i, h) = if v2 {
            ("quicv2 key", "quicv2 iv", "quicv2 hp")
        } else {
            ("quic key", "quic iv", "quic hp")
        };
        let key = expand_label(&client, k, 16)?;
        let iv = expand_label(&client, i, 12)?;
        let hp = expand_label(&client, h, 16)?;
        let mut iv_arr = [0u8; 12];
        iv_arr.copy_from_slice(&iv);
        Some(Keys {
            dcid: dcid.to_vec(),
            aead: Aes128Gcm::new_from_slice(&key).ok()?,
            iv: iv_arr,
            hp: Aes128::new_from_slice(&hp).ok()?,
        })
    }

    /// Removes header protection and decrypts one Initial packet.
    /// `pkt` is the whole packet, `pn_offset` where the packet number
    /// starts.
    fn open(&self, pkt: &[u8], pn_offset: usize) -> Option<Vec<u8>> {
        let sample = pkt.get(pn_offset + 4..pn_offset + 20)?;
        let mut mask = GenericArray::clone_from_slice(sample);
        self.hp.encrypt_block(&mut mask);
        let mut header = pkt.get(..pn_offset + 4)?.to_vec();
        header[0] ^= mask[0] & 0x0f;
        let pn_len = usize::from(header[0] & 0x03) + 1;
        let mut pn: u64 = 0;
        for i in 0..pn_len {
            header[pn_offset + i] ^= mask[1 + i];
            pn = (pn << 8) | u64::from(header[pn_offset + i]);
        }
        header.truncate(pn_offset + pn_len);
        let mut nonce = self.iv;
        for (i, b) in pn.to_be_bytes().iter().enumerate() {
            nonce[4 + i] ^= b;
        }
        let ciphertext = pkt.get(pn_offset + pn_len..)?;
        self.aead
            .decrypt(GenericArray::from_slice(&nonce), Payload { msg: ciphertext, aad: &header })
            .ok()
    }
}

/// Reads a QUIC variable-length integer.
fn varint(b: &[u8], at: &mut usize) -> Option<u64> {
    let first = *b.get(*at)?;
    let len = 1usize << (first >> 6);
    let bytes = b.get(*at..*at + len)?;
    let mut v = u64::from(first & 0x3f);
    for x in &bytes[1..] {
        v = (v << 8) | u64::from(*x);
    }
    *at += len;
    Some(v)
}

/// The header fields of one long-header packet in a datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LongHeader<'a> {
    /// Version field.
    pub version: u32,
    /// Packet type bits (version-specific meaning).
    pub packet_type: u8,
    /// Destination Connection ID.
    pub dcid: &'a [u8],
    /// Source Connection ID.
    pub scid: &'a [u8],
    /// Offset of the packet number within the packet (Initial only).
    pub pn_offset: usize,
    /// The whole packet, header to end of payload.
    pub packet: &'a [u8],
}

impl LongHeader<'_> {
    /// Whether this is an Initial packet of its version.
    pub fn is_initial(&self) -> bool {
        is_supported_version(self.version) && self.packet_type == initial_packet_type(self.version)
    }
}

/// Splits a datagram into its coalesced long-header packets.
pub fn long_headers(datagram: &[u8]) -> Vec<LongHeader<'_>> {
    let mut out = Vec::new();
    let mut rest = datagram;
    while let Some(h) = one_long_header(rest) {
        let n = h.packet.len();
        out.push(h);
        rest = &rest[n..];
        if out.len() > 8 {
            break;
        }
    }
    out
}

fn one_long_header(b: &[u8]) -> Option<LongHeader<'_>> {
    let first = *b.first()?;
    if first & 0x80 == 0 {
        return None;
    }
    let version = u32::from_be_bytes(b.get(1..5)?.try_into().ok()?);
    if version == 0 {
        return None;
    }
    let mut at = 5;
    let dlen = usize::from(*b.get(at)?);
    let dcid = b.get(at + 1..at + 1 + dlen)?;
    at += 1 + dlen;
    let slen = usize::from(*b.get(at)?);
    let scid = b.get(at + 1..at + 1 + slen)?;
    at += 1 + slen;
    if dlen > 20 || slen > 20 {
        return None;
    }
    let packet_type = (first >> 4) & 0x03;
    let retry = if version == VERSION_2 { 0 } else { 3 };
    if packet_type == retry {
        return Some(LongHeader { version, packet_type, dcid, scid, pn_offset: at, packet: b });
    }
    if packet_type == initial_packet_type(version) {
        let tlen = usize::try_from(varint(b, &mut at)?).ok()?;
        at = at.checked_add(tlen)?;
    }
    let len = usize::try_from(varint(b, &mut at)?).ok()?;
    let end = at.checked_add(len)?;
    let packet = b.get(..end)?;
    Some(LongHeader { version, packet_type, dcid, scid, pn_offset: at, packet })
}

/// Walks the frames of a decrypted Initial payload, handing each CRYPTO
/// frame's `(offset, data)` to `crypto`. Returns false on a malformed
/// frame.
fn walk_frames(p: &[u8], mut crypto: impl FnMut(u64, &[u8])) -> bool {
    let mut at = 0;
    while at < p.len() {
        let Some(ty) = varint(p, &mut at) else { return false };
        let ok = match ty {
            0x00 | 0x01 => true,
            0x02 | 0x03 => (|| {
                varint(p, &mut at)?;
                varint(p, &mut at)?;
                let ranges = varint(p, &mut at)?;
                varint(p, &mut at)?;
                for _ in 0..ranges.min(1024) {
                    varint(p, &mut at)?;
                    varint(p, &mut at)?;
                }
                if ty == 0x03 {
                    for _ in 0..3 {
                        varint(p, &mut at)?;
                    }
                }
                Some(())
            })()
            .is_some(),
            0x06 => (|| {
                let off = varint(p, &mut at)?;
                let len = usize::try_from(varint(p, &mut at)?).ok()?;
                let data = p.get(at..at.checked_add(len)?)?;
                at += len;
                crypto(off, data);
                Some(())
            })()
            .is_some(),
            0x1c | 0x1d => (|| {
                varint(p, &mut at)?;
                if ty == 0x1c {
                    varint(p, &mut at)?;
                }
                let len = usize::try_from(varint(p, &mut at)?).ok()?;
                at = at.checked_add(len)?;
                Some(())
            })()
            .is_some(),
            // Nothing else may appear in an Initial; stop reading.
            _ => return true,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// A ClientHello read from QUIC Initial packets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuicHello {
    /// QUIC version of the Initial packets.
    pub version: u32,
    /// The ClientHello.
    pub hello: ClientHello,
    /// Initial packets that carried CRYPTO data for it.
    pub initial_packets: u32,
    /// CRYPTO frames that carried it.
    pub crypto_frames: u32,
}

/// Outcome of feeding one datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QuicFeed {
    /// Client Initial packets decrypted.
    pub decrypted: u32,
    /// Client Initial packets that failed to decrypt.
    pub failed: u32,
}

/// Per-flow state of the client's Initial packets.
#[derive(Default)]
pub struct QuicClient {
    keys: Vec<Keys>,
    version: u32,
    chunks: BTreeMap<u64, Vec<u8>>,
    frames: u32,
    packets: u32,
    done: bool,
    malformed: bool,
}

impl std::fmt::Debug for QuicClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QuicClient")
            .field("version", &self.version)
            .field("frames", &self.frames)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl QuicClient {
    /// State for a new flow.
    pub fn new() -> Self {
        Self::default()
    }

    /// True once the ClientHello was found (or can no longer be).
    pub fn done(&self) -> bool {
        self.done
    }

    /// Feeds one client-to-server datagram. Returns the ClientHello when
    /// this datagram completed it.
    pub fn feed(&mut self, datagram: &[u8]) -> (QuicFeed, Option<QuicHello>) {
        let mut feed = QuicFeed::default();
        if self.done {
            return (feed, None);
        }
        for h in long_headers(datagram) {
            if !h.is_initial() {
                continue;
            }
            let Some(plain) = self.open(&h) else {
                feed.failed += 1;
                continue;
            };
            feed.decrypted += 1;
            self.version = h.version;
            let before = self.frames;
            if !self.add_frames(&plain) {
                self.malformed = true;
            }
            if self.frames > before {
                self.packets = self.packets.saturating_add(1);
            }
        }
        (feed, self.try_hello())
    }

    /// Files the CRYPTO frames of a decrypted payload by offset. Returns
    /// false when a frame is malformed.
    fn add_frames(&mut self, plain: &[u8]) -> bool {
        let chunks = &mut self.chunks;
        let frames = &mut self.frames;
        walk_frames(plain, |off, data| {
            *frames = frames.saturating_add(1);
            let end = off.saturating_add(data.len() as u64);
            if end <= MAX_CRYPTO && !data.is_empty() {
                chunks.insert(off, data.to_vec());
            }
        })
    }

    fn open(&mut self, h: &LongHeader<'_>) -> Option<Vec<u8>> {
        for k in &self.keys {
            if let Some(p) = k.open(h.packet, h.pn_offset) {
                return Some(p);
            }
        }
        if self.keys.iter().any(|k| k.dcid == h.dcid) || self.keys.len() >= 4 {
            return None;
        }
        let k = Keys::derive(h.version, h.dcid)?;
        let p = k.open(h.packet, h.pn_offset);
        if p.is_some() {
            self.keys.push(k);
        }
        p
    }

    fn contiguous(&self) -> Vec<u8> {
        let mut out: Vec<u8> = Vec::new();
        for (&off, data) in &self.chunks {
            let have = out.len() as u64;
            if off > have {
                break;
            }
            let skip = usize::try_from(have - off).unwrap_or(usize::MAX);
            if let Some(tail) = data.get(skip..) {
                out.extend_from_slice(tail);
            }
        }
        out
    }

    fn try_hello(&mut self) -> Option<QuicHello> {
        let stream = self.contiguous();
        if stream.len() < 4 {
            return None;
        }
        let mlen =
            (usize::from(stream[1]) << 16) | (usize::from(stream[2]) << 8) | usize::from(stream[3]);
        if stream[0] != 1 || mlen as u64 > MAX_CRYPTO {
            self.done = true;
            self.malformed = true;
            return None;
        }
        if stream.len() < 4 + mlen {
            return None;
        }
        self.done = true;
        self.chunks.clear();
        match parse_client_hello(&stream[..4 + mlen]) {
            Ok(hello) => Some(QuicHello {
                version: self.version,
                hello,
                initial_packets: self.packets,
                crypto_frames: self.frames,
            }),
            Err(_) => {
                self.malformed = true;
                None
            }
        }
    }

    /// True when a decrypted Initial held a malformed frame or ClientHello.
    pub fn malformed(&self) -> bool {
        self.malformed
    }
}

/// Decrypts every client Initial packet in a datagram with keys derived
/// from its own Destination Connection ID; returns the payloads (frames).
pub fn decrypt_initials(datagram: &[u8]) -> Vec<Vec<u8>> {
    long_headers(datagram)
        .iter()
        .filter(|h| h.is_initial())
        .filter_map(|h| Keys::derive(h.version, h.dcid)?.open(h.packet, h.pn_offset))
        .collect()
}

/// Reads a ClientHello from one decrypted Initial payload (its frames),
/// as if it were the only Initial (for tests and fuzzing).
pub fn hello_from_initial_payload(plaintext: &[u8]) -> Option<ClientHello> {
    let mut c = QuicClient::new();
    c.add_frames(plaintext);
    c.try_hello().map(|h| h.hello)
}

/// Decrypts the client Initial packets of a sequence of datagrams and
/// returns the ClientHello, if they hold one (for tests and fuzzing).
pub fn client_hello_from_datagrams<'a>(
    datagrams: impl IntoIterator<Item = &'a [u8]>,
) -> Option<QuicHello> {
    let mut c = QuicClient::new();
    for d in datagrams {
        if let (_, Some(h)) = c.feed(d) {
            return Some(h);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    /// RFC 9001 Appendix A.1 key derivation for DCID 0x8394c8f03e515708.
    #[test]
    fn rfc9001_client_initial_keys() {
        let dcid = unhex("8394c8f03e515708");
        let (prk, _) = Hkdf::<Sha256>::extract(Some(&SALT_V1), &dcid);
        let client = expand_label(&prk, "client in", 32).unwrap();
        assert_eq!(
            client,
            unhex("c00cf151ca5be075ed0ebfb5c80323c4 2d6b7db67881289af4008f1f6c357aea")
        );
        assert_eq!(
            expand_label(&client, "quic key", 16).unwrap(),
            unhex("1f369613dd76d5467730efcbe3b1a22d")
        );
        assert_eq!(
            expand_label(&client, "quic iv", 12).unwrap(),
            unhex("fa044b2f42a3fd3b46fb255c")
        );
        assert_eq!(
            expand_label(&client, "quic hp", 16).unwrap(),
            unhex("9f50449e04a0e810283a1e9933adedd2")
        );
    }

    /// RFC 9369 Appendix A.1 (QUIC v2) client keys.
    #[test]
    fn rfc9369_client_initial_keys() {
        let dcid = unhex("8394c8f03e515708");
        let (prk, _) = Hkdf::<Sha256>::extract(Some(&SALT_V2), &dcid);
        let client = expand_label(&prk, "client in", 32).unwrap();
        assert_eq!(
            client,
            unhex("14ec9d6eb9fd7af83bf5a668bc17a7e2 83766aade7ecd0891f70f9ff7f4bf47b")
        );
        assert_eq!(
            expand_label(&client, "quicv2 key", 16).unwrap(),
            unhex("8b1a0bc121284290a29e0971b5cd045d")
        );
    }

    #[test]
    fn garbage_is_not_a_panic() {
        for n in 0..80 {
            let b: Vec<u8> = (0..n).map(|i| (i * 53 + 0xc0) as u8).collect();
            let _ = client_hello_from_datagrams([b.as_slice()]);
        }
    }
}
