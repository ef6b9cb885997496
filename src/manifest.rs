//! Game manifests: the TOML file beside each game that gives its seats,
//! timing, match length and rewards (NAME.toml; the bundled games' are in
//! games/manifests/).
//!
//! ```
//! let manifest = parlor::manifest::Manifest::parse(r#"
//!     name = "arena"
//!     title = "Arena"
//!     min_players = 1
//!     max_players = 8
//!     tick_rate = 20
//!     match_seconds = 60
//!     continuous = true
//! "#).unwrap();
//! assert_eq!(manifest.tick_rate, Some(20));
//! ```

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Most seats a room may have; bounds per-room work and memory.
pub const MAX_SEATS: u32 = 250;
/// Highest tick rate a manifest may ask for.
pub const MAX_TICK_RATE: u32 = 120;

/// A game's manifest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The game's name, as in `quick`/`create` and `Game::NAME`.
    pub name: String,
    /// A human title for lobbies.
    #[serde(default)]
    pub title: String,
    /// Seats that must be filled before the match starts.
    pub min_players: u32,
    /// Seats in a room.
    pub max_players: u32,
    /// Ticks per second for a real-time game; absent for a turn-based one,
    /// which ticks only when an input, a membership change or a timer is due.
    #[serde(default)]
    pub tick_rate: Option<u32>,
    /// Length of a match (a round) in seconds, for games that end on time;
    /// the game reads it, the engine does not enforce it.
    #[serde(default)]
    pub match_seconds: Option<u32>,
    /// If true, the room goes on after a result (rounds follow each other
    /// while players remain); otherwise it closes.
    #[serde(default)]
    pub continuous: bool,
    /// Seconds a disconnected player keeps their seat (and `Player.online`
    /// is false) before the seat is released as a leave.
    #[serde(default = "default_reconnect_grace")]
    pub reconnect_grace_secs: u32,
    /// Inputs one client may send per second (a token bucket holding one
    /// second's worth); inputs over it get `rate_limited` and are dropped.
    #[serde(default = "default_input_rate")]
    pub input_rate: u32,
    /// Spectators (`watch`) a room takes besides its seats; 0 refuses
    /// watching. Each costs the room a queue push per patch.
    #[serde(default = "default_spectators")]
    pub spectators: u32,
    /// If true, each match's joins, leaves, inputs and ticks are recorded
    /// with its result, so `parlor replay MATCH` can run it again and the
    /// pages can play it back (docs/replays.md).
    #[serde(default)]
    pub record: bool,
    /// Game-specific settings, read by the game.
    #[serde(default)]
    pub settings: toml::Table,
    /// `[rewards]`: what a finished match pays its players, if anything
    /// (docs/rewards.md).
    #[serde(default)]
    pub rewards: Option<RewardRules>,
}

/// A game's `[rewards]` table: claims written with each match's record.
///
/// ```
/// let manifest = parlor::manifest::Manifest::parse(r#"
///     name = "arena"
///     min_players = 1
///     max_players = 8
///     [rewards]
///     by_rank = [50_000_000, 20_000_000]   # nanotons for ranks 1 and 2
///     min_players = 2
///     min_match_secs = 30
///     daily_cap = 200_000_000
/// "#).unwrap();
/// let rules = manifest.rewards.unwrap();
/// assert_eq!(rules.amount_for_rank(2), Some(20_000_000));
/// assert_eq!(rules.amount_for_rank(3), None);
/// assert_eq!(rules.currency(), "ton");
/// ```
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RewardRules {
    /// The amount for each rank, from rank 1, in the currency's smallest
    /// unit (nanotons, or the jetton's); ranks beyond get nothing.
    pub by_rank: Vec<u64>,
    /// A jetton's master address; without it, amounts are nanotons.
    #[serde(default)]
    pub jetton: Option<String>,
    /// Players ranked in the match for it to pay at all.
    #[serde(default = "default_reward_min_players")]
    pub min_players: u32,
    /// The shortest match that pays, in seconds.
    #[serde(default)]
    pub min_match_secs: u64,
    /// The most one player is paid per UTC day in this game's currency;
    /// a claim that would pass it is cut to what is left.
    #[serde(default)]
    pub daily_cap: Option<u64>,
    /// Whether guests are paid too; by default only players signed in by
    /// Telegram (`tg:` ids) are.
    #[serde(default)]
    pub guests: bool,
}

/// The largest amount in `[rewards]` (what a signed 64-bit column holds).
pub const MAX_REWARD: u64 = i64::MAX as u64;

fn default_reward_min_players() -> u32 {
    2
}

impl RewardRules {
    /// What rank `rank` (1 first) is paid, if anything.
    pub fn amount_for_rank(&self, rank: u32) -> Option<u64> {
        let index = usize::try_from(rank.checked_sub(1)?).ok()?;
        self.by_rank.get(index).copied().filter(|&amount| amount > 0)
    }

    /// `ton`, or `jetton:<master address>`: the currency claims are in.
    pub fn currency(&self) -> String {
        match &self.jetton {
            Some(master) => format!("jetton:{master}"),
            None => "ton".into(),
        }
    }

    fn check(&self) -> Result<(), String> {
        if self.by_rank.is_empty() || self.by_rank.len() > MAX_SEATS as usize {
            return Err(format!("[rewards]: `by_rank` needs 1 to {MAX_SEATS} amounts"));
        }
        if let Some(amount) = self.by_rank.iter().chain(&self.daily_cap).find(|&&a| a > MAX_REWARD) {
            return Err(format!(
                "[rewards]: the amount {amount} is over the limit of {MAX_REWARD}"
            ));
        }
        if self.min_players == 0 {
            return Err("[rewards]: `min_players` must be at least 1".into());
        }
        if let Some(master) = &self.jetton {
            let plausible = (40..=100).contains(&master.len())
                && master.chars().all(|c| c.is_ascii_alphanumeric() || "-_:".contains(c));
            if !plausible {
                return Err(format!("[rewards]: `jetton` {master:?} is not a TON address"));
            }
        }
        Ok(())
    }
}

/// Longest reconnection grace a manifest may ask for: a held seat is
/// memory the server keeps for someone who may never return.
pub const MAX_RECONNECT_GRACE_SECS: u32 = 600;
/// Highest `input_rate` a manifest may ask for.
pub const MAX_INPUT_RATE: u32 = 1000;
/// Most spectators a manifest may let a room take.
pub const MAX_SPECTATORS: u32 = 10_000;

fn default_spectators() -> u32 {
    200
}

fn default_reconnect_grace() -> u32 {
    30
}

fn default_input_rate() -> u32 {
    30
}

/// Why a manifest was refused.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path}: {source}")]
    Parse { path: String, source: toml::de::Error },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

impl Manifest {
    /// The `[settings]` table read as `S`, a game's settings type: every
    /// key must be one `S` reads (a misspelt key is refused, not ignored,
    /// even when `S` does not say `#[serde(deny_unknown_fields)]`), and
    /// every value of the type `S` gives it. Absent keys take `S`'s serde
    /// defaults.
    ///
    /// ```
    /// use serde::Deserialize;
    ///
    /// #[derive(Deserialize, Debug, PartialEq)]
    /// #[serde(default)]
    /// struct Speed { speed: f32 }
    /// impl Default for Speed { fn default() -> Self { Speed { speed: 200.0 } } }
    ///
    /// let base = "name = \"g\"\nmin_players = 1\nmax_players = 2\n[settings]\n";
    /// let manifest = |settings: &str| parlor::manifest::Manifest::parse(&format!("{base}{settings}")).unwrap();
    /// assert_eq!(manifest("").settings_as::<Speed>(), Ok(Speed { speed: 200.0 }));
    /// assert_eq!(manifest("speed = 50.0").settings_as::<Speed>(), Ok(Speed { speed: 50.0 }));
    /// assert!(manifest("sped = 50.0").settings_as::<Speed>().unwrap_err().contains("`sped`"));
    /// let wrong = manifest("speed = \"fast\"").settings_as::<Speed>().unwrap_err();
    /// assert!(wrong.contains("`speed`") && wrong.contains("expected f32"), "{wrong}");
    /// ```
    pub fn settings_as<S: serde::de::DeserializeOwned>(&self) -> Result<S, String> {
        let mut unknown = Vec::new();
        let table = toml::Value::Table(self.settings.clone());
        let settings = serde_path_to_error::deserialize(serde_ignored::Deserializer::new(table, &mut |path| {
            unknown.push(path.to_string())
        }))
        .map_err(|e: serde_path_to_error::Error<toml::de::Error>| {
            let message = e.inner().message();
            match e.path().to_string().as_str() {
                // An unknown field's message names it already.
                _ if message.starts_with("unknown field") => format!("[settings]: {message}"),
                "." => format!("[settings]: {message}"),
                key => format!("[settings]: `{key}`: {message}"),
            }
        })?;
        match unknown.first() {
            Some(key) => Err(format!("[settings]: unknown setting `{key}`")),
            None => Ok(settings),
        }
    }

    /// Parses and checks a manifest.
    pub fn parse(text: &str) -> Result<Manifest, ManifestError> {
        Self::parse_named(text, "manifest")
    }

    pub(crate) fn parse_named(text: &str, path: &str) -> Result<Manifest, ManifestError> {
        let manifest: Manifest = toml::from_str(text).map_err(|source| ManifestError::Parse {
            path: path.to_owned(),
            source,
        })?;
        manifest.check().map_err(|message| ManifestError::Invalid {
            path: path.to_owned(),
            message,
        })?;
        Ok(manifest)
    }

    /// Reads a manifest file.
    pub fn load(path: &Path) -> Result<Manifest, ManifestError> {
        let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse_named(&text, &path.display().to_string())
    }

    fn check(&self) -> Result<(), String> {
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(format!("name {:?} must be letters, digits, '-' or '_'", self.name));
        }
        if self.min_players == 0 || self.min_players > self.max_players {
            return Err(format!(
                "seats must satisfy 1 <= min_players ({}) <= max_players ({})",
                self.min_players, self.max_players
            ));
        }
        if self.max_players > MAX_SEATS {
            return Err(format!(
                "max_players {} is over the limit of {MAX_SEATS}",
                self.max_players
            ));
        }
        if let Some(rate) = self.tick_rate {
            if rate == 0 || rate > MAX_TICK_RATE {
                return Err(format!("tick_rate {rate} must be between 1 and {MAX_TICK_RATE}"));
            }
        }
        if self.reconnect_grace_secs > MAX_RECONNECT_GRACE_SECS {
            return Err(format!(
                "reconnect_grace_secs {} is over the limit of {MAX_RECONNECT_GRACE_SECS}",
                self.reconnect_grace_secs
            ));
        }
        if self.spectators > MAX_SPECTATORS {
            return Err(format!(
                "spectators {} is over the limit of {MAX_SPECTATORS}",
                self.spectators
            ));
        }
        if self.input_rate == 0 || self.input_rate > MAX_INPUT_RATE {
            return Err(format!(
                "input_rate {} must be between 1 and {MAX_INPUT_RATE}",
                self.input_rate
            ));
        }
        if let Some(rules) = &self.rewards {
            rules.check()?;
        }
        Ok(())
    }

    /// How long a disconnected player's seat is held.
    pub fn reconnect_grace(&self) -> Duration {
        Duration::from_secs(self.reconnect_grace_secs as u64)
    }

    /// The fixed time step of a real-time game.
    pub fn tick_interval(&self) -> Option<Duration> {
        self.tick_rate.map(|rate| Duration::from_secs_f64(1.0 / rate as f64))
    }

    /// Whether the game ticks only on inputs and timers.
    pub fn turn_based(&self) -> bool {
        self.tick_rate.is_none()
    }

    /// `match_seconds` as a duration.
    pub fn match_length(&self) -> Option<Duration> {
        self.match_seconds.map(|s| Duration::from_secs(s as u64))
    }
}
