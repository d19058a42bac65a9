//! Link, IP and transport decoding over checked, zero-copy views.
//!
//! Every field access goes through `slice::get`, so a short or lying header
//! yields a counted [`Skip`] and never a panic. Payloads are borrowed from
//! the record buffer; nothing is copied here.
//!
//! Tunnels a firewall sits behind are taken off: VLAN and QinQ tags, GENEVE
//! (AWS Gateway Load Balancer, UDP 6081), VXLAN (UDP 4789), GTP-U
//! (UDP 2152), Teredo (UDP 3544), AYIYA (UDP 5072), GRE (also over UDP
//! 4754, and PPTP's PPP over GRE) and IP-in-IP. The packet reported is the
//! innermost.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::capture::LinkType;

/// TCP header flags. Unknown bits are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    /// FIN.
    pub const FIN: u8 = 0x01;
    /// SYN.
    pub const SYN: u8 = 0x02;
    /// RST.
    pub const RST: u8 = 0x04;
    /// PSH.
    pub const PSH: u8 = 0x08;
    /// ACK.
    pub const ACK: u8 = 0x10;

    /// Whether all bits of `mask` are set.
    pub fn has(self, mask: u8) -> bool {
        self.0 & mask == mask
    }
}

/// The fields of a TCP header that flow tracking needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpHeader {
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgement number.
    pub ack: u32,
    /// Flags.
    pub flags: TcpFlags,
}

/// The transport layer of a decoded IP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum L4<'a> {
    /// TCP segment.
    Tcp {
        /// Header fields.
        hdr: TcpHeader,
        /// Segment payload (as captured).
        payload: &'a [u8],
    },
    /// UDP datagram.
    Udp {
        /// Source port.
        sport: u16,
        /// Destination port.
        dport: u16,
        /// Datagram payload (as captured).
        payload: &'a [u8],
    },
    /// ICMP or ICMPv6 message.
    Icmp {
        /// ICMP type.
        icmp_type: u8,
        /// ICMP code.
        code: u8,
    },
    /// A fragment of a fragmented IP packet: the transport header is only
    /// read once the fragments are put back together.
    Fragment(FragmentInfo<'a>),
    /// Another IP protocol; the value is the protocol number.
    Other(u8),
}

/// One IP fragment, as needed to put the packet back together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FragmentInfo<'a> {
    /// Identification field (IPv4: 16 bits; IPv6: 32 bits).
    pub id: u32,
    /// Protocol of the reassembled payload.
    pub proto: u8,
    /// Byte offset of this piece within the reassembled payload.
    pub offset: usize,
    /// More fragments follow.
    pub more: bool,
    /// This piece.
    pub data: &'a [u8],
}

/// A decoded IP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpPacket<'a> {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// Transport layer.
    pub l4: L4<'a>,
    /// Part of a fragmented IP packet (first or later fragment).
    pub fragment: bool,
    /// Number of tunnel headers removed to reach this packet.
    pub tunnels: u8,
    /// The capture holds fewer bytes than the IP header announced.
    pub truncated: bool,
}

/// Why a packet yielded no IP layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Skip {
    /// A link type this crate does not decode.
    UnsupportedLinkType,
    /// A valid frame that does not carry IP (ARP, LLDP, ...).
    NotIp,
    /// Headers cut short by the capture's snaplen.
    Truncated,
    /// Headers with impossible values.
    Malformed,
}

const MAX_TUNNEL_DEPTH: u8 = 4;

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([*b.get(at)?, *b.get(at + 1)?, *b.get(at + 2)?, *b.get(at + 3)?]))
}

/// Decodes one captured frame of the given link type down to its
/// (innermost) IP packet.
pub fn decode(linktype: LinkType, frame: &[u8]) -> Result<IpPacket<'_>, Skip> {
    decode_link(linktype, frame, 0)
}

fn decode_link(linktype: LinkType, f: &[u8], depth: u8) -> Result<IpPacket<'_>, Skip> {
    match linktype {
        LinkType::ETHERNET => decode_ethernet(f, depth),
        LinkType::RAW | LinkType::RAW_OLD | LinkType::RAW_BSD => decode_ip_any(f, depth),
        LinkType::IPV4 => decode_ipv4(f, depth),
        LinkType::IPV6 => decode_ipv6(f, depth),
        LinkType::NULL | LinkType::LOOP => {
            let fam = f.get(..4).ok_or(Skip::Truncated)?;
            // The family is in host order of the capturing machine; accept
            // both orders. 2 = AF_INET; 24, 28, 30 = AF_INET6 on BSDs/macOS.
            let v = if fam[0] != 0 { fam[0] } else { fam[3] };
            match v {
                2 => decode_ipv4(&f[4..], depth),
                24 | 28 | 30 | 10 => decode_ipv6(&f[4..], depth),
                _ => Err(Skip::NotIp),
            }
        }
        LinkType::LINUX_SLL => {
            let proto = be16(f, 14).ok_or(Skip::Truncated)?;
            decode_ethertype(proto, f.get(16..).ok_or(Skip::Truncated)?, depth)
        }
        LinkType::LINUX_SLL2 => {
            let proto = be16(f, 0).ok_or(Skip::Truncated)?;
            decode_ethertype(proto, f.get(20..).ok_or(Skip::Truncated)?, depth)
        }
        LinkType::PPP => decode_ppp(f, depth),
        _ => Err(Skip::UnsupportedLinkType),
    }
}

/// PPP with optional HDLC address/control bytes and an optionally
/// compressed (1-byte) protocol field.
fn decode_ppp(f: &[u8], depth: u8) -> Result<IpPacket<'_>, Skip> {
    let b = f.strip_prefix(&[0xff, 0x03][..]).unwrap_or(f);
    let first = *b.first().ok_or(Skip::Truncated)?;
    let (proto, rest) = if first & 1 == 1 {
        (u16::from(first), &b[1..])
    } else {
        (be16(b, 0).ok_or(Skip::Truncated)?, &b[2..])
    };
    match proto {
        0x0021 => decode_ipv4(rest, depth),
        0x0057 => decode_ipv6(rest, depth),
        _ => Err(Skip::NotIp),
    }
}

/// GRE (RFC 2784/2890) and PPTP's enhanced GRE (RFC 2637).
fn decode_gre(b: &[u8], depth: u8) -> Result<IpPacket<'_>, Skip> {
    let flags = be16(b, 0).ok_or(Skip::Truncated)?;
    let proto = be16(b, 2).ok_or(Skip::Truncated)?;
    let mut at = 4;
    for bit in [0x8000u16, 0x2000, 0x1000] {
        // Checksum(+reserved), key, sequence number.
        if flags & bit != 0 || (bit == 0x8000 && flags & 0x4000 != 0) {
            at += 4;
        }
    }
    if flags & 0x0007 == 1 && flags & 0x0080 != 0 {
        // Enhanced GRE acknowledgement number.
        at += 4;
    }
    let inner = b.get(at..).ok_or(Skip::Truncated)?;
    match proto {
        0x6558 => decode_ethernet(inner, depth),
        0x880b => decode_ppp(inner, depth),
        // ERSPAN type II: 8-byte header, then Ethernet.
        0x88be => decode_ethernet(inner.get(8..).ok_or(Skip::Truncated)?, depth),
        other => decode_ethertype(other, inner, depth),
    }
}

fn decode_ethernet(f: &[u8], depth: u8) -> Result<IpPacket<'_>, Skip> {
    let ethertype = be16(f, 12).ok_or(Skip::Truncated)?;
    decode_ethertype(ethertype, &f[14..], depth)
}

fn decode_ethertype(mut ethertype: u16, mut b: &[u8], depth: u8) -> Result<IpPacket<'_>, Skip> {
    // VLAN (802.1Q), QinQ (802.1ad) and the old 0x9100 tag, any depth.
    while matches!(ethertype, 0x8100 | 0x88a8 | 0x9100) {
        ethertype = be16(b, 2).ok_or(Skip::Truncated)?;
        b = &b[4..];
    }
    match ethertype {
        0x0800 => decode_ipv4(b, depth),
        0x86dd => decode_ipv6(b, depth),
        _ => Err(Skip::NotIp),
    }
}

fn decode_ip_any(b: &[u8], depth: u8) -> Result<IpPacket<'_>, Skip> {
    match b.first().map(|v| v >> 4) {
        Some(4) => decode_ipv4(b, depth),
        Some(6) => decode_ipv6(b, depth),
        Some(_) => Err(Skip::Malformed),
        None => Err(Skip::Truncated),
    }
}

fn decode_ipv4(b: &[u8], depth: u8) -> Result<IpPacket<'_>, Skip> {
    let first = *b.first().ok_or(Skip::Truncated)?;
    if first >> 4 != 4 {
        return Err(Skip::Malformed);
    }
    let ihl = usize::from(first & 0x0f) * 4;
    if ihl < 20 {
        return Err(Skip::Malformed);
    }
    if b.len() < ihl {
        return Err(Skip::Truncated);
    }
    let total = usize::from(be16(b, 2).ok_or(Skip::Truncated)?);
    if total < ihl {
        return Err(Skip::Malformed);
    }
    let truncated = total > b.len();
    // Ethernet padding after the IP packet is not payload.
    let end = total.min(b.len());
    let frag = be16(b, 6).ok_or(Skip::Truncated)?;
    let more_fragments = frag & 0x2000 != 0;
    let offset = frag & 0x1fff;
    let proto = b[9];
    let src = IpAddr::V4(Ipv4Addr::new(b[12], b[13], b[14], b[15]));
    let dst = IpAddr::V4(Ipv4Addr::new(b[16], b[17], b[18], b[19]));
    let body = &b[ihl..end];
    if more_fragments || offset != 0 {
        let info = FragmentInfo {
            id: u32::from(be16(b, 4).ok_or(Skip::Truncated)?),
            proto,
            offset: usize::from(offset) * 8,
            more: more_fragments,
            data: body,
        };
        return Ok(fragment(src, dst, info, truncated, depth));
    }
    transport(src, dst, proto, body, truncated, depth)
}

fn decode_ipv6(b: &[u8], depth: u8) -> Result<IpPacket<'_>, Skip> {
    if b.len() < 40 {
        return Err(Skip::Truncated);
    }
    if b[0] >> 4 != 6 {
        return Err(Skip::Malformed);
    }
    let plen = usize::from(be16(b, 4).ok_or(Skip::Truncated)?);
    let truncated = 40 + plen > b.len();
    // Jumbograms (plen 0 with a hop-by-hop option) take what was captured.
    let end = if plen == 0 { b.len() } else { (40 + plen).min(b.len()) };
    let mut src = [0u8; 16];
    src.copy_from_slice(&b[8..24]);
    let mut dst = [0u8; 16];
    dst.copy_from_slice(&b[24..40]);
    let (src, dst) = (IpAddr::V6(Ipv6Addr::from(src)), IpAddr::V6(Ipv6Addr::from(dst)));
    let mut next = b[6];
    let mut at = 40;
    let mut frag: Option<(u32, usize, bool)> = None;
    // Walk the extension headers, at most a handful.
    for _ in 0..8 {
        match next {
            0 | 43 | 60 | 135 | 139 | 140 => {
                let nh = *b.get(at).ok_or(Skip::Truncated)?;
                let len = (usize::from(*b.get(at + 1).ok_or(Skip::Truncated)?) + 1) * 8;
                next = nh;
                at += len;
            }
            51 => {
                let nh = *b.get(at).ok_or(Skip::Truncated)?;
                let len = (usize::from(*b.get(at + 1).ok_or(Skip::Truncated)?) + 2) * 4;
                next = nh;
                at += len;
            }
            44 => {
                let nh = *b.get(at).ok_or(Skip::Truncated)?;
                let off = be16(b, at + 2).ok_or(Skip::Truncated)?;
                let id = be32(b, at + 4).ok_or(Skip::Truncated)?;
                frag = Some((id, usize::from(off >> 3) * 8, off & 1 != 0));
                next = nh;
                at += 8;
            }
            _ => break,
        }
    }
    let body = b.get(at..end).ok_or(if truncated { Skip::Truncated } else { Skip::Malformed })?;
    match frag {
        // An atomic fragment (offset 0, no more) is a whole packet.
        Some((id, offset, more)) if offset != 0 || more => {
            let info = FragmentInfo { id, proto: next, offset, more, data: body };
            Ok(fragment(src, dst, info, truncated, depth))
        }
        _ => transport(src, dst, next, body, truncated, depth),
    }
}

fn fragment(
    src: IpAddr,
    dst: IpAddr,
    info: FragmentInfo<'_>,
    truncated: bool,
    depth: u8,
) -> IpPacket<'_> {
    IpPacket { src, dst, l4: L4::Fragment(info), fragment: true, tunnels: depth, truncated }
}

/// Decodes the transport layer of an IP payload (`body`), taking tunnels
/// off. Also used on payloads rebuilt from fragments.
pub fn transport(
    src: IpAddr,
    dst: IpAddr,
    proto: u8,
    body: &[u8],
    truncated: bool,
    depth: u8,
) -> Result<IpPacket<'_>, Skip> {
    let mut pkt =
        IpPacket { src, dst, l4: L4::Other(proto), fragment: false, tunnels: depth, truncated };
    match proto {
        6 => {
            let sport = be16(body, 0).ok_or(Skip::Truncated)?;
            let dport = be16(body, 2).ok_or(Skip::Truncated)?;
            let seq = be32(body, 4).ok_or(Skip::Truncated)?;
            let ack = be32(body, 8).ok_or(Skip::Truncated)?;
            let off = usize::from(*body.get(12).ok_or(Skip::Truncated)? >> 4) * 4;
            let flags = TcpFlags(*body.get(13).ok_or(Skip::Truncated)?);
            if off < 20 {
                return Err(Skip::Malformed);
            }
            let payload = body.get(off..).ok_or(Skip::Truncated)?;
            pkt.l4 = L4::Tcp { hdr: TcpHeader { sport, dport, seq, ack, flags }, payload };
        }
        17 => {
            let sport = be16(body, 0).ok_or(Skip::Truncated)?;
            let dport = be16(body, 2).ok_or(Skip::Truncated)?;
            let len = usize::from(be16(body, 4).ok_or(Skip::Truncated)?);
            let end = if len >= 8 { len.min(body.len()) } else { body.len() };
            let payload = body.get(8..end).unwrap_or(&[]);
            if depth < MAX_TUNNEL_DEPTH
                && let Some(inner) = decapsulate(sport, dport, payload, depth + 1)
            {
                return Ok(inner);
            }
            pkt.l4 = L4::Udp { sport, dport, payload };
        }
        1 | 58 => {
            let icmp_type = *body.first().ok_or(Skip::Truncated)?;
            let code = *body.get(1).ok_or(Skip::Truncated)?;
            pkt.l4 = L4::Icmp { icmp_type, code };
        }
        47 if depth < MAX_TUNNEL_DEPTH => {
            if let Ok(inner) = decode_gre(body, depth + 1) {
                return Ok(inner);
            }
        }
        4 if depth < MAX_TUNNEL_DEPTH => {
            if let Ok(inner) = decode_ipv4(body, depth + 1) {
                return Ok(inner);
            }
        }
        41 if depth < MAX_TUNNEL_DEPTH => {
            if let Ok(inner) = decode_ipv6(body, depth + 1) {
                return Ok(inner);
            }
        }
        _ => {}
    }
    Ok(pkt)
}

/// Takes a UDP tunnel header off, if the ports name one and the inner
/// packet decodes. Otherwise the outer datagram stands.
fn decapsulate(sport: u16, dport: u16, p: &[u8], depth: u8) -> Option<IpPacket<'_>> {
    let is = |port| sport == port || dport == port;
    if is(6081) {
        // GENEVE: ver(2) optlen(6) | flags | protocol type | VNI(24) rsvd.
        let opt_len = usize::from(p.first()? & 0x3f) * 4;
        let proto = be16(p, 2)?;
        let inner = p.get(8 + opt_len..)?;
        return match proto {
            0x6558 => decode_ethernet(inner, depth).ok(),
            other => decode_ethertype(other, inner, depth).ok(),
        };
    }
    if is(4789) || is(8472) {
        // VXLAN: flags(8, I bit set) rsvd(24) VNI(24) rsvd(8), then Ethernet.
        if p.first()? & 0x08 == 0 {
            return None;
        }
        return decode_ethernet(p.get(8..)?, depth).ok();
    }
    if is(2152) {
        // GTP-U v1 G-PDU.
        let flags = *p.first()?;
        if flags >> 5 != 1 || *p.get(1)? != 0xff {
            return None;
        }
        let mut at = 8;
        if flags & 0x07 != 0 {
            let mut next_ext = *p.get(11)?;
            at = 12;
            while next_ext != 0 {
                let len = usize::from(*p.get(at)?) * 4;
                if len == 0 {
                    return None;
                }
                next_ext = *p.get(at + len - 1)?;
                at += len;
            }
        }
        return decode_ip_any(p.get(at..)?, depth).ok();
    }
    if is(4754) {
        return decode_gre(p, depth).ok();
    }
    if is(5072) {
        // AYIYA: identity (2^idlen bytes), signature (4*siglen bytes),
        // then the packet of protocol `next header`.
        let idlen = 1usize << (p.first()? >> 4);
        let siglen = usize::from(p.get(1)? >> 4) * 4;
        let next = *p.get(3)?;
        let inner = p.get(8 + idlen + siglen..)?;
        return match next {
            4 => decode_ipv4(inner, depth).ok(),
            41 => decode_ipv6(inner, depth).ok(),
            _ => None,
        };
    }
    if is(3544) {
        // Teredo: optional authentication / origin indicators, then IPv6.
        let mut at = 0;
        if be16(p, 0)? == 0x0001 {
            let id_len = usize::from(*p.get(2)?);
            let auth_len = usize::from(*p.get(3)?);
            at += 4 + id_len + auth_len + 9;
        }
        if be16(p, at)? == 0x0000 {
            at += 8;
        }
        if p.get(at)? >> 4 == 6 {
            return decode_ipv6(p.get(at..)?, depth).ok();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_frames_are_skips_not_panics() {
        for len in 0..60 {
            let f = vec![0x45u8; len];
            let _ = decode(LinkType::ETHERNET, &f);
            let _ = decode(LinkType::RAW, &f);
            let _ = decode(LinkType::LINUX_SLL2, &f);
        }
        assert_eq!(decode(LinkType(9999), &[0; 40]), Err(Skip::UnsupportedLinkType));
    }
}
