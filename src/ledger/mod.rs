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
    /// The match's seed, hex (docs/fairness.md): in the signed record, so
    /// anyone can re-run its draws. `None` for matches recorded before
    /// seeds were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<String>,
    /// The match's recording (manifest `record`; docs/replays.md), stored
    /// with it; the signed record carries its SHA-256.
    #[serde(skip)]
    pub recording: Option<bytes::Bytes>,
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
    /// `open` until paid; `voucher` once a voucher was issued for it
    /// (a claim contract pays it).
    pub status: String,
    /// Its number: what a voucher names.
    pub id: i64,
}

/// A claim voucher asked for (`POST /api/rewards/{claim}/voucher`).
#[derive(Debug, Clone, PartialEq)]
pub struct VoucherRequest {
    pub claim: i64,
    /// Who asks: only the claim's player gets one.
    pub player: String,
    /// Whose wallet on which network is paid (TON Connect's chain id).
    pub network: String,
    /// Unix seconds.
    pub expires_at: u32,
}

/// A signed claim voucher (docs/rewards.md).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Voucher {
    pub claim: i64,
    /// The player's linked wallet, raw form.
    pub recipient: String,
    pub amount: i64,
    pub currency: String,
    pub expires_at: u32,
    /// The cell `claim_id:uint64 recipient:MsgAddress amount:Coins
    /// expires_at:uint32` as a base64 bag of cells.
    pub boc: String,
    /// The cell's representation hash, hex: what is signed.
    pub hash: String,
    /// Ed25519 over the 32 bytes of `hash`, hex.
    pub signature: String,
    /// The signing key's id (`GET /api/keys`) and public key, hex.
    pub key: String,
    pub public_key: String,
}

/// What asking for a voucher came to.
#[derive(Debug, Clone, PartialEq)]
pub enum VoucherOutcome {
    /// Signed; the claim is marked `voucher`, so no payout batch takes it.
    Issued(Voucher),
    NoSuchClaim,
    /// The claim is another player's.
    NotYours,
    /// The claim is paid or in a payout batch (`status`).
    Settled {
        status: String,
    },
    /// The player has no wallet linked on the network.
    NoWallet,
}

/// A wallet to link to a player, its TON Connect proof checked
/// (`POST /api/ton/link`).
#[derive(Debug, Clone, PartialEq)]
pub struct WalletLink {
    pub player: String,
    /// TON Connect's chain id: `-239` (mainnet) or `-3` (testnet).
    pub network: String,
    /// Raw form, `<workchain>:<hex>`.
    pub address: String,
    /// Hex.
    pub public_key: String,
    /// The wallet contract, `v4r2`, `v5r1`, ...
    pub contract: String,
    /// The proof's payload nonce: linking records it, and refuses one
    /// recorded before.
    pub nonce: String,
    /// When the payload expires (unix seconds); its nonce is kept until
    /// then.
    pub nonce_expires: i64,
    /// Replace the player's wallet on this network if there is one.
    pub replace: bool,
    /// Unix milliseconds.
    pub now_ms: i64,
}

/// What linking a wallet did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkOutcome {
    /// The wallet is now the player's on its network.
    Linked,
    /// It was the player's already.
    Unchanged,
    /// The proof's payload was used before; nothing changed.
    PayloadUsed,
    /// The player has another wallet on this network (`address`), and the
    /// request did not ask to replace it; nothing changed.
    AlreadyLinked { address: String },
    /// Another player holds this wallet; nothing changed.
    TakenByOther,
}

/// A player's linked wallet (`GET /api/ton/wallets`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkedWallet {
    pub network: String,
    pub address: String,
    pub public_key: String,
    pub contract: String,
    /// Unix milliseconds.
    pub linked_at: i64,
}

/// One claim a payout pays: `parlor rewards export` prints these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Payment {
    pub claim: i64,
    /// The player's linked wallet, raw form.
    pub wallet: String,
    /// Nanotons.
    pub amount: i64,
}

/// A payout batch: claims paid from the operator's wallet in one signed
/// message (`parlor rewards payout`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Batch {
    pub id: i64,
    /// TON Connect's chain id.
    pub network: String,
    /// The operator's wallet, raw form.
    pub wallet: String,
    pub seqno: i64,
    /// Unix seconds: the message's.
    pub valid_until: i64,
    pub total: i64,
    /// `signed`, `paid` or `failed`.
    pub status: String,
    pub payments: Vec<Payment>,
}

/// A payout batch asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchRequest {
    pub network: String,
    pub wallet: String,
    pub seqno: i64,
    pub valid_until: i64,
    /// Most claims in it.
    pub max: u32,
    pub now_ms: i64,
}

/// What asking for a payout batch came to.
#[derive(Debug, Clone, PartialEq)]
pub enum BatchOutcome {
    /// A new batch: its claims are now `batched`.
    New(Batch),
    /// The unsettled batch is this one (same network, wallet and seqno):
    /// the same batch again, to sign again.
    Existing(Batch),
    /// Another batch is unsettled; settle it first. Nothing written.
    Unsettled(Batch),
    /// No open TON claim has a wallet on the network. Nothing written.
    Empty,
}

/// What settling a batch came to.
#[derive(Debug, Clone, PartialEq)]
pub enum SettleOutcome {
    /// Settled: its claims are `paid`, or `open` again after a failure.
    Settled(Batch),
    NoSuchBatch,
    /// It was settled before (`status`). Nothing written.
    AlreadySettled {
        status: String,
    },
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
    #[error("building a voucher failed: {0}")]
    Voucher(#[from] crate::ton::VoucherError),
    #[error("the claims of the batch changed while it was made; run it again")]
    BatchRace,
    #[error("this ledger does not support {0}")]
    Unsupported(&'static str),
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

    /// Match `id`'s recording as the room wrote it (manifest `record`);
    /// `None` for a match recorded without one. A ledger that keeps no
    /// recordings has none.
    fn recording<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>, LedgerError>> {
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

    /// Links a wallet whose proof checked out, recording the proof's
    /// payload as used, in one transaction: on any outcome but `Linked`
    /// and `Unchanged` nothing is written. A ledger without wallets
    /// answers [`LedgerError::Unsupported`].
    fn link_wallet<'a>(&'a self, link: &'a WalletLink) -> BoxFuture<'a, Result<LinkOutcome, LedgerError>> {
        let _ = link;
        Box::pin(async { Err(LedgerError::Unsupported("linking wallets")) })
    }

    /// A voucher for claim `request.claim`, to the asking player's wallet
    /// on `request.network`, signed with the ledger's key; the claim is
    /// marked `voucher` in the same transaction. On any outcome but
    /// `Issued` nothing is written.
    fn voucher<'a>(&'a self, request: &'a VoucherRequest) -> BoxFuture<'a, Result<VoucherOutcome, LedgerError>> {
        let _ = request;
        Box::pin(async { Err(LedgerError::Unsupported("vouchers")) })
    }

    /// Open TON claims whose player has a wallet linked on `network`,
    /// oldest first (at most `limit`).
    fn payable<'a>(&'a self, network: &'a str, limit: u32) -> BoxFuture<'a, Result<Vec<Payment>, LedgerError>> {
        let _ = (network, limit);
        Box::pin(async { Err(LedgerError::Unsupported("payouts")) })
    }

    /// Takes up to `request.max` payable claims into a new signed batch,
    /// in one transaction; or hands back the unsettled batch.
    fn open_batch<'a>(&'a self, request: &'a BatchRequest) -> BoxFuture<'a, Result<BatchOutcome, LedgerError>> {
        let _ = request;
        Box::pin(async { Err(LedgerError::Unsupported("payouts")) })
    }

    /// Settles signed batch `id` as paid (its claims `paid`) or failed
    /// (its claims `open` again).
    fn settle_batch(&self, id: i64, paid: bool) -> BoxFuture<'_, Result<SettleOutcome, LedgerError>> {
        let _ = (id, paid);
        Box::pin(async { Err(LedgerError::Unsupported("payouts")) })
    }

    /// `player`'s linked wallets, one per network at most.
    fn wallets<'a>(&'a self, player: &'a str) -> BoxFuture<'a, Result<Vec<LinkedWallet>, LedgerError>> {
        let _ = player;
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
