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

use serde::Deserialize;

/// Flags of `parlor serve`; each also reads a `PARLOR_*` variable.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "PARLOR_BIND")]
    pub bind: Option<SocketAddr>,
    /// Directory for the ledger database [default: ./parlor-data]
    #[arg(long, env = "PARLOR_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// A TOML file with any of these settings and a [limits] table
    #[arg(long, env = "PARLOR_CONFIG")]
    pub config: Option<PathBuf>,
    /// A directory of NAME.toml game manifests that replace the bundled ones
    #[arg(long, env = "PARLOR_MANIFESTS")]
    pub manifests: Option<PathBuf>,
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
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_frame_bytes: 16 * 1024,
            hello_timeout_secs: 5,
            max_bad_messages: 8,
            max_rooms: 200_000,
            outbound_queue: 64,
            outbound_reserve: 8,
            room_inbox: 1024,
        }
    }
}

impl Limits {
    /// The `hello` deadline.
    pub fn hello_timeout(&self) -> Duration {
        Duration::from_secs(self.hello_timeout_secs)
    }
}

/// The contents of a `--config` file.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct FileConfig {
    bind: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    manifests: Option<PathBuf>,
    limits: Limits,
}

/// Resolved configuration of a server.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    pub manifests: Option<PathBuf>,
    pub limits: Limits,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("parlor-data"),
            manifests: None,
            limits: Limits::default(),
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
        let config = Config {
            bind: args.bind.or(file.bind).unwrap_or(defaults.bind),
            data_dir: args.data_dir.clone().or(file.data_dir).unwrap_or(defaults.data_dir),
            manifests: args.manifests.clone().or(file.manifests),
            limits: file.limits,
        };
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigError> {
        let l = &self.limits;
        if l.max_frame_bytes < 64 {
            return Err(ConfigError::Invalid(
                "limits.max_frame_bytes must be at least 64".into(),
            ));
        }
        if l.outbound_reserve == 0 || l.outbound_queue <= l.outbound_reserve + 1 {
            return Err(ConfigError::Invalid(
                "limits.outbound_queue must exceed limits.outbound_reserve + 1, and the reserve must be at least 1"
                    .into(),
            ));
        }
        if l.room_inbox == 0 || l.max_rooms == 0 || l.hello_timeout_secs == 0 {
            return Err(ConfigError::Invalid(
                "limits.room_inbox, limits.max_rooms and limits.hello_timeout_secs must be positive".into(),
            ));
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
