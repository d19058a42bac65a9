//! Compile and lookup at 1k, 100k and 1M targets, next to a HashSet
//! label-walk baseline. Targets come from a real domain list
//! (benches/data/README.md) plus generated subdomains of its entries.
//!
//! Run: `cargo bench --bench matcher`. The memory per target is printed on
//! stderr before the timings.

#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::HashSet;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

mod common;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rulesim_core::{
    ClientHello, CompiledPolicy, CompiledPolicyBuilder, Observation, Policy, Protocol, Transport,
};

const REAL: &str = include_str!("data/disposable-email-domains.txt");
const MISSES: &str = include_str!("data/top-sites.txt");
const SUBDOMAINS: &[&str] = &["www", "api", "cdn", "mail", "static", "login", "img", "m", "app"];

/// A tiny deterministic generator (xorshift64*), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// `n` target strings: the real names first, then generated subdomains;
/// 70 % with a leading dot.
fn targets(n: usize) -> Vec<String> {
    let real: Vec<&str> = REAL.lines().collect();
    let mut rng = Rng(0x5eed);
    let mut out = Vec::with_capacity(n);
    'outer: for round in 0.. {
        for name in &real {
            if out.len() == n {
                break 'outer;
            }
            let name = if round == 0 {
                name.to_string()
            } else {
                format!("{}.{name}", SUBDOMAINS[(round - 1) % SUBDOMAINS.len()])
            };
            let dotted = rng.below(10) < 7;
            out.push(if dotted { format!(".{name}") } else { name });
        }
    }
    out
}

fn policy(texts: &[String]) -> Policy {
    common::allowlist_policy(texts, &["10.0.0.0/8"])
}

/// 10,000 observed names, half hits (listed names or subdomains of
/// leading-dot entries), half misses (top sites and look-alikes).
fn queries(texts: &[String]) -> Vec<String> {
    let misses: Vec<&str> = MISSES.lines().collect();
    let mut rng = Rng(42);
    (0..10_000)
        .map(|i| {
            let t = &texts[rng.below(texts.len())];
            if i % 2 == 0 {
                match t.strip_prefix('.') {
                    Some(apex) => format!("{}.{apex}", SUBDOMAINS[rng.below(SUBDOMAINS.len())]),
                    None => t.clone(),
                }
            } else {
                match rng.below(3) {
                    0 => misses[rng.below(misses.len())].to_string(),
                    1 => format!("bad{}", t.trim_start_matches('.')),
                    _ => format!("{}.evil.net", t.trim_start_matches('.')),
                }
            }
        })
        .collect()
}

/// The plain alternative: hash the name, then each parent after a dot.
struct LabelWalk {
    exact: HashSet<String>,
    suffix: HashSet<String>,
}

impl LabelWalk {
    fn new(texts: &[String]) -> LabelWalk {
        let mut exact = HashSet::new();
        let mut suffix = HashSet::new();
        for t in texts {
            match t.strip_prefix('.') {
                Some(s) => suffix.insert(s.to_ascii_lowercase()),
                None => exact.insert(t.to_ascii_lowercase()),
            };
        }
        LabelWalk { exact, suffix }
    }

    fn matches(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        if self.exact.contains(&name) || self.suffix.contains(&name) {
            return true;
        }
        name.match_indices('.').any(|(i, _)| self.suffix.contains(&name[i + 1..]))
    }
}

fn hello(sni: &[u8]) -> Observation<'_> {
    Observation {
        transport: Transport::Tcp,
        app: Some(Protocol::Tls),
        src: IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3)),
        src_port: 40000,
        dst: IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1)),
        dst_port: 443,
        to_server: true,
        established: true,
        app_layer_inspected: true,
        client_hello: Some(ClientHello { sni: Some(sni) }),
        http: None,
        dns_query: None,
    }
}

const SIZES: [(usize, &str); 3] = [(1_000, "1k"), (100_000, "100k"), (1_000_000, "1M")];

fn compile(c: &mut Criterion) {
    let mut group = c.benchmark_group("compile");
    group.sample_size(10);
    for (n, label) in SIZES {
        let texts = targets(n);
        let p = policy(&texts);
        let compiled = CompiledPolicy::build(p.clone()).unwrap();
        let m = compiled.memory_usage();
        eprintln!(
            "{label} targets: {} distinct names; fst index {} bytes = {:.2} bytes/target; hash front {:.1} bytes/target; other {} bytes",
            m.names,
            m.name_index_bytes,
            m.name_index_bytes as f64 / n as f64,
            m.hash_front_bytes as f64 / n as f64,
            m.other_bytes,
        );
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(label), &p, |b, p| {
            b.iter_batched(
                || p.clone(),
                |p| CompiledPolicy::build(p).unwrap(),
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

fn lookup(c: &mut Criterion) {
    let mut group = c.benchmark_group("lookup");
    for (n, label) in SIZES {
        let texts = targets(n);
        let compiled = CompiledPolicy::build(policy(&texts)).unwrap();
        let fst_only =
            CompiledPolicyBuilder::new().hash_front(false).build(policy(&texts)).unwrap();
        let walk = LabelWalk::new(&texts);
        let qs = queries(&texts);
        let hits_fst = qs
            .iter()
            .filter(|q| {
                compiled.evaluate(&hello(q.as_bytes())).verdict == rulesim_core::Verdict::Pass
            })
            .count();
        let hits_walk = qs.iter().filter(|q| walk.matches(q)).count();
        assert_eq!(hits_fst, hits_walk, "the two matchers must agree");
        group.throughput(Throughput::Elements(qs.len() as u64));
        group.bench_function(BenchmarkId::new("evaluate", label), |b| {
            b.iter(|| {
                for q in &qs {
                    black_box(compiled.evaluate(&hello(black_box(q.as_bytes()))));
                }
            })
        });
        group.bench_function(BenchmarkId::new("evaluate_fst_only", label), |b| {
            b.iter(|| {
                for q in &qs {
                    black_box(fst_only.evaluate(&hello(black_box(q.as_bytes()))));
                }
            })
        });
        group.bench_function(BenchmarkId::new("name_index_fst_walk", label), |b| {
            b.iter(|| {
                for q in &qs {
                    let mut n = 0u32;
                    fst_only.name_index().lookup(black_box(q.as_bytes()), |_| n += 1);
                    black_box(n);
                }
            })
        });
        group.bench_function(BenchmarkId::new("name_index", label), |b| {
            b.iter(|| {
                for q in &qs {
                    let mut n = 0u32;
                    compiled.name_index().lookup(black_box(q.as_bytes()), |_| n += 1);
                    black_box(n);
                }
            })
        });
        group.bench_function(BenchmarkId::new("hashset_label_walk", label), |b| {
            b.iter(|| {
                for q in &qs {
                    black_box(walk.matches(black_box(q)));
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, compile, lookup);
criterion_main!(benches);
