//! Manifest TOML: parsed, and hosted when it names a bundled game.
//! The properties are in harness.rs (`harness::manifest`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::manifest(data));
