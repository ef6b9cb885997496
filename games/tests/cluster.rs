//! Three `parlor serve` processes on loopback as one cluster, sharing the
//! machine's Redis (`PARLOR_TEST_REDIS_URL`, a key prefix per test) and
//! PostgreSQL (`PARLOR_TEST_DATABASE_URL`, a schema per test): quick
//! matches meet across nodes, joins on the wrong node are redirected, racing
//! quick matches never overfill a room, a chat is one room, results from
//! every node make one leaderboard, a killed node leaves the directory
//! within its TTL, and a node outlives its Redis and registers again.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use common::postgres::Schema;
use common::telegram::{launch, sign, BOT_TOKEN};
use common::{get_json, Client, PATIENCE};
use serde_json::{json, Value};
use tokio::process::{Child, Command};

/// The directory's timing in these tests: a dead node is gone within
/// `TTL_MS`.
const HEARTBEAT_MS: u64 = 200;
const TTL_MS: u64 = 1500;
/// What `/admin` asks for on these nodes.
const ADMIN_TOKEN: &str = "operator-secret-7";

fn redis_url() -> String {
    std::env::var("PARLOR_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A key prefix no other test (or run) uses.
fn prefix() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "parlortest{}x{}x{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// One `parlor serve` of the cluster.
struct Node {
    child: Child,
    http: String,
    ws: String,
}

/// Nodes sharing a Redis prefix, a session key and a ledger.
struct Cluster {
    dir: tempfile::TempDir,
    prefix: String,
    redis: String,
    database: Option<String>,
    nodes: Vec<Node>,
}

impl Cluster {
    /// `n` nodes on `redis`; `database` is the shared ledger (else each
    /// node keeps its own SQLite file).
    async fn start(n: usize, redis: &str, database: Option<&str>) -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("session.key"), rand::random::<[u8; 32]>()).unwrap();
        std::fs::write(
            dir.path().join("cluster.toml"),
            format!(
                "admin_token = \"{ADMIN_TOKEN}\"\n[shutdown]\ngrace_secs = 30\n\
                 [cluster]\nheartbeat_ms = {HEARTBEAT_MS}\nttl_ms = {TTL_MS}\nreservation_secs = 10\n"
            ),
        )
        .unwrap();
        let mut cluster = Cluster {
            dir,
            prefix: prefix(),
            redis: redis.to_owned(),
            database: database.map(str::to_owned),
            nodes: Vec::new(),
        };
        for i in 0..n {
            let node = cluster.spawn(i).await;
            cluster.nodes.push(node);
        }
        cluster
    }

    async fn spawn(&self, i: usize) -> Node {
        let dir = self.dir.path();
        let mut command = Command::new(env!("CARGO_BIN_EXE_parlor"));
        command
            .args(["serve", "--bind", "127.0.0.1:0", "--allow-guests", "true"])
            .arg("--data-dir")
            .arg(dir.join(format!("node{i}")))
            .arg("--config")
            .arg(dir.join("cluster.toml"))
            .arg("--session-key")
            .arg(dir.join("session.key"))
            .args(["--redis", &self.redis, "--redis-prefix", &self.prefix])
            .args(["--node-id", &format!("node{i}")])
            .env("PARLOR_BOT_TOKEN", BOT_TOKEN)
            .env("PARLOR_LOG", "warn,parlor=info");
        if let Some(url) = &self.database {
            command.env("PARLOR_DATABASE", url);
        }
        let (child, http) = common::spawn_serving(&mut command).await;
        let ws = format!("{}/ws", http.replace("http://", "ws://"));
        Node { child, http, ws }
    }

    fn ws(&self, i: usize) -> &str {
        &self.nodes[i].ws
    }

    /// A connection to the directory's Redis.
    async fn redis(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.redis.as_str())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap()
    }

    /// The ids of the nodes whose registration is live.
    async fn live_nodes(&self) -> Vec<String> {
        let mut redis = self.redis().await;
        let ids: Vec<String> = redis::cmd("SMEMBERS")
            .arg(format!("{}:nodes", self.prefix))
            .query_async(&mut redis)
            .await
            .unwrap();
        let mut live = Vec::new();
        for id in ids {
            let exists: bool = redis::cmd("EXISTS")
                .arg(format!("{}:node:{id}", self.prefix))
                .query_async(&mut redis)
                .await
                .unwrap();
            if exists {
                live.push(id);
            }
        }
        live.sort();
        live
    }

    /// Removes every key of this cluster.
    async fn forget(&self) {
        let Ok(client) = redis::Client::open(self.redis.as_str()) else {
            return;
        };
        let Ok(mut redis) = client.get_multiplexed_async_connection().await else {
            return;
        };
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}:*", self.prefix))
            .query_async(&mut redis)
            .await
            .unwrap_or_default();
        if !keys.is_empty() {
            let _: Result<(), _> = redis::cmd("DEL").arg(keys).query_async(&mut redis).await;
        }
    }
}

/// Waits until `check` holds, or panics after [`PATIENCE`] with `what`.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + PATIENCE;
    while !check().await {
        assert!(Instant::now() < deadline, "{what} did not happen in time");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Where a seat request ended: the room joined, with the client in it
/// (after following a redirect, on the node it pointed to).
struct Seated {
    /// Kept open: the player stays seated while the test goes on.
    #[allow(dead_code)]
    client: Client,
    room: String,
    redirected: bool,
}

/// Sends `request` from a client signed in with `hello`, following a
/// `redirect` as the SDK does: a new connection to its URL, `hello` with
/// the session token from the last `welcome`, and `join` of its room.
async fn seat(ws: &str, hello: Value, request: Value) -> Seated {
    let mut client = Client::hello(ws, hello).await;
    let welcome = client.expect("welcome").await;
    let session = welcome["session"].as_str().unwrap().to_owned();
    client.send(request).await;
    loop {
        let m = client.recv().await;
        match m["t"].as_str().unwrap() {
            "joined" => {
                return Seated {
                    client,
                    room: m["room"].as_str().unwrap().to_owned(),
                    redirected: false,
                }
            }
            "redirect" => {
                let (url, room) = (m["url"].as_str().unwrap(), m["room"].as_str().unwrap());
                client.conn.close().await;
                let mut there = Client::hello(url, json!({"session": session})).await;
                there.expect("welcome").await;
                there.send(json!({"t": "join", "room": room})).await;
                let joined = there.expect("joined").await;
                return Seated {
                    client: there,
                    room: joined["room"].as_str().unwrap().to_owned(),
                    redirected: true,
                };
            }
            "error" => panic!("seat request refused: {m}"),
            _ => {}
        }
    }
}

/// Reads until an `error`.
async fn next_error(client: &mut Client) -> Value {
    loop {
        let m = client.recv().await;
        if m["t"] == "error" {
            return m;
        }
    }
}

async fn guest_quick(ws: &str, name: &str, game: &str) -> Seated {
    seat(ws, json!({"guest": name}), json!({"t": "quick", "game": game})).await
}

#[tokio::test]
async fn quick_matches_on_different_nodes_meet_and_a_join_on_the_wrong_node_is_redirected() {
    let cluster = Cluster::start(3, &redis_url(), None).await;
    assert_eq!(cluster.live_nodes().await, ["node0", "node1", "node2"]);

    // Ada opens a tic-tac-toe room on node 0; Bob, on node 1, is sent there.
    let ada = guest_quick(cluster.ws(0), "Ada", "tictactoe").await;
    assert!(!ada.redirected, "the first quick match opens its room where it asked");
    let bob = guest_quick(cluster.ws(1), "Bob", "tictactoe").await;
    assert!(bob.redirected, "Bob is sent to Ada's node");
    assert_eq!(bob.room, ada.room, "both quick matches meet in one room");

    // A join by code on a node without the room is redirected and succeeds.
    let cleo = guest_quick(cluster.ws(2), "Cleo", "arena").await;
    assert!(!cleo.redirected);
    let dan = seat(
        cluster.ws(0),
        json!({"guest": "Dan"}),
        json!({"t": "join", "room": cleo.room.to_lowercase(), "rid": 7}),
    )
    .await;
    assert!(dan.redirected);
    assert_eq!(dan.room, cleo.room);

    // A code that exists nowhere is refused on any node, as on one.
    let (mut eve, _) = Client::guest(cluster.ws(1), "Eve").await;
    eve.send(json!({"t": "join", "room": "ZZZZZZ"})).await;
    let error = next_error(&mut eve).await;
    assert_eq!(error["code"], "no_such_room");
    cluster.forget().await;
}

#[tokio::test]
async fn a_resume_on_another_node_is_redirected_to_the_held_seat() {
    // Sessions are single use across the nodes through the shared ledger.
    let schema = Schema::new().await;
    let cluster = Cluster::start(2, &redis_url(), Some(&schema.url)).await;
    let (mut ada, welcome) = Client::guest(cluster.ws(0), "Ada").await;
    let player = welcome["player"]["id"].as_str().unwrap().to_owned();
    let session = welcome["session"].as_str().unwrap().to_owned();
    ada.send(json!({"t": "quick", "game": "arena"})).await;
    let room = ada.expect("joined").await["room"].as_str().unwrap().to_owned();
    // The connection drops without `leave`: node 0 holds the seat, and the
    // directory knows where.
    drop(ada);
    let held = format!("{}:held:{player}", cluster.prefix);
    let redis = cluster.redis().await;
    eventually("the held seat published", || {
        let (mut redis, held) = (redis.clone(), held.clone());
        async move {
            redis::cmd("GET")
                .arg(held)
                .query_async::<Option<String>>(&mut redis)
                .await
                .unwrap()
                .is_some()
        }
    })
    .await;

    // The page comes back through the load balancer, on node 1.
    let mut back = Client::hello(cluster.ws(1), json!({"session": session})).await;
    let welcome = back.expect("welcome").await;
    assert_eq!(welcome["room"], Value::Null, "node 1 holds no seat for Ada");
    let redirect = back.expect("redirect").await;
    assert_eq!(redirect["url"], cluster.ws(0));
    assert_eq!(redirect["room"], room.as_str());
    let session = welcome["session"].as_str().unwrap().to_owned();

    // On node 0 the seat is given back.
    let mut there = Client::hello(cluster.ws(0), json!({"session": session})).await;
    let welcome = there.expect("welcome").await;
    assert_eq!(welcome["room"], room.as_str());
    assert_eq!(welcome["player"]["id"], player.as_str());
    let joined = there.expect("joined").await;
    assert_eq!(joined["room"], room.as_str());
    cluster.forget().await;
    drop(cluster);
    schema.drop().await;
}

#[tokio::test]
async fn two_hundred_racing_quick_matches_over_three_nodes_never_overfill_a_room() {
    let cluster = Cluster::start(3, &redis_url(), None).await;
    let players = 200;
    let tasks: Vec<_> = (0..players)
        .map(|i| {
            let ws = cluster.ws(i % 3).to_owned();
            tokio::spawn(async move { guest_quick(&ws, &format!("P{i}"), "arena").await })
        })
        .collect();
    let mut seated = Vec::new();
    for task in tasks {
        seated.push(task.await.unwrap());
    }
    let mut rooms: HashMap<String, usize> = HashMap::new();
    for s in &seated {
        *rooms.entry(s.room.clone()).or_default() += 1;
    }
    let max = 8;
    for (room, n) in &rooms {
        assert!(*n <= max, "room {room} got {n} players, over its {max} seats");
    }
    // Everyone is in the room they were told; nearly every room is full.
    let full = rooms.values().filter(|n| **n == max).count();
    assert!(
        rooms.len() <= players / max + 6,
        "200 players filled {} rooms of 8 ({} full): quick matches should fill rooms, not open them",
        rooms.len(),
        full
    );
    let redirected = seated.iter().filter(|s| s.redirected).count();
    assert!(redirected > 0, "some players met rooms on other nodes");
    drop(seated);
    cluster.forget().await;
}

#[tokio::test]
async fn thirty_players_of_one_chat_spread_over_three_nodes_end_up_in_one_room() {
    let cluster = Cluster::start(3, &redis_url(), None).await;
    let chat = format!("chat{}", cluster.prefix);
    let tasks: Vec<_> = (0..30u64)
        .map(|i| {
            let ws = cluster.ws(i as usize % 3).to_owned();
            let init_data = sign(BOT_TOKEN, &launch(1000 + i, &format!("U{i}"), Some(&chat)));
            tokio::spawn(async move {
                seat(
                    &ws,
                    json!({"init_data": init_data}),
                    json!({"t": "chat", "game": "trivia"}),
                )
                .await
            })
        })
        .collect();
    let mut rooms = Vec::new();
    let mut seated = Vec::new();
    for task in tasks {
        let s = task.await.unwrap();
        rooms.push(s.room.clone());
        seated.push(s);
    }
    rooms.dedup();
    assert_eq!(rooms.len(), 1, "one chat, one room: {rooms:?}");
    assert!(seated.iter().any(|s| s.redirected));
    drop(seated);
    cluster.forget().await;
}

#[tokio::test]
async fn results_of_matches_on_every_node_make_one_leaderboard() {
    let schema = Schema::new().await;
    let cluster = Cluster::start(3, &redis_url(), Some(&schema.url)).await;
    for i in 0..3 {
        common::forfeited_match(cluster.ws(i), &format!("bob{i}")).await;
    }
    for i in 0..3 {
        let (status, board) = get_json(&format!("{}/api/leaderboard/tictactoe", cluster.nodes[i].http)).await;
        assert_eq!(status, 200, "{board}");
        let lines = board["entries"].as_array().expect("a leaderboard has entries");
        let played: i64 = lines.iter().map(|l| l["matches"].as_i64().unwrap_or(0)).sum();
        assert!(
            played >= 6,
            "node {i}'s leaderboard counts the matches of all three nodes: {board}"
        );
    }
    cluster.forget().await;
    drop(cluster);
    schema.drop().await;
}

#[tokio::test]
async fn a_node_killed_with_sigkill_leaves_the_directory_within_its_ttl() {
    let mut cluster = Cluster::start(3, &redis_url(), None).await;
    // A public room on node 2, and a player holding a seat there.
    let held = guest_quick(cluster.ws(2), "Held", "arena").await;
    assert!(!held.redirected);
    let dead_room = held.room.clone();

    let mut victim = cluster.nodes.remove(2);
    victim.child.start_kill().unwrap();
    victim.child.wait().await.unwrap();
    let killed = Instant::now();
    eventually("node2 leaving the directory", || async {
        cluster.live_nodes().await == ["node0", "node1"]
    })
    .await;
    let gone_after = killed.elapsed();
    assert!(
        gone_after <= Duration::from_millis(TTL_MS + 500),
        "node2 left after {gone_after:?}, its TTL is {TTL_MS} ms"
    );
    // Its rooms left matchmaking: a quick match opens or finds one on a
    // live node, and the dead room's code is unknown.
    let next = guest_quick(cluster.ws(0), "Next", "arena").await;
    assert_ne!(next.room, dead_room);
    let (mut late, _) = Client::guest(cluster.ws(1), "Late").await;
    eventually("the dead node's room leaving the directory", || {
        let redis_check = cluster.redis();
        let key = format!("{}:room:{dead_room}", cluster.prefix);
        async move {
            let mut redis = redis_check.await;
            !redis::cmd("EXISTS")
                .arg(key)
                .query_async::<bool>(&mut redis)
                .await
                .unwrap()
        }
    })
    .await;
    late.send(json!({"t": "join", "room": dead_room})).await;
    assert_eq!(next_error(&mut late).await["code"], "no_such_room");
    // The others keep serving.
    let (_, welcome) = Client::guest(cluster.ws(1), "Still").await;
    assert_eq!(welcome["t"], "welcome");
    cluster.forget().await;
}

/// A redis-server of the test's own, on a port of its own, keeping
/// nothing on disk.
struct OwnRedis {
    child: Child,
    port: u16,
}

impl OwnRedis {
    async fn start(port: u16) -> OwnRedis {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("redis-server runs");
        let url = format!("redis://127.0.0.1:{port}");
        eventually("redis-server answering", || {
            let url = url.clone();
            async move {
                match redis::Client::open(url.as_str())
                    .unwrap()
                    .get_multiplexed_async_connection()
                    .await
                {
                    Ok(mut c) => redis::cmd("PING").query_async::<String>(&mut c).await.is_ok(),
                    Err(_) => false,
                }
            }
        })
        .await;
        OwnRedis { child, port }
    }

    async fn stop(mut self) -> u16 {
        self.child.start_kill().unwrap();
        self.child.wait().await.unwrap();
        self.port
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn health(node: &Node) -> Value {
    let (_, body) = get_json(&format!("{}/health", node.http)).await;
    body
}

#[tokio::test]
async fn nodes_outlive_their_redis_and_register_again_when_it_returns() {
    let redis = OwnRedis::start(free_port()).await;
    let url = format!("redis://127.0.0.1:{}", redis.port);
    let cluster = Cluster::start(2, &url, None).await;
    assert_eq!(health(&cluster.nodes[0]).await["cluster"], "up");

    // Redis goes away: a running room keeps running, and quick matches are
    // made among each node's own rooms.
    let before = guest_quick(cluster.ws(0), "Before", "arena").await;
    let port = redis.stop().await;
    let alone = guest_quick(cluster.ws(1), "Alone", "arena").await;
    assert!(!alone.redirected, "without Redis a node matches on its own");
    assert_ne!(alone.room, before.room);
    assert_eq!(health(&cluster.nodes[1]).await["cluster"], "alone");
    let (status, metrics) = common::http_get(&format!("{}/metrics", cluster.nodes[1].http)).await;
    assert_eq!(status, 200);
    assert!(metrics.contains("parlor_cluster_redis_up 0"), "{metrics}");
    assert!(
        !metrics.contains("parlor_cluster_fallbacks_total 0\n"),
        "the fallback is counted"
    );

    // Redis comes back (empty): both nodes register again, with their rooms.
    let _redis = OwnRedis::start(port).await;
    eventually("both nodes registering again", || async {
        cluster.live_nodes().await.len() == 2
    })
    .await;
    let mut redis = cluster.redis().await;
    for room in [&before.room, &alone.room] {
        let key = format!("{}:room:{room}", cluster.prefix);
        eventually("rooms published again", || {
            let key = key.clone();
            let mut redis = redis.clone();
            async move {
                redis::cmd("EXISTS")
                    .arg(key)
                    .query_async::<bool>(&mut redis)
                    .await
                    .unwrap()
            }
        })
        .await;
    }
    let _ = &mut redis;
    eventually("node 1 answering from the cluster again", || async {
        health(&cluster.nodes[1]).await["cluster"] == "up"
    })
    .await;
    // Matching spans the nodes again: node 1 sends a player to node 0's room.
    let after = guest_quick(cluster.ws(1), "After", "arena").await;
    assert!(
        after.room == before.room || after.room == alone.room,
        "a quick match fills an open room rather than opening a third"
    );
    drop((before, alone, after));
}

/// `/admin` on `node` with `auth` (a whole Authorization header, or none).
async fn admin(node: &Node, method: &str, path: &str, auth: Option<&str>) -> (u16, String, Value) {
    let header = auth.map(|a| format!("Authorization: {a}"));
    let headers: Vec<&str> = header.iter().map(String::as_str).collect();
    let (status, head, body) = common::http_request(method, &format!("{}{path}", node.http), &headers, "").await;
    (status, head, serde_json::from_str(&body).unwrap_or(Value::Null))
}

fn bearer() -> String {
    format!("Bearer {ADMIN_TOKEN}")
}

#[tokio::test]
async fn the_admin_page_refuses_without_its_token_shows_the_cluster_closes_a_room_and_drains_a_node() {
    let mut cluster = Cluster::start(3, &redis_url(), None).await;
    let node = &cluster.nodes[0];
    for auth in [None, Some("Bearer wrong"), Some("Basic b3BlcmF0b3I6d3Jvbmc=")] {
        for path in ["/admin", "/admin/api/overview"] {
            let (status, head, _) = admin(node, "GET", path, auth).await;
            assert_eq!(status, 401, "{path} with {auth:?}");
            assert!(head.contains("www-authenticate: basic"), "{head}");
        }
        let (status, _, _) = admin(node, "POST", "/admin/drain", auth).await;
        assert_eq!(status, 401, "drain with {auth:?} is refused");
    }
    // HTTP Basic, as a browser sends it: any user, the token as password.
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("ops:{ADMIN_TOKEN}"))
    );
    let (status, _, _) = admin(node, "GET", "/admin", Some(&basic)).await;
    assert_eq!(status, 200);

    // A running arena match on node 0 (its one player starts it).
    let mut ada = guest_quick(cluster.ws(0), "Ada", "arena").await;
    let (status, _, overview) = admin(node, "GET", "/admin/api/overview", Some(&bearer())).await;
    assert_eq!(status, 200, "{overview}");
    let ids: Vec<&str> = overview["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["node0", "node1", "node2"]);
    let rooms = overview["rooms"].as_array().unwrap();
    let listed = rooms
        .iter()
        .find(|r| r["code"] == ada.room.as_str())
        .expect("the room is listed");
    assert_eq!(listed["game"], "arena");
    assert_eq!(listed["players"], 1);
    // Its replicated state, as a client sees it.
    let (status, _, room) = admin(node, "GET", &format!("/admin/api/rooms/{}", ada.room), Some(&bearer())).await;
    assert_eq!(status, 200, "{room}");
    assert_eq!(room["inspection"]["players"][0][1], "Ada");
    assert!(
        room["inspection"]["state"]["e"]
            .as_array()
            .is_some_and(|e| !e.is_empty()),
        "{room}"
    );

    // Closing it ends the match for its player.
    let (status, _, _) = admin(
        node,
        "POST",
        &format!("/admin/api/rooms/{}/close", ada.room),
        Some(&bearer()),
    )
    .await;
    assert_eq!(status, 200);
    let left = ada.client.expect("left").await;
    assert_eq!(left["reason"], "finished");
    let (status, _, _) = admin(node, "POST", "/admin/api/rooms/ZZZZZZ/close", Some(&bearer())).await;
    assert_eq!(status, 404);

    // Drain node 2 while a match runs there: the directory shows it
    // draining at once, quick matches go elsewhere, it exits 0 once the
    // match is over.
    let mut bob = guest_quick(cluster.ws(2), "Bob", "arena").await;
    assert!(!bob.redirected);
    let (status, _, drained) = admin(&cluster.nodes[2], "POST", "/admin/drain", Some(&bearer())).await;
    assert_eq!((status, &drained["status"]), (202, &json!("draining")));
    let (status, _, overview) = admin(&cluster.nodes[0], "GET", "/admin/api/overview", Some(&bearer())).await;
    assert_eq!(status, 200);
    let node2 = overview["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == "node2")
        .cloned();
    assert_eq!(node2.expect("node2 is listed while it drains")["draining"], true);
    // Bob's room is the fullest open one, but its node drains.
    let cleo = guest_quick(cluster.ws(0), "Cleo", "arena").await;
    assert_ne!(cleo.room, bob.room, "no quick match is placed on a draining node");
    // Bob's match is cut at the end of the grace or when he leaves: he leaves.
    bob.client.send(json!({"t": "leave"})).await;
    bob.client.expect("left").await;
    let mut drained_node = cluster.nodes.remove(2);
    let status = tokio::time::timeout(PATIENCE, drained_node.child.wait())
        .await
        .expect("the drained node exits once its matches are over")
        .unwrap();
    assert!(status.success(), "{status:?}");
    assert_eq!(
        cluster.live_nodes().await,
        ["node0", "node1"],
        "a drained node leaves the directory"
    );
    cluster.forget().await;
}
