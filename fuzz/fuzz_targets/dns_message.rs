//! Fuzz target: see `rulesim_wire::fuzzing::dns_message`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rulesim_wire::fuzzing::dns_message(data);
});
