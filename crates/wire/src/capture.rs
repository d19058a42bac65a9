//! Streaming reader for pcap and pcapng files.
//!
//! Written by hand rather than taken from a crate so that every kind of
//! damage can be counted and reported with its byte offset, and so that
//! reading stays in constant memory: one reusable buffer holds the current
//! record, whatever the size of the file.
//!
//! Formats: classic pcap in both byte orders with micro- or nanosecond
//! timestamps (and the "modified" Kuznetzov variant), and pcapng with any
//! number of sections and interfaces, each interface with its own link type
//! and timestamp resolution (Enhanced, Simple and obsolete Packet Blocks).

use std::io::{self, Read};

use crate::error::{Error, ErrorKind};

/// Largest record accepted. Real snaplens are at most 256 KiB; anything
/// bigger is damage, and refusing it keeps memory bounded.
const MAX_RECORD: usize = 1 << 20;
/// Largest pcapng block accepted (packet plus options).
const MAX_BLOCK: usize = MAX_RECORD + 64 * 1024;

/// A link-layer header type (LINKTYPE_* value). Unknown values are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LinkType(pub u32);

impl LinkType {
    /// BSD loopback: 4-byte address family in host byte order.
    pub const NULL: LinkType = LinkType(0);
    /// Ethernet II.
    pub const ETHERNET: LinkType = LinkType(1);
    /// PPP (with or without HDLC framing).
    pub const PPP: LinkType = LinkType(9);
    /// Raw IP (OpenBSD value).
    pub const RAW_OLD: LinkType = LinkType(12);
    /// Raw IP (BSD value).
    pub const RAW_BSD: LinkType = LinkType(14);
    /// Raw IPv4 or IPv6.
    pub const RAW: LinkType = LinkType(101);
    /// OpenBSD loopback: address family in network byte order.
    pub const LOOP: LinkType = LinkType(108);
    /// Linux cooked capture v1.
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// Raw IPv4.
    pub const IPV4: LinkType = LinkType(228);
    /// Raw IPv6.
    pub const IPV6: LinkType = LinkType(229);
    /// Linux cooked capture v2.
    pub const LINUX_SLL2: LinkType = LinkType(276);
}

/// Capture time in nanoseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize)]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// Seconds since the epoch as a float (for display).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }

    /// Whole seconds since the epoch.
    pub fn secs(self) -> u64 {
        self.0 / 1_000_000_000
    }
}

/// The container format of a capture file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// Classic libpcap.
    Pcap,
    /// pcapng.
    Pcapng,
}

/// One packet record as stored in the file, borrowed from the reader.
#[derive(Debug)]
pub struct RawPacket<'a> {
    /// 1-based packet number in the file (as Wireshark numbers frames).
    pub number: u64,
    /// Capture time.
    pub ts: Timestamp,
    /// Link type of the interface the packet was captured on.
    pub linktype: LinkType,
    /// Captured bytes (possibly fewer than were on the wire).
    pub data: &'a [u8],
    /// Length of the packet on the wire.
    pub orig_len: u32,
}

/// Counters kept by the record reader.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CaptureStats {
    /// Packet records read.
    pub packets: u64,
    /// Bytes of packet data read.
    pub bytes: u64,
    /// Records whose captured length is shorter than the wire length.
    pub snaplen_cut: u64,
    /// pcapng blocks skipped because their type carries no packet.
    pub blocks_skipped: u64,
    /// Packets that name an interface the file never described.
    pub unknown_interface: u64,
}

#[derive(Debug, Clone, Copy)]
struct Interface {
    linktype: LinkType,
    /// Timestamp unit: `(is_power_of_two, exponent)`.
    tsresol: (bool, u8),
    tsoffset: i64,
    snaplen: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endian {
    Little,
    Big,
}

impl Endian {
    fn u16(self, b: &[u8], at: usize) -> u16 {
        let v = match b.get(at..at + 2) {
            Some(&[x, y]) => [x, y],
            _ => [0, 0],
        };
        match self {
            Endian::Little => u16::from_le_bytes(v),
            Endian::Big => u16::from_be_bytes(v),
        }
    }
    fn u32(self, b: &[u8], at: usize) -> u32 {
        let v = match b.get(at..at + 4) {
            Some(&[w, x, y, z]) => [w, x, y, z],
            _ => [0; 4],
        };
        match self {
            Endian::Little => u32::from_le_bytes(v),
            Endian::Big => u32::from_be_bytes(v),
        }
    }
}

#[derive(Debug)]
enum Kind {
    Pcap { endian: Endian, nanos: bool, modified: bool, linktype: LinkType, snaplen: u32 },
    Pcapng { endian: Endian, interfaces: Vec<Interface> },
}

/// Reads packet records one at a time from a pcap or pcapng stream.
///
/// Damage is never a panic: a file that ends mid-record or holds an
/// impossible length stops the reader, and [`CaptureReader::damage`] then
/// says where. Every packet before the damage has been returned.
#[derive(Debug)]
pub struct CaptureReader<R> {
    input: R,
    name: String,
    kind: Kind,
    offset: u64,
    buf: Vec<u8>,
    stats: CaptureStats,
    damage: Option<Error>,
    done: bool,
}

enum Fill {
    Full,
    Eof,
    Partial,
}

fn fill(input: &mut impl Read, buf: &mut [u8]) -> io::Result<Fill> {
    let mut got = 0;
    while got < buf.len() {
        match input.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(if got == buf.len() {
        Fill::Full
    } else if got == 0 {
        Fill::Eof
    } else {
        Fill::Partial
    })
}

impl<R: Read> CaptureReader<R> {
    /// Reads the file header. `name` is used in error messages (the path).
    ///
    /// Fails if the stream is not a pcap or pcapng capture.
    pub fn new(mut input: R, name: &str) -> Result<Self, Error> {
        let mut magic = [0u8; 4];
        match fill(&mut input, &mut magic) {
            Ok(Fill::Full) => {}
            Ok(_) => {
                return Err(Error::new(
                    ErrorKind::NotACapture,
                    name,
                    "file is empty or shorter than a capture header",
                ));
            }
            Err(e) => return Err(Error::new(ErrorKind::Io, name, format!("cannot read: {e}"))),
        }
        let mut reader = CaptureReader {
            input,
            name: name.to_owned(),
            kind: Kind::Pcapng { endian: Endian::Little, interfaces: Vec::new() },
            offset: 4,
            buf: Vec::new(),
            stats: CaptureStats::default(),
            damage: None,
            done: false,
        };
        let pcap = |endian, nanos, modified| (endian, nanos, modified);
        let variant = match magic {
            [0xd4, 0xc3, 0xb2, 0xa1] => Some(pcap(Endian::Little, false, false)),
            [0xa1, 0xb2, 0xc3, 0xd4] => Some(pcap(Endian::Big, false, false)),
            [0x4d, 0x3c, 0xb2, 0xa1] => Some(pcap(Endian::Little, true, false)),
            [0xa1, 0xb2, 0x3c, 0x4d] => Some(pcap(Endian::Big, true, false)),
            [0x34, 0xcd, 0xb2, 0xa1] => Some(pcap(Endian::Little, false, true)),
            [0xa1, 0xb2, 0xcd, 0x34] => Some(pcap(Endian::Big, false, true)),
            [0x0a, 0x0d, 0x0d, 0x0a] => None,
            _ => {
                return Err(Error::new(
                    ErrorKind::NotACapture,
                    name,
                    format!("not a pcap or pcapng file (magic 0x{})", hex(&magic)),
                ));
            }
        };
        match variant {
            Some((endian, nanos, modified)) => {
                let mut hdr = [0u8; 20];
                match fill(&mut reader.input, &mut hdr) {
                    Ok(Fill::Full) => {}
                    Ok(_) => {
                        return Err(Error::new(
                            ErrorKind::Truncated,
                            name,
                            "pcap file header is cut short",
                        )
                        .at(4, 0));
                    }
                    Err(e) => {
                        return Err(Error::new(ErrorKind::Io, name, format!("cannot read: {e}")));
                    }
                }
                reader.offset = 24;
                let snaplen = endian.u32(&hdr, 12);
                let linktype = LinkType(endian.u32(&hdr, 16) & 0x03ff_ffff);
                reader.kind = Kind::Pcap { endian, nanos, modified, linktype, snaplen };
            }
            None => {
                reader.read_shb(0, None)?;
            }
        }
        Ok(reader)
    }

    /// The container format.
    pub fn format(&self) -> Format {
        match self.kind {
            Kind::Pcap { .. } => Format::Pcap,
            Kind::Pcapng { .. } => Format::Pcapng,
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> &CaptureStats {
        &self.stats
    }

    /// The damage that stopped the reader early, if any.
    pub fn damage(&self) -> Option<&Error> {
        self.damage.as_ref()
    }

    /// The name given at construction.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn fail(&mut self, kind: ErrorKind, detail: String, at: u64) {
        self.damage = Some(Error::new(kind, &self.name, detail).at(at, self.stats.packets));
        self.done = true;
    }

    /// Reads exactly `n` bytes into the reusable buffer. On a short read
    /// records the damage and returns false.
    fn read_body(&mut self, n: usize, what: &str, start: u64) -> bool {
        self.buf.resize(n, 0);
        match fill(&mut self.input, &mut self.buf[..n]) {
            Ok(Fill::Full) => {
                self.offset += n as u64;
                true
            }
            Ok(Fill::Eof) if n == 0 => true,
            Ok(Fill::Eof) | Ok(Fill::Partial) => {
                self.fail(ErrorKind::Truncated, format!("file ends inside a {what}"), start);
                false
            }
            Err(e) => {
                self.fail(ErrorKind::Io, format!("read error: {e}"), start);
                false
            }
        }
    }

    /// Returns the next packet record, or `None` at the end of the file or
    /// at the first damage (see [`CaptureReader::damage`]).
    pub fn next_packet(&mut self) -> Option<RawPacket<'_>> {
        if self.done {
            return None;
        }
        let found = match self.kind {
            Kind::Pcap { .. } => self.next_pcap(),
            Kind::Pcapng { .. } => self.next_pcapng(),
        };
        let (ts, linktype, start, len, orig_len) = found?;
        self.stats.packets += 1;
        self.stats.bytes += len as u64;
        if (orig_len as usize) > len {
            self.stats.snaplen_cut += 1;
        }
        Some(RawPacket {
            number: self.stats.packets,
            ts,
            linktype,
            data: self.buf.get(start..start + len).unwrap_or(&[]),
            orig_len,
        })
    }

    fn next_pcap(&mut self) -> Option<(Timestamp, LinkType, usize, usize, u32)> {
        let Kind::Pcap { endian, nanos, modified, linktype, snaplen } = self.kind else {
            return None;
        };
        let start = self.offset;
        let hdr_len = if modified { 24 } else { 16 };
        let mut hdr = [0u8; 24];
        match fill(&mut self.input, &mut hdr[..hdr_len]) {
            Ok(Fill::Full) => self.offset += hdr_len as u64,
            Ok(Fill::Eof) => {
                self.done = true;
                return None;
            }
            Ok(Fill::Partial) => {
                self.fail(ErrorKind::Truncated, "file ends inside a record header".into(), start);
                return None;
            }
            Err(e) => {
                self.fail(ErrorKind::Io, format!("read error: {e}"), start);
                return None;
            }
        }
        let secs = u64::from(endian.u32(&hdr, 0));
        let frac = u64::from(endian.u32(&hdr, 4));
        let incl = endian.u32(&hdr, 8) as usize;
        let orig = endian.u32(&hdr, 12);
        let limit = MAX_RECORD.max(snaplen as usize).min(16 << 20);
        if incl > limit {
            self.fail(
                ErrorKind::Corrupt,
                format!("record {} claims {incl} captured bytes", self.stats.packets + 1),
                start,
            );
            return None;
        }
        if !self.read_body(incl, "packet record", start) {
            return None;
        }
        let ns =
            if nanos { secs * 1_000_000_000 + frac } else { secs * 1_000_000_000 + frac * 1000 };
        Some((Timestamp(ns), linktype, 0, incl, orig))
    }

    /// Parses a section header block whose type (and, if `len_raw` is
    /// given, length) fields were already consumed. `start` is the block's
    /// offset.
    fn read_shb(&mut self, start: u64, len_raw: Option<[u8; 4]>) -> Result<(), Error> {
        let truncated = |name: &str, packets| {
            Error::new(ErrorKind::Truncated, name, "file ends inside a pcapng section header")
                .at(start, packets)
        };
        let mut head = [0u8; 8];
        let need = if let Some(l) = len_raw {
            head[..4].copy_from_slice(&l);
            4
        } else {
            0
        };
        if !matches!(fill(&mut self.input, &mut head[need..]), Ok(Fill::Full)) {
            return Err(truncated(&self.name, self.stats.packets));
        }
        let endian = match head[4..8] {
            [0x4d, 0x3c, 0x2b, 0x1a] => Endian::Little,
            [0x1a, 0x2b, 0x3c, 0x4d] => Endian::Big,
            _ => {
                return Err(Error::new(
                    ErrorKind::Corrupt,
                    &self.name,
                    format!(
                        "pcapng section header has a bad byte-order magic 0x{}",
                        hex(&head[4..8])
                    ),
                )
                .at(start, self.stats.packets));
            }
        };
        let total = endian.u32(&head, 0) as usize;
        if total < 28 || !total.is_multiple_of(4) || total > MAX_BLOCK {
            return Err(Error::new(
                ErrorKind::Corrupt,
                &self.name,
                format!("pcapng section header has an impossible length {total}"),
            )
            .at(start, self.stats.packets));
        }
        // Skip the rest of the block (version, section length, options).
        self.buf.resize(total - 12, 0);
        if !matches!(fill(&mut self.input, &mut self.buf), Ok(Fill::Full)) {
            return Err(truncated(&self.name, self.stats.packets));
        }
        self.offset = start + total as u64;
        self.kind = Kind::Pcapng { endian, interfaces: Vec::new() };
        Ok(())
    }

    fn next_pcapng(&mut self) -> Option<(Timestamp, LinkType, usize, usize, u32)> {
        loop {
            let Kind::Pcapng { endian, .. } = self.kind else { return None };
            let start = self.offset;
            let mut head = [0u8; 8];
            match fill(&mut self.input, &mut head) {
                Ok(Fill::Full) => {}
                Ok(Fill::Eof) => {
                    self.done = true;
                    return None;
                }
                Ok(Fill::Partial) => {
                    self.fail(
                        ErrorKind::Truncated,
                        "file ends inside a block header".into(),
                        start,
                    );
                    return None;
                }
                Err(e) => {
                    self.fail(ErrorKind::Io, format!("read error: {e}"), start);
                    return None;
                }
            }
            if head[..4] == [0x0a, 0x0d, 0x0d, 0x0a] {
                // A new section: byte order and interfaces start afresh.
                let len_raw = [head[4], head[5], head[6], head[7]];
                if let Err(e) = self.read_shb(start, Some(len_raw)) {
                    self.damage = Some(e);
                    self.done = true;
                    return None;
                }
                continue;
            }
            self.offset += 8;
            let btype = endian.u32(&head, 0);
            let total = endian.u32(&head, 4) as usize;
            if total < 12 || !total.is_multiple_of(4) || total > MAX_BLOCK {
                self.fail(
                    ErrorKind::Corrupt,
                    format!("pcapng block of type 0x{btype:x} has an impossible length {total}"),
                    start,
                );
                return None;
            }
            if !self.read_body(total - 8, "pcapng block", start) {
                return None;
            }
            let body_len = total - 12;
            if endian.u32(&self.buf, body_len) as usize != total {
                self.fail(
                    ErrorKind::Corrupt,
                    format!("pcapng block of type 0x{btype:x} has mismatched lengths"),
                    start,
                );
                return None;
            }
            match btype {
                1 => self.read_idb(endian, body_len),
                6 | 2 => {
                    if let Some(p) = self.read_epb(endian, body_len, btype == 2, start) {
                        return Some(p);
                    }
                    if self.done {
                        return None;
                    }
                }
                3 => {
                    if let Some(p) = self.read_spb(endian, body_len) {
                        return Some(p);
                    }
                }
                _ => self.stats.blocks_skipped += 1,
            }
        }
    }

    fn read_idb(&mut self, endian: Endian, body_len: usize) {
        let b = &self.buf[..body_len.min(self.buf.len())];
        let mut iface = Interface {
            linktype: LinkType(u32::from(endian.u16(b, 0))),
            tsresol: (false, 6),
            tsoffset: 0,
            snaplen: endian.u32(b, 4),
        };
        let mut at = 8;
        while at + 4 <= b.len() {
            let code = endian.u16(b, at);
            let len = endian.u16(b, at + 2) as usize;
            let val = b.get(at + 4..at + 4 + len).unwrap_or(&[]);
            match code {
                0 => break,
                9 if !val.is_empty() => iface.tsresol = (val[0] & 0x80 != 0, val[0] & 0x7f),
                14 if val.len() == 8 => {
                    let hi = i64::from(endian.u32(val, 0));
                    let lo = i64::from(endian.u32(val, 4));
                    iface.tsoffset = match endian {
                        Endian::Little => (lo << 32) | hi,
                        Endian::Big => (hi << 32) | lo,
                    };
                }
                _ => {}
            }
            at += 4 + len.div_ceil(4) * 4;
        }
        if let Kind::Pcapng { interfaces, .. } = &mut self.kind {
            interfaces.push(iface);
        }
    }

    fn interface(&self, id: usize) -> Option<Interface> {
        match &self.kind {
            Kind::Pcapng { interfaces, .. } => interfaces.get(id).copied(),
            Kind::Pcap { .. } => None,
        }
    }

    fn read_epb(
        &mut self,
        endian: Endian,
        body_len: usize,
        obsolete: bool,
        start: u64,
    ) -> Option<(Timestamp, LinkType, usize, usize, u32)> {
        let b = &self.buf;
        if body_len < 20 {
            self.fail(ErrorKind::Corrupt, "pcapng packet block is too short".into(), start);
            return None;
        }
        let id = if obsolete { endian.u16(b, 0) as usize } else { endian.u32(b, 0) as usize };
        let hi = u64::from(endian.u32(b, 4));
        let lo = u64::from(endian.u32(b, 8));
        let cap = endian.u32(b, 12) as usize;
        let orig = endian.u32(b, 16);
        if cap > body_len - 20 {
            self.fail(
                ErrorKind::Corrupt,
                format!(
                    "pcapng packet block claims {cap} captured bytes in a {body_len}-byte body"
                ),
                start,
            );
            return None;
        }
        let Some(iface) = self.interface(id) else {
            self.stats.unknown_interface += 1;
            return None;
        };
        let ts = convert_ts((hi << 32) | lo, iface);
        Some((ts, iface.linktype, 20, cap, orig))
    }

    fn read_spb(
        &mut self,
        endian: Endian,
        body_len: usize,
    ) -> Option<(Timestamp, LinkType, usize, usize, u32)> {
        let Some(iface) = self.interface(0) else {
            self.stats.unknown_interface += 1;
            return None;
        };
        let orig = endian.u32(&self.buf, 0);
        let mut cap = (orig as usize).min(body_len.saturating_sub(4));
        if iface.snaplen != 0 {
            cap = cap.min(iface.snaplen as usize);
        }
        Some((Timestamp(0), iface.linktype, 4, cap, orig))
    }
}

fn convert_ts(units: u64, iface: Interface) -> Timestamp {
    let (pow2, exp) = iface.tsresol;
    let units = u128::from(units);
    let ns = if pow2 {
        (units * 1_000_000_000) >> exp.min(127)
    } else if exp <= 9 {
        units * 10u128.pow(u32::from(9 - exp))
    } else {
        units / 10u128.pow(u32::from(exp.min(38) - 9))
    };
    let ns = ns as i128 + i128::from(iface.tsoffset) * 1_000_000_000;
    Timestamp(ns.clamp(0, i128::from(u64::MAX)) as u64)
}

pub(crate) fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsresol_units() {
        let iface =
            Interface { linktype: LinkType(1), tsresol: (false, 9), tsoffset: 0, snaplen: 0 };
        assert_eq!(convert_ts(5, iface).0, 5);
        let iface = Interface { tsresol: (false, 6), ..iface };
        assert_eq!(convert_ts(5, iface).0, 5000);
        let iface = Interface { tsresol: (true, 1), ..iface };
        assert_eq!(convert_ts(3, iface).0, 1_500_000_000);
    }
}
