//! rulesim-sim: what AWS Network Firewall would do to every packet and flow
//! of a capture, which rule decided, and what looks wrong.
//!
//! It joins the two halves of rulesim: `rulesim-wire` turns a capture into
//! flow events (who talks to whom, when the flow is established, which
//! packet completed a ClientHello or an HTTP request), `rulesim-core`
//! decides what the policy does with one packet. The [`Simulator`] walks the
//! events in capture order, keeps each flow's state (decided by an app-layer
//! rule, dropped by a default action, midstream), and reports per flow: the
//! verdict, the deciding packet and rule, the names seen, the packets that
//! would be dropped, and [`Finding`]s (no SNI, ECH, QUIC, a split ClientHello
//! whose first segment was dropped, destinations no DNS answer pointed to,
//! ...). It also writes AWS's own ALERT and FLOW log records ([`eve`]).
//!
//! Flows are independent once the policy is fixed, so a capture's flows can
//! be spread over threads by flow id and several captures replayed at once;
//! the result is identical to a single thread (a test holds it so).
//!
//! ```
//! use std::sync::Arc;
//! use rulesim_core::{native, CompiledPolicy};
//! use rulesim_sim::{FlowVerdict, Options, Simulator};
//!
//! let yaml = "
//! rule_order: strict_order
//! default_actions: [aws:drop_established]
//! home_net: [10.200.0.1/32]
//! groups:
//!   - name: allowed
//!     priority: 1
//!     allow: [.pypi.org]
//! ";
//! let policy = native::parse("p.yaml".as_ref(), yaml, &|_| Err("no includes".into())).unwrap();
//! let sim = Simulator::new(Arc::new(CompiledPolicy::build(policy).unwrap()), Options::default());
//! let capture = concat!(env!("CARGO_MANIFEST_DIR"), "/../../pcaps/tls_curl_allowed_blocked.pcap");
//! let replay = sim.replay_file(capture.as_ref())?;
//! for flow in &replay.report.flows {
//!     let allowed = flow.verdict == FlowVerdict::Allowed;
//!     assert_eq!(allowed, flow.names.primary() == Some("pypi.org"), "{flow:?}");
//! }
//! # Ok::<(), rulesim_wire::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod engine;
pub mod eve;
mod findings;
pub mod report;

use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;

use rulesim_core::CompiledPolicy;
use rulesim_wire::{Decoder, Event};

use crate::engine::Engine;
pub use crate::report::{
    CaptureReport, Decider, DirectionCounters, Finding, FlowReport, FlowVerdict,
};

/// How a replay runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// Worker threads (1 = everything on the calling thread).
    pub threads: usize,
    /// Capture decoding limits. The TCP idle timeout is taken from the
    /// policy's `TcpIdleTimeoutSeconds`.
    pub wire: rulesim_wire::Config,
    /// Client bytes after which a flow whose protocol was not recognised
    /// counts as inspected by the application layer (the
    /// `established_app_layer` default actions wait for that). Suricata's
    /// exact cut-off depends on the protocol; 4096 is rulesim's choice.
    pub app_layer_giveup_bytes: u64,
    /// `firewall_name` in log records.
    pub firewall_name: String,
    /// `availability_zone` in log records.
    pub availability_zone: String,
    /// Called with the number of capture bytes read, as they are read (for
    /// progress bars).
    pub progress: Option<Progress>,
}

/// A callback told how many more capture bytes were read.
#[derive(Clone)]
pub struct Progress(pub Arc<dyn Fn(u64) + Send + Sync>);

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress")
    }
}

/// Reads through to `inner`, reporting each read's size.
struct Counting<R> {
    inner: R,
    progress: Option<Progress>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(p) = &self.progress {
            (p.0)(n as u64);
        }
        Ok(n)
    }
}

impl Default for Options {
    fn default() -> Options {
        Options {
            threads: 1,
            wire: rulesim_wire::Config::default(),
            app_layer_giveup_bytes: 4096,
            firewall_name: "rulesim".into(),
            availability_zone: "local".into(),
            progress: None,
        }
    }
}

/// One replayed capture: the report and AWS-format log records.
#[derive(Clone, Debug)]
pub struct Replay {
    /// Per-flow verdicts and findings.
    pub report: CaptureReport,
    /// ALERT log records, in packet order.
    pub alert_logs: Vec<eve::LogRecord<eve::AlertEvent>>,
    /// `firewall_name` and `availability_zone` of every record.
    envelope: (Arc<str>, Arc<str>),
}

impl Replay {
    /// FLOW log records (one per direction of each flow), in flow order.
    /// They are built from the flow reports when asked for, so replays
    /// that write no logs do not pay for them.
    pub fn flow_logs(&self) -> impl Iterator<Item = eve::LogRecord<eve::FlowEvent>> + '_ {
        self.report
            .flows
            .iter()
            .flat_map(eve::flow_records)
            .map(|event| self.record(event.header.timestamp.0, event))
    }

    fn record<E>(&self, timestamp_ns: u64, event: E) -> eve::LogRecord<E> {
        eve::LogRecord {
            firewall_name: Arc::clone(&self.envelope.0),
            availability_zone: Arc::clone(&self.envelope.1),
            event_timestamp: eve::EpochSeconds(timestamp_ns),
            event,
        }
    }
}

/// Replays captures against one compiled policy.
#[derive(Clone, Debug)]
pub struct Simulator {
    policy: Arc<CompiledPolicy>,
    options: Options,
}

/// How many events a decoding thread hands a worker at once.
const BATCH: usize = 256;

/// How many events one thread decodes before simulating them (128 was the
/// fastest of 32, 128, 256, 1024 and 4096 on the bench captures: the batch
/// stays in cache).
const DECODE_BATCH: usize = 128;

impl Simulator {
    /// A simulator for `policy`.
    pub fn new(policy: Arc<CompiledPolicy>, mut options: Options) -> Simulator {
        options.wire.tcp_idle_secs = u64::from(policy.policy().tcp_idle_timeout_secs);
        options.threads = options.threads.max(1);
        Simulator { policy, options }
    }

    /// The compiled policy.
    pub fn policy(&self) -> &CompiledPolicy {
        &self.policy
    }

    /// Replays one capture file, spreading its flows over the configured threads.
    pub fn replay_file(&self, path: &Path) -> Result<Replay, rulesim_wire::Error> {
        let name = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|e| rulesim_wire::Error::io(&name, &e))?;
        let reader = Counting {
            inner: BufReader::with_capacity(rulesim_wire::READ_BUFFER, file),
            progress: self.options.progress.clone(),
        };
        let mut decoder = Decoder::new(reader, &name, self.options.wire.clone())?;
        let mut replay = if self.options.threads > 1 {
            self.replay_sharded(&name, &mut decoder, self.options.threads)
        } else {
            self.replay_events(&name, &mut decoder)
        };
        replay.report.damage = decoder.damage().map(|d| d.to_string());
        Ok(replay)
    }

    /// Replays several files, up to `threads` at a time; results in input order.
    pub fn replay_files(&self, paths: &[PathBuf]) -> Vec<Result<Replay, rulesim_wire::Error>> {
        if paths.len() <= 1 || self.options.threads == 1 {
            return paths.iter().map(|p| self.replay_file(p)).collect();
        }
        let single = Simulator {
            policy: Arc::clone(&self.policy),
            options: Options { threads: 1, ..self.options.clone() },
        };
        let next = std::sync::atomic::AtomicUsize::new(0);
        let results: Vec<std::sync::Mutex<Option<Result<Replay, rulesim_wire::Error>>>> =
            paths.iter().map(|_| std::sync::Mutex::new(None)).collect();
        std::thread::scope(|scope| {
            for _ in 0..self.options.threads.min(paths.len()) {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(path) = paths.get(i) else { break };
                        let result = single.replay_file(path);
                        if let Ok(mut slot) = results[i].lock() {
                            *slot = Some(result);
                        }
                    }
                });
            }
        });
        results
            .into_iter()
            .zip(paths)
            .map(|(slot, path)| {
                slot.into_inner().ok().flatten().unwrap_or_else(|| self.replay_file(path))
            })
            .collect()
    }

    /// Replays a stream of events on the calling thread.
    pub fn replay_events(&self, name: &str, events: impl IntoIterator<Item = Event>) -> Replay {
        let mut engine = Engine::new(&self.policy, &self.options);
        // Decode a batch, then simulate it: each stage keeps its code and
        // data in cache for a while instead of alternating per event.
        let mut events = events.into_iter();
        let mut batch = Vec::with_capacity(DECODE_BATCH);
        loop {
            batch.extend(events.by_ref().take(DECODE_BATCH));
            if batch.is_empty() {
                break;
            }
            for event in batch.drain(..) {
                engine.event(event);
            }
        }
        engine.finish();
        self.assemble(name, vec![engine])
    }

    /// Decodes on this thread and hands each flow's events to one of
    /// `threads` workers, chosen by flow id.
    fn replay_sharded(
        &self,
        name: &str,
        events: &mut dyn Iterator<Item = Event>,
        threads: usize,
    ) -> Replay {
        let engines = std::thread::scope(|scope| {
            let mut senders = Vec::with_capacity(threads);
            let mut handles = Vec::with_capacity(threads);
            for _ in 0..threads {
                let (tx, rx) = mpsc::sync_channel::<Vec<Event>>(64);
                senders.push(tx);
                handles.push(scope.spawn(move || {
                    let mut engine = Engine::new(&self.policy, &self.options);
                    for batch in rx {
                        for event in batch {
                            engine.event(event);
                        }
                    }
                    engine.finish();
                    engine
                }));
            }
            let mut batches: Vec<Vec<Event>> =
                (0..threads).map(|_| Vec::with_capacity(BATCH)).collect();
            for event in events {
                let shard = shard_of(&event, threads);
                batches[shard].push(event);
                if batches[shard].len() >= BATCH {
                    let full = std::mem::replace(&mut batches[shard], Vec::with_capacity(BATCH));
                    let _ = senders[shard].send(full);
                }
            }
            for (batch, sender) in batches.into_iter().zip(&senders) {
                let _ = sender.send(batch);
            }
            drop(senders);
            handles.into_iter().filter_map(|h| h.join().ok()).collect::<Vec<_>>()
        });
        self.assemble(name, engines)
    }

    /// Merges engines' results into one report, in capture order.
    fn assemble(&self, name: &str, engines: Vec<Engine<'_>>) -> Replay {
        let mut flows: Vec<FlowReport> = Vec::new();
        let mut alerts = Vec::new();
        let mut resolutions = Vec::new();
        let mut flowless = report::FlowlessPackets::default();
        let (mut packets, mut dropped) = (0, 0);
        for engine in engines {
            packets += engine.packets;
            dropped += engine.dropped_packets;
            flowless.packets += engine.flowless.packets;
            flowless.dropped.extend(engine.flowless.dropped);
            if flows.is_empty() {
                flows = engine.finished;
            } else {
                flows.extend(engine.finished);
            }
            alerts.extend(engine.alerts);
            resolutions.extend(engine.resolutions);
        }
        flowless.dropped.sort_unstable();
        // Flows finish in the order they close, in long runs of increasing
        // id; reports go by first packet. (A stable sort merges the runs.)
        flows.sort_by_key(|f| f.flow);
        alerts.sort_by_key(|(packet, _, _)| *packet);
        resolutions.sort_by_key(|r| r.packet);
        findings::resolved_ip_checks(&mut flows, &resolutions);
        let mut replay = Replay {
            report: CaptureReport {
                file: name.to_string(),
                packets,
                dropped_packets: dropped,
                flows,
                flowless,
                damage: None,
            },
            alert_logs: Vec::new(),
            envelope: (
                Arc::from(self.options.firewall_name.as_str()),
                Arc::from(self.options.availability_zone.as_str()),
            ),
        };
        replay.alert_logs =
            alerts.into_iter().map(|(_, ts, event)| replay.record(ts, event)).collect();
        replay
    }
}

fn shard_of(event: &Event, threads: usize) -> usize {
    let flow = match event {
        Event::Packet(p) => p.flow,
        Event::FlowOpened { flow, .. } | Event::FlowEstablished { flow, .. } => Some(*flow),
        Event::FlowClosed(c) => Some(c.flow),
        Event::ClientHello(h) | Event::QuicClientHello(h) => Some(h.ctx.flow),
        Event::HttpRequest(h) => Some(h.ctx.flow),
        Event::DnsQuery(d) | Event::DnsAnswer(d) => Some(d.ctx.flow),
        _ => None,
    };
    flow.map_or(0, |f| (f.0 % threads as u64) as usize)
}
