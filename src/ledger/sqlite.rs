//! The embedded ledger: one SQLite file, written through sqlx.

use std::path::Path;
use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

use super::{BoxFuture, LeaderboardEntry, Ledger, LedgerError, MatchRecord};

/// A ledger in a SQLite file (`parlor.db` in the data directory).
///
/// WAL journal with `synchronous = NORMAL`: a committed match survives a
/// crash or `kill -9` of the server; only a power loss may lose the last
/// commits.
#[derive(Clone)]
pub struct SqliteLedger {
    pool: SqlitePool,
}

impl SqliteLedger {
    /// Opens (creating if needed) `parlor.db` in `data_dir` and migrates it.
    pub async fn open(data_dir: &Path) -> Result<Self, LedgerError> {
        std::fs::create_dir_all(data_dir).map_err(|source| LedgerError::DataDir {
            path: data_dir.display().to_string(),
            source,
        })?;
        Self::open_file(&data_dir.join("parlor.db")).await
    }

    /// Opens a ledger at an explicit database path.
    pub async fn open_file(path: &Path) -> Result<Self, LedgerError> {
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("src/ledger/migrations").run(&pool).await?;
        Ok(SqliteLedger { pool })
    }
}

impl Ledger for SqliteLedger {
    fn record<'a>(&'a self, record: &'a MatchRecord) -> BoxFuture<'a, Result<(), LedgerError>> {
        Box::pin(async move {
            let mut tx = self.pool.begin().await?;
            sqlx::query(
                "INSERT INTO matches (id, game, room, started_at, ended_at, aborted) VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(&record.id)
            .bind(&record.game)
            .bind(&record.room)
            .bind(record.started_at)
            .bind(record.ended_at)
            .bind(record.aborted)
            .execute(&mut *tx)
            .await?;
            for line in &record.ranking {
                sqlx::query(
                    "INSERT INTO match_players (match_id, player_id, name, rank, score) VALUES (?, ?, ?, ?, ?)",
                )
                .bind(&record.id)
                .bind(&line.player)
                .bind(&line.name)
                .bind(line.rank as i64)
                .bind(line.score)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    fn leaderboard<'a>(
        &'a self,
        game: &'a str,
        limit: u32,
    ) -> BoxFuture<'a, Result<Vec<LeaderboardEntry>, LedgerError>> {
        Box::pin(async move {
            // SQLite returns the other columns of the row that holds MAX().
            let rows = sqlx::query(
                "SELECT p.player_id, p.name, MAX(p.score) AS best, COUNT(*) AS matches \
                 FROM match_players p JOIN matches m ON m.id = p.match_id \
                 WHERE m.game = ? AND m.aborted = 0 GROUP BY p.player_id ORDER BY best DESC, p.player_id LIMIT ?",
            )
            .bind(game)
            .bind(limit as i64)
            .fetch_all(&self.pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(|row| LeaderboardEntry {
                    player: row.get(0),
                    name: row.get(1),
                    best: row.get(2),
                    matches: row.get(3),
                })
                .collect())
        })
    }

    fn advance_session<'a>(
        &'a self,
        sid: &'a str,
        presented: u64,
        expires: u64,
        now: u64,
    ) -> BoxFuture<'a, Result<bool, LedgerError>> {
        Box::pin(async move {
            let (presented, next, expires) = (presented as i64, presented as i64 + 1, expires as i64);
            let moved = if presented == 0 {
                // The first resume: sessions that ended are cleared on the way.
                sqlx::query("DELETE FROM sessions WHERE expires <= ?")
                    .bind(now as i64)
                    .execute(&self.pool)
                    .await?;
                sqlx::query(
                    "INSERT INTO sessions (id, generation, expires) VALUES (?, ?, ?) ON CONFLICT(id) DO NOTHING",
                )
                .bind(sid)
                .bind(next)
                .bind(expires)
                .execute(&self.pool)
                .await?
            } else {
                sqlx::query("UPDATE sessions SET generation = ?, expires = ? WHERE id = ? AND generation = ?")
                    .bind(next)
                    .bind(expires)
                    .bind(sid)
                    .bind(presented)
                    .execute(&self.pool)
                    .await?
            };
            Ok(moved.rows_affected() == 1)
        })
    }
}
