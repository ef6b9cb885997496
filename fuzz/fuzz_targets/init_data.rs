//! Telegram launch data, checked with a fixed bot token and bot id: never a
//! panic, never a forged hash or signature accepted.
//! The properties are in harness.rs (`harness::init_data`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::init_data(data));
