//! The HTTP side: an axum router with the websocket endpoint, the JSON API
//! and the pages and SDK compiled into the binary, over one shared
//! [`AppState`].

mod admin;
mod api;
mod assets;
pub mod budgets;
pub mod client_addr;
pub mod connections;
mod listener;
pub mod replays;
pub mod session;
mod ton;

use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tungstenite::protocol::WebSocketConfig;

pub use client_addr::ClientAddr;
pub use connections::{ConnectionLimiter, ConnectionSlot};
pub use listener::TcpSlot;

use crate::auth::{SessionKey, TelegramAuth};
use crate::catalog::Catalog;
use crate::cluster::{Cluster, ReportingDirectory};
use crate::config::Config;
use crate::ledger::{Ledger, LedgerError, ResultKey};
use crate::lifecycle::Lifecycle;
use crate::matchmaking::LocalMatchmaker;
use crate::metrics::{Limit, Metrics};
use crate::room::RoomContext;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The contents of [`AppState`].
pub struct Shared {
    pub config: Config,
    pub catalog: Catalog,
    pub matchmaker: Arc<LocalMatchmaker>,
    pub ledger: Arc<dyn Ledger>,
    /// Checks Telegram initData.
    pub telegram: TelegramAuth,
    /// Signs and checks `welcome.session` tokens.
    pub sessions: SessionKey,
    /// Issues and checks TON Connect proof payloads.
    pub ton_payloads: crate::ton::PayloadKey,
    pub connections: Arc<ConnectionLimiter>,
    /// Misses looking up room codes, per address.
    pub join_misses: budgets::AddressBudget,
    /// Rooms opened, per address.
    pub rooms_opened: budgets::AddressBudget,
    /// The stop signal every session and room watches.
    pub lifecycle: Lifecycle,
    /// The connection holding each session.
    pub live_sessions: Arc<session::live::LiveSessions>,
    /// Recorded matches being played back.
    pub replays: replays::Replays,
    /// What `GET /metrics` shows.
    pub metrics: Arc<Metrics>,
    /// This node's membership of a cluster (`[cluster] redis`); `None` on a
    /// single node.
    pub cluster: Option<Arc<Cluster>>,
    /// Cancelled when an operator asks this node to drain
    /// (`POST /admin/drain`); the binary then stops the server.
    pub drain_requested: tokio_util::sync::CancellationToken,
}

impl AppState {
    /// Whether per-address limits apply to `ip`: always, but to loopback
    /// (a local proxy or load generator) only with `limits.limit_loopback`.
    pub fn counts(&self, ip: std::net::IpAddr) -> bool {
        self.config.limits.limit_loopback || !ip.is_loopback()
    }
}

impl Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The router of a server with this state.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(assets::lobby))
        .route("/play/{game}", get(assets::play))
        .route("/replay/{id}", get(assets::replay))
        .merge(sdk_routes())
        .route("/web/{*file}", get(assets::web))
        .route("/health", get(api::health))
        .route("/metrics", get(api::metrics))
        .route("/api/games", get(api::games))
        .route("/api/rooms", get(api::rooms))
        .route("/api/rooms/{code}", get(api::room))
        .route("/api/leaderboard/{game}", get(api::leaderboard))
        .route("/api/matches/{id}", get(api::signed_match))
        .route("/api/keys", get(api::result_keys))
        .route("/api/players/{id}/matches", get(api::player_matches))
        .route("/api/players/{id}/claims", get(api::player_claims))
        .route("/api/ton/payload", get(ton::payload))
        .route(
            "/api/ton/link",
            post(ton::link).layer(axum::extract::DefaultBodyLimit::max(ton::MAX_LINK_BODY)),
        )
        .route("/api/ton/wallets", get(ton::wallets))
        .route("/api/rewards/{claim}/voucher", post(ton::voucher))
        .route("/tonconnect-manifest.json", get(ton::manifest))
        .route("/ws", get(websocket))
        .merge(admin_routes(state.clone()))
        .fallback(assets::fallback)
        .with_state(state)
}

/// `/admin` and its calls, each behind the admin token.
fn admin_routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/admin", get(admin::page))
        .route("/admin/api/overview", get(admin::overview))
        .route("/admin/api/rooms/{code}", get(admin::room))
        .route("/admin/api/rooms/{code}/close", post(admin::close_room))
        .route("/admin/drain", post(admin::drain))
        .layer(axum::middleware::from_fn_with_state(state, admin::require_token))
}

/// `/sdk/{file}`, with CORS headers for any origin: the SDK is public, and
/// a page hosted elsewhere imports it as a module, which a browser fetches
/// in CORS mode (docs/pages.md).
fn sdk_routes() -> Router<AppState> {
    let cors = tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::Any)
        .allow_methods([axum::http::Method::GET, axum::http::Method::HEAD]);
    Router::new().route("/sdk/{*file}", get(assets::sdk)).layer(cors)
}

/// Bytes tungstenite reads per call; see `websocket`.
const READ_BUFFER: usize = 4096;

async fn websocket(
    State(state): State<AppState>,
    client: ClientAddr,
    tcp: Option<Extension<TcpSlot>>,
    headers: HeaderMap,
    mut request: Request,
) -> Response {
    let response = match session::socket::upgrade_response(&headers) {
        Ok(response) => response,
        Err(refusal) => return refusal.into_response(),
    };
    let Some(upgrade) = request.extensions_mut().remove::<hyper::upgrade::OnUpgrade>() else {
        return (StatusCode::UPGRADE_REQUIRED, "this connection cannot be upgraded\n").into_response();
    };
    let header = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    if !state.config.web.admits(header(header::ORIGIN), header(header::HOST)) {
        state.metrics.refused(Limit::Origin);
        return (
            StatusCode::FORBIDDEN,
            "pages from this origin may not connect here; see [web] allowed_origins\n",
        )
            .into_response();
    }
    let counted = state.counts(client.ip);
    // A direct connection was counted when it was accepted; through a
    // trusted proxy (or a router served by other means) the client is
    // counted here, one slot per websocket.
    let slot = match tcp {
        Some(Extension(TcpSlot(slot))) if !client.via_proxy => Some(slot),
        _ if !counted => Some(Arc::new(ConnectionSlot::uncounted())),
        _ => ConnectionLimiter::acquire(&state.connections, client.ip).map(Arc::new),
    };
    let Some(slot) = slot else {
        state.metrics.refused(Limit::PerAddress);
        let limit = state.config.limits.connections_per_ip;
        return (
            StatusCode::TOO_MANY_REQUESTS,
            format!("at most {limit} connections per address\n"),
        )
            .into_response();
    };
    let limits = &state.config.limits;
    let limit = limits.max_frame_bytes;
    let config = WebSocketConfig::default()
        // tungstenite zero-fills its whole read buffer before every read;
        // at the default 128 KiB that memset was over half the server's CPU.
        // Larger frames still fit: the buffer grows to a frame's length.
        .read_buffer_size(READ_BUFFER)
        // What tungstenite writes itself (pongs, pings, the close) goes to
        // the outlet at once, which holds it within its cap.
        .write_buffer_size(0)
        .max_message_size(Some(limit))
        .max_frame_size(Some(limit));
    let cap = limits.write_buffer_max_bytes;
    let peer = counted.then_some(client.ip);
    tokio::spawn(async move {
        if let Some((socket, outlet)) = session::socket::open(upgrade, config, cap).await {
            session::run(socket, outlet, state, slot, peer).await;
        }
    });
    response
}

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("cannot read or create the session key in {dir}: {source}")]
    SessionKey { dir: String, source: std::io::Error },
    #[error(transparent)]
    Cluster(#[from] crate::cluster::ClusterError),
}

/// A running server.
pub struct Server {
    addr: SocketAddr,
    state: AppState,
    /// The accept loop, which stops at the stop signal.
    task: JoinHandle<()>,
    /// The cluster's heartbeat and publisher, and what stops it (after the
    /// rooms, so their closing is published).
    publisher: Option<(JoinHandle<()>, tokio_util::sync::CancellationToken)>,
}

/// How a stop went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// Every session, room and ledger write finished.
    Clean,
    /// The bound ran out with work still going; what was left is dropped.
    TimedOut,
}

impl Server {
    /// Opens the ledger (`config.database`, else SQLite in the data
    /// directory), binds, and starts serving.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), parlor::net::StartError> {
    /// use parlor::catalog::ManifestSource;
    /// let catalog = parlor_games::bundled(&ManifestSource::Bundled).expect("bundled games build");
    /// let server = parlor::net::Server::start(parlor::config::Config::default(), catalog).await?;
    /// println!("serving on http://{}", server.addr());
    /// parlor::lifecycle::signal().await; // Ctrl-C or SIGTERM
    /// server.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn start(config: Config, catalog: Catalog) -> Result<Server, StartError> {
        let ledger = Server::open_ledger(&config).await?;
        Server::start_with_ledger(config, catalog, ledger).await
    }

    /// The ledger `config` names (`database`, else SQLite in the data
    /// directory), signing with its `signing_key` (else `results.key` in
    /// the data directory, made if missing).
    pub async fn open_ledger(config: &Config) -> Result<Arc<dyn Ledger>, LedgerError> {
        let key = match &config.signing_key {
            Some(file) => ResultKey::read(file),
            None => ResultKey::load_or_create(&config.data_dir),
        }
        .map_err(LedgerError::SigningKey)?;
        let database = config.database.as_ref().map(|url| url.expose());
        crate::ledger::open(database, &config.data_dir, key).await
    }

    /// As [`Server::start`], recording into `ledger` instead of the one
    /// the config names (the data directory still holds the session key).
    pub async fn start_with_ledger(
        config: Config,
        catalog: Catalog,
        ledger: Arc<dyn Ledger>,
    ) -> Result<Server, StartError> {
        let sessions = match &config.session_key {
            Some(file) => crate::keyfile::read(file, "session key").map(SessionKey::from_bytes),
            None => SessionKey::load_or_create(&config.data_dir),
        }
        .map_err(|source| StartError::SessionKey {
            dir: config
                .session_key
                .as_ref()
                .unwrap_or(&config.data_dir)
                .display()
                .to_string(),
            source,
        })?;
        let t = &config.telegram;
        let telegram = TelegramAuth::new(
            t.bot_token.as_ref().map(|s| s.expose().to_owned()),
            t.bot_id,
            t.auth_max_age,
            t.test_environment,
        );
        let connections = Arc::new(ConnectionLimiter::new(config.limits.connections_per_ip));
        let lifecycle = Lifecycle::new();
        let metrics = Arc::new(Metrics::new(catalog.iter().map(|g| g.manifest().name.as_str())));
        let clustered = config.cluster.redis.is_some();
        let mut reporting = None;
        let matchmaker = Arc::new(LocalMatchmaker::reporting_through(
            catalog.clone(),
            config.limits.max_rooms,
            |local| {
                if clustered {
                    let directory = Arc::new(ReportingDirectory::new(local));
                    reporting = Some(directory.clone());
                    directory
                } else {
                    local
                }
            },
            |directory| RoomContext {
                ledger: ledger.clone(),
                directory,
                lifecycle: lifecycle.clone(),
                inbox: config.limits.room_inbox,
                outbound_reserve: config.limits.outbound_reserve,
                unclaimed_grace: config.limits.unclaimed_room_grace(),
                shutdown_grace: config.shutdown.grace(),
                metrics: metrics.clone(),
            },
        ));
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|source| StartError::Bind {
                addr: config.bind,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: config.bind,
            source,
        })?;
        let cluster = match reporting {
            Some(directory) => Some(Cluster::join(
                &config.cluster,
                format!("ws://{addr}/ws"),
                matchmaker.clone(),
                directory,
                config.limits.max_rooms,
                metrics.clone(),
            )?),
            None => None,
        };
        let config_misses_per_ip = config.limits.join_misses_per_minute_per_ip;
        let config_rooms_per_ip = config.limits.rooms_per_minute_per_ip;
        let state = AppState(Arc::new(Shared {
            config,
            catalog,
            matchmaker,
            ledger,
            telegram,
            ton_payloads: crate::ton::PayloadKey::new(sessions.derive("parlor ton payload key")),
            sessions,
            connections,
            join_misses: budgets::AddressBudget::new(config_misses_per_ip),
            rooms_opened: budgets::AddressBudget::new(config_rooms_per_ip),
            lifecycle: lifecycle.clone(),
            live_sessions: Arc::default(),
            replays: replays::Replays::default(),
            metrics,
            cluster: cluster.clone(),
            drain_requested: tokio_util::sync::CancellationToken::new(),
        }));
        if let Some(period) = state.config.memory.trim_period() {
            tokio::spawn(crate::memory::trim_periodically(period, lifecycle.stopping()));
        }
        if let Some(cluster) = &cluster {
            cluster.register().await;
        }
        let publisher = cluster.map(|cluster| {
            let stop = tokio_util::sync::CancellationToken::new();
            (tokio::spawn(cluster.run(stop.clone())), stop)
        });
        let task = tokio::spawn(listener::serve(listener, router(state.clone()), state.clone()));
        Ok(Server {
            addr,
            state,
            task,
            publisher,
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server's shared state.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Resolves when an operator asked this node to drain
    /// (`POST /admin/drain`): the binary then calls [`Server::shutdown`], as
    /// on SIGTERM.
    pub async fn drain_requested(&self) {
        self.state.drain_requested.cancelled().await
    }

    /// The longest a stop waits: the running matches' grace, a stuck
    /// peer's write timeout and the close handshake, and a margin for the
    /// last ledger writes.
    pub fn stop_bound(&self) -> Duration {
        let config = &self.state.config;
        config.shutdown.grace() + config.limits.write_timeout() + Duration::from_secs(5)
    }

    /// Stops the server: no new connections or rooms; rooms without a
    /// running match close at once, running matches get the `[shutdown]`
    /// grace to finish and are then recorded as aborted; every client in a
    /// room gets `left` with reason `shutdown` (or the match's own end), and
    /// every socket closes with 1001. Waits, within [`Server::stop_bound`],
    /// until every session, room and ledger write has finished.
    pub async fn shutdown(self) -> Stopped {
        let bound = self.stop_bound();
        let lifecycle = self.state.lifecycle.clone();
        // The cluster stops sending players here before the node stops
        // taking them.
        if let Some(cluster) = &self.state.cluster {
            cluster.drain().await;
        }
        lifecycle.stop();
        let finished = async {
            let _ = self.task.await;
            lifecycle.finished().await;
        };
        let stopped = tokio::time::timeout(bound, finished).await;
        if let Some((publisher, stop)) = self.publisher {
            stop.cancel();
            let _ = tokio::time::timeout(Duration::from_secs(5), publisher).await;
        }
        match stopped {
            Ok(()) => Stopped::Clean,
            Err(_) => {
                tracing::warn!(bound = ?bound, "the stop bound ran out with sessions, rooms or ledger writes still going");
                Stopped::TimedOut
            }
        }
    }
}
