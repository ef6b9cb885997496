//! The TON npm packages (@ton/core, @ton/crypto, @ton/ton), driven with
//! Node through tests/ton/wallet.mjs: an implementation of TON independent
//! of Parlor's Rust, to make wallet proofs and to read what the server
//! signs. Needs `npm ci` in tests/ton.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

/// Runs wallet.mjs with `request`; its JSON answer.
pub fn npm_wallet(request: Value) -> Value {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|dir| dir.join("tests/ton"))
        .find(|dir| dir.join("wallet.mjs").is_file())
        .expect("tests/ton/wallet.mjs above this package");
    assert!(
        dir.join("node_modules/@ton/ton").is_dir(),
        "the TON npm packages are missing: run `npm ci` in tests/ton"
    );
    let mut child = Command::new("node")
        .arg("wallet.mjs")
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "wallet.mjs failed on {request}");
    serde_json::from_slice(&out.stdout).unwrap()
}
