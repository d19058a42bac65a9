//! Fuzz target: see `rulesim_wire::fuzzing::client_hello`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rulesim_wire::fuzzing::client_hello(data);
});
