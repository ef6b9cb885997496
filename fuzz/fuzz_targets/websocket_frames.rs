//! Bytes off a client's socket after the upgrade, through tungstenite with the
//! server's limits; each binary message decoded as the server does.
//! The properties are in harness.rs (`harness::websocket_frames`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::websocket_frames(data));
