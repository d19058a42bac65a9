//! IPv4 and IPv6 fragment reassembly, bounded.
//!
//! Suricata reassembles fragments before it inspects anything, so a DNS
//! query or ClientHello split into IP fragments is still seen; so must the
//! simulator. Pieces are kept per (source, destination, id, protocol) until
//! the packet is whole, for at most 30 s of capture time, with caps on the
//! number of packets pending and on their size. Overlapping pieces: the
//! piece with the higher offset wins where they overlap.

use std::collections::BTreeMap;
use std::net::IpAddr;

use foldhash::HashMap;

use crate::capture::Timestamp;
use crate::decode::FragmentInfo;
use crate::stats::Stats;

/// Largest reassembled IP payload.
const MAX_PAYLOAD: usize = 65_535;
/// Most packets pending reassembly at once.
const MAX_PENDING: usize = 1024;
/// Seconds a partial packet is kept.
const TIMEOUT_SECS: u64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    src: IpAddr,
    dst: IpAddr,
    id: u32,
    proto: u8,
}

#[derive(Debug, Default)]
struct Pending {
    pieces: BTreeMap<usize, Vec<u8>>,
    total: Option<usize>,
    first_ts: Timestamp,
}

/// Fragments waiting for the rest of their packet.
#[derive(Debug, Default)]
pub(crate) struct Defrag {
    table: HashMap<Key, Pending>,
}

impl Defrag {
    /// Adds one fragment. Returns the reassembled payload when this piece
    /// completes its packet.
    pub(crate) fn add(
        &mut self,
        src: IpAddr,
        dst: IpAddr,
        f: &FragmentInfo<'_>,
        ts: Timestamp,
        stats: &mut Stats,
    ) -> Option<Vec<u8>> {
        let end = f.offset + f.data.len();
        if end > MAX_PAYLOAD {
            stats.fragments_dropped += 1;
            return None;
        }
        let key = Key { src, dst, id: f.id, proto: f.proto };
        if !self.table.contains_key(&key) && self.table.len() >= MAX_PENDING {
            stats.fragments_dropped += 1;
            return None;
        }
        let p =
            self.table.entry(key).or_insert_with(|| Pending { first_ts: ts, ..Pending::default() });
        if !f.more {
            p.total = Some(end);
        }
        p.pieces.insert(f.offset, f.data.to_vec());
        let total = p.total?;
        let mut covered = 0;
        for (&off, d) in &p.pieces {
            if off > covered {
                return None;
            }
            covered = covered.max(off + d.len());
        }
        if covered < total {
            return None;
        }
        let p = self.table.remove(&key)?;
        let mut out = vec![0u8; total];
        for (off, d) in p.pieces {
            let n = d.len().min(total.saturating_sub(off));
            out[off..off + n].copy_from_slice(&d[..n]);
        }
        stats.fragments_reassembled += 1;
        Some(out)
    }

    /// Drops partial packets older than the timeout.
    pub(crate) fn expire(&mut self, now: Timestamp, stats: &mut Stats) {
        let before = self.table.len();
        self.table.retain(|_, p| now.secs().saturating_sub(p.first_ts.secs()) <= TIMEOUT_SECS);
        stats.fragments_dropped += (before - self.table.len()) as u64;
    }

    /// Drops everything pending (end of capture); the pieces are counted.
    pub(crate) fn clear(&mut self, stats: &mut Stats) {
        stats.fragments_dropped += self.table.len() as u64;
        self.table.clear();
    }
}
