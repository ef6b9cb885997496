//! Leaderboard latency at scale: `--matches N` (default 1,000,000) 8-player
//! arena matches among `--players P` (default 100,000) loaded straight
//! into each backend with one SQL statement per table, the boards filled
//! in from them by the `board_scores` migration's own statements (as an
//! upgraded ledger is), then each kind of board read through the ledger,
//! timed, beside a full scan of the players table (`SELECT COUNT(*)`) in
//! the same run as the baseline.
//!
//! `cargo bench --bench leaderboard_scale [-- --matches 100000] [--only sqlite|postgres]`
//! (PostgreSQL from `PARLOR_TEST_DATABASE_URL`, else the local server;
//! skipped with a note when there is none.)

mod support;

use std::time::{Duration, Instant};

use parlor::ledger::{self, BoardQuery, Ledger, Metric, Period, ResultKey};
use sqlx::Connection;

/// 2026-12-02 12:00 UTC; matches end over the 30 days before it.
const NOW: i64 = 1_796_212_800_000;
const SPAN_MS: i64 = 30 * 86_400_000;
/// Timed reads of each board.
const RUNS: usize = 5;

fn main() {
    let matches: i64 = support::flag_value("--matches").map_or(1_000_000, |v| v.parse().expect("--matches N"));
    let players: i64 = support::flag_value("--players").map_or(100_000, |v| v.parse().expect("--players P"));
    let only = support::flag_value("--only");
    let runs = |backend: &str| only.as_deref().is_none_or(|only| only == backend);
    let rt = tokio::runtime::Runtime::new().unwrap();
    println!("| backend | board | median ms | / full scan |");
    println!("|---|---|---:|---:|");
    let dir = tempfile::tempdir().unwrap();
    rt.block_on(async {
        if !runs("sqlite") {
            return;
        }
        let ledger = ledger::open(None, dir.path(), ResultKey::from_seed([5; 32]))
            .await
            .unwrap();
        let url = format!("sqlite://{}", dir.path().join("parlor.db").display());
        let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
        let loading = Instant::now();
        for statement in sqlite_load(matches, players) {
            sqlx::query(&statement).execute(&mut db).await.unwrap();
        }
        eprintln!("sqlite: {matches} matches loaded in {:.1?}", loading.elapsed());
        let mut scans = Vec::new();
        for _ in 0..RUNS {
            let started = Instant::now();
            sqlx::query("SELECT COUNT(*) FROM match_players")
                .execute(&mut db)
                .await
                .unwrap();
            scans.push(started.elapsed());
        }
        let scan = median(scans);
        report("sqlite", ledger.as_ref(), scan).await;
    });

    let base =
        std::env::var("PARLOR_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = format!("parlor_scale_{}", std::process::id());
    rt.block_on(async {
        if !runs("postgres") {
            return;
        }
        let Ok(mut admin) = sqlx::PgConnection::connect(&base).await else {
            eprintln!("postgres skipped: no PostgreSQL at {base}");
            return;
        };
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut admin)
            .await
            .unwrap();
        let separator = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{separator}options[search_path]={schema}");
        let ledger = ledger::open(Some(&url), dir.path(), ResultKey::from_seed([5; 32]))
            .await
            .unwrap();
        let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
        let loading = Instant::now();
        for statement in postgres_load(matches, players) {
            sqlx::query(&statement).execute(&mut db).await.unwrap();
        }
        eprintln!("postgres: {matches} matches loaded in {:.1?}", loading.elapsed());
        let mut scans = Vec::new();
        for _ in 0..RUNS {
            let started = Instant::now();
            sqlx::query("SELECT COUNT(*) FROM match_players")
                .execute(&mut db)
                .await
                .unwrap();
            scans.push(started.elapsed());
        }
        let scan = median(scans);
        report("postgres", ledger.as_ref(), scan).await;
        drop(ledger);
        sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
            .execute(&mut admin)
            .await
            .unwrap();
    });
}

/// Match `i` (1..=n): id, chat (one match in ten is in one of 100 chats),
/// end time; seat `s` (0..8): player, rank, score.
fn sqlite_load(n: i64, players: i64) -> Vec<String> {
    let mut load = vec![
        format!(
            "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < {n}) \
             INSERT INTO matches (id, game, room, chat, started_at, ended_at, aborted) \
             SELECT printf('m%09d', i), 'arena', 'SCALE1', CASE WHEN i % 10 = 0 THEN 'chat' || (i % 100) END, \
                    {NOW} - {SPAN_MS} * i / {n} - 60000, {NOW} - {SPAN_MS} * i / {n}, 0 FROM k"
        ),
        format!(
            "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < {n}), \
             s(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM s WHERE j < 7) \
             INSERT INTO match_players (match_id, player_id, name, rank, score) \
             SELECT printf('m%09d', i), 'tg:' || ((i * 7919 + j * 104729) % {players}), 'Player', j + 1, \
                    (i * 31 + j * 17) % 1000 FROM k, s"
        ),
    ];
    load.extend(board_fill(include_str!(
        "../src/ledger/migrations/sqlite/0009_board_scores.sql"
    )));
    load
}

/// The INSERT statements of a migration: its backfill of earlier rows.
fn board_fill(migration: &str) -> Vec<String> {
    let without_comments: String = migration
        .lines()
        .filter(|line| !line.trim_start().starts_with("--"))
        .map(|line| format!("{line}\n"))
        .collect();
    without_comments
        .split(';')
        .map(str::trim)
        .filter(|statement| statement.starts_with("INSERT"))
        .map(str::to_owned)
        .collect()
}

fn postgres_load(n: i64, players: i64) -> Vec<String> {
    let mut load = vec![
        format!(
            "INSERT INTO matches (id, game, room, chat, started_at, ended_at, aborted) \
             SELECT 'm' || lpad(i::text, 9, '0'), 'arena', 'SCALE1', \
                    CASE WHEN i % 10 = 0 THEN 'chat' || (i % 100) END, \
                    {NOW} - {SPAN_MS} * i / {n} - 60000, {NOW} - {SPAN_MS} * i / {n}, false \
             FROM generate_series(1::bigint, {n}) AS i"
        ),
        format!(
            "INSERT INTO match_players (match_id, player_id, name, rank, score) \
             SELECT 'm' || lpad(i::text, 9, '0'), 'tg:' || ((i * 7919 + j * 104729) % {players}), 'Player', j + 1, \
                    (i * 31 + j * 17) % 1000 \
             FROM generate_series(1::bigint, {n}) AS i, generate_series(0, 7) AS j"
        ),
    ];
    load.extend(board_fill(include_str!(
        "../src/ledger/migrations/postgres/0007_board_scores.sql"
    )));
    load.push("ANALYZE".into());
    load
}

/// The median of some runs' times.
fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

async fn report(backend: &str, ledger: &dyn Ledger, scan: Duration) {
    let query = |metric, period, chat: Option<&str>, around: Option<&str>| BoardQuery {
        game: "arena".into(),
        chat: chat.map(str::to_owned),
        period,
        metric,
        limit: 100,
        around: around.map(str::to_owned),
        now_ms: NOW,
    };
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "| {backend} | baseline: SELECT COUNT(*) FROM match_players | {:.1} | 1.00 |",
        ms(scan)
    );
    let boards = [
        (
            "best, all time, everyone, top 100",
            query(Metric::Best, Period::All, None, None),
        ),
        (
            "wins, this week, everyone, top 100",
            query(Metric::Wins, Period::Week, None, None),
        ),
        (
            "total, today, everyone, top 100",
            query(Metric::Total, Period::Day, None, None),
        ),
        (
            "best, all time, one chat, top 100",
            query(Metric::Best, Period::All, Some("chat10"), None),
        ),
        (
            "best, all time, everyone, top 100 + around",
            query(Metric::Best, Period::All, None, Some("tg:4242")),
        ),
    ];
    for (name, board) in boards {
        let mut runs = Vec::new();
        for _ in 0..RUNS {
            let started = Instant::now();
            let read = ledger.board(&board).await.unwrap();
            runs.push(started.elapsed());
            assert!(!read.entries.is_empty(), "{name}: the board has lines");
        }
        let took = median(runs);
        println!("| {backend} | {name} | {:.1} | {:.2} |", ms(took), ms(took) / ms(scan));
    }
}
