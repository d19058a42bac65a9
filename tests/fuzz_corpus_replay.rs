//! The capture fuzz corpus (fuzz/corpus/capture: truncated, corrupt and
//! hostile captures) replayed through the whole simulator as an ordinary
//! test: every file must give a report and log records or a clean error,
//! never a panic, and the flows counted must not exceed the packets read.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;

use rulesim_core::{CompiledPolicy, native};
use rulesim_sim::{Options, Simulator};

#[test]
fn capture_corpus_replays_without_panics() {
    let text = std::fs::read_to_string("examples/walkthrough/rulesim.yaml").unwrap();
    let policy = native::parse(Path::new("w.yaml"), &text, &|_| Err("no includes".into())).unwrap();
    let sim = Simulator::new(Arc::new(CompiledPolicy::build(policy).unwrap()), Options::default());
    let mut files = 0;
    let mut reports = 0;
    for entry in std::fs::read_dir("fuzz/corpus/capture").unwrap() {
        let path = entry.unwrap().path();
        files += 1;
        let data = std::fs::read(&path).unwrap();
        if let Ok(decoder) =
            rulesim_wire::Decoder::new(&data[..], "corpus", rulesim_wire::Config::default())
        {
            let replay = sim.replay_events("corpus", decoder);
            assert!(
                replay.report.flows.len() as u64 <= replay.report.packets,
                "{}",
                path.display()
            );
            // One FLOW record per direction that carried packets.
            let mut records = 0;
            for record in replay.flow_logs() {
                let json = serde_json::to_string(&record).unwrap();
                assert!(json.contains(r#""event_type":"netflow""#), "{json}");
                records += 1;
            }
            assert!(records <= 2 * replay.report.flows.len(), "{}", path.display());
            reports += 1;
        }
    }
    assert!(files >= 10, "corpus has {files} files");
    assert!(reports > 0);
}
