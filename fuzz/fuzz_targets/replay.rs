//! Fuzz target: a whole capture through the simulator (decoding, flow
//! state, policy evaluation, findings, logs) against the walkthrough policy
//! with every kind of rule scope. Nothing may panic.
#![no_main]

use std::sync::{Arc, OnceLock};

use rulesim_core::{CompiledPolicy, native};
use rulesim_sim::{Options, Simulator};

fn simulator() -> &'static Simulator {
    static SIM: OnceLock<Simulator> = OnceLock::new();
    SIM.get_or_init(|| {
        let yaml = include_str!("../../examples/walkthrough/rulesim.yaml");
        let policy =
            native::parse("walkthrough.yaml".as_ref(), yaml, &|_| Err("no includes".into()))
                .expect("the example policy parses");
        let compiled = CompiledPolicy::build(policy).expect("the example policy compiles");
        Simulator::new(Arc::new(compiled), Options::default())
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let sim = simulator();
    if let Ok(decoder) =
        rulesim_wire::Decoder::new(data, "fuzz.pcap", rulesim_wire::Config::default())
    {
        let replay = sim.replay_events("fuzz.pcap", decoder);
        let _ = serde_json::to_string(&replay.report);
        for record in replay.flow_logs() {
            let _ = serde_json::to_string(&record);
        }
    }
});
