//! rulesim-core: domain names, the firewall policy model, the compiled
//! matcher and AWS Network Firewall's verdict semantics.
//!
//! This crate answers one question, offline and fast: *given this policy,
//! what does AWS Network Firewall do with a packet that carries this TLS SNI,
//! HTTP Host or DNS name, and which rule decided?* It never sees a packet:
//! callers describe one as an [`Observation`]. Capture decoding lives in
//! `rulesim-wire`, the packet-by-packet simulator in `rulesim-sim`, and AWS's
//! own file formats in `rulesim-aws`.
//!
//! The flow through the crate:
//!
//! 1. Names enter through [`name`]: targets are validated and normalised,
//!    observed names turned into the buffers Suricata inspects.
//! 2. A [`Policy`] is read (for instance from the native YAML format, see
//!    [`native`]) or built in code.
//! 3. [`CompiledPolicy::build`] validates it and compiles it: domain lists
//!    into an fst of reversed names, unanchored contents into Aho-Corasick,
//!    addresses into range sets.
//! 4. [`CompiledPolicy::evaluate`] returns a [`Decision`] naming the deciding
//!    rule or default action and every alert.
//!
//! ```
//! use rulesim_core::{native, CompiledPolicy, Observation, Transport, ClientHello, Verdict};
//!
//! let yaml = "
//! rule_order: strict_order
//! default_actions: [aws:drop_established]
//! home_net: [10.0.0.0/16]
//! groups:
//!   - name: allowed
//!     priority: 1
//!     allow: [.wikipedia.org]
//! ";
//! let policy = native::parse("rulesim.yaml".as_ref(), yaml, &|_| Err("no includes".into())).unwrap();
//! let compiled = CompiledPolicy::build(policy).unwrap();
//! let hello = |sni: &'static str| Observation {
//!     transport: Transport::Tcp,
//!     app: Some(rulesim_core::Protocol::Tls),
//!     src: "10.0.0.5".parse().unwrap(),
//!     src_port: 40000,
//!     dst: "198.51.100.7".parse().unwrap(),
//!     dst_port: 443,
//!     to_server: true,
//!     established: true,
//!     app_layer_inspected: true,
//!     client_hello: Some(ClientHello { sni: Some(sni.as_bytes()) }),
//!     http: None,
//!     dns_query: None,
//! };
//! assert_eq!(compiled.evaluate(&hello("en.wikipedia.org")).verdict, Verdict::Pass);
//! assert_eq!(compiled.evaluate(&hello("twitter.com")).verdict, Verdict::Drop);
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod address;
mod compile;
pub mod error;
mod eval;
pub mod expand;
pub mod index;
pub mod lint;
pub mod name;
pub mod native;
pub mod policy;
pub mod policytest;
pub mod source;

pub use compile::{CompiledPolicy, CompiledPolicyBuilder, Match, MemoryUsage, RuleSummary};
pub use error::{Error, ErrorKind, Errors};
pub use eval::{
    AlertSource, ClientHello, DecidedBy, Decision, HttpRequest, Observation, RuleId, Transport,
    Verdict,
};
pub use policy::{
    Action, Buffer, BufferMatch, Content, DefaultAction, DefaultScope, Direction, DomainList,
    FlowDirection, FlowOptions, FlowState, Generation, HomeNet, ListKind, Pcre, Policy, Protocol,
    Rule, RuleGroup, RuleOrder, RulesSource, StatelessAction, StreamExceptionPolicy, Target,
    TargetType,
};
pub use source::{Location, Origin, Provenance};
