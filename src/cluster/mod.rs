//! Several nodes as one server: a directory of nodes and rooms in Redis.
//!
//! A room stays whole on the node that runs it; what the nodes share is
//! where things are. Each node registers itself (URL, rooms, players,
//! capacity, draining) with a heartbeat and a TTL, and publishes its rooms:
//! room code -> node, the public rooms of each game with free seats, the
//! room of each chat, the seats held for dropped connections. Every change
//! that must be atomic (picking a room and reserving a seat in it, claiming
//! a chat's room, a room's new count with the reservations it used up) is
//! one Lua script run by Redis (`directory.lua`), so no race between nodes
//! can overfill a room or split a chat.
//!
//! A request for a room on another node is answered with `redirect` (its
//! URL and the room); a seat a quick match reserved there waits for the
//! player for `[cluster] reservation_secs`. A room placed on a node by
//! another node's quick match opens when its first player arrives.
//!
//! When Redis does not answer, the node goes on alone: its rooms keep
//! running and it matches players among its own rooms
//! ([`LocalMatchmaker`]), counting `parlor_cluster_fallbacks_total`; at the
//! next heartbeat that Redis answers it registers again and publishes every
//! room it has.
//!
//! Redis must be one server (or a primary with replicas), not Redis
//! Cluster: the scripts touch keys they find as they go.
//!
//! ```no_run
//! # async fn example(config: parlor::config::Config, catalog: parlor::catalog::Catalog) {
//! // `[cluster] redis` (or `serve --redis`) is all a node needs to join.
//! let server = parlor::net::Server::start(config, catalog).await.expect("server starts");
//! if let Some(cluster) = &server.state().cluster {
//!     for node in cluster.nodes().await.unwrap_or_default() {
//!         println!("{} at {}: {} rooms", node.id, node.url, node.rooms);
//!     }
//! }
//! # }
//! ```

mod changes;
mod publisher;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{FromRedisValue, Script};
use serde::Serialize;

use crate::config::ClusterConfig;
use crate::matchmaking::{
    is_room_ref, new_room_code, random_code, seat, LocalMatchmaker, NamedRoom, SeatRequest, INVITE_SECRET_LEN,
};
use crate::metrics::Metrics;
use crate::protocol::{ErrorCode, Rid};
use crate::room::{ClientHandle, PlayerInfo, RoomHandle};

pub use changes::ReportingDirectory;

/// The longest one call to Redis may take before the node treats Redis as
/// gone for the request and matches on its own.
const CALL_TIMEOUT: Duration = Duration::from_secs(1);

/// How many times a placement picks again after a lost race.
const ATTEMPTS: usize = 3;

/// Where a seat request ended up.
#[derive(Clone)]
pub enum Placement {
    /// Seated in a room of this node (its `joined` is queued).
    Seated(RoomHandle),
    /// The room lives on another node: the client connects to `url` and
    /// joins `room`.
    Elsewhere { url: String, room: String },
}

/// A node as the directory lists it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct NodeStatus {
    pub id: String,
    pub url: String,
    pub rooms: u64,
    pub players: u64,
    pub capacity: u64,
    pub draining: bool,
}

/// Why the cluster could not be joined.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("cluster.redis: {0}")]
    Redis(#[from] redis::RedisError),
}

/// This node's membership of a cluster: its Redis connection, its
/// identity, and the seat requests it places across the nodes.
pub struct Cluster {
    node: String,
    url: String,
    prefix: String,
    heartbeat: Duration,
    ttl: Duration,
    reservation: Duration,
    capacity: usize,
    redis: ConnectionManager,
    script: Script,
    rooms: Arc<LocalMatchmaker>,
    directory: Arc<ReportingDirectory>,
    /// Whether the last call to Redis succeeded.
    up: AtomicBool,
    draining: AtomicBool,
    metrics: Arc<Metrics>,
}

impl Cluster {
    /// Joins the cluster `config` names. `rooms` must report through
    /// `directory`; `url` is the websocket URL of this node
    /// (`config.public_url` wins over it). Does not wait for Redis: a node
    /// whose Redis is down starts alone and registers once it answers.
    pub fn join(
        config: &ClusterConfig,
        url: String,
        rooms: Arc<LocalMatchmaker>,
        directory: Arc<ReportingDirectory>,
        capacity: usize,
        metrics: Arc<Metrics>,
    ) -> Result<Arc<Cluster>, ClusterError> {
        let redis_url = config.redis.as_ref().map(|s| s.expose()).unwrap_or_default();
        let client = redis::Client::open(redis_url)?;
        let manager = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CALL_TIMEOUT))
            .set_response_timeout(Some(CALL_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let redis = ConnectionManager::new_lazy_with_config(client, manager)?;
        Ok(Arc::new(Cluster {
            node: config
                .node_id
                .clone()
                .unwrap_or_else(|| format!("node-{}", random_code(8).to_ascii_lowercase())),
            url: config.public_url.clone().unwrap_or(url),
            prefix: config.prefix.clone(),
            heartbeat: Duration::from_millis(config.heartbeat_ms),
            ttl: Duration::from_millis(config.ttl_ms),
            reservation: Duration::from_secs(config.reservation_secs),
            capacity,
            redis,
            script: Script::new(include_str!("directory.lua")),
            rooms,
            directory,
            up: AtomicBool::new(false),
            draining: AtomicBool::new(false),
            metrics,
        }))
    }

    /// This node's id.
    pub fn node_id(&self) -> &str {
        &self.node
    }

    /// The websocket URL this node gives in `redirect`s to itself.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether Redis answered the last call.
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }

    /// Whether this node is draining.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }

    /// Registers this node now (before it serves, so its first clients are
    /// matched across the cluster); a Redis that does not answer is logged
    /// and the node starts alone.
    pub async fn register(&self) {
        if let Err(e) = publisher::beat(self).await {
            tracing::warn!(error = %e, node = %self.node, "cannot reach the cluster's Redis; starting alone, registering once it answers");
        }
    }

    /// Runs the heartbeat and publishes room changes until `stop` is
    /// cancelled; then forgets this node in the directory.
    pub async fn run(self: Arc<Self>, stop: tokio_util::sync::CancellationToken) {
        publisher::run(self, stop).await
    }

    /// Marks this node draining and tells the directory now: quick matches
    /// anywhere stop placing players here, its rooms leave matchmaking.
    pub async fn drain(&self) {
        self.draining.store(true, Ordering::Relaxed);
        if publisher::beat(self).await.is_ok() {
            self.directory.all_changed();
        }
    }

    /// The live nodes of the cluster.
    pub async fn nodes(&self) -> Result<Vec<NodeStatus>, redis::RedisError> {
        let flat: Vec<String> = self.call("nodes", &[]).await?;
        let number = |s: &str| s.parse().unwrap_or(0);
        let mut nodes: Vec<NodeStatus> = flat
            .chunks_exact(6)
            .map(|n| NodeStatus {
                id: n[0].clone(),
                url: n[1].clone(),
                rooms: number(&n[2]),
                players: number(&n[3]),
                capacity: number(&n[4]),
                draining: n[5] == "1",
            })
            .collect();
        nodes.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(nodes)
    }

    /// Runs one operation of the directory script.
    async fn call<T: FromRedisValue>(&self, op: &str, args: &[&str]) -> Result<T, redis::RedisError> {
        let mut invocation = self.script.prepare_invoke();
        invocation.arg(&self.prefix).arg(op);
        for arg in args {
            invocation.arg(*arg);
        }
        let mut redis = self.redis.clone();
        let outcome = match tokio::time::timeout(CALL_TIMEOUT, invocation.invoke_async(&mut redis)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(redis::RedisError::from(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "Redis did not answer within 1 s",
            ))),
        };
        self.answered(outcome.is_ok());
        outcome
    }

    fn answered(&self, ok: bool) {
        if self.up.swap(ok, Ordering::Relaxed) != ok {
            self.metrics.cluster_up(ok);
            if ok {
                tracing::info!(node = %self.node, "the cluster directory answers again");
            } else {
                tracing::warn!(
                    node = %self.node,
                    "the cluster directory (Redis) does not answer: this node matches players among its own rooms until it does"
                );
            }
        }
    }

    /// The room a player holds a seat in on another node since a dropped
    /// connection, as (URL, room code).
    pub async fn held_elsewhere(&self, player: &str) -> Option<(String, String)> {
        if !self.is_up() {
            return None;
        }
        let found: Vec<String> = self.call("find_held", &[player]).await.ok()?;
        match found.as_slice() {
            [code, node, url] if *node != self.node => {
                self.metrics.redirected();
                Some((url.clone(), code.clone()))
            }
            _ => None,
        }
    }

    /// Seats `player` as `request` asks, in a room of any node: here (the
    /// room queues `joined` to `client`), or elsewhere (the caller sends
    /// `redirect`). Without Redis, among this node's rooms only.
    pub async fn seat(
        &self,
        request: &SeatRequest,
        player: &PlayerInfo,
        client: &ClientHandle,
        rid: Option<Rid>,
    ) -> Result<Placement, (ErrorCode, String)> {
        if self.is_up() {
            match self.place(request, player, client, rid).await {
                Ok(placed) => return placed,
                Err(e) => tracing::warn!(error = %e, "cluster directory call failed; matching on this node"),
            }
        }
        self.metrics.cluster_fallback();
        seat(&*self.rooms, request, player, client, rid)
            .await
            .map(Placement::Seated)
    }

    /// [`Cluster::seat`] through the directory; the outer error is Redis's.
    async fn place(
        &self,
        request: &SeatRequest,
        player: &PlayerInfo,
        client: &ClientHandle,
        rid: Option<Rid>,
    ) -> Result<Result<Placement, (ErrorCode, String)>, redis::RedisError> {
        let catalog = self.rooms.catalog();
        let max_of = |game: &str| catalog.get(game).map(|g| g.manifest().max_players);
        match request {
            SeatRequest::Quick { game } => {
                let Some(max) = max_of(game) else {
                    return Ok(Err(refusal(request, ErrorCode::NoSuchGame)));
                };
                let mut outcome = Err(ErrorCode::RoomFull);
                for _ in 0..ATTEMPTS {
                    let candidate = new_room_code();
                    let picked: Vec<String> = self
                        .call(
                            "quick",
                            &[
                                game,
                                &self.node,
                                &player.id,
                                &self.reservation.as_millis().to_string(),
                                &candidate,
                                &max.to_string(),
                            ],
                        )
                        .await?;
                    let [code, node, url] = picked.as_slice() else {
                        if picked.is_empty() {
                            outcome = Err(ErrorCode::ServerFull);
                            break;
                        }
                        continue; // the candidate code was taken
                    };
                    if *node != self.node {
                        return Ok(Ok(self.elsewhere(url, code)));
                    }
                    let room = NamedRoom {
                        code: code.as_str().into(),
                        game: game.clone(),
                        private: false,
                        invite: None,
                        chat: None,
                    };
                    outcome = self.join_here(&room, player, client, rid).await?;
                    if !matches!(outcome, Err(ErrorCode::RoomFull | ErrorCode::NoSuchRoom)) {
                        break;
                    }
                }
                Ok(outcome.map(Placement::Seated).map_err(|code| refusal(request, code)))
            }
            SeatRequest::Create { game, private } => {
                let Some(max) = max_of(game) else {
                    return Ok(Err(refusal(request, ErrorCode::NoSuchGame)));
                };
                if self.rooms.is_stopping() || self.is_draining() {
                    return Ok(Err(refusal(request, ErrorCode::ServerFull)));
                }
                for _ in 0..ATTEMPTS {
                    let code = new_room_code();
                    let invite = private.then(|| format!("{code}-{}", random_code(INVITE_SECRET_LEN)));
                    let opened: Vec<String> = self
                        .call(
                            "open",
                            &[
                                &self.node,
                                &code,
                                game,
                                &max.to_string(),
                                if *private { "1" } else { "0" },
                                invite.as_deref().unwrap_or(""),
                                "",
                            ],
                        )
                        .await?;
                    if opened.len() != 3 {
                        continue; // the code was taken
                    }
                    let room = NamedRoom {
                        code: code.as_str().into(),
                        game: game.clone(),
                        private: *private,
                        invite: invite.map(Arc::from),
                        chat: None,
                    };
                    let joined = self.join_here(&room, player, client, rid).await?;
                    return Ok(joined.map(Placement::Seated).map_err(|code| refusal(request, code)));
                }
                Ok(Err(refusal(request, ErrorCode::Internal)))
            }
            SeatRequest::Join { code: given } => {
                if !is_room_ref(given) {
                    return Ok(Err(refusal(request, ErrorCode::NoSuchRoom)));
                }
                let given = given.to_ascii_uppercase();
                let code = given.split('-').next().unwrap_or_default();
                let found: Vec<String> = self
                    .call("seat", &[code, &player.id, &self.reservation.as_millis().to_string()])
                    .await?;
                let outcome = match found.as_slice() {
                    [status] if status == "full" => Err(ErrorCode::RoomFull),
                    [_, node, url, private, invite, game, chat] => {
                        let invite = (!invite.is_empty()).then(|| Arc::<str>::from(invite.as_str()));
                        let admitted = invite.as_ref().is_none_or(|invite| {
                            bool::from(subtle::ConstantTimeEq::ct_eq(invite.as_bytes(), given.as_bytes()))
                        });
                        if !admitted {
                            Err(ErrorCode::NoSuchRoom)
                        } else if *node != self.node {
                            return Ok(Ok(self.elsewhere(url, &given)));
                        } else {
                            let room = NamedRoom {
                                code: code.into(),
                                game: game.clone(),
                                private: private == "1",
                                invite,
                                chat: self.chat_of(game, chat),
                            };
                            self.join_here(&room, player, client, rid).await?
                        }
                    }
                    // Not in the directory: a room this node opened while
                    // Redis was away, not yet published, or none at all.
                    _ => match self.rooms.local_room(code) {
                        Some(room) if room.admits(&given) => self.join_local(&room, player, client, rid).await,
                        _ => Err(ErrorCode::NoSuchRoom),
                    },
                };
                Ok(outcome.map(Placement::Seated).map_err(|code| refusal(request, code)))
            }
            SeatRequest::Chat { game, chat } => {
                let Some(max) = max_of(game) else {
                    return Ok(Err(refusal(request, ErrorCode::NoSuchGame)));
                };
                let key = self.chat_key(game, chat);
                let mut outcome = Err(ErrorCode::NoSuchRoom);
                for _ in 0..ATTEMPTS {
                    let code = new_room_code();
                    let opened: Vec<String> = self
                        .call("open", &[&self.node, &code, game, &max.to_string(), "1", "", &key])
                        .await?;
                    let [code, node, url] = opened.as_slice() else {
                        continue; // the code was taken
                    };
                    if *node != self.node {
                        return Ok(Ok(self.elsewhere(url, code)));
                    }
                    let room = NamedRoom {
                        code: code.as_str().into(),
                        game: game.clone(),
                        private: true,
                        invite: None,
                        chat: Some((game.clone(), chat.clone())),
                    };
                    outcome = self.join_here(&room, player, client, rid).await?;
                    if !matches!(outcome, Err(ErrorCode::RoomFull | ErrorCode::NoSuchRoom)) {
                        break;
                    }
                }
                Ok(outcome.map(Placement::Seated).map_err(|code| refusal(request, code)))
            }
        }
    }

    fn elsewhere(&self, url: &str, room: &str) -> Placement {
        self.metrics.redirected();
        Placement::Elsewhere {
            url: url.to_owned(),
            room: room.to_owned(),
        }
    }

    /// Opens `room` here if it is not open yet, and seats `player`; a seat
    /// reserved for the player and not taken is given back.
    async fn join_here(
        &self,
        room: &NamedRoom,
        player: &PlayerInfo,
        client: &ClientHandle,
        rid: Option<Rid>,
    ) -> Result<Result<RoomHandle, ErrorCode>, redis::RedisError> {
        let handle = match self.rooms.open_named(room) {
            Ok(handle) => handle,
            Err(code) => {
                self.unreserve(&room.code, &player.id).await;
                return Ok(Err(code));
            }
        };
        let joined = self.join_local(&handle, player, client, rid).await;
        if joined.is_err() {
            self.unreserve(&room.code, &player.id).await;
        }
        Ok(joined)
    }

    async fn join_local(
        &self,
        room: &RoomHandle,
        player: &PlayerInfo,
        client: &ClientHandle,
        rid: Option<Rid>,
    ) -> Result<RoomHandle, ErrorCode> {
        crate::matchmaking::join(&*self.rooms, room.clone(), player, client, rid).await
    }

    async fn unreserve(&self, code: &str, player: &str) {
        let _: Result<String, _> = self.call("unreserve", &[code, player]).await;
    }

    fn chat_key(&self, game: &str, chat: &str) -> String {
        format!("{}:chat:{game}:{chat}", self.prefix)
    }

    /// The (game, chat) of a chat key as the directory stores it.
    fn chat_of(&self, game: &str, key: &str) -> Option<(String, String)> {
        let chat = key.strip_prefix(&format!("{}:chat:{game}:", self.prefix))?;
        Some((game.to_owned(), chat.to_owned()))
    }
}

/// The error a refused seat request gets: as on one node, but a full
/// cluster is every node's doing.
fn refusal(request: &SeatRequest, code: ErrorCode) -> (ErrorCode, String) {
    match code {
        ErrorCode::ServerFull => (
            code,
            "every node holds as many rooms as it may, or is draining; try again shortly".to_owned(),
        ),
        _ => crate::matchmaking::refusal(request, code),
    }
}
