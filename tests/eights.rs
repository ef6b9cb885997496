//! Crazy Eights over real websockets: three scripted players and a
//! spectator play a room to its result. No client ever holds another's
//! hand; the spectator holds none and may not play; and the deal every
//! player saw is the one an independent Python script recomputes from the
//! seed the result reveals (tests/fairness/eights_deal.py, on the
//! `cryptography` package's ChaCha20), whose SHA-256 is the `joined.fair`
//! everyone got before the deal.

mod common;

use std::process::Command;

use common::{Client, Mirror, TestServer, PATIENCE};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// A client, its mirror, and every message it got.
struct Seat {
    client: Client,
    mirror: Mirror,
    seen: Vec<Value>,
}

impl Seat {
    async fn new(server: &TestServer, name: &str) -> Seat {
        let client = Client::hello(&server.ws_url(), json!({"guest": name, "compact": true})).await;
        let mut seat = Seat {
            client,
            mirror: Mirror::default(),
            seen: Vec::new(),
        };
        seat.until(|m, _| m["t"] == "welcome").await;
        seat
    }

    /// Reads until `done`; every message is applied, kept, and checked:
    /// the only `Hand` this client may hold is its own.
    async fn until(&mut self, done: impl Fn(&Value, &Mirror) -> bool) -> Value {
        tokio::time::timeout(PATIENCE, async {
            loop {
                let m = self.client.recv().await;
                self.mirror.apply(&m);
                self.seen.push(m.clone());
                if !self.mirror.schema.is_empty() {
                    for (owner, _) in self.mirror.with("Hand") {
                        assert_eq!(owner, self.mirror.you, "a client holds the Hand of entity {owner}");
                    }
                }
                if done(&m, &self.mirror) {
                    return m;
                }
            }
        })
        .await
        .expect("the expected message came in time")
    }

    fn table(&self) -> &Value {
        self.mirror.resource("Table")
    }

    fn hand(&self) -> Vec<u8> {
        let ty = self.mirror.type_index("Hand");
        self.mirror.entities[&self.mirror.you]
            .get(&ty)
            .and_then(|h| serde_json::from_value(h.clone()).ok())
            .unwrap_or_default()
    }
}

/// The Table's fields, in schema order.
const PHASE: usize = 0;
const TOP: usize = 1;
const SUIT: usize = 2;
const TURN: usize = 3;
const DREW: usize = 4;
const PILE: usize = 5;

fn legal(card: u8, table: &Value) -> bool {
    card % 13 == 7
        || Some(u64::from(card / 13)) == table[SUIT].as_u64()
        || Some(u64::from(card % 13)) == table[TOP].as_u64().map(|t| t % 13)
}

/// The deal tests/fairness/eights_deal.py computes from `seed`.
fn python_deal(seed: &str, n: usize) -> Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fairness/eights_deal.py");
    let out = Command::new("python3")
        .args([script, seed, &n.to_string()])
        .output()
        .expect("python3 runs (tests/requirements.txt)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn three_players_and_a_spectator_play_eights_to_a_result() {
    // Recorded, for the replay at the end; and scripted players move as
    // fast as acks come back, so a long game could pass the default 30
    // inputs a second of one client, whose extra inputs would be dropped.
    let manifest = format!(
        "{}\nrecord = true\ninput_rate = 1000\n",
        include_str!("../games/manifests/eights.toml")
    );
    let server = TestServer::with_manifests(&[("eights", &manifest)]).await;
    let mut seats = vec![
        Seat::new(&server, "Ann").await,
        Seat::new(&server, "Ben").await,
        Seat::new(&server, "Cy").await,
    ];
    seats[0]
        .client
        .send(json!({"t": "create", "game": "eights", "private": true}))
        .await;
    let joined = seats[0].until(|m, _| m["t"] == "joined").await;
    let invite = joined["invite"].as_str().unwrap().to_owned();
    let commit = joined["fair"].as_str().unwrap().to_owned();
    for seat in &mut seats[1..] {
        seat.client.send(json!({"t": "join", "room": invite})).await;
        let joined = seat.until(|m, _| m["t"] == "joined").await;
        assert_eq!(joined["fair"], commit.as_str(), "one commitment for the match");
    }
    let mut cleo = Seat::new(&server, "Cleo").await;
    cleo.client.send(json!({"t": "watch", "room": invite})).await;
    assert_eq!(cleo.until(|m, _| m["t"] == "joined").await["fair"], commit.as_str());

    // Ann deals; everyone sees the table in play, each their own hand.
    seats[0].client.input(json!("start")).await;
    for seat in &mut seats {
        seat.until(|_, m| {
            m.resources.contains_key(&m.type_index("Table"))
                && m.resource("Table")[PHASE] == "play"
                && !m.with("Hand").is_empty()
        })
        .await;
    }
    let dealt: Vec<Vec<u8>> = seats.iter().map(Seat::hand).collect();
    let first_top = seats[0].table()[TOP].as_u64().unwrap();
    // A spectator's input is refused.
    cleo.client.send(json!({"t": "input", "seq": 1, "d": "draw"})).await;
    assert_eq!(cleo.until(|m, _| m["t"] == "error").await["code"], "spectator");

    // Play: a legal card if there is one (an 8 last), else draw, else pass.
    let mut results = 0;
    while results == 0 {
        let table = seats[0].table().clone();
        if table[PHASE] != "play" {
            break;
        }
        let turn = table[TURN].as_u64().unwrap();
        let who = seats
            .iter()
            .position(|s| s.mirror.you == turn)
            .expect("a seated player's turn");
        let hand = seats[who].hand();
        let mut playable: Vec<u8> = hand.iter().copied().filter(|&c| legal(c, &table)).collect();
        playable.sort_by_key(|&c| c % 13 == 7);
        let d = match playable.first() {
            Some(&card) if card % 13 == 7 => json!({"play": {"card": card, "suit": 0}}),
            Some(&card) => json!({"play": {"card": card}}),
            None if table[DREW] == false && table[PILE].as_u64() > Some(0) => json!("draw"),
            None => json!("pass"),
        };
        let seq = seats[who].client.input(d).await;
        // Everyone sees the move (the ack's tick) before the next one.
        let acked = seats[who].until(|m, _| m["a"] == seq || m["t"] == "result").await;
        if acked["t"] == "result" {
            results += 1;
        }
        let tick = seats[who].mirror.tick;
        for (i, seat) in seats.iter_mut().enumerate() {
            if i != who {
                seat.until(|m, mirror| mirror.tick >= tick || m["t"] == "result").await;
            }
        }
    }
    let mut seed = String::new();
    let mut result = Value::Null;
    for seat in seats.iter_mut().chain(std::iter::once(&mut cleo)) {
        result = match seat.seen.iter().find(|m| m["t"] == "result") {
            Some(result) => result.clone(),
            None => seat.until(|m, _| m["t"] == "result").await,
        };
        seed = result["seed"].as_str().unwrap().to_owned();
        seat.until(|m, _| m["t"] == "left").await;
    }

    // The spectator never held a hand, and saw the public table.
    assert!(cleo.mirror.watching);
    assert!(cleo.seen.iter().all(|m| m["t"] != "joined" || m["you"].is_null()));
    assert_eq!(cleo.mirror.with("HandSize").len(), 3);
    // The commitment was the seed's SHA-256, and the deal is the seed's.
    assert_eq!(hex::encode(Sha256::digest(hex::decode(&seed).unwrap())), commit);
    let deal = python_deal(&seed, 3);
    let hands: Vec<Vec<u8>> = serde_json::from_value(deal["hands"].clone()).unwrap();
    assert_eq!(dealt, hands, "each player's hand is the script's");
    assert_eq!(deal["top"].as_u64(), Some(first_top));
    // Run again from the seed and the moves, the match ends the same.
    common::assert_replays(&server, &result).await;
}
