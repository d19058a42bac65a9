//! Capture decoding for rulesim: pcap/pcapng files to flow events.
//!
//! A domain-based egress firewall (AWS Network Firewall, which runs
//! Suricata) decides on the TLS ClientHello SNI, the HTTP Host header and
//! DNS query names. This crate recovers exactly those from a capture, the
//! way real clients send them (ClientHellos split over segments and
//! records, QUIC Initials, HelloRetryRequest, TCP Fast Open, reordering,
//! retransmission), and reports for every packet what a stateful firewall
//! knows at that moment: its flow, direction, TCP flags, whether the flow
//! is established, and which application message the packet completed.
//!
//! It knows nothing of policies: the simulator built on top decides.
//!
//! ```no_run
//! use rulesim_wire::{Decoder, Event};
//!
//! let mut decoder = Decoder::open("capture.pcap")?;
//! for event in &mut decoder {
//!     match event {
//!         Event::ClientHello(h) => {
//!             println!("flow {} sni {:?}", h.ctx.flow.0, h.hello.sni);
//!         }
//!         Event::Packet(p) => {
//!             let _ = (p.number, p.flow, p.direction, p.established, p.completed);
//!         }
//!         _ => {}
//!     }
//! }
//! if let Some(damage) = decoder.damage() {
//!     eprintln!("{damage}");
//! }
//! # Ok::<(), rulesim_wire::Error>(())
//! ```
//!
//! Layout: [`capture`] reads records, [`decode`] peels link/IP/transport
//! headers and tunnels, private `defrag` and `flow` modules put IP
//! fragments back together, track TCP/UDP flows and reassemble streams,
//! and [`tls`], [`quic`], [`http`] and [`dns`] parse the application
//! messages. [`summary`] folds events into one line per flow; [`fuzzing`]
//! holds the entry points of the fuzz targets.
//!
//! Memory is bounded by [`Config`] (flow cap, idle timeouts, reassembly
//! depth and memcap); everything skipped is counted in [`Stats`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod capture;
pub mod decode;
mod defrag;
pub mod dns;
mod error;
pub mod event;
mod flow;
pub mod fuzzing;
pub mod http;
pub mod quic;
mod stats;
pub mod summary;
pub mod tls;

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

pub use capture::{CaptureReader, LinkType, Timestamp};
pub use error::{Error, ErrorKind};
pub use event::*;
pub use stats::{Config, Stats};

/// Size of the read buffer between a capture file and the record reader
/// (`Decoder::open`, and the simulator's reader): large enough that reads
/// cost little, small enough not to push the decoder's state out of cache.
pub const READ_BUFFER: usize = 64 * 1024;

/// Turns a capture into [`Event`]s, in capture order.
///
/// Iterate it to get the events. Damage in the middle of the file ends the
/// iteration early (after closing the flows seen so far); check
/// [`Decoder::damage`] afterwards. [`Decoder::stats`] has the counters.
#[derive(Debug)]
pub struct Decoder<R> {
    reader: CaptureReader<R>,
    engine: flow::Engine,
    finished: bool,
}

impl Decoder<BufReader<File>> {
    /// Opens a capture file with the default [`Config`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        Self::open_with(path, Config::default())
    }

    /// Opens a capture file with the given limits.
    pub fn open_with(path: impl AsRef<Path>, config: Config) -> Result<Self, Error> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let file = File::open(path)
            .map_err(|e| Error::new(ErrorKind::Io, &name, format!("cannot open: {e}")))?;
        Decoder::new(BufReader::with_capacity(READ_BUFFER, file), &name, config)
    }
}

impl<R: Read> Decoder<R> {
    /// Reads the capture header from `input`. `name` is used in messages.
    pub fn new(input: R, name: &str, config: Config) -> Result<Self, Error> {
        Ok(Decoder {
            reader: CaptureReader::new(input, name)?,
            engine: flow::Engine::new(config),
            finished: false,
        })
    }

    /// Counters so far (complete once the iterator has ended).
    pub fn stats(&self) -> Stats {
        let mut s = self.engine.stats.clone();
        s.capture = self.reader.stats().clone();
        s
    }

    /// The damage that ended decoding early, if any.
    pub fn damage(&self) -> Option<&Error> {
        self.reader.damage()
    }
}

impl<R: Read> Iterator for Decoder<R> {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(e) = self.engine.pending.pop_front() {
                return Some(e);
            }
            if self.finished {
                if self.engine.close_next() {
                    continue;
                }
                return None;
            }
            match self.reader.next_packet() {
                Some(raw) => {
                    let packet = Event::Packet(self.engine.process(&raw));
                    // Most packets cause no other event: skip the queue.
                    if self.engine.pending.is_empty() {
                        return Some(packet);
                    }
                    self.engine.pending.push_back(packet);
                }
                None => {
                    self.engine.finish();
                    self.finished = true;
                }
            }
        }
    }
}
