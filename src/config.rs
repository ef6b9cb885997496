//! Server configuration: command-line flags, `PARLOR_*` environment
//! variables and an optional TOML file, in that order of precedence, over
//! built-in defaults.
//!
//! ```
//! let config = parlor::config::Config::default();
//! assert_eq!(config.bind.to_string(), "127.0.0.1:8080");
//! assert_eq!(config.limits.max_frame_bytes, 16 * 1024);
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ipnet::IpNet;
use serde::Deserialize;

/// Flags of `parlor serve`; each also reads a `PARLOR_*` variable.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "PARLOR_BIND")]
    pub bind: Option<SocketAddr>,
    /// Directory for the ledger database and the keys [default: ./parlor-data]
    #[arg(long, env = "PARLOR_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// The ledger's database: postgres://USER@HOST/DB or sqlite://PATH [default: parlor.db in the data directory]
    #[arg(long, env = "PARLOR_DATABASE", hide_env_values = true, value_name = "URL")]
    pub database: Option<Secret>,
    /// A file holding the 32-byte seed of the Ed25519 key results are signed with [default: results.key in the data directory, made if missing]
    #[arg(long, env = "PARLOR_SIGNING_KEY", value_name = "FILE")]
    pub signing_key: Option<PathBuf>,
    /// A TOML file with any of these settings and a [limits] table
    #[arg(long, env = "PARLOR_CONFIG")]
    pub config: Option<PathBuf>,
    /// A directory of NAME.toml game manifests that replace the bundled ones
    #[arg(long, env = "PARLOR_MANIFESTS")]
    pub manifests: Option<PathBuf>,
    /// The Telegram bot token, to check initData's `hash` (never logged)
    #[arg(long, env = "PARLOR_BOT_TOKEN", hide_env_values = true)]
    pub bot_token: Option<Secret>,
    /// The Telegram bot id, to check initData's Ed25519 `signature` without the token
    #[arg(long, env = "PARLOR_BOT_ID")]
    pub bot_id: Option<u64>,
    /// Oldest initData accepted, in seconds since its auth_date; 0 accepts any age [default: 86400]
    #[arg(long, env = "PARLOR_AUTH_MAX_AGE", value_name = "SECONDS")]
    pub auth_max_age: Option<u64>,
    /// Whether `hello` with a guest name is accepted [default: true only when no bot token and no bot id is set]
    #[arg(long, env = "PARLOR_ALLOW_GUESTS", value_name = "BOOL")]
    pub allow_guests: Option<bool>,
    /// Check `signature` with Telegram's test-environment key instead of production's
    #[arg(long, env = "PARLOR_TELEGRAM_TEST_ENV")]
    pub telegram_test_env: bool,
    /// A reverse proxy's address or network (CIDR) whose forwarded client
    /// address is believed; repeat the flag, or separate with commas
    #[arg(long = "trusted-proxy", env = "PARLOR_TRUSTED_PROXIES", value_delimiter = ',', value_name = "CIDR", value_parser = parse_net)]
    pub trusted_proxies: Vec<IpNet>,
    /// A directory of your own pages, served before the built-in ones (docs/pages.md)
    #[arg(long, env = "PARLOR_PAGES", value_name = "DIR")]
    pub pages: Option<PathBuf>,
    /// Origins whose pages may open websockets, comma-separated [default: any]
    #[arg(long = "allowed-origin", env = "PARLOR_ALLOWED_ORIGINS", value_delimiter = ',', value_name = "ORIGIN", value_parser = parse_origin)]
    pub allowed_origins: Vec<String>,
    /// A token `GET /metrics` asks for (`Authorization: Bearer TOKEN`) [default: none, open]
    #[arg(long, env = "PARLOR_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<Secret>,
    /// Join a cluster of nodes sharing this Redis: redis://HOST:PORT[/DB] [default: none, a single node]
    #[arg(long, env = "PARLOR_REDIS", hide_env_values = true, value_name = "URL")]
    pub redis: Option<Secret>,
    /// The websocket URL clients reach this node at, sent in `redirect`s [default: ws://BIND/ws]
    #[arg(long, env = "PARLOR_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// This node's id in the cluster [default: random]
    #[arg(long, env = "PARLOR_NODE_ID", value_name = "ID")]
    pub node_id: Option<String>,
    /// The prefix of the cluster's Redis keys: clusters sharing one Redis need their own [default: parlor]
    #[arg(long, env = "PARLOR_REDIS_PREFIX", value_name = "PREFIX")]
    pub redis_prefix: Option<String>,
    /// A file holding the 32-byte key session tokens are signed with; every node of a cluster needs the same [default: session.key in the data directory, made if missing]
    #[arg(long, env = "PARLOR_SESSION_KEY", value_name = "FILE")]
    pub session_key: Option<PathBuf>,
    /// The token the operator page `/admin` asks for [default: none, /admin refused]
    #[arg(long, env = "PARLOR_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<Secret>,
    /// Report to Agones' SDK sidecar: Ready, Health, Counters rooms and players, Shutdown after a drain
    #[arg(long, env = "PARLOR_AGONES")]
    pub agones: bool,
}

/// A secret string (the bot token) whose `Debug` never shows it, so it
/// cannot reach a log through a `{:?}` of the configuration.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// The secret itself, for the code that uses it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_owned()))
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(s.to_owned())
    }
}

/// Bounds on what clients can make the server hold or do. Every queue in
/// the server is bounded by one of these.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest inbound websocket message; larger ones close with 1009.
    pub max_frame_bytes: usize,
    /// Seconds a new connection has to send `hello`.
    pub hello_timeout_secs: u64,
    /// Undecodable messages a connection may send before it is closed (1008).
    pub max_bad_messages: u32,
    /// Rooms this server holds at once; beyond, `create`/`quick` get `server_full`.
    pub max_rooms: usize,
    /// Messages queued to one client before patches are skipped for a resync.
    pub outbound_queue: usize,
    /// Of those, slots kept for messages that are never skipped.
    pub outbound_reserve: usize,
    /// Commands (joins, leaves, inputs) queued to one room; inputs beyond
    /// get `rate_limited`.
    pub room_inbox: usize,
    /// Open TCP connections (HTTP and websocket) from one IP address; more
    /// are answered HTTP 429 and closed. Behind a trusted proxy, the
    /// websockets of each forwarded client address.
    pub connections_per_ip: u32,
    /// Whether loopback addresses count too. Off by default: everything
    /// through a local reverse proxy, or a load generator on the same
    /// machine, comes from loopback, and limiting that address would limit
    /// the whole server.
    pub limit_loopback: bool,
    /// Seconds a `welcome.session` token stays valid for resuming.
    pub session_ttl_secs: u64,
    /// Seconds a session lives at most from its sign-in, however often it
    /// is resumed; then initData (or a guest name) again.
    pub session_max_lifetime_secs: u64,
    /// Seconds a new room waits for its first player before it closes.
    pub unclaimed_room_secs: u64,
    /// Seconds a client's socket may take nothing of its backlog; a peer
    /// that does not read for longer is disconnected, freeing its task,
    /// queue and address slot.
    pub write_timeout_secs: u64,
    /// Bytes a connection's socket may have left to take (its backlog),
    /// pongs included; a peer that makes it grow past this (a ping flood
    /// while not reading) is disconnected. At least 256 KiB: the
    /// connection stops taking frames from its queue at 128 KiB.
    pub write_buffer_max_bytes: usize,
    /// Lookups of room codes that do not exist (`join`, `/api/rooms/{code}`)
    /// one connection may make per minute (and at once); beyond, `join`
    /// gets `rate_limited`, and three times as many refused close it.
    pub join_misses_per_minute: u32,
    /// The same per client address, over all its connections and the API
    /// (loopback only with `limit_loopback`).
    pub join_misses_per_minute_per_ip: u32,
    /// Seconds between the websocket pings the server sends each client; a
    /// client that has not answered one by the next (it stopped reading,
    /// or is that far behind) is closed (1008), its seat held as after any
    /// drop. Kernel buffers can absorb a slow trickle of patches for
    /// minutes, so the write timeout alone would not notice such a client.
    pub keepalive_secs: u64,
    /// Rooms one connection may open (`create`) per minute (and at once);
    /// beyond, `create` gets `rate_limited`.
    pub rooms_per_minute: u32,
    /// The same per client address, over all its connections (loopback
    /// only with `limit_loopback`).
    pub rooms_per_minute_per_ip: u32,
    /// Seconds an HTTP connection has to send a request's headers, counted
    /// from when it opens or its previous response went out: a silent,
    /// half-sent or idle keep-alive connection closes after this.
    pub http_header_timeout_secs: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_frame_bytes: crate::protocol::DEFAULT_MAX_FRAME_BYTES,
            hello_timeout_secs: 5,
            max_bad_messages: 8,
            max_rooms: 200_000,
            outbound_queue: 64,
            outbound_reserve: 8,
            room_inbox: 1024,
            connections_per_ip: 64,
            limit_loopback: false,
            session_ttl_secs: 24 * 60 * 60,
            session_max_lifetime_secs: 7 * 24 * 60 * 60,
            unclaimed_room_secs: 5,
            write_timeout_secs: 10,
            write_buffer_max_bytes: 1024 * 1024,
            join_misses_per_minute: 10,
            join_misses_per_minute_per_ip: 60,
            http_header_timeout_secs: 10,
            keepalive_secs: 10,
            rooms_per_minute: 10,
            rooms_per_minute_per_ip: 60,
        }
    }
}

impl Limits {
    /// The `hello` deadline.
    pub fn hello_timeout(&self) -> Duration {
        Duration::from_secs(self.hello_timeout_secs)
    }

    /// How long a room nobody joined stays open.
    pub fn unclaimed_room_grace(&self) -> Duration {
        Duration::from_secs(self.unclaimed_room_secs)
    }

    /// The bound on one socket write.
    pub fn write_timeout(&self) -> Duration {
        Duration::from_secs(self.write_timeout_secs)
    }

    /// The period of the server's keepalive pings.
    pub fn keepalive(&self) -> Duration {
        Duration::from_secs(self.keepalive_secs)
    }

    /// The deadline for a request's headers (and for an idle keep-alive).
    pub fn http_header_timeout(&self) -> Duration {
        Duration::from_secs(self.http_header_timeout_secs)
    }
}

/// Which reverse proxies to believe about a client's address (the
/// `[proxy]` table of the config file, `--trusted-proxy`).
///
/// A connection from a trusted address is a proxy's: the client is the
/// rightmost address in `header` that is not itself trusted. From anyone
/// else the header is ignored, so a client cannot pick its own address.
///
/// ```
/// use parlor::config::{AddressHeader, ProxyConfig};
/// let proxy = ProxyConfig { trusted: vec!["10.0.0.0/8".parse().unwrap()], header: AddressHeader::XForwardedFor };
/// assert!(proxy.trusts("10.1.2.3".parse().unwrap()));
/// assert!(!proxy.trusts("192.0.2.1".parse().unwrap()));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProxyConfig {
    /// Proxy addresses and networks (CIDR; a bare address is one host).
    #[serde(deserialize_with = "nets")]
    pub trusted: Vec<IpNet>,
    /// The header the proxies set.
    pub header: AddressHeader,
}

/// The header a trusted proxy names the client in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum AddressHeader {
    /// `X-Forwarded-For: client, proxy1, ...` (the common one).
    #[default]
    #[serde(rename = "x-forwarded-for")]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client, for=proxy1`.
    #[serde(rename = "forwarded")]
    Forwarded,
}

impl ProxyConfig {
    /// Whether `ip` is a trusted proxy.
    pub fn trusts(&self, ip: std::net::IpAddr) -> bool {
        self.trusted.iter().any(|net| net.contains(&ip))
    }
}

/// Parses each entry as a network, or a bare address as a one-host network.
fn nets<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<IpNet>, D::Error> {
    let entries = Vec::<String>::deserialize(deserializer)?;
    entries
        .iter()
        .map(|entry| parse_net(entry).map_err(serde::de::Error::custom))
        .collect()
}

/// `10.0.0.0/8`, `::1` or `192.0.2.7` (one host).
pub fn parse_net(entry: &str) -> Result<IpNet, String> {
    entry
        .parse::<IpNet>()
        .or_else(|_| entry.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{entry:?} is not an IP address or network (CIDR)"))
}

/// What a stopping server does with the matches it runs (the `[shutdown]`
/// table of the config file).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShutdownPolicy {
    /// Seconds the running matches get to finish after the stop signal.
    /// A match still running then is ended: recorded as aborted, everyone
    /// seated ranked level (rank 1, score 0), never lost.
    pub grace_secs: u64,
}

impl Default for ShutdownPolicy {
    fn default() -> Self {
        ShutdownPolicy { grace_secs: 10 }
    }
}

impl ShutdownPolicy {
    /// The grace as a duration.
    pub fn grace(&self) -> Duration {
        Duration::from_secs(self.grace_secs)
    }
}

/// When the server gives freed heap memory back to the system (the
/// `[memory]` table of the config file; see [`crate::memory`]).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MemoryPolicy {
    /// Seconds between trims of the allocator's free pages; 0 never trims.
    pub trim_secs: u64,
}

impl Default for MemoryPolicy {
    fn default() -> Self {
        MemoryPolicy { trim_secs: 10 }
    }
}

impl MemoryPolicy {
    /// The period of the trims, `None` when they are off.
    pub fn trim_period(&self) -> Option<Duration> {
        (self.trim_secs > 0).then(|| Duration::from_secs(self.trim_secs))
    }
}

/// Which web pages may open websockets to this server (the `[web]` table
/// of the config file, `--allowed-origin`).
///
/// A browser names the page that opens a websocket in the upgrade's
/// `Origin` header; other clients send none. With `allowed_origins`
/// empty (the default) every origin may connect. Otherwise an upgrade
/// whose `Origin` is neither listed nor this server's own (the request's
/// `Host`) is refused with 403, so another site's page cannot play as its
/// visitors.
///
/// ```toml
/// [web]
/// allowed_origins = ["https://games.example.com"]
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebConfig {
    /// Origins (`scheme://host[:port]`, no path) whose pages may connect.
    #[serde(deserialize_with = "origins")]
    pub allowed_origins: Vec<String>,
    /// A directory of the publisher's pages, served before the built-in
    /// ones: `games/<game>.html` at `/play/<game>`, `index.html` at `/`,
    /// and every file at `/web/<path>` (docs/pages.md).
    pub pages: Option<PathBuf>,
    /// Pages compiled into the binary ([`App::embedded_pages`]), looked in
    /// after [`pages`](Self::pages) and before the built-in ones. Set by
    /// code, never by the file.
    ///
    /// [`App::embedded_pages`]: crate::App::embedded_pages
    #[serde(skip)]
    pub embedded: Option<EmbeddedPages>,
}

/// A binary's own compiled-in pages: the `get` of a `rust_embed`
/// folder (`Pages::get`), so a single file deploys with its pages.
#[derive(Clone, Copy)]
pub struct EmbeddedPages(pub fn(&str) -> Option<rust_embed::EmbeddedFile>);

impl std::fmt::Debug for EmbeddedPages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EmbeddedPages")
    }
}

impl PartialEq for EmbeddedPages {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::fn_addr_eq(self.0, other.0)
    }
}

impl WebConfig {
    /// Whether a websocket upgrade with `origin` (the header, if any) for
    /// `host` (the `Host` header) may go ahead.
    ///
    /// ```
    /// use parlor::config::WebConfig;
    ///
    /// let web = WebConfig { allowed_origins: vec!["https://games.example.com".into()], ..WebConfig::default() };
    /// assert!(web.admits(Some("https://games.example.com"), Some("parlor.example.com")));
    /// assert!(web.admits(Some("https://parlor.example.com"), Some("parlor.example.com")));
    /// assert!(web.admits(None, Some("parlor.example.com")));
    /// assert!(!web.admits(Some("https://evil.example"), Some("parlor.example.com")));
    /// ```
    pub fn admits(&self, origin: Option<&str>, host: Option<&str>) -> bool {
        let Some(origin) = origin else {
            return true;
        };
        if self.allowed_origins.is_empty() {
            return true;
        }
        let origin = origin.trim_end_matches('/').to_ascii_lowercase();
        let own = origin
            .split_once("://")
            .is_some_and(|(_, authority)| host.is_some_and(|h| h.eq_ignore_ascii_case(authority)));
        own || self.allowed_origins.contains(&origin)
    }
}

/// Reads each entry as an origin: `scheme://host[:port]`, lowercased, with
/// no path.
fn origins<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    Vec::<String>::deserialize(deserializer)?
        .into_iter()
        .map(|entry| parse_origin(&entry).map_err(serde::de::Error::custom))
        .collect()
}

/// `entry` as an origin (`scheme://host[:port]`, lowercased), or why not.
pub fn parse_origin(entry: &str) -> Result<String, String> {
    let origin = entry.trim().trim_end_matches('/').to_ascii_lowercase();
    match origin.split_once("://") {
        Some((scheme, authority))
            if !scheme.is_empty() && !authority.is_empty() && !authority.contains(['/', '?', '#', ' ']) =>
        {
            Ok(origin)
        }
        _ => Err(format!(
            "{entry:?} is not an origin: write scheme://host[:port], e.g. https://games.example.com"
        )),
    }
}

/// Linking players' TON wallets with TON Connect (the `[ton]` table of the
/// config file). Off until `app_url` is set.
///
/// ```toml
/// [ton]
/// app_url = "https://games.example.com"
/// name = "Example games"
/// icon_url = "https://games.example.com/icon.png"
/// networks = ["mainnet"]
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TonConfig {
    /// The mini-app's address: the `url` of the `tonconnect-manifest.json`
    /// the server serves, and its host the domain proofs must name.
    pub app_url: Option<String>,
    /// The app's name, as wallets show it.
    pub name: String,
    /// A 180x180 PNG wallets show; the server's own icon when unset.
    pub icon_url: Option<String>,
    /// More domains a proof may name besides `app_url`'s host (a staging
    /// site, say).
    pub domains: Vec<String>,
    /// Networks wallets may be linked on: `mainnet`, `testnet`.
    pub networks: Vec<String>,
    /// The oldest proof accepted, in seconds.
    pub proof_max_age_secs: u64,
    /// How long a claim voucher is good for, in seconds.
    pub voucher_ttl_secs: u32,
}

impl Default for TonConfig {
    fn default() -> Self {
        TonConfig {
            app_url: None,
            name: "Parlor".into(),
            icon_url: None,
            domains: Vec::new(),
            networks: vec!["mainnet".into()],
            proof_max_age_secs: 900,
            voucher_ttl_secs: 3600,
        }
    }
}

impl TonConfig {
    /// What a proof must meet, or `None` with linking off.
    pub fn policy(&self) -> Option<crate::ton::ProofPolicy> {
        let host = app_host(self.app_url.as_deref()?)?;
        let mut domains = vec![host.to_owned()];
        domains.extend(self.domains.iter().cloned());
        Some(crate::ton::ProofPolicy {
            domains,
            networks: self
                .networks
                .iter()
                .filter_map(|n| crate::ton::Network::from_name(n))
                .collect(),
            max_age_secs: self.proof_max_age_secs,
        })
    }

    fn check(&self) -> Result<(), ConfigError> {
        if let Some(url) = &self.app_url {
            if app_host(url).is_none() {
                return Err(ConfigError::Invalid(format!(
                    "ton.app_url {url:?} must be an http:// or https:// address with a host"
                )));
            }
        }
        if let Some(bad) = self
            .networks
            .iter()
            .find(|n| crate::ton::Network::from_name(n).is_none())
        {
            return Err(ConfigError::Invalid(format!(
                "ton.networks: {bad:?} is not \"mainnet\" or \"testnet\""
            )));
        }
        if self.networks.is_empty() || self.proof_max_age_secs == 0 || self.voucher_ttl_secs == 0 {
            return Err(ConfigError::Invalid(
                "ton.networks must name a network, and ton.proof_max_age_secs and ton.voucher_ttl_secs be above 0"
                    .into(),
            ));
        }
        Ok(())
    }
}

/// The host (with its port, if given) of an http(s) URL.
fn app_host(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty()).then_some(host)
}

/// The contents of a `--config` file.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct FileConfig {
    bind: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    database: Option<Secret>,
    signing_key: Option<PathBuf>,
    manifests: Option<PathBuf>,
    telegram: FileTelegram,
    limits: Limits,
    shutdown: ShutdownPolicy,
    memory: MemoryPolicy,
    web: WebConfig,
    proxy: ProxyConfig,
    metrics: FileMetrics,
    ton: TonConfig,
    cluster: ClusterConfig,
    session_key: Option<PathBuf>,
    admin_token: Option<Secret>,
    agones: Option<bool>,
}

/// The `[cluster]` table: nodes that share a directory of nodes and rooms
/// in Redis (docs/operations.md, "Several nodes").
///
/// ```toml
/// [cluster]
/// redis = "redis://10.0.0.5:6379"
/// public_url = "wss://node-a.games.example.com/ws"
/// heartbeat_ms = 2000
/// ttl_ms = 10000
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterConfig {
    /// The Redis the nodes share; `None`: a single node.
    pub redis: Option<Secret>,
    /// The websocket URL clients reach this node at; `None`:
    /// `ws://BIND/ws`.
    pub public_url: Option<String>,
    /// This node's id; `None`: a random one.
    pub node_id: Option<String>,
    /// The prefix of every key the cluster writes.
    pub prefix: String,
    /// How often the node renews its registration.
    pub heartbeat_ms: u64,
    /// How long a registration lives without renewal: a node that died
    /// leaves the directory within this time.
    pub ttl_ms: u64,
    /// How long a seat reserved by a quick match on another node waits for
    /// its player to connect there and join.
    pub reservation_secs: u64,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            redis: None,
            public_url: None,
            node_id: None,
            prefix: "parlor".into(),
            heartbeat_ms: 2_000,
            ttl_ms: 10_000,
            reservation_secs: 15,
        }
    }
}

impl ClusterConfig {
    fn check(&self) -> Result<(), ConfigError> {
        if self.heartbeat_ms < 50 || self.ttl_ms < 2 * self.heartbeat_ms {
            return Err(ConfigError::Invalid(
                "cluster.heartbeat_ms must be at least 50, and cluster.ttl_ms at least twice it".into(),
            ));
        }
        if self.reservation_secs == 0 {
            return Err(ConfigError::Invalid("cluster.reservation_secs must be positive".into()));
        }
        if self.prefix.is_empty() || self.prefix.chars().any(|c| c.is_whitespace() || c == ':') {
            return Err(ConfigError::Invalid(
                "cluster.prefix must be a non-empty word without spaces or colons".into(),
            ));
        }
        if let Some(url) = &self.public_url {
            if !(url.starts_with("ws://") || url.starts_with("wss://")) {
                return Err(ConfigError::Invalid(format!(
                    "cluster.public_url must be a websocket URL (ws:// or wss://), not {url:?}"
                )));
            }
        }
        if let Some(id) = &self.node_id {
            if id.is_empty() || id.len() > 64 || id.chars().any(|c| c.is_whitespace() || c == ':') {
                return Err(ConfigError::Invalid(
                    "cluster.node_id must be 1 to 64 characters without spaces or colons".into(),
                ));
            }
        }
        Ok(())
    }
}

/// The `[metrics]` table of a config file.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct FileMetrics {
    token: Option<Secret>,
}

/// The `[telegram]` table of a config file.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct FileTelegram {
    bot_token: Option<Secret>,
    bot_id: Option<u64>,
    auth_max_age_secs: Option<u64>,
    allow_guests: Option<bool>,
    test_environment: Option<bool>,
}

/// How players sign in.
#[derive(Debug, Clone, PartialEq)]
pub struct TelegramConfig {
    /// Checks initData's `hash`.
    pub bot_token: Option<Secret>,
    /// Checks initData's Ed25519 `signature` (third-party validation).
    pub bot_id: Option<u64>,
    /// Oldest initData accepted; zero accepts any age.
    pub auth_max_age: Duration,
    /// Use Telegram's test-environment public key for `signature`.
    pub test_environment: bool,
}

impl Default for TelegramConfig {
    fn default() -> Self {
        TelegramConfig {
            bot_token: None,
            bot_id: None,
            auth_max_age: Duration::from_secs(DEFAULT_AUTH_MAX_AGE_SECS),
            test_environment: false,
        }
    }
}

/// One day, as Telegram's own examples suggest for initData.
pub const DEFAULT_AUTH_MAX_AGE_SECS: u64 = 24 * 60 * 60;

/// Resolved configuration of a server.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    /// The ledger's database URL (`ledger::open`); `None`: SQLite in
    /// `data_dir`. A secret: it may hold a password.
    pub database: Option<Secret>,
    /// The seed file of the key results are signed with; `None`:
    /// `results.key` in `data_dir`, made if missing.
    pub signing_key: Option<PathBuf>,
    pub manifests: Option<PathBuf>,
    pub telegram: TelegramConfig,
    /// Whether `hello` with `guest` is accepted.
    pub allow_guests: bool,
    pub limits: Limits,
    pub shutdown: ShutdownPolicy,
    /// When freed heap memory is given back to the system.
    pub memory: MemoryPolicy,
    /// Which pages may open websockets.
    pub web: WebConfig,
    /// Reverse proxies whose forwarded client address is believed.
    pub proxy: ProxyConfig,
    /// The bearer token `GET /metrics` asks for; `None` serves it to anyone.
    pub metrics_token: Option<Secret>,
    /// Linking TON wallets.
    pub ton: TonConfig,
    /// Nodes sharing Redis; `redis: None` is a single node.
    pub cluster: ClusterConfig,
    /// The file of the key session tokens are signed with; `None`:
    /// `session.key` in `data_dir`, made if missing.
    pub session_key: Option<PathBuf>,
    /// The token `/admin` asks for; `None` refuses `/admin` to everyone.
    pub admin_token: Option<Secret>,
    /// Report to Agones' SDK sidecar.
    pub agones: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("parlor-data"),
            database: None,
            signing_key: None,
            manifests: None,
            telegram: TelegramConfig::default(),
            allow_guests: true,
            limits: Limits::default(),
            shutdown: ShutdownPolicy::default(),
            memory: MemoryPolicy::default(),
            web: WebConfig::default(),
            proxy: ProxyConfig::default(),
            metrics_token: None,
            ton: TonConfig::default(),
            cluster: ClusterConfig::default(),
            session_key: None,
            admin_token: None,
            agones: false,
        }
    }
}

/// Why the configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("config file {path}: {source}")]
    Parse { path: String, source: toml::de::Error },
    #[error("config: {0}")]
    Invalid(String),
}

impl Config {
    /// Flags and environment over the file named by `--config` over defaults.
    pub fn resolve(args: &ServeArgs) -> Result<Config, ConfigError> {
        let file = match &args.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let defaults = Config::default();
        let t = file.telegram;
        let telegram = TelegramConfig {
            bot_token: args
                .bot_token
                .clone()
                .or(t.bot_token)
                .filter(|s| !s.expose().is_empty()),
            bot_id: args.bot_id.or(t.bot_id),
            auth_max_age: Duration::from_secs(
                args.auth_max_age
                    .or(t.auth_max_age_secs)
                    .unwrap_or(DEFAULT_AUTH_MAX_AGE_SECS),
            ),
            test_environment: args.telegram_test_env || t.test_environment.unwrap_or(false),
        };
        // Guests are the embedded default; a server that knows its bot
        // expects Telegram players unless told otherwise.
        let telegram_configured = telegram.bot_token.is_some() || telegram.bot_id.is_some();
        let config = Config {
            bind: args.bind.or(file.bind).unwrap_or(defaults.bind),
            data_dir: args.data_dir.clone().or(file.data_dir).unwrap_or(defaults.data_dir),
            database: args.database.clone().or(file.database),
            signing_key: args.signing_key.clone().or(file.signing_key),
            manifests: args.manifests.clone().or(file.manifests),
            allow_guests: args.allow_guests.or(t.allow_guests).unwrap_or(!telegram_configured),
            telegram,
            limits: file.limits,
            shutdown: file.shutdown,
            memory: file.memory,
            web: WebConfig {
                allowed_origins: if args.allowed_origins.is_empty() {
                    file.web.allowed_origins
                } else {
                    args.allowed_origins.clone()
                },
                pages: args.pages.clone().or(file.web.pages),
                embedded: None,
            },
            proxy: ProxyConfig {
                trusted: if args.trusted_proxies.is_empty() {
                    file.proxy.trusted
                } else {
                    args.trusted_proxies.clone()
                },
                header: file.proxy.header,
            },
            metrics_token: args
                .metrics_token
                .clone()
                .or(file.metrics.token)
                .filter(|s| !s.expose().is_empty()),
            ton: file.ton,
            cluster: ClusterConfig {
                redis: args
                    .redis
                    .clone()
                    .or(file.cluster.redis)
                    .filter(|s| !s.expose().is_empty()),
                public_url: args.public_url.clone().or(file.cluster.public_url),
                node_id: args.node_id.clone().or(file.cluster.node_id),
                prefix: args.redis_prefix.clone().unwrap_or(file.cluster.prefix),
                ..file.cluster
            },
            session_key: args.session_key.clone().or(file.session_key),
            admin_token: args
                .admin_token
                .clone()
                .or(file.admin_token)
                .filter(|s| !s.expose().is_empty()),
            agones: args.agones || file.agones.unwrap_or(false),
        };
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigError> {
        self.ton.check()?;
        self.cluster.check()?;
        if self.agones && !cfg!(feature = "agones") {
            return Err(ConfigError::Invalid(
                "--agones: this binary was built without Agones support (cargo feature `agones`)".into(),
            ));
        }
        let l = &self.limits;
        if l.max_frame_bytes < 64 {
            return Err(ConfigError::Invalid(
                "limits.max_frame_bytes must be at least 64".into(),
            ));
        }
        if l.write_buffer_max_bytes < 256 * 1024 {
            return Err(ConfigError::Invalid(
                "limits.write_buffer_max_bytes must be at least 262144 (256 KiB)".into(),
            ));
        }
        if l.outbound_reserve == 0 || l.outbound_queue <= l.outbound_reserve + 1 {
            return Err(ConfigError::Invalid(
                "limits.outbound_queue must exceed limits.outbound_reserve + 1, and the reserve must be at least 1"
                    .into(),
            ));
        }
        if l.room_inbox == 0
            || l.max_rooms == 0
            || l.hello_timeout_secs == 0
            || l.connections_per_ip == 0
            || l.session_ttl_secs == 0
            || l.session_max_lifetime_secs == 0
            || l.unclaimed_room_secs == 0
            || l.write_timeout_secs == 0
            || l.join_misses_per_minute == 0
            || l.join_misses_per_minute_per_ip == 0
            || l.http_header_timeout_secs == 0
            || l.rooms_per_minute == 0
            || l.keepalive_secs == 0
            || l.rooms_per_minute_per_ip == 0
        {
            return Err(ConfigError::Invalid(
                "limits.room_inbox, limits.max_rooms, limits.hello_timeout_secs, limits.connections_per_ip, \
                 limits.session_ttl_secs, limits.session_max_lifetime_secs, limits.unclaimed_room_secs, limits.write_timeout_secs, limits.http_header_timeout_secs, limits.keepalive_secs, the join miss and room budgets \
                 must be positive"
                    .into(),
            ));
        }
        if let Some(token) = &self.telegram.bot_token {
            // The shape Telegram gives tokens: "<bot id>:<secret>". Checked
            // so a mistyped token fails at start, not at every sign-in.
            let valid = token
                .expose()
                .split_once(':')
                .is_some_and(|(id, rest)| id.parse::<u64>().is_ok() && !rest.is_empty());
            if !valid {
                return Err(ConfigError::Invalid(
                    "the bot token does not look like a Telegram bot token (<bot id>:<secret>)".into(),
                ));
            }
        }
        Ok(())
    }
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.display().to_string(),
        source,
    })?;
    toml::from_str(&text).map_err(|source| ConfigError::Parse {
        path: path.display().to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guests_are_off_by_default_once_a_bot_is_configured() {
        let local = Config::resolve(&ServeArgs::default()).unwrap();
        assert!(local.allow_guests);
        let bot = ServeArgs {
            bot_token: Some("123456:secret-part".into()),
            ..ServeArgs::default()
        };
        assert!(!Config::resolve(&bot).unwrap().allow_guests);
        let by_id = ServeArgs {
            bot_id: Some(123456),
            ..ServeArgs::default()
        };
        assert!(!Config::resolve(&by_id).unwrap().allow_guests);
        let both = ServeArgs {
            allow_guests: Some(true),
            ..bot
        };
        assert!(Config::resolve(&both).unwrap().allow_guests);
    }

    #[test]
    fn a_malformed_token_stops_the_server_without_showing_it() {
        let args = ServeArgs {
            bot_token: Some("not-a-token-xyzzy".into()),
            ..ServeArgs::default()
        };
        let error = Config::resolve(&args).unwrap_err().to_string();
        assert!(error.contains("bot token") && !error.contains("xyzzy"), "{error}");
    }

    #[test]
    fn the_token_never_shows_in_debug_output() {
        let args = ServeArgs {
            bot_token: Some("123456:very-secret".into()),
            ..ServeArgs::default()
        };
        let config = Config::resolve(&args).unwrap();
        assert!(!format!("{args:?}{config:?}").contains("very-secret"));
    }

    #[test]
    fn auth_max_age_defaults_to_a_day_and_zero_is_kept() {
        assert_eq!(
            Config::resolve(&ServeArgs::default()).unwrap().telegram.auth_max_age,
            Duration::from_secs(86_400)
        );
        let args = ServeArgs {
            auth_max_age: Some(0),
            ..ServeArgs::default()
        };
        assert!(Config::resolve(&args).unwrap().telegram.auth_max_age.is_zero());
    }

    #[test]
    fn memory_trims_every_ten_seconds_unless_the_file_says_otherwise() {
        let config = Config::resolve(&ServeArgs::default()).unwrap();
        assert_eq!(config.memory.trim_period(), Some(Duration::from_secs(10)));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("parlor.toml");
        std::fs::write(&file, "[memory]\ntrim_secs = 0\n").unwrap();
        let args = ServeArgs {
            config: Some(file.clone()),
            ..ServeArgs::default()
        };
        assert_eq!(Config::resolve(&args).unwrap().memory.trim_period(), None);
        std::fs::write(&file, "[memory]\ntrim_every = 5\n").unwrap();
        let error = Config::resolve(&args).unwrap_err().to_string();
        assert!(error.contains("trim_every"), "{error}");
    }
}
