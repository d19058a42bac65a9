//! Probe packets: the packet that would carry a name, for asking the
//! compiled matcher what it decides.
//!
//! The linter proves its behavioural claims by evaluating such packets, and
//! `rulesim test` and `rulesim diff` use the same ones, so "a name's
//! verdict" means one thing everywhere: the packet that completes a TLS
//! ClientHello, an HTTP request or a DNS query from a `HOME_NET` client to an
//! external server, on an established flow (a DNS query is the flow's first
//! packet), exactly as `rulesim check` builds it.

use std::net::IpAddr;

use crate::address::IpSet;
use crate::eval::{ClientHello, HttpRequest, Observation, Transport};
use crate::policy::{Policy, Protocol, TargetType};

/// The server address probes go to: 198.51.100.1, a documentation address
/// outside every private range.
pub const PROBE_SERVER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, 1));

/// The client address probes come from: the first address of the policy's
/// HOME_NET (10.0.0.1 if it is empty).
pub fn client(policy: &Policy) -> IpAddr {
    IpSet::from_nets(&policy.home_net.cidrs).first().unwrap_or(IpAddr::from([10, 0, 0, 1]))
}

/// The packet that carries `buffer` (already in the form Suricata inspects,
/// see [`crate::name::observe`]) as `kind`, from `src` to `dst`.
pub fn name_packet(kind: TargetType, buffer: &[u8], src: IpAddr, dst: IpAddr) -> Observation<'_> {
    let base = Observation {
        transport: Transport::Tcp,
        app: None,
        src,
        src_port: 49152,
        dst,
        dst_port: 443,
        to_server: true,
        established: true,
        app_layer_inspected: true,
        client_hello: None,
        http: None,
        dns_query: None,
    };
    match kind {
        TargetType::TlsSni => Observation {
            app: Some(Protocol::Tls),
            client_hello: Some(ClientHello { sni: Some(buffer) }),
            ..base
        },
        TargetType::HttpHost => Observation {
            app: Some(Protocol::Http),
            dst_port: 80,
            http: Some(HttpRequest { host: Some(buffer), header_names: Some(b"\r\nHost\r\n\r\n") }),
            ..base
        },
        TargetType::Dns => Observation {
            transport: Transport::Udp,
            app: Some(Protocol::Dns),
            dst_port: 53,
            established: false,
            dns_query: Some(buffer),
            ..base
        },
    }
}

/// The first packet of a TCP handshake (a SYN to port 443) from `src`.
pub fn handshake_packet(src: IpAddr) -> Observation<'static> {
    Observation {
        transport: Transport::Tcp,
        app: None,
        src,
        src_port: 49152,
        dst: PROBE_SERVER,
        dst_port: 443,
        to_server: true,
        established: false,
        app_layer_inspected: false,
        client_hello: None,
        http: None,
        dns_query: None,
    }
}
