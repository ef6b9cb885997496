//! Session tokens checked with a fixed key: never a panic, never a forged
//! MAC accepted.
//! The properties are in harness.rs (`harness::session_token`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::session_token(data));
