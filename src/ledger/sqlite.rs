//! The embedded ledger: one SQLite file, written through sqlx.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use super::sql::{register_key, sql_ledger, Statements};
use super::{LedgerError, ResultKey};

/// A ledger in a SQLite file (`parlor.db` in the data directory).
///
/// WAL journal with `synchronous = NORMAL`: a committed match survives a
/// crash or `kill -9` of the server; only a power loss may lose the last
/// commits.
#[derive(Clone)]
pub struct SqliteLedger {
    pool: SqlitePool,
    key: Arc<ResultKey>,
}

impl SqliteLedger {
    /// Opens (creating if needed) `parlor.db` in `data_dir` and migrates
    /// it; it signs with `results.key` there (made if missing).
    pub async fn open(data_dir: &Path) -> Result<Self, LedgerError> {
        let key = ResultKey::load_or_create(data_dir).map_err(LedgerError::SigningKey)?;
        Self::open_in(data_dir, key).await
    }

    /// Opens (creating if needed) `parlor.db` in `data_dir`, signing with
    /// `key`.
    pub async fn open_in(data_dir: &Path, key: ResultKey) -> Result<Self, LedgerError> {
        std::fs::create_dir_all(data_dir).map_err(|source| LedgerError::DataDir {
            path: data_dir.display().to_string(),
            source,
        })?;
        Self::open_file(&data_dir.join("parlor.db"), key).await
    }

    /// Opens a ledger at an explicit database path, signing with `key`.
    pub async fn open_file(path: &Path, key: ResultKey) -> Result<Self, LedgerError> {
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            // SQLite caches up to 2 MiB of pages per connection by default;
            // a quarter of that keeps the pool's share of the server's
            // memory at 2 MiB (docs/operations.md), and the operating
            // system's file cache still holds the hot pages.
            .pragma("cache_size", format!("-{CACHE_KIB_PER_CONNECTION}"));
        let pool = SqlitePoolOptions::new()
            .max_connections(CONNECTIONS)
            .connect_with(options)
            .await?;
        sqlx::migrate!("src/ledger/migrations/sqlite").run(&pool).await?;
        register_key(&pool, &STATEMENTS, &key).await?;
        Ok(SqliteLedger {
            pool,
            key: Arc::new(key),
        })
    }
}

/// How many connections the ledger's pool opens at most.
const CONNECTIONS: u32 = 4;

/// SQLite's page cache per connection, in KiB: the pool holds at most
/// `CONNECTIONS * CACHE_KIB_PER_CONNECTION` KiB of cached pages.
const CACHE_KIB_PER_CONNECTION: u32 = 512;

/// The SQLite dialect of the ledger's statements.
const STATEMENTS: Statements = Statements {
    begin_write: "BEGIN IMMEDIATE",
    insert_match:
        "INSERT INTO matches (id, game, room, chat, started_at, ended_at, aborted, record, signature, key_id) \
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    insert_player: "INSERT INTO match_players (match_id, player_id, name, rank, score) VALUES (?, ?, ?, ?, ?)",
    delete_expired_sessions: "DELETE FROM sessions WHERE expires <= ?",
    insert_session: "INSERT INTO sessions (id, generation, expires) VALUES (?, ?, ?) ON CONFLICT(id) DO NOTHING",
    advance_session: "UPDATE sessions SET generation = ?, expires = ? WHERE id = ? AND generation = ?",
    signed_match: "SELECT record, signature, key_id FROM matches WHERE id = ? AND record IS NOT NULL",
    insert_recording: "INSERT INTO recordings (match_id, data) VALUES (?, ?)",
    recording: "SELECT data FROM recordings WHERE match_id = ?",
    insert_key: "INSERT INTO result_keys (id, public_key) VALUES (?, ?) ON CONFLICT(id) DO NOTHING",
    result_keys: "SELECT id, public_key FROM result_keys ORDER BY id",
    all_matches: "SELECT id, game, room, started_at, ended_at, aborted, record, signature, key_id, chat, \
                  (SELECT data FROM recordings WHERE match_id = matches.id) \
                  FROM matches ORDER BY id",
    all_players: "SELECT match_id, player_id, name, rank, score FROM match_players ORDER BY match_id",
    lock_claims: "SELECT ?1",
    claimed_since: "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM claims \
                    WHERE player_id = ?1 AND currency = ?2 AND created_at >= ?3",
    // The next claim number: one writer at a time, so MAX + 1 is free.
    insert_claim: "INSERT INTO claims (match_id, player_id, currency, amount, created_at, id) \
                   VALUES (?1, ?2, ?3, ?4, ?5, (SELECT COALESCE(MAX(id), 0) + 1 FROM claims))",
    unfounded_claims: "SELECT c.match_id, c.player_id FROM claims c \
                       JOIN matches m ON m.id = c.match_id \
                       LEFT JOIN match_players p ON p.match_id = c.match_id AND p.player_id = c.player_id \
                       WHERE p.player_id IS NULL OR m.aborted <> 0 OR c.amount <= 0 ORDER BY c.match_id, c.player_id",
    player_claims: "SELECT match_id, player_id, currency, amount, created_at, status, id FROM claims \
                    WHERE player_id = ?1 ORDER BY created_at DESC, match_id DESC LIMIT ?2",
    player_matches: "SELECT m.id, m.game, m.room, m.chat, m.started_at, m.ended_at, m.aborted, p.rank, p.score, \
                     (SELECT COUNT(*) FROM match_players o WHERE o.match_id = m.id) \
                     FROM match_players p JOIN matches m ON m.id = p.match_id \
                     WHERE p.player_id = ?1 AND (?2 IS NULL OR (m.ended_at, m.id) < \
                       (SELECT b.ended_at, b.id FROM matches b WHERE b.id = ?2)) \
                     ORDER BY m.ended_at DESC, m.id DESC LIMIT ?3",
    delete_expired_payloads: "DELETE FROM ton_payloads WHERE expires <= ?",
    insert_payload: "INSERT INTO ton_payloads (nonce, expires) VALUES (?, ?) ON CONFLICT (nonce) DO NOTHING",
    wallet_owner: "SELECT player_id FROM wallets WHERE network = ? AND address = ?",
    player_wallet: "SELECT address FROM wallets WHERE player_id = ? AND network = ?",
    delete_wallet: "DELETE FROM wallets WHERE player_id = ? AND network = ?",
    insert_wallet: "INSERT INTO wallets (player_id, network, address, public_key, contract, linked_at) \
                    VALUES (?, ?, ?, ?, ?, ?)",
    mark_vouchered: "UPDATE claims SET status = 'voucher' \
                     WHERE id = ?1 AND player_id = ?2 AND status IN ('open', 'voucher')",
    claim_by_id: "SELECT player_id, currency, amount, status FROM claims WHERE id = ?1",
    payable: "SELECT c.id, w.address, c.amount FROM claims c \
              JOIN wallets w ON w.player_id = c.player_id AND w.network = ?1 \
              WHERE c.status = 'open' AND c.currency = 'ton' ORDER BY c.id LIMIT ?2",
    unsettled_batch: "SELECT id, network, wallet, seqno, valid_until, total, status FROM payout_batches WHERE status = 'signed'",
    batch_by_id: "SELECT id, network, wallet, seqno, valid_until, total, status FROM payout_batches WHERE id = ?1",
    batch_members: "SELECT claim_id, wallet, amount FROM batch_claims WHERE batch_id = ?1 ORDER BY claim_id",
    insert_batch: "INSERT INTO payout_batches (network, wallet, seqno, valid_until, total, claims, status, created_at) \
                   VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'signed', ?7) RETURNING id",
    insert_batch_claim: "INSERT INTO batch_claims (batch_id, claim_id, wallet, amount) VALUES (?1, ?2, ?3, ?4)",
    set_batch_claims: "UPDATE claims SET status = ?2 \
                       WHERE id IN (SELECT claim_id FROM batch_claims WHERE batch_id = ?1) AND status = ?3",
    settle_batch: "UPDATE payout_batches SET status = ?2 WHERE id = ?1 AND status = 'signed'",
    unbalanced_batches: "SELECT b.id FROM payout_batches b LEFT JOIN batch_claims m ON m.batch_id = b.id \
                         GROUP BY b.id, b.total, b.claims \
                         HAVING b.total <> COALESCE(SUM(m.amount), 0) OR b.claims <> COUNT(m.claim_id) ORDER BY b.id",
    paid_twice: "SELECT m.claim_id FROM batch_claims m JOIN payout_batches b ON b.id = m.batch_id \
                 WHERE b.status IN ('signed', 'paid') GROUP BY m.claim_id HAVING COUNT(*) > 1 ORDER BY m.claim_id",
    batch_mismatches: "SELECT m.claim_id FROM batch_claims m JOIN payout_batches b ON b.id = m.batch_id \
                       LEFT JOIN claims c ON c.id = m.claim_id \
                       WHERE c.id IS NULL OR c.amount <> m.amount OR c.currency <> 'ton' \
                       OR (b.status = 'paid' AND c.status <> 'paid') OR (b.status = 'signed' AND c.status <> 'batched') \
                       UNION SELECT c.id FROM claims c WHERE c.status IN ('paid', 'batched') AND NOT EXISTS \
                       (SELECT 1 FROM batch_claims m JOIN payout_batches b ON b.id = m.batch_id WHERE m.claim_id = c.id \
                        AND b.status = CASE c.status WHEN 'paid' THEN 'paid' ELSE 'signed' END) ORDER BY 1",
    board_drift: "SELECT a.game, a.player_id FROM \
                  (SELECT m.game, p.player_id, MAX(p.score) AS best, \
                          SUM(CASE WHEN p.rank = 1 THEN 1 ELSE 0 END) AS wins, SUM(p.score) AS total, COUNT(*) AS matches \
                   FROM match_players p JOIN matches m ON m.id = p.match_id WHERE m.aborted = 0 \
                   GROUP BY m.game, p.player_id) a \
                  LEFT JOIN board_scores b ON b.game = a.game AND b.period = 'all' AND b.bucket = 0 AND b.chat = '' \
                    AND b.player_id = a.player_id \
                  WHERE b.player_id IS NULL OR b.best <> a.best OR b.wins <> a.wins OR b.total <> a.total \
                    OR b.matches <> a.matches \
                  UNION SELECT b.game, b.player_id FROM board_scores b \
                  WHERE b.period = 'all' AND b.chat = '' AND NOT EXISTS (SELECT 1 FROM match_players p \
                    JOIN matches m ON m.id = p.match_id WHERE m.game = b.game AND p.player_id = b.player_id AND m.aborted = 0) \
                  ORDER BY 1, 2",
    // Rows whose parent is missing: written with foreign keys off (the
    // sqlite3 shell's default), say. Columns: table, rowid, parent table.
    foreign_key_check: "SELECT \"table\", CAST(rowid AS TEXT), parent FROM pragma_foreign_key_check",
    player_wallets: "SELECT network, address, public_key, contract, linked_at FROM wallets \
                     WHERE player_id = ? ORDER BY network",
};

sql_ledger!(
    SqliteLedger,
    STATEMENTS,
    super::board::Dialect::Sqlite,
    sqlx::sqlite::SqliteRow
);
