//! What the two SQL backends share: the ledger's operations written once,
//! over each backend's own statements ([`Statements`]; the placeholders
//! and a few functions differ). [`sql_ledger!`] implements [`Ledger`] for
//! a type with a `pool` field of the backend's pool type.
//!
//! [`Ledger`]: super::Ledger

/// The SQL of each ledger operation, in one backend's dialect.
pub(super) struct Statements {
    /// matches: id, game, room, started_at, ended_at, aborted.
    pub insert_match: &'static str,
    /// match_players: match_id, player_id, name, rank, score.
    pub insert_player: &'static str,
    /// A game's best score per player (player_id, name of the best match,
    /// best, matches), best first, ties by player id; takes game, limit.
    pub leaderboard: &'static str,
    /// Deletes sessions whose `expires` is at or before the bound.
    pub delete_expired_sessions: &'static str,
    /// A session's first resume: id, generation, expires; nothing if the
    /// row is there.
    pub insert_session: &'static str,
    /// A later resume: the new generation and expiry, where id and the
    /// presented generation match.
    pub advance_session: &'static str,
}

/// Implements `Ledger` for `$ledger` (with a `pool` field) with the
/// statements `$sql`.
macro_rules! sql_ledger {
    ($ledger:ty, $sql:expr) => {
        impl $crate::ledger::Ledger for $ledger {
            fn record<'a>(
                &'a self,
                record: &'a $crate::ledger::MatchRecord,
            ) -> $crate::ledger::BoxFuture<'a, Result<(), $crate::ledger::LedgerError>> {
                Box::pin(async move {
                    let mut tx = self.pool.begin().await?;
                    sqlx::query($sql.insert_match)
                        .bind(&record.id)
                        .bind(&record.game)
                        .bind(&record.room)
                        .bind(record.started_at)
                        .bind(record.ended_at)
                        .bind(record.aborted)
                        .execute(&mut *tx)
                        .await?;
                    for line in &record.ranking {
                        sqlx::query($sql.insert_player)
                            .bind(&record.id)
                            .bind(&line.player)
                            .bind(&line.name)
                            .bind(i64::from(line.rank))
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
            ) -> $crate::ledger::BoxFuture<'a, Result<Vec<$crate::ledger::LeaderboardEntry>, $crate::ledger::LedgerError>>
            {
                Box::pin(async move {
                    use sqlx::Row;
                    let rows = sqlx::query($sql.leaderboard)
                        .bind(game)
                        .bind(i64::from(limit))
                        .fetch_all(&self.pool)
                        .await?;
                    Ok(rows
                        .into_iter()
                        .map(|row| $crate::ledger::LeaderboardEntry {
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
            ) -> $crate::ledger::BoxFuture<'a, Result<bool, $crate::ledger::LedgerError>> {
                Box::pin(async move {
                    let (presented, next, expires) = (presented as i64, presented as i64 + 1, expires as i64);
                    let moved = if presented == 0 {
                        // The first resume: sessions that ended are cleared on the way.
                        sqlx::query($sql.delete_expired_sessions)
                            .bind(now as i64)
                            .execute(&self.pool)
                            .await?;
                        sqlx::query($sql.insert_session)
                            .bind(sid)
                            .bind(next)
                            .bind(expires)
                            .execute(&self.pool)
                            .await?
                    } else {
                        sqlx::query($sql.advance_session)
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
    };
}

pub(super) use sql_ledger;
