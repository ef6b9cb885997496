//! The ledger on a PostgreSQL server, written through sqlx: for several
//! server processes sharing one ledger, or an operator who already runs
//! PostgreSQL. The same tables as [`SqliteLedger`](super::SqliteLedger).

use std::str::FromStr;
use std::sync::Arc;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

use super::sql::{register_key, sql_ledger, Statements};
use super::{LedgerError, ResultKey};

/// Connections each server keeps to PostgreSQL.
const POOL_SIZE: u32 = 8;

/// A ledger in a PostgreSQL database, from a `postgres://` URL.
///
/// A committed match is as durable as the server's own settings make it
/// (`synchronous_commit` on, PostgreSQL's default: it survives a crash of
/// either process).
#[derive(Clone)]
pub struct PostgresLedger {
    pool: PgPool,
    key: Arc<ResultKey>,
}

impl PostgresLedger {
    /// Connects to `url` (`postgres://user[:password]@host[:port]/database`,
    /// with sqlx's parameters, e.g. `?options[search_path]=parlor` for a
    /// schema of its own) and migrates the database.
    /// It signs what it records with `key`.
    pub async fn connect(url: &str, key: ResultKey) -> Result<Self, LedgerError> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .connect_with(options)
            .await?;
        sqlx::migrate!("src/ledger/migrations/postgres").run(&pool).await?;
        register_key(&pool, &STATEMENTS, &key).await?;
        Ok(PostgresLedger {
            pool,
            key: Arc::new(key),
        })
    }
}

/// The PostgreSQL dialect of the ledger's statements.
const STATEMENTS: Statements = Statements {
    begin_write: "BEGIN",
    insert_match:
        "INSERT INTO matches (id, game, room, chat, started_at, ended_at, aborted, record, signature, key_id) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    insert_player: "INSERT INTO match_players (match_id, player_id, name, rank, score) VALUES ($1, $2, $3, $4, $5)",
    delete_expired_sessions: "DELETE FROM sessions WHERE expires <= $1",
    insert_session: "INSERT INTO sessions (id, generation, expires) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
    advance_session: "UPDATE sessions SET generation = $1, expires = $2 WHERE id = $3 AND generation = $4",
    signed_match: "SELECT record, signature, key_id FROM matches WHERE id = $1 AND record IS NOT NULL",
    insert_recording: "INSERT INTO recordings (match_id, data) VALUES ($1, $2)",
    recording: "SELECT data FROM recordings WHERE match_id = $1",
    insert_key: "INSERT INTO result_keys (id, public_key) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
    result_keys: "SELECT id, public_key FROM result_keys ORDER BY id",
    // Byte order (COLLATE "C"), as the check compares ids in Rust.
    all_matches: "SELECT id, game, room, started_at, ended_at, aborted, record, signature, key_id, chat, \
                  (SELECT data FROM recordings WHERE match_id = matches.id) \
                  FROM matches ORDER BY id COLLATE \"C\"",
    all_players: "SELECT match_id, player_id, name, rank, score FROM match_players ORDER BY match_id COLLATE \"C\"",
    lock_claims: "SELECT pg_advisory_xact_lock(hashtext($1))",
    claimed_since: "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM claims \
                    WHERE player_id = $1 AND currency = $2 AND created_at >= $3",
    insert_claim: "INSERT INTO claims (match_id, player_id, currency, amount, created_at) \
                   VALUES ($1, $2, $3, $4, $5)",
    unfounded_claims: "SELECT c.match_id, c.player_id FROM claims c \
                       JOIN matches m ON m.id = c.match_id \
                       LEFT JOIN match_players p ON p.match_id = c.match_id AND p.player_id = c.player_id \
                       WHERE p.player_id IS NULL OR m.aborted OR c.amount <= 0 ORDER BY c.match_id, c.player_id",
    player_claims: "SELECT match_id, player_id, currency, amount, created_at, status, id FROM claims \
                    WHERE player_id = $1 ORDER BY created_at DESC, match_id DESC LIMIT $2",
    player_matches: "SELECT m.id, m.game, m.room, m.chat, m.started_at, m.ended_at, m.aborted, p.rank, p.score, \
                     (SELECT COUNT(*) FROM match_players o WHERE o.match_id = m.id) \
                     FROM match_players p JOIN matches m ON m.id = p.match_id \
                     WHERE p.player_id = $1 AND ($2 IS NULL OR (m.ended_at, m.id) < \
                       (SELECT b.ended_at, b.id FROM matches b WHERE b.id = $2)) \
                     ORDER BY m.ended_at DESC, m.id DESC LIMIT $3",
    delete_expired_payloads: "DELETE FROM ton_payloads WHERE expires <= $1",
    insert_payload: "INSERT INTO ton_payloads (nonce, expires) VALUES ($1, $2) ON CONFLICT (nonce) DO NOTHING",
    wallet_owner: "SELECT player_id FROM wallets WHERE network = $1 AND address = $2",
    player_wallet: "SELECT address FROM wallets WHERE player_id = $1 AND network = $2",
    delete_wallet: "DELETE FROM wallets WHERE player_id = $1 AND network = $2",
    insert_wallet: "INSERT INTO wallets (player_id, network, address, public_key, contract, linked_at) \
                    VALUES ($1, $2, $3, $4, $5, $6)",
    mark_vouchered: "UPDATE claims SET status = 'voucher' \
                     WHERE id = $1 AND player_id = $2 AND status IN ('open', 'voucher')",
    claim_by_id: "SELECT player_id, currency, amount, status FROM claims WHERE id = $1",
    payable: "SELECT c.id, w.address, c.amount FROM claims c \
              JOIN wallets w ON w.player_id = c.player_id AND w.network = $1 \
              WHERE c.status = 'open' AND c.currency = 'ton' ORDER BY c.id LIMIT $2",
    unsettled_batch: "SELECT id, network, wallet, seqno, valid_until, total, status FROM payout_batches WHERE status = 'signed'",
    batch_by_id: "SELECT id, network, wallet, seqno, valid_until, total, status FROM payout_batches WHERE id = $1",
    batch_members: "SELECT claim_id, wallet, amount FROM batch_claims WHERE batch_id = $1 ORDER BY claim_id",
    insert_batch: "INSERT INTO payout_batches (network, wallet, seqno, valid_until, total, claims, status, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, 'signed', $7) RETURNING id",
    insert_batch_claim: "INSERT INTO batch_claims (batch_id, claim_id, wallet, amount) VALUES ($1, $2, $3, $4)",
    set_batch_claims: "UPDATE claims SET status = $2 \
                       WHERE id IN (SELECT claim_id FROM batch_claims WHERE batch_id = $1) AND status = $3",
    settle_batch: "UPDATE payout_batches SET status = $2 WHERE id = $1 AND status = 'signed'",
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
                   FROM match_players p JOIN matches m ON m.id = p.match_id WHERE NOT m.aborted \
                   GROUP BY m.game, p.player_id) a \
                  LEFT JOIN board_scores b ON b.game = a.game AND b.period = 'all' AND b.bucket = 0 AND b.chat = '' \
                    AND b.player_id = a.player_id \
                  WHERE b.player_id IS NULL OR b.best <> a.best OR b.wins <> a.wins OR b.total <> a.total \
                    OR b.matches <> a.matches \
                  UNION SELECT b.game, b.player_id FROM board_scores b \
                  WHERE b.period = 'all' AND b.chat = '' AND NOT EXISTS (SELECT 1 FROM match_players p \
                    JOIN matches m ON m.id = p.match_id WHERE m.game = b.game AND p.player_id = b.player_id AND NOT m.aborted) \
                  ORDER BY 1, 2",
    // PostgreSQL enforces foreign keys on every write: nothing to find.
    foreign_key_check: "SELECT '', '', '' WHERE FALSE",
    player_wallets: "SELECT network, address, public_key, contract, linked_at FROM wallets \
                     WHERE player_id = $1 ORDER BY network",
};

sql_ledger!(
    PostgresLedger,
    STATEMENTS,
    super::board::Dialect::Postgres,
    sqlx::postgres::PgRow
);
