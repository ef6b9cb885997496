//! The ledger: where finished matches are recorded durably, and where
//! leaderboards are read from. [`Ledger`] is the interface rooms use; the
//! embedded default is [`SqliteLedger`], a SQLite file in the data
//! directory, and [`PostgresLedger`] keeps the same tables on a PostgreSQL
//! server (`--database postgres://...`). [`open`] picks one from the
//! configuration.

mod audit;
mod board;
mod postgres;
mod signing;
mod sql;
mod sqlite;

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;

use serde::Serialize;

use crate::manifest::RewardRules;
use crate::protocol::RankLine;
pub use audit::{AuditReport, StoredMatch};
pub use board::{Board, BoardEntry, BoardQuery, Metric, Period};
pub use postgres::PostgresLedger;
pub use signing::{PublicKey, ResultKey, SignedRecord, RECORD_VERSION, RESULTS_KEY_FILE};
pub use sqlite::SqliteLedger;

/// A boxed future, so `Ledger` can be used as `dyn Ledger`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One finished match, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchRecord {
    /// Unique match id, sent to clients in `result.match`.
    pub id: String,
    pub game: String,
    pub room: String,
    /// The Telegram chat (`chat_instance`) whose room it was played in.
    pub chat: Option<String>,
    /// Unix milliseconds.
    pub started_at: i64,
    pub ended_at: i64,
    pub ranking: Vec<RankLine>,
    /// The server stopped the match before it ended (docs/operations.md,
    /// `[shutdown]`); its ranking is everyone level. Leaderboards skip it.
    pub aborted: bool,
    /// The game's `[rewards]`, if it pays: the claims are written with the
    /// match.
    #[serde(skip)]
    pub rewards: Option<RewardRules>,
}

impl MatchRecord {
    /// The claims `rewards` grants before the daily cap: (player, amount)
    /// for each player ranked to be paid, if the match pays at all (not
    /// aborted, enough players, long enough; guests only if allowed).
    pub fn claims(&self) -> Vec<(&str, u64)> {
        let Some(rules) = &self.rewards else {
            return Vec::new();
        };
        let long_enough = self.ended_at - self.started_at >= (rules.min_match_secs as i64).saturating_mul(1000);
        if self.aborted || self.ranking.len() < rules.min_players as usize || !long_enough {
            return Vec::new();
        }
        self.ranking
            .iter()
            .filter(|line| rules.guests || line.player.starts_with("tg:"))
            .filter_map(|line| Some((line.player.as_str(), rules.amount_for_rank(line.rank)?)))
            .collect()
    }
}

/// One match of a player's history (`GET /api/players/{id}/matches`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlayerMatch {
    #[serde(rename = "match")]
    pub id: String,
    pub game: String,
    pub room: String,
    pub chat: Option<String>,
    pub started_at: i64,
    pub ended_at: i64,
    pub aborted: bool,
    /// The player's rank and score in it.
    pub rank: i64,
    pub score: i64,
    /// Players ranked in it.
    pub players: i64,
}

/// A reward a match granted a player (`GET /api/players/{id}/claims`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Claim {
    #[serde(rename = "match")]
    pub match_id: String,
    pub player: String,
    /// `ton` (amount in nanotons) or `jetton:<master address>`.
    pub currency: String,
    pub amount: i64,
    /// The match's end, unix milliseconds.
    pub created_at: i64,
    /// `open` until paid.
    pub status: String,
}

/// Why the ledger failed.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot create data directory {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error("cannot read or create the results signing key: {0}")]
    SigningKey(std::io::Error),
    #[error("the database URL starts with {scheme:?}; Parlor reads postgres://, postgresql:// and sqlite:// (or none: parlor.db in the data directory)")]
    UnknownDatabase { scheme: String },
}

/// The ledger `database` names (`--database`, `PARLOR_DATABASE`):
/// `postgres://...` (or `postgresql://`) for PostgreSQL, `sqlite://PATH`
/// for a SQLite file there; `None` for `parlor.db` in `data_dir`. It signs
/// what it records with `key`.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use parlor::ledger::{self, ResultKey};
/// let dir = tempfile::tempdir().unwrap();
/// let ledger = ledger::open(None, dir.path(), ResultKey::from_seed([1; 32])).await.unwrap();
/// assert!(ledger.signed_match("m1").await.unwrap().is_none());
/// let error = ledger::open(Some("mysql://db/parlor"), dir.path(), ResultKey::from_seed([1; 32]))
///     .await
///     .err()
///     .unwrap();
/// assert!(error.to_string().contains("\"mysql\""));
/// # });
/// ```
pub async fn open(database: Option<&str>, data_dir: &Path, key: ResultKey) -> Result<Arc<dyn Ledger>, LedgerError> {
    let Some(url) = database else {
        return Ok(Arc::new(SqliteLedger::open_in(data_dir, key).await?));
    };
    let scheme = url.split_once(':').map_or(url, |(scheme, _)| scheme);
    match scheme {
        "postgres" | "postgresql" => Ok(Arc::new(PostgresLedger::connect(url, key).await?)),
        "sqlite" => {
            let path = url.trim_start_matches("sqlite:").trim_start_matches("//");
            Ok(Arc::new(SqliteLedger::open_file(Path::new(path), key).await?))
        }
        // Only the scheme: the rest may hold a password.
        _ => Err(LedgerError::UnknownDatabase {
            scheme: scheme.chars().take(32).collect(),
        }),
    }
}

/// Durable store of match results, and of which session token is current.
pub trait Ledger: Send + Sync + 'static {
    /// Records a match and its players in one transaction. When it returns
    /// `Ok`, the result survives a crash of the process.
    fn record<'a>(&'a self, record: &'a MatchRecord) -> BoxFuture<'a, Result<(), LedgerError>>;

    /// Moves session `sid` from token generation `presented` to the next,
    /// if `presented` is its newest; `false` if a newer token was issued
    /// (the presented one was used already). Atomic: of two resumes with
    /// one token, one wins. `expires` (unix seconds) is the new token's,
    /// after which the row may be deleted.
    fn advance_session<'a>(
        &'a self,
        sid: &'a str,
        presented: u64,
        expires: u64,
        now: u64,
    ) -> BoxFuture<'a, Result<bool, LedgerError>>;

    /// Match `id` as signed when it was recorded; `None` for a match this
    /// ledger does not have, or recorded before results were signed. A
    /// ledger that does not sign has none.
    fn signed_match<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<SignedRecord>, LedgerError>> {
        let _ = id;
        Box::pin(async { Ok(None) })
    }

    /// A leaderboard: the top `query.limit` players of a game by a
    /// metric, over a period, for everyone or one chat, ranks shared on
    /// ties; and the `around` player's own line. A ledger without
    /// leaderboards returns an empty board.
    fn board<'a>(&'a self, query: &'a BoardQuery) -> BoxFuture<'a, Result<Board, LedgerError>> {
        let _ = query;
        Box::pin(async { Ok(Board::default()) })
    }

    /// `player`'s matches, newest first: up to `limit`, those that ended
    /// before match `before` when it is given (the page after the one that
    /// ended with it). A ledger without history returns none.
    fn player_matches<'a>(
        &'a self,
        player: &'a str,
        before: Option<&'a str>,
        limit: u32,
    ) -> BoxFuture<'a, Result<Vec<PlayerMatch>, LedgerError>> {
        let _ = (player, before, limit);
        Box::pin(async { Ok(Vec::new()) })
    }

    /// `player`'s claims, newest first (at most `limit`). A ledger
    /// without rewards has none.
    fn claims<'a>(&'a self, player: &'a str, limit: u32) -> BoxFuture<'a, Result<Vec<Claim>, LedgerError>> {
        let _ = (player, limit);
        Box::pin(async { Ok(Vec::new()) })
    }

    /// Every key this ledger's matches were signed with.
    fn result_keys(&self) -> BoxFuture<'_, Result<Vec<PublicKey>, LedgerError>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    /// Reads every match and checks its rows against its signed record
    /// and the record against its signature (`parlor ledger check`). A
    /// ledger that does not sign reports nothing read.
    fn audit(&self) -> BoxFuture<'_, Result<AuditReport, LedgerError>> {
        Box::pin(async { Ok(AuditReport::default()) })
    }
}
