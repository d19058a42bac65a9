//! What the engine is asked, and what it answers.
//!
//! rulesim-core never sees a packet. The simulator (or `rulesim check`)
//! describes one packet of a flow as an [`Observation`]: addresses, direction,
//! whether the flow is established, and which application-layer event, if
//! any, this packet completed (a ClientHello with its SNI, an HTTP request
//! with its Host, a DNS question). The answer is a [`Decision`]: the verdict,
//! the rule or default action that decided it, and every alert logged on the
//! way.
//!
//! This module also holds the *definition* of matching: [`Content::matches`]
//! and [`BufferMatch::matches`] are the plain, obviously-correct reading of
//! Suricata's keywords. The compiled matcher is tested against them.

use std::net::IpAddr;

use serde::Serialize;

use crate::policy::{
    Action, Buffer, BufferMatch, Content, DefaultAction, DefaultScope, FlowDirection, FlowState,
    Protocol,
};

/// The transport protocol of a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// ICMP or ICMPv6.
    Icmp,
    /// Anything else (the IP protocol number).
    Other(u8),
}

/// A TLS ClientHello that this packet completed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientHello<'a> {
    /// The `tls.sni` buffer: raw SNI bytes, `None` when the hello has no SNI.
    pub sni: Option<&'a [u8]>,
}

/// An HTTP request whose headers this packet completed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpRequest<'a> {
    /// The `http.host` buffer (normalised: see [`crate::name::observe`]).
    pub host: Option<&'a [u8]>,
    /// The `http.header_names` buffer, `None` for a request without headers.
    pub header_names: Option<&'a [u8]>,
}

/// One packet, as far as the rules are concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Observation<'a> {
    /// Transport protocol.
    pub transport: Transport,
    /// The application protocol detected on the flow so far, if any.
    pub app: Option<Protocol>,
    /// Source address of this packet.
    pub src: IpAddr,
    /// Source port (0 for ICMP).
    pub src_port: u16,
    /// Destination address of this packet.
    pub dst: IpAddr,
    /// Destination port (0 for ICMP).
    pub dst_port: u16,
    /// Whether the packet goes from client to server.
    pub to_server: bool,
    /// Whether the flow is established at this packet (TCP: after the
    /// handshake's final ACK; UDP: once packets were seen both ways).
    pub established: bool,
    /// Whether the application layer has been inspected by now (the
    /// `established_app_layer` default actions wait for this).
    pub app_layer_inspected: bool,
    /// A ClientHello this packet completed.
    pub client_hello: Option<ClientHello<'a>>,
    /// An HTTP request this packet completed.
    pub http: Option<HttpRequest<'a>>,
    /// A DNS question this packet carried (`dns.query` buffer).
    pub dns_query: Option<&'a [u8]>,
}

impl<'a> Observation<'a> {
    /// The value of `buffer` at this packet, if the packet provides it.
    pub fn buffer(&self, buffer: Buffer) -> Option<&'a [u8]> {
        match buffer {
            Buffer::TlsSni => self.client_hello.and_then(|h| h.sni),
            Buffer::HttpHost => self.http.and_then(|h| h.host),
            Buffer::HttpHeaderNames => self.http.and_then(|h| h.header_names),
            Buffer::DnsQuery => self.dns_query,
        }
    }

    /// Whether a rule for `protocol` applies to this packet's flow.
    pub fn has_protocol(&self, protocol: Protocol) -> bool {
        match protocol {
            Protocol::Ip => true,
            Protocol::Tcp => self.transport == Transport::Tcp,
            Protocol::Udp => self.transport == Transport::Udp,
            Protocol::Icmp => self.transport == Transport::Icmp,
            app => self.app == Some(app),
        }
    }

    /// Whether `flow:` options hold for this packet.
    pub fn satisfies_flow(
        &self,
        direction: Option<FlowDirection>,
        state: Option<FlowState>,
    ) -> bool {
        let direction_ok = match direction {
            None => true,
            Some(FlowDirection::ToServer) => self.to_server,
            Some(FlowDirection::ToClient) => !self.to_server,
        };
        let state_ok = match state {
            None | Some(FlowState::Stateless) => true,
            Some(FlowState::Established) => self.established,
            Some(FlowState::NotEstablished) => !self.established,
        };
        direction_ok && state_ok
    }

    /// Whether a default action of `scope` applies to this packet.
    pub fn in_default_scope(&self, scope: DefaultScope) -> bool {
        match scope {
            DefaultScope::Strict => true,
            DefaultScope::Established => self.established,
            DefaultScope::EstablishedAppLayer => self.established && self.app_layer_inspected,
            DefaultScope::EstablishedAppLayerToServer => {
                self.established && self.app_layer_inspected && self.to_server
            }
        }
    }
}

impl Content {
    /// Whether this content matches `buffer` (already transformed, e.g. with
    /// the `dotprefix` dot prepended). The definition of the keywords.
    pub fn matches(&self, buffer: &[u8]) -> bool {
        self.find(buffer) != self.negated
    }

    fn find(&self, buffer: &[u8]) -> bool {
        let pattern = &self.pattern[..];
        let start = usize::from(self.offset.unwrap_or(0));
        let limit = match self.depth {
            Some(depth) => (start + usize::from(depth)).min(buffer.len()),
            None => buffer.len(),
        };
        if start > limit || limit - start < pattern.len() {
            return false;
        }
        let eq = |window: &[u8]| {
            if self.nocase { window.eq_ignore_ascii_case(pattern) } else { window == pattern }
        };
        if self.startswith {
            return start == 0
                && eq(&buffer[..pattern.len()])
                && (!self.endswith || buffer.len() == pattern.len());
        }
        if self.endswith {
            return limit == buffer.len() && eq(&buffer[buffer.len() - pattern.len()..]);
        }
        buffer[start..limit].windows(pattern.len().max(1)).any(eq) || pattern.is_empty()
    }
}

impl BufferMatch {
    /// Whether every content matches `value` (after the transforms).
    pub fn matches(&self, value: &[u8]) -> bool {
        let all = |buffer: &[u8]| {
            self.contents.iter().all(|c| c.matches(buffer))
                && self.pcres.iter().all(|p| p.matches(buffer))
        };
        if self.dotprefix {
            let mut dotted = Vec::with_capacity(value.len() + 1);
            dotted.push(b'.');
            dotted.extend_from_slice(value);
            all(&dotted)
        } else {
            all(value)
        }
    }
}

/// Identifies one rule: its group (index in [`crate::Policy::groups`]) and
/// its index within the group's rules (for domain lists, `sid - 1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct RuleId {
    /// Index of the group in the policy.
    pub group: u32,
    /// Index of the rule within the group.
    pub rule: u32,
}

/// What happens to the packet (and, for app-layer rules, the flow).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Let through.
    Pass,
    /// Dropped.
    Drop,
    /// Dropped, and the TCP connection reset.
    Reject,
}

/// Who decided a [`Decision`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DecidedBy {
    /// A rule's action.
    Rule {
        /// The rule.
        id: RuleId,
        /// Whether it decides for the whole flow (app-layer and IP-only
        /// rules) or only this packet.
        flow_scope: bool,
    },
    /// A stateful default action.
    Default {
        /// Which.
        action: DefaultAction,
    },
    /// Nothing: no rule matched and no default applies, so the packet passes.
    Nothing,
}

/// A log record the decision produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AlertSource {
    /// A rule that logs (alert, drop, reject, pass with `alert`).
    Rule {
        /// The rule.
        id: RuleId,
        /// The rule's action.
        action: Action,
    },
    /// An alert default action (`aws:alert_*`).
    Default {
        /// Which.
        action: DefaultAction,
    },
}

/// The engine's answer for one [`Observation`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// What happens to the packet.
    pub verdict: Verdict,
    /// Who decided.
    pub decided_by: DecidedBy,
    /// Every alert logged, in evaluation order.
    pub alerts: Vec<AlertSource>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(pattern: &str) -> Content {
        Content { pattern: pattern.as_bytes().to_vec(), ..Content::default() }
    }

    #[test]
    fn content_keywords() {
        let exact = Content { startswith: true, endswith: true, ..c("example.com") };
        assert!(exact.matches(b"example.com"));
        assert!(!exact.matches(b"www.example.com"));
        assert!(!exact.matches(b"EXAMPLE.com"));
        assert!(Content { nocase: true, ..exact.clone() }.matches(b"EXAMPLE.com"));

        let suffix = BufferMatch {
            buffer: Buffer::TlsSni,
            dotprefix: true,
            contents: vec![Content { endswith: true, ..c(".example.com") }],
            pcres: Vec::new(),
        };
        assert!(suffix.matches(b"example.com"));
        assert!(suffix.matches(b"a.b.example.com"));
        assert!(!suffix.matches(b"badexample.com"));
        assert!(!suffix.matches(b"example.com.evil.net"));
        assert!(!suffix.matches(b"example.com."));

        assert!(c("ampl").matches(b"example.com"));
        assert!(!Content { negated: true, ..c("ampl") }.matches(b"example.com"));
        assert!(Content { startswith: true, ..c("exa") }.matches(b"example.com"));
        assert!(!Content { startswith: true, ..c("xa") }.matches(b"example.com"));
        assert!(Content { endswith: true, ..c(".com") }.matches(b"example.com"));
        assert!(Content { depth: Some(4), ..c("exam") }.matches(b"example.com"));
        assert!(!Content { depth: Some(3), ..c("exam") }.matches(b"example.com"));
        assert!(Content { offset: Some(2), ..c("ample") }.matches(b"example.com"));
        assert!(!Content { offset: Some(3), ..c("ample") }.matches(b"example.com"));
        assert!(!c("toolongpattern").matches(b"short"));

        let api = crate::policy::Pcre::new("/^api[0-9]+\\./i", "(?i)^api[0-9]+\\.", false).unwrap();
        let with_pcre = BufferMatch {
            buffer: Buffer::TlsSni,
            dotprefix: false,
            contents: Vec::new(),
            pcres: vec![api],
        };
        assert!(with_pcre.matches(b"API7.example.com"));
        assert!(!with_pcre.matches(b"www.api7.example.com"));
    }
}
