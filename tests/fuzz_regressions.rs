//! The fuzz targets' properties in the normal suite, without libFuzzer:
//! every input under fuzz/regressions/<target>/ (what a fuzzer once broke)
//! and fuzz/corpus/<target>/ (what it kept for coverage) goes through the
//! same harness function the target runs, so CI checks them without
//! installing cargo-fuzz. How the fuzzing runs: docs/operations.md.

// The harness is one file the fuzz package builds as its library; including
// it here (rather than moving it into parlor behind a hidden module) keeps
// test code out of the server and still leaves one copy of each property.
#[path = "../fuzz/harness.rs"]
mod harness;

use std::path::{Path, PathBuf};

use parlor::auth::{SessionKey, TelegramAuth};
use parlor::manifest::Manifest;
use parlor::protocol::{ClientMessage, Value};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// Every file under `dir/<target>/`, by target; a missing folder is empty.
fn inputs(dir: &str, target: &str) -> Vec<PathBuf> {
    let folder = fuzz_dir().join(dir).join(target);
    let Ok(entries) = std::fs::read_dir(&folder) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("a readable directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Runs every file in `dir` through its target; a failure names the file.
fn run_all(dir: &str) -> usize {
    let mut count = 0;
    for (target, run) in harness::TARGETS {
        for file in inputs(dir, target) {
            let data = std::fs::read(&file).unwrap();
            let outcome = std::panic::catch_unwind(|| run(&data));
            assert!(outcome.is_ok(), "{target} fails on {}", file.display());
            count += 1;
        }
    }
    count
}

#[test]
fn regression_inputs_hold_the_targets_properties() {
    // Each folder is named after a target; a stray one would never run.
    if let Ok(entries) = std::fs::read_dir(fuzz_dir().join("regressions")) {
        for entry in entries {
            let name = entry.unwrap().file_name().into_string().unwrap();
            assert!(
                harness::TARGETS.iter().any(|(target, _)| *target == name),
                "fuzz/regressions/{name} is not a fuzz target"
            );
        }
    }
    run_all("regressions");
}

#[test]
fn the_kept_corpus_holds_the_targets_properties() {
    for (target, _) in harness::TARGETS {
        assert!(!inputs("corpus", target).is_empty(), "fuzz/corpus/{target} is empty");
    }
    assert!(run_all("corpus") >= harness::TARGETS.len());
}

/// The seeds pass their targets, and the ones made valid are accepted, so
/// each target's "accepted" properties are reached. With
/// `PARLOR_FUZZ_WRITE_SEEDS=DIR` the seeds are also written to
/// `DIR/<target>/seed-<name>` (how fuzz/corpus/ was started).
#[test]
fn seeds_are_valid_and_pass_their_targets() {
    let write_to = std::env::var_os("PARLOR_FUZZ_WRITE_SEEDS").map(PathBuf::from);
    for (target, run) in harness::TARGETS {
        let seeds = harness::seeds(target);
        assert!(!seeds.is_empty(), "no seeds for {target}");
        for (name, data) in &seeds {
            run(data);
            if let Some(dir) = &write_to {
                let folder = dir.join(target);
                std::fs::create_dir_all(&folder).unwrap();
                std::fs::write(folder.join(format!("seed-{name}")), data).unwrap();
            }
        }
    }

    for (name, frame) in harness::seeds("client_message") {
        assert!(ClientMessage::<Value>::decode(&frame).is_ok(), "{name}");
    }
    for (name, bytes) in harness::seeds("websocket_frames") {
        assert_eq!(harness::binary_messages(&bytes), 1, "{name}");
    }
    let auth = TelegramAuth::new(
        Some(harness::BOT_TOKEN.into()),
        Some(harness::BOT_ID),
        harness::MAX_AGE,
        false,
    );
    for (name, raw) in harness::seeds("init_data") {
        let verdict = auth.verify(std::str::from_utf8(&raw).unwrap(), harness::NOW);
        assert_eq!(verdict.is_ok(), name != "unsigned", "{name}: {verdict:?}");
    }
    let key = SessionKey::from_bytes(harness::SESSION_KEY);
    for (name, token) in harness::seeds("session_token") {
        assert!(
            key.verify(std::str::from_utf8(&token).unwrap(), harness::NOW).is_ok(),
            "{name}"
        );
    }
    for (name, text) in harness::seeds("manifest") {
        assert!(Manifest::parse(std::str::from_utf8(&text).unwrap()).is_ok(), "{name}");
    }
}
