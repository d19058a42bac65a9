//! Replay throughput on the bench captures (pcaps/bench) with a
//! 10,000-domain allowlist, on one thread and on all threads, next to
//! decoding alone (the same files through `rulesim-wire` with no policy).
//!
//! Run: `cargo bench --bench replay`.

#![allow(clippy::unwrap_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

mod common;

/// The allocator of the `rulesim` binary, so the figures are the product's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rulesim_core::CompiledPolicy;
use rulesim_sim::{Options, Simulator};
use rulesim_wire::Decoder;

const REAL: &str = include_str!("data/disposable-email-domains.txt");

/// The walkthrough allowlist plus 10,000 real domains, STRICT_ORDER with
/// `aws:drop_established`, HOME_NET = the lab client.
fn policy() -> CompiledPolicy {
    let walkthrough = [
        ".wikipedia.org",
        ".stackoverflow.com",
        ".docs.aws.amazon.com",
        ".amazonaws.com",
        ".pypi.org",
        ".pythonhosted.org",
    ];
    let entries: Vec<String> = walkthrough
        .iter()
        .map(|s| s.to_string())
        .chain(REAL.lines().take(10_000 - walkthrough.len()).map(|d| format!(".{d}")))
        .collect();
    let p = common::allowlist_policy(&entries, &["10.200.0.1/32", "fd00:200::1/128"]);
    CompiledPolicy::build(p).unwrap()
}

fn captures() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir("pcaps/bench")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .collect();
    files.sort();
    files
}

fn count(path: &Path) -> (u64, u64) {
    let mut packets = 0;
    let mut flows = 0;
    for event in Decoder::open(path).unwrap() {
        match event {
            rulesim_wire::Event::Packet(_) => packets += 1,
            rulesim_wire::Event::FlowOpened { .. } => flows += 1,
            _ => {}
        }
    }
    (packets, flows)
}

fn replay(c: &mut Criterion) {
    let policy = Arc::new(policy());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let files = captures();
    let (packets, flows) =
        files.iter().map(|f| count(f)).fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    eprintln!(
        "bench captures: {} files, {packets} packets, {flows} flows; {cores} cores",
        files.len()
    );

    for (unit, n) in [("packets", packets), ("flows", flows)] {
        let mut group = c.benchmark_group(format!("replay_{unit}"));
        group.sample_size(10);
        group.throughput(Throughput::Elements(n));
        group.bench_function("decode_only", |b| {
            b.iter(|| files.iter().map(|f| Decoder::open(f).unwrap().count()).sum::<usize>())
        });
        // The simulator alone, over events decoded beforehand (the clone
        // of the events is not timed).
        let decoded: Vec<Vec<rulesim_wire::Event>> =
            files.iter().map(|f| Decoder::open(f).unwrap().collect()).collect();
        let sim = Simulator::new(Arc::clone(&policy), Options::default());
        group.bench_function("simulate_only", |b| {
            b.iter_batched(
                || decoded.clone(),
                |decoded| {
                    decoded
                        .into_iter()
                        .map(|events| sim.replay_events("bench", events).report.flows.len())
                        .sum::<usize>()
                },
                criterion::BatchSize::LargeInput,
            )
        });
        for threads in [1, cores] {
            let sim =
                Simulator::new(Arc::clone(&policy), Options { threads, ..Options::default() });
            group.bench_function(BenchmarkId::new("replay_threads", threads), |b| {
                b.iter(|| {
                    sim.replay_files(&files)
                        .into_iter()
                        .map(|r| r.unwrap().report.flows.len())
                        .sum::<usize>()
                })
            });
            if threads == 1 && unit == "packets" {
                let reports = sim.replay_files(&files);
                let blocked: usize = reports
                    .iter()
                    .map(|r| {
                        r.as_ref()
                            .unwrap()
                            .report
                            .flows
                            .iter()
                            .filter(|f| f.verdict != rulesim_sim::FlowVerdict::Allowed)
                            .count()
                    })
                    .sum();
                eprintln!("flows not plainly allowed: {blocked}");
            }
        }
        group.finish();
    }
}

criterion_group!(benches, replay);
criterion_main!(benches);
