//! Linking wallets with TON Connect, through a real server: proofs made by
//! an independent wallet (the TON npm packages, tests/ton/wallet.mjs, run
//! with Node) for wallets v3r2, v4r2 and v5r1, posted to `POST
//! /api/ton/link` with a guest's session token; and each refusal, which
//! must leave the player's wallets as they were. Then claim vouchers, read
//! back and their signatures checked by the same packages.
//!
//! Needs `npm ci` in tests/ton (.ci/run does it).

mod common;

use common::ton::npm_wallet;
use common::{get_json, get_json_with, post_json, Client, TestServer};
use serde_json::{json, Value};

const APP: &str = "https://games.example.com";
const DOMAIN: &str = "games.example.com";

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A proof from the npm wallet `contract` with key seed `seed`.
fn proof(contract: &str, seed: u8, payload: &str) -> Value {
    proof_with(contract, seed, payload, |_| {})
}

fn proof_with(contract: &str, seed: u8, payload: &str, change: impl FnOnce(&mut Value)) -> Value {
    let mut request = json!({
        "op": "proof",
        "contract": contract,
        "seed": hex::encode([seed; 32]),
        "network": "-239",
        "domain": DOMAIN,
        "timestamp": now(),
        "payload": payload,
        "library": false,
    });
    change(&mut request);
    npm_wallet(request)
}

async fn ton_server() -> TestServer {
    TestServer::start_with(|config| config.ton.app_url = Some(APP.into()), None).await
}

/// A signed-in guest: the `Authorization` header with its session token.
async fn player(server: &TestServer, name: &str) -> String {
    let (_client, welcome) = Client::guest(&server.ws_url(), name).await;
    format!("Authorization: Bearer {}", welcome["session"].as_str().unwrap())
}

async fn payload(server: &TestServer, auth: &str) -> String {
    let (status, body) = get_json_with(&server.http("/api/ton/payload"), &[auth]).await;
    assert_eq!(status, 200, "{body}");
    body["payload"].as_str().unwrap().to_owned()
}

async fn link(server: &TestServer, auth: &str, body: &Value) -> (u16, Value) {
    post_json(&server.http("/api/ton/link"), &[auth], body).await
}

async fn wallets(server: &TestServer, auth: &str) -> Value {
    let (status, body) = get_json_with(&server.http("/api/ton/wallets"), &[auth]).await;
    assert_eq!(status, 200, "{body}");
    body["wallets"].clone()
}

#[tokio::test]
async fn wallets_of_each_contract_link_with_proofs_made_by_the_npm_packages() {
    let server = ton_server().await;
    for (i, (contract, library)) in [("v3r2", false), ("v4r2", false), ("v5r1", false), ("v5r1", true)]
        .into_iter()
        .enumerate()
    {
        let auth = player(&server, &format!("p{i}")).await;
        let body = proof_with(contract, 10 + i as u8, &payload(&server, &auth).await, |r| {
            r["library"] = json!(library)
        });
        let (status, answer) = link(&server, &auth, &body).await;
        assert_eq!(status, 200, "{contract} (library {library}): {answer}");
        assert_eq!(answer["status"], "linked");
        assert_eq!(answer["wallet"]["contract"], contract);
        assert_eq!(answer["wallet"]["address"], body["address"]);
        assert_eq!(answer["wallet"]["public_key"], body["public_key"]);
        assert_eq!(
            answer["wallet"]["friendly"], body["friendly"],
            "@ton/core's non-bounceable form"
        );
        let listed = wallets(&server, &auth).await;
        assert_eq!(listed.as_array().unwrap().len(), 1);
        assert_eq!(listed[0]["address"], body["address"]);
        assert_eq!(listed[0]["network"], "-239");
    }
}

#[tokio::test]
async fn each_bad_proof_is_refused_with_its_code_and_nothing_is_linked() {
    let server = ton_server().await;
    let auth = player(&server, "ann").await;
    let other = player(&server, "bob").await;

    // (what is wrong, the body, the status and code expected)
    let mut cases: Vec<(&str, Value, u16, &str)> = Vec::new();
    let fresh = payload(&server, &auth).await;
    cases.push((
        "signed 20 minutes ago",
        proof_with("v4r2", 1, &fresh, |r| r["timestamp"] = json!(now() - 1200)),
        400,
        "proof_expired",
    ));
    cases.push((
        "for another site",
        proof_with("v4r2", 1, &fresh, |r| r["domain"] = json!("evil.example.net")),
        400,
        "wrong_domain",
    ));
    cases.push((
        "a payload the server never issued",
        proof("v4r2", 1, &"ab".repeat(40)),
        400,
        "payload_not_issued",
    ));
    cases.push((
        "a payload issued to another player",
        proof("v4r2", 1, &payload(&server, &other).await),
        400,
        "payload_not_issued",
    ));
    let mut moved = proof("v4r2", 1, &fresh);
    moved["address"] = proof("v4r2", 2, &fresh)["address"].clone();
    cases.push((
        "a state init that does not hash to the address",
        moved,
        400,
        "state_init_mismatch",
    ));
    let mut forged = proof("v4r2", 1, &fresh);
    forged["proof"]["signature"] = proof("v4r2", 2, &fresh)["proof"]["signature"].clone();
    cases.push(("a signature by another key", forged, 400, "bad_signature"));
    let mut lying = proof("v4r2", 1, &fresh);
    lying["public_key"] = proof("v4r2", 2, &fresh)["public_key"].clone();
    cases.push((
        "a public key that is not the state init's",
        lying,
        400,
        "public_key_mismatch",
    ));
    cases.push((
        "a testnet wallet on a mainnet-only server",
        proof_with("v4r2", 1, &fresh, |r| r["network"] = json!("-3")),
        400,
        "wrong_network",
    ));
    let mut short = proof("v4r2", 1, &fresh);
    short["proof"]["domain"]["lengthBytes"] = json!(3);
    cases.push(("a domain length that is not its length", short, 400, "proof_malformed"));
    cases.push(("not a proof at all", json!({"address": 5}), 400, "proof_malformed"));
    let mut padded = proof("v4r2", 1, &fresh);
    padded["padding"] = json!("x".repeat(20 * 1024));
    cases.push(("a body over 16 KiB", padded, 413, "too_large"));

    for (what, body, status, code) in &cases {
        let (got, answer) = link(&server, &auth, body).await;
        assert_eq!(
            (got, answer["error"].as_str()),
            (*status, Some(*code)),
            "{what}: {answer}"
        );
        assert!(
            answer["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{what}: {answer}"
        );
    }
    assert_eq!(
        wallets(&server, &auth).await,
        json!([]),
        "a refused proof linked a wallet"
    );

    // No token, or a token not from this server: 401.
    let good = proof("v4r2", 1, &fresh);
    let (status, answer) = post_json(&server.http("/api/ton/link"), &[], &good).await;
    assert_eq!((status, answer["error"].as_str()), (401, Some("auth_required")));
    let (status, answer) = link(&server, "Authorization: Bearer x.y", &good).await;
    assert_eq!((status, answer["error"].as_str()), (401, Some("auth_failed")));

    // The good proof links, once: the same proof again is a replay.
    let (status, answer) = link(&server, &auth, &good).await;
    assert_eq!((status, answer["status"].as_str()), (200, Some("linked")), "{answer}");
    let (status, answer) = link(&server, &auth, &good).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (409, Some("payload_used")),
        "{answer}"
    );
}

#[tokio::test]
async fn a_wallet_belongs_to_one_player_and_relinking_is_explicit() {
    let server = ton_server().await;
    let ann = player(&server, "ann").await;
    let bob = player(&server, "bob").await;
    let first = proof("v4r2", 1, &payload(&server, &ann).await);
    assert_eq!(link(&server, &ann, &first).await.0, 200);

    // Bob proves he holds the same wallet (the same key): still Ann's.
    let (status, answer) = link(&server, &bob, &proof("v4r2", 1, &payload(&server, &bob).await)).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (409, Some("wallet_taken")),
        "{answer}"
    );
    assert_eq!(wallets(&server, &bob).await, json!([]));

    // Ann links a second wallet: refused until she asks to replace.
    let second = proof("v5r1", 2, &payload(&server, &ann).await);
    let (status, answer) = link(&server, &ann, &second).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (409, Some("already_linked")),
        "{answer}"
    );
    assert_eq!(wallets(&server, &ann).await[0]["address"], first["address"]);
    let mut replace = proof("v5r1", 2, &payload(&server, &ann).await);
    replace["replace"] = json!(true);
    let (status, answer) = link(&server, &ann, &replace).await;
    assert_eq!((status, answer["status"].as_str()), (200, Some("linked")), "{answer}");
    let listed = wallets(&server, &ann).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["address"], second["address"]);
    assert_eq!(listed[0]["contract"], "v5r1");

    // The first wallet is free again: Bob may have it now.
    let (status, answer) = link(&server, &bob, &proof("v4r2", 1, &payload(&server, &bob).await)).await;
    assert_eq!((status, answer["status"].as_str()), (200, Some("linked")), "{answer}");
}

#[tokio::test]
async fn the_tonconnect_manifest_comes_from_the_configuration_and_linking_is_off_without_it() {
    let server = ton_server().await;
    let (status, manifest) = get_json(&server.http("/tonconnect-manifest.json")).await;
    assert_eq!(status, 200);
    assert_eq!(manifest["url"], APP);
    assert_eq!(manifest["iconUrl"], format!("{APP}/web/icon.png"));
    assert!(manifest["name"].as_str().is_some_and(|n| !n.is_empty()));

    let off = TestServer::start().await;
    let auth = player(&off, "ann").await;
    for path in ["/tonconnect-manifest.json", "/api/ton/payload"] {
        let (status, body) = get_json_with(&off.http(path), &[&auth]).await;
        assert_eq!((status, body["error"].as_str()), (404, Some("ton_off")), "{path}");
    }
}

/// A server whose tic-tac-toe pays its winner 1 TON (guests too).
async fn paying_server() -> TestServer {
    let manifest = "name = \"tictactoe\"\nmin_players = 2\nmax_players = 2\n\
                    [rewards]\nby_rank = [1000000000]\nmin_match_secs = 0\nguests = true\n";
    TestServer::with(&[("tictactoe", manifest)], |config| {
        config.ton.app_url = Some(APP.into())
    })
    .await
}

/// Ada beats Bob (he leaves); their bearer headers and Ada's player id.
async fn ada_wins(server: &TestServer) -> (String, String, String) {
    let (mut ada, welcome) = Client::guest(&server.ws_url(), "Ada").await;
    let ada_auth = format!("Authorization: Bearer {}", welcome["session"].as_str().unwrap());
    let ada_id = welcome["player"]["id"].as_str().unwrap().to_owned();
    ada.send(json!({"t": "create", "game": "tictactoe", "private": true}))
        .await;
    let invite = ada.expect("joined").await["invite"].as_str().unwrap().to_owned();
    let (mut bob, welcome) = Client::guest(&server.ws_url(), "Bob").await;
    let bob_auth = format!("Authorization: Bearer {}", welcome["session"].as_str().unwrap());
    bob.send(json!({"t": "join", "room": invite})).await;
    bob.expect("joined").await;
    bob.send(json!({"t": "leave"})).await;
    ada.expect("result").await;
    (ada_auth, bob_auth, ada_id)
}

async fn ask_voucher(server: &TestServer, auth: &str, claim: &str) -> (u16, Value) {
    post_json(
        &server.http(&format!("/api/rewards/{claim}/voucher")),
        &[auth],
        &json!({}),
    )
    .await
}

#[tokio::test]
async fn a_voucher_is_the_claim_cell_signed_over_its_hash_as_the_npm_packages_read_it() {
    let server = paying_server().await;
    let (ada, bob, ada_id) = ada_wins(&server).await;
    let (_, claims) = get_json(&server.http(&format!("/api/players/{ada_id}/claims"))).await;
    let claim = &claims["claims"][0];
    assert_eq!(
        (claim["amount"].as_i64(), claim["status"].as_str()),
        (Some(1_000_000_000), Some("open"))
    );
    let id = claim["id"].as_i64().unwrap().to_string();

    // Refusals first; none changes the claim.
    let (status, body) = ask_voucher(&server, &ada, &id).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("no_wallet")), "{body}");
    let (status, body) = ask_voucher(&server, &bob, &id).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("not_your_claim")),
        "{body}"
    );
    let (status, body) = ask_voucher(&server, &ada, "987654").await;
    assert_eq!((status, body["error"].as_str()), (404, Some("no_such_claim")), "{body}");
    let (status, body) = ask_voucher(&server, &ada, "first").await;
    assert_eq!((status, body["error"].as_str()), (400, Some("bad_request")), "{body}");
    let (status, body) = post_json(&server.http(&format!("/api/rewards/{id}/voucher")), &[], &json!({})).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("auth_required")), "{body}");
    let (_, claims) = get_json(&server.http(&format!("/api/players/{ada_id}/claims"))).await;
    assert_eq!(claims["claims"][0]["status"], "open");

    // With a wallet linked, a voucher; the npm packages read it.
    let wallet = proof("v4r2", 7, &payload(&server, &ada).await);
    assert_eq!(link(&server, &ada, &wallet).await.0, 200);
    let (status, voucher) = ask_voucher(&server, &ada, &id).await;
    assert_eq!(status, 200, "{voucher}");
    let (_, keys) = get_json(&server.http("/api/keys")).await;
    let key = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == voucher["key"])
        .expect("the voucher's key is listed");
    let read = npm_wallet(json!({
        "op": "voucher",
        "boc": voucher["boc"],
        "signature": voucher["signature"],
        "public_key": key["public_key"],
    }));
    assert_eq!(read["claim_id"], id);
    assert_eq!(read["recipient"], wallet["address"]);
    assert_eq!(read["amount"], "1000000000");
    assert_eq!(read["expires_at"], voucher["expires_at"]);
    let expires = voucher["expires_at"].as_u64().unwrap();
    assert!(expires > now() && expires <= now() + 3600, "{expires}");
    assert_eq!(
        (read["bits_left"].as_u64(), read["refs_left"].as_u64()),
        (Some(0), Some(0)),
        "nothing else in the cell"
    );
    assert_eq!(read["hash"], voucher["hash"]);
    assert_eq!(read["signature_ok"], true);

    // Signed by another key, it does not verify.
    let forged = npm_wallet(json!({
        "op": "voucher",
        "boc": voucher["boc"],
        "signature": voucher["signature"],
        "public_key": wallet["public_key"],
    }));
    assert_eq!(forged["signature_ok"], false);

    // The claim is now the claim contract's to pay.
    let (_, claims) = get_json(&server.http(&format!("/api/players/{ada_id}/claims"))).await;
    assert_eq!(claims["claims"][0]["status"], "voucher");
    let (status, again) = ask_voucher(&server, &ada, &id).await;
    assert_eq!(
        (status, &again["claim"]),
        (200, &voucher["claim"]),
        "a lost voucher can be asked for again"
    );
}
