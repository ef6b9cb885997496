//! One client frame: decoded as the server does (envelope and each bundled
//! game), and re-encoded where it decodes.
//! The properties are in harness.rs (`harness::client_message`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::client_message(data));
