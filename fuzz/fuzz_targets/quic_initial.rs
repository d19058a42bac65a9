//! Fuzz target: see `rulesim_wire::fuzzing::quic_initial`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rulesim_wire::fuzzing::quic_initial(data);
});
