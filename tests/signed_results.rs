//! Signed results over HTTP, on both ledger backends: a match's record and
//! signature from `GET /api/matches/{id}`, the key from `GET /api/keys`,
//! checked by PyNaCl (libsodium, tests/ed25519_verify.py), an Ed25519
//! implementation that is not ours.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::postgres::Schema;
use common::{get_json, TestServer};
use parlor::config::Secret;
use serde_json::{json, Value};

/// PyNaCl's verdict on each (public key, message, signature).
fn pynacl_verifies(checks: &[(&str, &str, &str)]) -> Vec<bool> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ed25519_verify.py");
    let mut child = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs (pip install -r tests/requirements.txt)");
    let mut stdin = child.stdin.take().unwrap();
    for (public_key, message, signature) in checks {
        let line = json!({"public_key": public_key, "message": message, "signature": signature});
        writeln!(stdin, "{line}").unwrap();
    }
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "PyNaCl: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| l == "true")
        .collect()
}

async fn a_result_is_signed_and_checks_with_pynacl(database: Option<String>) {
    let server = TestServer::start_with(|config| config.database = database.as_deref().map(Secret::from), None).await;
    let result = common::forfeited_match(&server.ws_url(), "Bób").await;
    let id = result["match"].as_str().unwrap();

    let (status, signed) = get_json(&server.http(&format!("/api/matches/{id}"))).await;
    assert_eq!(status, 200, "{signed}");
    let record_text = signed["record"].as_str().unwrap();
    let record: Value = serde_json::from_str(record_text).unwrap();
    assert_eq!(record["v"], 1);
    assert_eq!(record["match"], id);
    assert_eq!(record["game"], "tictactoe");
    let players: Vec<(&str, u64)> = record["players"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["rank"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        players,
        [("Ada", 1), ("Bób", 2)],
        "the record is the result the players got"
    );

    let (status, keys) = get_json(&server.http("/api/keys")).await;
    assert_eq!(status, 200);
    let key = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == signed["key"])
        .expect("the signing key is listed");
    assert_eq!(key["algorithm"], "ed25519");
    let public_key = key["public_key"].as_str().unwrap();
    let signature = signed["signature"].as_str().unwrap();

    // The record as served verifies; the same record with the ranks
    // swapped, or under another key, does not.
    let forged = record_text.replacen("\"rank\":1", "\"rank\":3", 1);
    let other_key = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    assert_eq!(
        pynacl_verifies(&[
            (public_key, record_text, signature),
            (public_key, &forged, signature),
            (other_key, record_text, signature),
        ]),
        [true, false, false]
    );

    let (status, missing) = get_json(&server.http("/api/matches/no-such-match")).await;
    assert_eq!((status, missing["error"].as_str()), (404, Some("no_such_match")));
}

#[tokio::test]
async fn on_sqlite() {
    a_result_is_signed_and_checks_with_pynacl(None).await;
}

#[tokio::test]
async fn on_postgres() {
    let schema = Schema::new().await;
    a_result_is_signed_and_checks_with_pynacl(Some(schema.url.clone())).await;
    schema.drop().await;
}

/// The key outlives a restart: results signed before it stay checkable
/// by the same listed key.
#[tokio::test]
async fn the_signing_key_is_kept_in_the_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_path_buf();
    let first = TestServer::start_with(|config| config.data_dir = data.clone(), None).await;
    let (_, keys) = get_json(&first.http("/api/keys")).await;
    first.server.shutdown().await;
    let second = TestServer::start_with(|config| config.data_dir = data.clone(), None).await;
    let (_, again) = get_json(&second.http("/api/keys")).await;
    assert_eq!(keys, again);
    assert_eq!(keys["keys"].as_array().unwrap().len(), 1);
    assert!(data.join("results.key").exists());
}

/// `--signing-key FILE` signs with the key of that seed (its public key as
/// PyNaCl derives it from the same seed); a file that is not 32 bytes stops
/// the start with the file named.
#[tokio::test]
async fn signing_key_names_the_seed_file() {
    let dir = tempfile::tempdir().unwrap();
    let seed = [42u8; 32];
    let file = dir.path().join("operator.key");
    std::fs::write(&file, seed).unwrap();
    let server = TestServer::start_with(|config| config.signing_key = Some(file.clone()), None).await;
    let (_, keys) = get_json(&server.http("/api/keys")).await;
    let derived = Command::new("python3")
        .args([
            "-c",
            "import sys, nacl.signing; print(nacl.signing.SigningKey(bytes.fromhex(sys.argv[1])).verify_key.encode().hex())",
            &hex::encode(seed),
        ])
        .output()
        .unwrap();
    assert!(derived.status.success(), "{}", String::from_utf8_lossy(&derived.stderr));
    let public_key = String::from_utf8(derived.stdout).unwrap().trim().to_owned();
    assert_eq!(keys["keys"][0]["public_key"], public_key.as_str());
    assert!(
        !server.data_dir().join("data/results.key").exists(),
        "no key made in the data dir"
    );

    let short = dir.path().join("short.key");
    std::fs::write(&short, [1u8; 16]).unwrap();
    let config = parlor::config::Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().join("other"),
        signing_key: Some(short.clone()),
        ..Default::default()
    };
    let catalog = parlor_games::bundled(&parlor::catalog::ManifestSource::Bundled).unwrap();
    let error = parlor::net::Server::start(config, catalog)
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(error.contains("short.key") && error.contains("16 bytes"), "{error}");
}
