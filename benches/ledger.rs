//! Recording matches: one 8-player match per iteration committed to the
//! ledger, on SQLite (a file in a temporary directory, WAL) and on
//! PostgreSQL (a schema of its own on `PARLOR_TEST_DATABASE_URL`, else the
//! local server; skipped with a note when there is none), beside the cost
//! of signing the same record alone, which every record pays.
//!
//! `cargo bench --bench ledger`

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use parlor::ledger::{self, Ledger, MatchRecord, ResultKey};
use parlor::protocol::RankLine;
use sqlx::Connection;

fn a_match(id: u64) -> MatchRecord {
    MatchRecord {
        id: format!("bench-{id:016x}"),
        game: "arena".into(),
        room: "BENCH1".into(),
        chat: None,
        started_at: 1_764_547_200_000,
        ended_at: 1_764_547_260_000,
        ranking: (0..8)
            .map(|seat| RankLine {
                player: format!("tg:{}", 100_000 + seat),
                name: format!("Player {seat}"),
                rank: seat + 1,
                score: 1_000 - i64::from(seat) * 100,
            })
            .collect(),
        aborted: false,
        seed: None,
        recording: None,
        rewards: None,
    }
}

/// Records a fresh match per iteration.
fn bench_records(c: &mut Criterion, name: &str, rt: &tokio::runtime::Runtime, ledger: &dyn Ledger) {
    let mut next = 0u64;
    c.benchmark_group("ledger")
        .measurement_time(Duration::from_secs(5))
        .bench_function(name, |b| {
            b.iter(|| {
                next += 1;
                rt.block_on(ledger.record(&a_match(next))).unwrap()
            })
        });
}

fn recording(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let key = ResultKey::from_seed([3; 32]);
    let record = a_match(0);
    c.benchmark_group("ledger")
        .bench_function("sign_only", |b| b.iter(|| key.sign(std::hint::black_box(&record))));

    let dir = tempfile::tempdir().unwrap();
    let sqlite = rt
        .block_on(ledger::open(None, dir.path(), ResultKey::from_seed([3; 32])))
        .unwrap();
    bench_records(c, "record_sqlite", &rt, sqlite.as_ref());

    let base =
        std::env::var("PARLOR_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = format!("parlor_bench_{}", std::process::id());
    let created = rt.block_on(async {
        let mut connection = sqlx::PgConnection::connect(&base).await?;
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut connection)
            .await
    });
    if let Err(e) = created {
        eprintln!("record_postgres skipped: no PostgreSQL at {base}: {e}");
        return;
    }
    let separator = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{separator}options[search_path]={schema}");
    let postgres = rt
        .block_on(ledger::open(Some(&url), dir.path(), ResultKey::from_seed([3; 32])))
        .unwrap();
    bench_records(c, "record_postgres", &rt, postgres.as_ref());
    drop(postgres);
    rt.block_on(async {
        let mut connection = sqlx::PgConnection::connect(&base).await.unwrap();
        sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
            .execute(&mut connection)
            .await
            .unwrap();
    });
}

criterion_group!(benches, recording);
criterion_main!(benches);
