//! What the two SQL backends share: the ledger's operations written once,
//! over each backend's own statements ([`Statements`]; the placeholders
//! and a few functions differ). [`sql_ledger!`] implements [`Ledger`] for
//! a type with a `pool` field of the backend's pool type.
//!
//! [`Ledger`]: super::Ledger

/// The SQL of each ledger operation, in one backend's dialect.
pub(super) struct Statements {
    /// Begins a transaction that writes: SQLite takes the write lock at
    /// once (`BEGIN IMMEDIATE`), so a transaction that reads before it
    /// writes waits its turn (busy timeout) instead of failing with
    /// "database is locked" when it upgrades.
    pub begin_write: &'static str,
    /// matches: id, game, room, chat, started_at, ended_at, aborted,
    /// record, signature, key_id.
    pub insert_match: &'static str,
    /// match_players: match_id, player_id, name, rank, score.
    pub insert_player: &'static str,
    /// Deletes sessions whose `expires` is at or before the bound.
    pub delete_expired_sessions: &'static str,
    /// A session's first resume: id, generation, expires; nothing if the
    /// row is there.
    pub insert_session: &'static str,
    /// A later resume: the new generation and expiry, where id and the
    /// presented generation match.
    pub advance_session: &'static str,
    /// A match's record, signature and key id, if it was signed.
    pub signed_match: &'static str,
    /// recordings: match_id, data.
    pub insert_recording: &'static str,
    /// A match's recording: data.
    pub recording: &'static str,
    /// A signing key's id and public key (hex); nothing if it is there.
    pub insert_key: &'static str,
    /// Every signing key: id, public key.
    pub result_keys: &'static str,
    /// Every match: id, game, room, started_at, ended_at, aborted, record,
    /// signature, key_id, chat, its recording's data (or NULL); by id.
    pub all_matches: &'static str,
    /// Every match's players: match_id, player_id, name, rank, score; by
    /// match_id.
    pub all_players: &'static str,
    /// Taken before a player's claims are summed, held to the end of the
    /// transaction, so two matches recorded at once cannot both pass the
    /// cap (PostgreSQL: an advisory lock on the player; SQLite's writer
    /// lock, taken by the match's own insert, serializes already).
    pub lock_claims: &'static str,
    /// What a player has claimed in a currency since a time: player,
    /// currency, since.
    pub claimed_since: &'static str,
    /// claims: match_id, player_id, currency, amount, created_at.
    pub insert_claim: &'static str,
    /// Claims that no match grants: match_id, player_id of each claim whose
    /// player is not ranked in its match, whose match was aborted, or whose
    /// amount is not positive.
    pub unfounded_claims: &'static str,
    /// A player's claims (player, limit): match_id, player_id, currency,
    /// amount, created_at, status; newest first.
    pub player_claims: &'static str,
    /// A player's matches (1 player, 2 the match to start after or NULL,
    /// 3 limit): id, game, room, chat, started_at, ended_at, aborted, rank,
    /// score, players; newest first.
    pub player_matches: &'static str,
    /// Deletes used ton_proof payloads whose expiry (unix seconds) is at
    /// or before the bound.
    pub delete_expired_payloads: &'static str,
    /// A ton_proof payload's nonce and expiry; nothing if it was used.
    pub insert_payload: &'static str,
    /// Who holds a wallet: network, address; player_id.
    pub wallet_owner: &'static str,
    /// A player's wallet on a network: player, network; address.
    pub player_wallet: &'static str,
    /// Unlinks a player's wallet on a network: player, network.
    pub delete_wallet: &'static str,
    /// wallets: player_id, network, address, public_key, contract,
    /// linked_at.
    pub insert_wallet: &'static str,
    /// A player's wallets: network, address, public_key, contract,
    /// linked_at; by network.
    pub player_wallets: &'static str,
    /// Marks a claim (id, player) as paid by voucher, if it is the
    /// player's and not paid otherwise.
    pub mark_vouchered: &'static str,
    /// A claim by id: player_id, currency, amount, status.
    pub claim_by_id: &'static str,
    /// Open TON claims whose player has a wallet on a network (network,
    /// limit): id, wallet address, amount; by id.
    pub payable: &'static str,
    /// The unsettled batch, if any: id, network, wallet, seqno,
    /// valid_until, total, status.
    pub unsettled_batch: &'static str,
    /// A batch by id, the same columns.
    pub batch_by_id: &'static str,
    /// A batch's claims: claim_id, wallet, amount; by claim.
    pub batch_members: &'static str,
    /// A new signed batch (network, wallet, seqno, valid_until, total,
    /// claims, created_at), returning its id.
    pub insert_batch: &'static str,
    /// batch_claims: batch_id, claim_id, wallet, amount.
    pub insert_batch_claim: &'static str,
    /// Moves a batch's claims (batch, new status, old status).
    pub set_batch_claims: &'static str,
    /// Settles a signed batch (batch, new status).
    pub settle_batch: &'static str,
    /// Batches whose total or count is not their claims': id.
    pub unbalanced_batches: &'static str,
    /// Claims in more than one signed or paid batch: claim id.
    pub paid_twice: &'static str,
    /// Rows whose foreign key names no row: table, row, parent table.
    pub foreign_key_check: &'static str,
    /// Players whose all-time board row for everyone is not what their
    /// recorded matches add up to: game, player_id.
    pub board_drift: &'static str,
    /// Claims whose batch and own row disagree (amount, currency, status),
    /// or marked paid or batched without such a batch: claim id.
    pub batch_mismatches: &'static str,
}

/// Records `key`'s public half, so results it signs can be checked after
/// the server has moved to another key.
pub(super) async fn register_key<'c, DB, E>(
    executor: E,
    statements: &Statements,
    key: &super::ResultKey,
) -> Result<(), sqlx::Error>
where
    DB: sqlx::Database,
    E: sqlx::Executor<'c, Database = DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    sqlx::query(statements.insert_key)
        .bind(key.id().to_owned())
        .bind(key.public_hex())
        .execute(executor)
        .await?;
    Ok(())
}

/// Implements `Ledger` for `$ledger` (with a `pool` field) with the
/// statements `$sql`, and leaderboards in `$dialect` (rows of type `$row`).
macro_rules! sql_ledger {
    ($ledger:ty, $sql:expr, $dialect:expr, $row:ty) => {
        impl $ledger {
            /// A batch from a row of `unsettled_batch` or `batch_by_id`,
            /// its payments not read yet.
            fn batch_of(row: &$row) -> $crate::ledger::Batch {
                use sqlx::Row;
                $crate::ledger::Batch {
                    id: row.get(0),
                    network: row.get(1),
                    wallet: row.get(2),
                    seqno: row.get(3),
                    valid_until: row.get(4),
                    total: row.get(5),
                    status: row.get(6),
                    payments: Vec::new(),
                }
            }

            /// Payments from rows of `payable` or `batch_members`.
            fn payments_of(rows: &[$row]) -> Vec<$crate::ledger::Payment> {
                use sqlx::Row;
                rows.iter()
                    .map(|row| $crate::ledger::Payment {
                        claim: row.get(0),
                        wallet: row.get(1),
                        amount: row.get(2),
                    })
                    .collect()
            }
        }

        impl $crate::ledger::Ledger for $ledger {
            fn board<'a>(
                &'a self,
                query: &'a $crate::ledger::BoardQuery,
            ) -> $crate::ledger::BoxFuture<'a, Result<$crate::ledger::Board, $crate::ledger::LedgerError>> {
                Box::pin(async move {
                    use sqlx::Row;
                    use $crate::ledger::board;
                    let bucket = query.period.bucket(query.now_ms);
                    let chat = query.chat.as_deref().unwrap_or("");
                    // Columns from `first`: player_id, name, value, best,
                    // wins, total, matches.
                    let entry = |row: &$row, first: usize| -> $crate::ledger::BoardEntry {
                        $crate::ledger::BoardEntry {
                            rank: 0,
                            player: row.get(first),
                            name: row.get(first + 1),
                            value: row.get(first + 2),
                            best: row.get(first + 3),
                            wins: row.get(first + 4),
                            total: row.get(first + 5),
                            matches: row.get(first + 6),
                        }
                    };
                    let rows = sqlx::query(&board::top_sql($dialect, query.metric))
                        .bind(&query.game)
                        .bind(query.period.name())
                        .bind(bucket)
                        .bind(chat)
                        .bind(i64::from(query.limit))
                        .fetch_all(&self.pool)
                        .await?;
                    let mut entries: Vec<_> = rows.iter().map(|row| entry(row, 0)).collect();
                    board::rank_lines(&mut entries);
                    let mut around = None;
                    if let Some(player) = &query.around {
                        let row = sqlx::query(&board::own_sql($dialect, query.metric))
                            .bind(&query.game)
                            .bind(query.period.name())
                            .bind(bucket)
                            .bind(chat)
                            .bind(player)
                            .fetch_optional(&self.pool)
                            .await?;
                        around = row.map(|row| $crate::ledger::BoardEntry {
                            rank: row.get(0),
                            ..entry(&row, 1)
                        });
                    }
                    Ok($crate::ledger::Board { entries, around })
                })
            }

            fn record<'a>(
                &'a self,
                record: &'a $crate::ledger::MatchRecord,
            ) -> $crate::ledger::BoxFuture<'a, Result<(), $crate::ledger::LedgerError>> {
                Box::pin(async move {
                    let signed = self.key.sign(record);
                    let mut tx = self.pool.begin_with($sql.begin_write).await?;
                    sqlx::query($sql.insert_match)
                        .bind(&record.id)
                        .bind(&record.game)
                        .bind(&record.room)
                        .bind(&record.chat)
                        .bind(record.started_at)
                        .bind(record.ended_at)
                        .bind(record.aborted)
                        .bind(&signed.record)
                        .bind(&signed.signature)
                        .bind(&signed.key)
                        .execute(&mut *tx)
                        .await?;
                    if let Some(recording) = &record.recording {
                        sqlx::query($sql.insert_recording)
                            .bind(&record.id)
                            .bind(&recording[..])
                            .execute(&mut *tx)
                            .await?;
                    }
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
                    if !record.aborted {
                        use $crate::ledger::Period;
                        let add_line = $crate::ledger::board::add_line_sql($dialect);
                        let chats = std::iter::once("").chain(record.chat.as_deref());
                        for chat in chats {
                            for period in [Period::All, Period::Day, Period::Week] {
                                for line in &record.ranking {
                                    sqlx::query(&add_line)
                                        .bind(&record.game)
                                        .bind(period.name())
                                        .bind(period.bucket(record.ended_at))
                                        .bind(chat)
                                        .bind(&line.player)
                                        .bind(&line.name)
                                        .bind(line.score)
                                        .bind(i64::from(line.rank == 1))
                                        .execute(&mut *tx)
                                        .await?;
                                }
                            }
                        }
                    }
                    if let Some(rules) = &record.rewards {
                        let currency = rules.currency();
                        let day = $crate::ledger::Period::Day.since(record.ended_at);
                        for (player, amount) in record.claims() {
                            let mut amount = amount as i64;
                            if let Some(cap) = rules.daily_cap {
                                sqlx::query($sql.lock_claims).bind(player).execute(&mut *tx).await?;
                                let claimed: i64 = sqlx::query_scalar($sql.claimed_since)
                                    .bind(player)
                                    .bind(&currency)
                                    .bind(day)
                                    .fetch_one(&mut *tx)
                                    .await?;
                                amount = amount.min(cap as i64 - claimed);
                            }
                            if amount > 0 {
                                sqlx::query($sql.insert_claim)
                                    .bind(&record.id)
                                    .bind(player)
                                    .bind(&currency)
                                    .bind(amount)
                                    .bind(record.ended_at)
                                    .execute(&mut *tx)
                                    .await?;
                            }
                        }
                    }
                    tx.commit().await?;
                    Ok(())
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

            fn signed_match<'a>(
                &'a self,
                id: &'a str,
            ) -> $crate::ledger::BoxFuture<'a, Result<Option<$crate::ledger::SignedRecord>, $crate::ledger::LedgerError>>
            {
                Box::pin(async move {
                    use sqlx::Row;
                    let row = sqlx::query($sql.signed_match)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                    Ok(row.map(|row| $crate::ledger::SignedRecord {
                        record: row.get(0),
                        signature: row.get(1),
                        key: row.get(2),
                    }))
                })
            }

            fn recording<'a>(
                &'a self,
                id: &'a str,
            ) -> $crate::ledger::BoxFuture<'a, Result<Option<Vec<u8>>, $crate::ledger::LedgerError>> {
                Box::pin(async move {
                    Ok(sqlx::query_scalar($sql.recording)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?)
                })
            }

            fn player_matches<'a>(
                &'a self,
                player: &'a str,
                before: Option<&'a str>,
                limit: u32,
            ) -> $crate::ledger::BoxFuture<'a, Result<Vec<$crate::ledger::PlayerMatch>, $crate::ledger::LedgerError>>
            {
                Box::pin(async move {
                    use sqlx::Row;
                    let rows = sqlx::query($sql.player_matches)
                        .bind(player)
                        .bind(before)
                        .bind(i64::from(limit))
                        .fetch_all(&self.pool)
                        .await?;
                    Ok(rows
                        .iter()
                        .map(|row| $crate::ledger::PlayerMatch {
                            id: row.get(0),
                            game: row.get(1),
                            room: row.get(2),
                            chat: row.get(3),
                            started_at: row.get(4),
                            ended_at: row.get(5),
                            aborted: row.get(6),
                            rank: row.get(7),
                            score: row.get(8),
                            players: row.get(9),
                        })
                        .collect())
                })
            }

            fn claims<'a>(
                &'a self,
                player: &'a str,
                limit: u32,
            ) -> $crate::ledger::BoxFuture<'a, Result<Vec<$crate::ledger::Claim>, $crate::ledger::LedgerError>> {
                Box::pin(async move {
                    use sqlx::Row;
                    let rows = sqlx::query($sql.player_claims)
                        .bind(player)
                        .bind(i64::from(limit))
                        .fetch_all(&self.pool)
                        .await?;
                    Ok(rows
                        .iter()
                        .map(|row| $crate::ledger::Claim {
                            match_id: row.get(0),
                            player: row.get(1),
                            currency: row.get(2),
                            amount: row.get(3),
                            created_at: row.get(4),
                            status: row.get(5),
                            id: row.get(6),
                        })
                        .collect())
                })
            }

            fn link_wallet<'a>(
                &'a self,
                link: &'a $crate::ledger::WalletLink,
            ) -> $crate::ledger::BoxFuture<'a, Result<$crate::ledger::LinkOutcome, $crate::ledger::LedgerError>> {
                Box::pin(async move {
                    use $crate::ledger::LinkOutcome;
                    let mut tx = self.pool.begin_with($sql.begin_write).await?;
                    // Used payloads past their expiry go on the way: a
                    // proof over one is refused as expired before this.
                    sqlx::query($sql.delete_expired_payloads)
                        .bind(link.now_ms / 1000)
                        .execute(&mut *tx)
                        .await?;
                    let fresh = sqlx::query($sql.insert_payload)
                        .bind(&link.nonce)
                        .bind(link.nonce_expires)
                        .execute(&mut *tx)
                        .await?;
                    if fresh.rows_affected() == 0 {
                        return Ok(LinkOutcome::PayloadUsed);
                    }
                    let owner: Option<String> = sqlx::query_scalar($sql.wallet_owner)
                        .bind(&link.network)
                        .bind(&link.address)
                        .fetch_optional(&mut *tx)
                        .await?;
                    match owner {
                        Some(owner) if owner == link.player => {
                            tx.commit().await?;
                            return Ok(LinkOutcome::Unchanged);
                        }
                        Some(_) => return Ok(LinkOutcome::TakenByOther),
                        None => {}
                    }
                    let current: Option<String> = sqlx::query_scalar($sql.player_wallet)
                        .bind(&link.player)
                        .bind(&link.network)
                        .fetch_optional(&mut *tx)
                        .await?;
                    if let Some(address) = current {
                        if !link.replace {
                            return Ok(LinkOutcome::AlreadyLinked { address });
                        }
                        sqlx::query($sql.delete_wallet)
                            .bind(&link.player)
                            .bind(&link.network)
                            .execute(&mut *tx)
                            .await?;
                    }
                    let inserted = sqlx::query($sql.insert_wallet)
                        .bind(&link.player)
                        .bind(&link.network)
                        .bind(&link.address)
                        .bind(&link.public_key)
                        .bind(&link.contract)
                        .bind(link.now_ms)
                        .execute(&mut *tx)
                        .await;
                    match inserted {
                        Ok(_) => {}
                        // Another player linked this wallet since the owner
                        // was read.
                        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                            return Ok(LinkOutcome::TakenByOther)
                        }
                        Err(e) => return Err(e.into()),
                    }
                    tx.commit().await?;
                    Ok(LinkOutcome::Linked)
                })
            }

            fn voucher<'a>(
                &'a self,
                request: &'a $crate::ledger::VoucherRequest,
            ) -> $crate::ledger::BoxFuture<'a, Result<$crate::ledger::VoucherOutcome, $crate::ledger::LedgerError>> {
                Box::pin(async move {
                    use sqlx::Row;
                    use $crate::ledger::VoucherOutcome;
                    let mut tx = self.pool.begin_with($sql.begin_write).await?;
                    // Marked first: the claim's row is then held (PostgreSQL's
                    // row lock, SQLite's writer lock) until the end.
                    let marked = sqlx::query($sql.mark_vouchered)
                        .bind(request.claim)
                        .bind(&request.player)
                        .execute(&mut *tx)
                        .await?;
                    let claim = sqlx::query($sql.claim_by_id)
                        .bind(request.claim)
                        .fetch_optional(&mut *tx)
                        .await?;
                    let Some(claim) = claim else {
                        return Ok(VoucherOutcome::NoSuchClaim);
                    };
                    let (owner, currency, amount, status): (String, String, i64, String) =
                        (claim.get(0), claim.get(1), claim.get(2), claim.get(3));
                    if owner != request.player {
                        return Ok(VoucherOutcome::NotYours);
                    }
                    if marked.rows_affected() == 0 {
                        return Ok(VoucherOutcome::Settled { status });
                    }
                    let wallet: Option<String> = sqlx::query_scalar($sql.player_wallet)
                        .bind(&request.player)
                        .bind(&request.network)
                        .fetch_optional(&mut *tx)
                        .await?;
                    let Some(recipient) = wallet else {
                        return Ok(VoucherOutcome::NoWallet);
                    };
                    let cell = $crate::ton::VoucherCell {
                        claim_id: request.claim as u64,
                        recipient,
                        amount: amount as u64,
                        expires_at: request.expires_at,
                    };
                    let (boc, hash) = cell.boc_and_hash()?;
                    let voucher = $crate::ledger::Voucher {
                        claim: request.claim,
                        recipient: cell.recipient,
                        amount,
                        currency,
                        expires_at: request.expires_at,
                        boc,
                        hash: hex::encode(hash),
                        signature: self.key.sign_bytes(&hash),
                        key: self.key.id().to_owned(),
                        public_key: self.key.public_hex(),
                    };
                    tx.commit().await?;
                    Ok(VoucherOutcome::Issued(voucher))
                })
            }

            fn payable<'a>(
                &'a self,
                network: &'a str,
                limit: u32,
            ) -> $crate::ledger::BoxFuture<'a, Result<Vec<$crate::ledger::Payment>, $crate::ledger::LedgerError>> {
                Box::pin(async move {
                    let rows = sqlx::query($sql.payable)
                        .bind(network)
                        .bind(i64::from(limit))
                        .fetch_all(&self.pool)
                        .await?;
                    Ok(Self::payments_of(&rows))
                })
            }

            fn open_batch<'a>(
                &'a self,
                request: &'a $crate::ledger::BatchRequest,
            ) -> $crate::ledger::BoxFuture<'a, Result<$crate::ledger::BatchOutcome, $crate::ledger::LedgerError>> {
                Box::pin(async move {
                    use $crate::ledger::{Batch, BatchOutcome};
                    let mut tx = self.pool.begin_with($sql.begin_write).await?;
                    if let Some(row) = sqlx::query($sql.unsettled_batch).fetch_optional(&mut *tx).await? {
                        let mut batch = Self::batch_of(&row);
                        let members = sqlx::query($sql.batch_members).bind(batch.id).fetch_all(&mut *tx).await?;
                        batch.payments = Self::payments_of(&members);
                        let same = batch.network == request.network
                            && batch.wallet == request.wallet
                            && batch.seqno == request.seqno;
                        return Ok(if same {
                            BatchOutcome::Existing(batch)
                        } else {
                            BatchOutcome::Unsettled(batch)
                        });
                    }
                    let rows = sqlx::query($sql.payable)
                        .bind(&request.network)
                        .bind(i64::from(request.max))
                        .fetch_all(&mut *tx)
                        .await?;
                    let payments = Self::payments_of(&rows);
                    if payments.is_empty() {
                        return Ok(BatchOutcome::Empty);
                    }
                    let total: i64 = payments.iter().map(|p| p.amount).sum();
                    let id: i64 = sqlx::query_scalar($sql.insert_batch)
                        .bind(&request.network)
                        .bind(&request.wallet)
                        .bind(request.seqno)
                        .bind(request.valid_until)
                        .bind(total)
                        .bind(payments.len() as i64)
                        .bind(request.now_ms)
                        .fetch_one(&mut *tx)
                        .await?;
                    for payment in &payments {
                        sqlx::query($sql.insert_batch_claim)
                            .bind(id)
                            .bind(payment.claim)
                            .bind(&payment.wallet)
                            .bind(payment.amount)
                            .execute(&mut *tx)
                            .await?;
                    }
                    let moved = sqlx::query($sql.set_batch_claims)
                        .bind(id)
                        .bind("batched")
                        .bind("open")
                        .execute(&mut *tx)
                        .await?;
                    if moved.rows_affected() != payments.len() as u64 {
                        // A voucher took one of them meanwhile.
                        return Err($crate::ledger::LedgerError::BatchRace);
                    }
                    tx.commit().await?;
                    Ok(BatchOutcome::New(Batch {
                        id,
                        network: request.network.clone(),
                        wallet: request.wallet.clone(),
                        seqno: request.seqno,
                        valid_until: request.valid_until,
                        total,
                        status: "signed".into(),
                        payments,
                    }))
                })
            }

            fn settle_batch(
                &self,
                id: i64,
                paid: bool,
            ) -> $crate::ledger::BoxFuture<'_, Result<$crate::ledger::SettleOutcome, $crate::ledger::LedgerError>> {
                Box::pin(async move {
                    use sqlx::Row;
                    use $crate::ledger::SettleOutcome;
                    let mut tx = self.pool.begin_with($sql.begin_write).await?;
                    let (status, claims_to) = if paid { ("paid", "paid") } else { ("failed", "open") };
                    let settled = sqlx::query($sql.settle_batch).bind(id).bind(status).execute(&mut *tx).await?;
                    let Some(row) = sqlx::query($sql.batch_by_id).bind(id).fetch_optional(&mut *tx).await? else {
                        return Ok(SettleOutcome::NoSuchBatch);
                    };
                    if settled.rows_affected() == 0 {
                        return Ok(SettleOutcome::AlreadySettled { status: row.get(6) });
                    }
                    sqlx::query($sql.set_batch_claims)
                        .bind(id)
                        .bind(claims_to)
                        .bind("batched")
                        .execute(&mut *tx)
                        .await?;
                    let members = sqlx::query($sql.batch_members).bind(id).fetch_all(&mut *tx).await?;
                    let mut batch = Self::batch_of(&row);
                    batch.payments = Self::payments_of(&members);
                    tx.commit().await?;
                    Ok(SettleOutcome::Settled(batch))
                })
            }

            fn wallets<'a>(
                &'a self,
                player: &'a str,
            ) -> $crate::ledger::BoxFuture<'a, Result<Vec<$crate::ledger::LinkedWallet>, $crate::ledger::LedgerError>>
            {
                Box::pin(async move {
                    use sqlx::Row;
                    let rows = sqlx::query($sql.player_wallets).bind(player).fetch_all(&self.pool).await?;
                    Ok(rows
                        .iter()
                        .map(|row| $crate::ledger::LinkedWallet {
                            network: row.get(0),
                            address: row.get(1),
                            public_key: row.get(2),
                            contract: row.get(3),
                            linked_at: row.get(4),
                        })
                        .collect())
                })
            }

            fn audit(
                &self,
            ) -> $crate::ledger::BoxFuture<'_, Result<$crate::ledger::AuditReport, $crate::ledger::LedgerError>> {
                Box::pin(async move {
                    use futures_util::TryStreamExt;
                    use sqlx::Row;
                    let mut report = $crate::ledger::AuditReport::default();
                    let keys = self.result_keys().await?;
                    let keys = $crate::ledger::audit::verifying_keys(&keys, &mut report);
                    // Both streams are ordered by match id: walk them side by side.
                    let mut matches = sqlx::query($sql.all_matches).fetch(&self.pool);
                    let mut players = sqlx::query($sql.all_players).fetch(&self.pool);
                    let mut next_player = players.try_next().await?;
                    while let Some(row) = matches.try_next().await? {
                        let id: String = row.get(0);
                        let mut ranking = Vec::new();
                        while let Some(player) = &next_player {
                            let of: String = player.get(0);
                            if of < id {
                                report.problems.push(format!("players of match {of}, which is not recorded"));
                            } else if of == id {
                                ranking.push($crate::protocol::RankLine {
                                    player: player.get(1),
                                    name: player.get(2),
                                    rank: player.get::<i64, _>(3) as u32,
                                    score: player.get(4),
                                });
                            } else {
                                break;
                            }
                            next_player = players.try_next().await?;
                        }
                        let record: Option<String> = row.get(6);
                        let signature: Option<String> = row.get(7);
                        let key: Option<String> = row.get(8);
                        let stored = $crate::ledger::StoredMatch {
                            row: $crate::ledger::MatchRecord {
                                id,
                                game: row.get(1),
                                room: row.get(2),
                                chat: row.get(9),
                                started_at: row.get(3),
                                ended_at: row.get(4),
                                aborted: row.get(5),
                                ranking,
                                // Not a column: the audit reads it nowhere.
                                seed: None,
                                recording: row.get::<Option<Vec<u8>>, _>(10).map(Into::into),
                                rewards: None,
                            },
                            signed: record.zip(signature).zip(key).map(|((r, s), k)| (r, s, k)),
                        };
                        report.check(&stored, &keys);
                    }
                    while let Some(player) = next_player {
                        let of: String = player.get(0);
                        report.problems.push(format!("players of match {of}, which is not recorded"));
                        next_player = players.try_next().await?;
                    }
                    drop((matches, players));
                    let unfounded = sqlx::query($sql.unfounded_claims).fetch_all(&self.pool).await?;
                    for claim in unfounded {
                        let (of, player): (String, String) = (claim.get(0), claim.get(1));
                        report.problems.push(format!(
                            "the claim of {player} on match {of}: the match does not grant it \
                             (not ranked in it, aborted, or not a positive amount)"
                        ));
                    }
                    for row in sqlx::query($sql.unbalanced_batches).fetch_all(&self.pool).await? {
                        let batch: i64 = row.get(0);
                        report.problems.push(format!(
                            "payout batch {batch}: its total or count is not the sum of its claims"
                        ));
                    }
                    for row in sqlx::query($sql.foreign_key_check).fetch_all(&self.pool).await? {
                        let (table, id, parent): (String, Option<String>, String) =
                            (row.get(0), row.get(1), row.get(2));
                        report.problems.push(format!(
                            "{table} row {}: its {parent} row is missing",
                            id.unwrap_or_default()
                        ));
                    }
                    for row in sqlx::query($sql.board_drift).fetch_all(&self.pool).await? {
                        let (game, player): (String, String) = (row.get(0), row.get(1));
                        report.problems.push(format!(
                            "the {game} board's line of {player} is not what their recorded matches add up to"
                        ));
                    }
                    for row in sqlx::query($sql.paid_twice).fetch_all(&self.pool).await? {
                        let claim: i64 = row.get(0);
                        report.problems.push(format!("claim {claim} is in more than one signed or paid batch"));
                    }
                    for row in sqlx::query($sql.batch_mismatches).fetch_all(&self.pool).await? {
                        let claim: i64 = row.get(0);
                        report.problems.push(format!(
                            "claim {claim}: its row and its payout batch disagree (amount, currency or status)"
                        ));
                    }
                    Ok(report)
                })
            }

            fn result_keys(
                &self,
            ) -> $crate::ledger::BoxFuture<'_, Result<Vec<$crate::ledger::PublicKey>, $crate::ledger::LedgerError>> {
                Box::pin(async move {
                    use sqlx::Row;
                    let rows = sqlx::query($sql.result_keys).fetch_all(&self.pool).await?;
                    Ok(rows
                        .into_iter()
                        .map(|row| $crate::ledger::PublicKey {
                            id: row.get(0),
                            algorithm: "ed25519".into(),
                            public_key: row.get(1),
                        })
                        .collect())
                })
            }
        }
    };
}

pub(super) use sql_ledger;
