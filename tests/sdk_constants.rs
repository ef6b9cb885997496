//! The JavaScript SDK's constants (assets/sdk/src/constants.ts) are
//! generated from the server's Rust definitions; this test fails when they
//! differ. `PARLOR_BLESS=1 cargo test --test sdk_constants` rewrites the
//! file (then rebuild the SDK: `cd assets/sdk && npm run build`).

use parlor::matchmaking::{CODE_ALPHABET, CODE_LEN, INVITE_SECRET_LEN};
use parlor::protocol::{ErrorCode, LeftReason, CLOSE_SESSION_REPLACED, DEFAULT_MAX_FRAME_BYTES, VERSION};

fn quoted_list(items: impl Iterator<Item = &'static str>) -> String {
    items.map(|s| format!("  \"{s}\",\n")).collect()
}

fn expected() -> String {
    let alphabet = std::str::from_utf8(CODE_ALPHABET).unwrap();
    format!(
        "// Generated from the server's Rust definitions by\n\
         // `PARLOR_BLESS=1 cargo test --test sdk_constants`; CI fails when they differ.\n\
         // Do not edit by hand.\n\
         \n\
         /** The protocol version `hello.v` carries. */\n\
         export const PROTOCOL_VERSION = {VERSION};\n\
         /** The characters of room codes: digits and capitals without 0, O, 1, I. */\n\
         export const ROOM_CODE_ALPHABET = \"{alphabet}\";\n\
         /** The length of a room code. */\n\
         export const ROOM_CODE_LENGTH = {CODE_LEN};\n\
         /** The length of the secret after the dash in a private room's invite (`CODE-SECRET`). */\n\
         export const INVITE_SECRET_LENGTH = {INVITE_SECRET_LEN};\n\
         /** The server's default inbound frame limit, in bytes. */\n\
         export const MAX_FRAME_BYTES = {DEFAULT_MAX_FRAME_BYTES};\n\
         /** Every `error.code` the server sends. */\n\
         export const ERROR_CODES = [\n{}] as const;\n\
         /** Every `left.reason` the server sends. */\n\
         export const LEFT_REASONS = [{}] as const;\n\
         /** The close code of a connection a newer one of its session replaced. */\n\
         export const CLOSE_SESSION_REPLACED = {CLOSE_SESSION_REPLACED};\n",
        quoted_list(ErrorCode::ALL.iter().map(|c| c.as_str())),
        LeftReason::ALL
            .iter()
            .map(|r| format!("\"{}\"", r.as_str()))
            .collect::<Vec<_>>()
            .join(", "),
    )
}

/// The SDK's constants are the server's.
#[test]
fn the_sdk_constants_match_the_rust_definitions() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sdk/src/constants.ts");
    let expected = expected();
    if std::env::var_os("PARLOR_BLESS").is_some() {
        std::fs::write(&path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        actual, expected,
        "assets/sdk/src/constants.ts differs from the Rust definitions; run PARLOR_BLESS=1 cargo test --test sdk_constants"
    );
}

/// The server's default frame limit is the protocol's.
#[test]
fn the_default_frame_limit_is_the_protocol_constant() {
    assert_eq!(
        parlor::config::Limits::default().max_frame_bytes,
        DEFAULT_MAX_FRAME_BYTES
    );
}
