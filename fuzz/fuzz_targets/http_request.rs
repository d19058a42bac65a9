//! Fuzz target: see `rulesim_wire::fuzzing::http_request`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rulesim_wire::fuzzing::http_request(data);
});
