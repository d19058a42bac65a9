//! Every seed of every fuzz target (`fuzz/corpus/<target>/*`) runs through
//! the same entry point as the fuzzer, so the corpora are regression tests
//! in ordinary `cargo test` runs.
// Helpers outside #[test] fns unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use rulesim_wire::fuzzing;

/// A fuzz entry point.
type Target = fn(&[u8]);

#[test]
fn fuzz_corpora_run_without_panics() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    let targets: [(&str, Target); 5] = [
        ("client_hello", fuzzing::client_hello),
        ("quic_initial", fuzzing::quic_initial),
        ("http_request", fuzzing::http_request),
        ("dns_message", fuzzing::dns_message),
        ("capture", fuzzing::capture),
    ];
    for (name, run) in targets {
        let dir = root.join(name);
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                run(&std::fs::read(&path).unwrap());
                n += 1;
            }
        }
        assert!(n >= 10, "{name}: only {n} seeds in {}", dir.display());
    }
}

/// The seeds were cut from real traffic, so the entry points must find
/// something in them: a test that a corpus is not just noise.
#[test]
fn seeds_contain_what_their_target_parses() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    let read = |t: &str| -> Vec<Vec<u8>> {
        std::fs::read_dir(root.join(t))
            .unwrap()
            .map(|e| std::fs::read(e.unwrap().path()).unwrap())
            .collect()
    };
    let hellos = read("client_hello")
        .iter()
        .filter(|s| !rulesim_wire::tls::client_hellos_in_stream(s).is_empty())
        .count();
    assert!(hellos >= 20, "{hellos}");
    let quic = read("quic_initial")
        .iter()
        .filter(|s| rulesim_wire::quic::hello_from_initial_payload(s).is_some())
        .count();
    assert!(quic >= 5, "{quic}");
    let dns = read("dns_message")
        .iter()
        .filter(|s| rulesim_wire::dns::parse_message(s).is_some())
        .count();
    assert!(dns >= 10, "{dns}");
}
