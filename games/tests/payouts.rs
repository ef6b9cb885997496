//! `parlor rewards export / payout / mark-paid / mark-failed` on a real
//! SQLite ledger: the payout message is read back by the TON npm packages
//! (tests/ton/wallet.mjs) as the chain would read it, and must pay exactly
//! the exported claims; `parlor ledger check` passes after each step and
//! fails once a batch's total is edited.
//!
//! Needs `npm ci` in tests/ton (.ci/run does it).

#[path = "../../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::ton::npm_wallet;
use parlor::ledger::{self, Ledger, LinkOutcome, MatchRecord, ResultKey, WalletLink};
use parlor::manifest::Manifest;
use parlor::protocol::RankLine;
use serde_json::{json, Value};

const SEED: [u8; 32] = [5; 32];

fn parlor(args: &[&str], data: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_parlor"))
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn wallet_of(n: u8) -> String {
    format!("0:{}", hex::encode([n; 32]))
}

/// Three matches paying Ann, Ben and Cy 1, 2 and 3 TON (each wins one);
/// Ann and Ben have wallets on mainnet, Cy none yet.
async fn ledger_with_claims(data: &Path) -> std::sync::Arc<dyn Ledger> {
    let key = ResultKey::load_or_create(data).unwrap();
    let ledger = ledger::open(None, data, key).await.unwrap();
    let rules = |amount: u64| {
        Manifest::parse(&format!(
            "name = \"arena\"\nmin_players = 1\nmax_players = 8\n[rewards]\nby_rank = [{amount}]\nmin_match_secs = 0\n"
        ))
        .unwrap()
        .rewards
    };
    for (i, player) in ["ann", "ben", "cy"].into_iter().enumerate() {
        let line = |id: &str, rank| RankLine {
            player: format!("tg:{id}"),
            name: id.into(),
            rank,
            score: 0,
        };
        let record = MatchRecord {
            id: format!("m{i}"),
            game: "arena".into(),
            room: "ROOM22".into(),
            chat: None,
            started_at: 1_000,
            ended_at: 2_000 + i as i64,
            ranking: vec![line(player, 1), line("loser", 2)],
            aborted: false,
            seed: None,
            recording: None,
            rewards: rules((i as u64 + 1) * 1_000_000_000),
        };
        ledger.record(&record).await.unwrap();
    }
    for (n, player) in [(1, "ann"), (2, "ben")] {
        link(&*ledger, player, n).await;
    }
    ledger
}

async fn link(ledger: &dyn Ledger, player: &str, n: u8) {
    let link = WalletLink {
        player: format!("tg:{player}"),
        network: "-239".into(),
        address: wallet_of(n),
        public_key: hex::encode([n; 32]),
        contract: "v4r2".into(),
        nonce: format!("nonce-{player}"),
        nonce_expires: 4_000_000_000,
        replace: false,
        now_ms: 1_000,
    };
    assert_eq!(ledger.link_wallet(&link).await.unwrap(), LinkOutcome::Linked);
}

fn export(data: &Path) -> Vec<Value> {
    let out = parlor(&["rewards", "export"], data);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn check_passes(data: &Path) {
    let out = parlor(&["ledger", "check"], data);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
}

#[tokio::test]
async fn a_payout_pays_exactly_the_exported_claims_and_settles_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let ledger = ledger_with_claims(&data).await;
    let key_file = dir.path().join("wallet.key");
    std::fs::write(&key_file, hex::encode(SEED)).unwrap();
    let key = key_file.to_str().unwrap();

    let exported = export(&data);
    assert_eq!(
        exported,
        [
            json!({"claim": 1, "wallet": wallet_of(1), "amount": 1_000_000_000}),
            json!({"claim": 2, "wallet": wallet_of(2), "amount": 2_000_000_000}),
        ],
        "Ann's and Ben's claims; Cy has no wallet yet"
    );

    let out = parlor(&["rewards", "payout", "--key-file", key, "--seqno", "0"], &data);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let boc = text(&out.stdout).trim().to_owned();
    assert!(text(&out.stderr).contains("batch 1:"), "{}", text(&out.stderr));

    let read = npm_wallet(json!({"op": "payout", "boc": boc, "seed": hex::encode(SEED), "network": "-239"}));
    assert_eq!(read["type"], "external-in");
    assert_eq!(
        read["dest"], read["wallet"],
        "to @ton/ton's WalletContractV5R1 of the seed"
    );
    assert_eq!(read["init_is_the_wallet"], true, "seqno 0 deploys the wallet");
    assert_eq!(
        (read["op"].as_str(), read["seqno"].as_u64()),
        (Some("7369676e"), Some(0))
    );
    assert_eq!(read["wallet_id"], 0x7FFF_FF11_i64);
    assert_eq!(read["signature_ok"], true);
    assert_eq!(read["other_actions"], false);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let valid_until = read["valid_until"].as_u64().unwrap();
    assert!(valid_until > now && valid_until <= now + 86_400, "{valid_until}");
    let mut paid: Vec<Value> = read["transfers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            assert_eq!(
                (t["type"].as_str(), t["mode"].as_u64()),
                (Some("sendMsg"), Some(3)),
                "{t}"
            );
            assert_eq!(t["bounce"], false, "{t}");
            let claim: i64 = t["comment"]
                .as_str()
                .unwrap()
                .strip_prefix("parlor claim ")
                .unwrap()
                .parse()
                .unwrap();
            json!({"claim": claim, "wallet": t["to"], "amount": t["amount"].as_str().unwrap().parse::<i64>().unwrap()})
        })
        .collect();
    paid.sort_by_key(|t| t["claim"].as_i64());
    assert_eq!(paid, exported, "the message pays exactly the exported claims");
    assert!(export(&data).is_empty(), "batched claims are not payable again");
    check_passes(&data);

    // Before it is settled, the same seqno signs the same message; another
    // seqno is refused.
    let again = parlor(&["rewards", "payout", "--key-file", key, "--seqno", "0"], &data);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert_eq!(text(&again.stdout).trim(), boc);
    let other = parlor(&["rewards", "payout", "--key-file", key, "--seqno", "1"], &data);
    assert!(!other.status.success());
    assert!(text(&other.stderr).contains("batch 1"), "{}", text(&other.stderr));

    let paid = parlor(&["rewards", "mark-paid", "1"], &data);
    assert!(paid.status.success(), "{}", text(&paid.stderr));
    let twice = parlor(&["rewards", "mark-failed", "1"], &data);
    assert!(!twice.status.success());
    assert!(
        text(&twice.stderr).contains("settled already"),
        "{}",
        text(&twice.stderr)
    );
    let claims = ledger.claims("tg:ann", 10).await.unwrap();
    assert_eq!(claims[0].status, "paid");
    check_passes(&data);

    // Cy links a wallet; his batch fails, and his claim is open again.
    link(&*ledger, "cy", 3).await;
    let out = parlor(&["rewards", "payout", "--key-file", key, "--seqno", "1"], &data);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("batch 2:"), "{}", text(&out.stderr));
    assert!(parlor(&["rewards", "mark-failed", "2"], &data).status.success());
    assert_eq!(
        export(&data),
        [json!({"claim": 3, "wallet": wallet_of(3), "amount": 3_000_000_000_i64})]
    );
    check_passes(&data);

    // A batch total edited behind the server's back: the check says so.
    drop(ledger);
    let db = data.join("parlor.db");
    let url = format!("sqlite://{}", db.display());
    use sqlx::Connection;
    let mut connection = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::query("UPDATE payout_batches SET total = total + 1 WHERE id = 1")
        .execute(&mut connection)
        .await
        .unwrap();
    let out = parlor(&["ledger", "check"], &data);
    assert!(!out.status.success());
    assert!(text(&out.stdout).contains("payout batch 1"), "{}", text(&out.stdout));
}
