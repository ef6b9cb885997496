//! The ledger's behaviour, the same tests on both backends: a SQLite file
//! in a temporary directory, and PostgreSQL in a schema of the test's own
//! (`PARLOR_TEST_DATABASE_URL`). Then a whole server on each, chosen by
//! `--database` as an operator chooses it.

mod common;

use std::sync::Arc;

use common::postgres::Schema;
use common::{get_json, TestServer};
use parlor::config::Secret;
use parlor::ledger::{
    self, BatchOutcome, BatchRequest, Board, BoardEntry, BoardQuery, Ledger, LinkOutcome, MatchRecord, Metric, Period,
    ResultKey, SettleOutcome, VoucherOutcome, VoucherRequest, WalletLink,
};
use parlor::manifest::Manifest;
use parlor::protocol::RankLine;
use serde_json::json;

/// The key the ledgers under test sign with.
fn key() -> ResultKey {
    ResultKey::from_seed([9; 32])
}

/// A ledger under test, and what to clean up after it.
enum Backend {
    Sqlite(tempfile::TempDir),
    Postgres(Schema),
}

impl Backend {
    async fn sqlite() -> (Arc<dyn Ledger>, Backend) {
        let dir = tempfile::tempdir().unwrap();
        let ledger = ledger::open(None, dir.path(), key()).await.unwrap();
        (ledger, Backend::Sqlite(dir))
    }

    async fn postgres() -> (Arc<dyn Ledger>, Backend) {
        let schema = Schema::new().await;
        let ledger = ledger::open(Some(&schema.url), std::path::Path::new("unused"), key())
            .await
            .unwrap();
        (ledger, Backend::Postgres(schema))
    }

    /// Runs `sql` on the ledger's database from a connection of its own,
    /// as someone editing it behind the server's back would.
    async fn execute(&self, sql: &str) {
        use sqlx::Connection;
        match self {
            Backend::Sqlite(dir) => {
                let url = format!("sqlite://{}", dir.path().join("parlor.db").display());
                let mut connection = sqlx::SqliteConnection::connect(&url).await.unwrap();
                sqlx::query(sql).execute(&mut connection).await.unwrap();
            }
            Backend::Postgres(schema) => {
                let mut connection = sqlx::PgConnection::connect(&schema.url).await.unwrap();
                sqlx::query(sql).execute(&mut connection).await.unwrap();
            }
        }
    }

    async fn clean_up(self) {
        match self {
            Backend::Sqlite(_dir) => {}
            Backend::Postgres(schema) => schema.drop().await,
        }
    }
}

/// Each test as a function of the ledger, run once per backend.
macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $test() {
                    let (ledger, backend) = super::Backend::sqlite().await;
                    super::$test(ledger, &backend).await;
                    backend.clean_up().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $test() {
                    let (ledger, backend) = super::Backend::postgres().await;
                    super::$test(ledger, &backend).await;
                    backend.clean_up().await;
                }
            )*
        }
    };
}

on_both_backends!(
    the_leaderboard_ranks_each_players_best_and_skips_aborted_matches,
    a_match_that_cannot_be_written_whole_writes_nothing,
    a_session_token_moves_on_once_and_expired_sessions_are_cleared,
    the_check_finds_rows_changed_after_signing,
    boards_rank_by_metric_period_and_chat_with_shared_ranks,
    a_players_history_pages_newest_first,
    rewards_pay_by_rank_within_the_rules_and_the_daily_cap,
    wallets_link_once_per_payload_one_per_player_and_network,
    claims_are_numbered_and_a_voucher_marks_its_claim,
    payout_batches_take_open_claims_once_and_settle_once,
    a_recording_is_stored_with_its_match_and_named_by_the_signed_record,
);

fn line(player: &str, rank: u32, score: i64) -> RankLine {
    RankLine {
        player: format!("guest:{player}"),
        name: player.into(),
        rank,
        score,
    }
}

/// The all-time board of `game` by best score, for everyone.
async fn best_of(ledger: &Arc<dyn Ledger>, game: &str, limit: u32) -> Vec<BoardEntry> {
    let query = BoardQuery {
        game: game.into(),
        chat: None,
        period: Period::All,
        metric: Metric::Best,
        limit,
        around: None,
        now_ms: NOW,
    };
    ledger.board(&query).await.unwrap().entries
}

fn record(id: &str, ranking: Vec<RankLine>) -> MatchRecord {
    MatchRecord {
        id: id.into(),
        game: "arena".into(),
        room: "ROOM22".into(),
        chat: None,
        started_at: 1_000,
        ended_at: 61_000,
        ranking,
        aborted: false,
        seed: None,
        recording: None,
        rewards: None,
    }
}

async fn the_leaderboard_ranks_each_players_best_and_skips_aborted_matches(ledger: Arc<dyn Ledger>, _: &Backend) {
    ledger
        .record(&record("m1", vec![line("ann", 1, 30), line("ben", 2, 10)]))
        .await
        .unwrap();
    ledger
        .record(&record("m2", vec![line("ben", 1, 50), line("cy", 2, 30)]))
        .await
        .unwrap();
    let mut aborted = record("m3", vec![line("cy", 1, 900)]);
    aborted.aborted = true;
    ledger.record(&aborted).await.unwrap();
    let mut other_game = record("m4", vec![line("dee", 1, 700)]);
    other_game.game = "trivia".into();
    ledger.record(&other_game).await.unwrap();

    let board = best_of(&ledger, "arena", 10).await;
    let rows: Vec<(&str, i64, i64)> = board.iter().map(|e| (e.name.as_str(), e.best, e.matches)).collect();
    // Ties on the best score are ordered by player id; the aborted match
    // counts for nothing.
    assert_eq!(rows, [("ben", 50, 2), ("ann", 30, 1), ("cy", 30, 1)]);
    assert_eq!(best_of(&ledger, "arena", 1).await.len(), 1);
    assert!(best_of(&ledger, "tictactoe", 10).await.is_empty());
}

async fn a_match_that_cannot_be_written_whole_writes_nothing(ledger: Arc<dyn Ledger>, _: &Backend) {
    ledger.record(&record("m1", vec![line("ann", 1, 30)])).await.unwrap();
    // The same match id again, with a player the first did not have.
    let again = ledger.record(&record("m1", vec![line("ben", 1, 99)])).await;
    assert!(again.is_err(), "a match id is recorded once");
    // A player twice in one ranking: the match row goes with the failure.
    let twice = ledger
        .record(&record("m2", vec![line("cy", 1, 80), line("cy", 2, 10)]))
        .await;
    assert!(twice.is_err());
    let board = best_of(&ledger, "arena", 10).await;
    let rows: Vec<(&str, i64)> = board.iter().map(|e| (e.name.as_str(), e.best)).collect();
    assert_eq!(rows, [("ann", 30)], "nothing of either failed write is there");
    // The id of the failed match is still free.
    ledger.record(&record("m2", vec![line("cy", 1, 80)])).await.unwrap();
}

async fn a_recording_is_stored_with_its_match_and_named_by_the_signed_record(
    ledger: Arc<dyn Ledger>,
    backend: &Backend,
) {
    // Not MessagePack of a recording: the ledger stores bytes as given.
    let bytes = bytes::Bytes::from_static(b"\x00\x01recorded\xff");
    let mut m = record("m1", vec![line("ann", 1, 3)]);
    m.seed = Some("00".repeat(32));
    m.recording = Some(bytes.clone());
    ledger.record(&m).await.unwrap();
    ledger.record(&record("m2", vec![line("ann", 1, 3)])).await.unwrap();
    assert_eq!(ledger.recording("m1").await.unwrap().as_deref(), Some(&bytes[..]));
    assert_eq!(ledger.recording("m2").await.unwrap(), None);
    let signed = ledger.signed_match("m1").await.unwrap().unwrap();
    let fields: serde_json::Value = serde_json::from_str(&signed.record).unwrap();
    let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
    assert_eq!(fields["recording"], digest.as_str());
    let unrecorded = ledger.signed_match("m2").await.unwrap().unwrap();
    assert!(!unrecorded.record.contains("recording"), "{}", unrecorded.record);
    // A recording goes with its match: a failed write stores neither.
    let mut again = record("m1", vec![line("ben", 1, 9)]);
    again.recording = Some(bytes::Bytes::from_static(b"other"));
    assert!(ledger.record(&again).await.is_err());
    assert_eq!(ledger.recording("m1").await.unwrap().as_deref(), Some(&bytes[..]));

    // `ledger check` holds the recording to its signed digest: changed,
    // deleted, or added to a match signed without one.
    assert!(ledger.audit().await.unwrap().is_clean());
    backend
        .execute("UPDATE recordings SET match_id = 'm2' WHERE match_id = 'm1'")
        .await;
    let report = ledger.audit().await.unwrap();
    assert_eq!(report.problems.len(), 2, "{:?}", report.problems);
    assert!(
        report.problems[0].starts_with("match m1: the rows differ"),
        "{:?}",
        report.problems
    );
    assert!(
        report.problems[1].starts_with("match m2: the rows differ"),
        "{:?}",
        report.problems
    );
    backend
        .execute("UPDATE recordings SET match_id = 'm1' WHERE match_id = 'm2'")
        .await;
    assert!(ledger.audit().await.unwrap().is_clean());
}

async fn a_session_token_moves_on_once_and_expired_sessions_are_cleared(ledger: Arc<dyn Ledger>, _: &Backend) {
    // Generation 0 (never resumed) moves to 1, once.
    assert!(ledger.advance_session("s1", 0, 100, 10).await.unwrap());
    assert!(
        !ledger.advance_session("s1", 0, 100, 10).await.unwrap(),
        "a token works once"
    );
    assert!(ledger.advance_session("s1", 1, 200, 20).await.unwrap());
    assert!(!ledger.advance_session("s1", 1, 200, 20).await.unwrap());
    assert!(
        !ledger.advance_session("s1", 5, 200, 20).await.unwrap(),
        "a generation never issued"
    );
    // Once s1 has expired (at 200), another session's first resume clears
    // its row: s1 is back at generation 0.
    assert!(ledger.advance_session("s2", 0, 500, 300).await.unwrap());
    assert!(!ledger.advance_session("s1", 2, 600, 300).await.unwrap());
    assert!(ledger.advance_session("s1", 0, 600, 300).await.unwrap());
}

async fn the_check_finds_rows_changed_after_signing(ledger: Arc<dyn Ledger>, backend: &Backend) {
    ledger
        .record(&record("m1", vec![line("ann", 1, 30), line("ben", 2, 10)]))
        .await
        .unwrap();
    ledger.record(&record("m2", vec![line("cy", 1, 5)])).await.unwrap();
    let clean = ledger.audit().await.unwrap();
    assert_eq!((clean.matches, clean.unsigned), (2, 0));
    assert!(clean.is_clean(), "{:?}", clean.problems);

    // A board line edited: the check adds the matches up again.
    backend
        .execute("UPDATE board_scores SET best = 99 WHERE player_id = 'guest:cy' AND period = 'all' AND chat = ''")
        .await;
    let report = ledger.audit().await.unwrap();
    assert_eq!(
        report.problems,
        ["the arena board's line of guest:cy is not what their recorded matches add up to"]
    );
    backend
        .execute("UPDATE board_scores SET best = 5 WHERE player_id = 'guest:cy'")
        .await;
    assert!(ledger.audit().await.unwrap().is_clean());

    // Ben is moved up to first place in the rows, not in the record (nor
    // on the board, which was written with the match).
    backend
        .execute("UPDATE match_players SET rank = 1 WHERE player_id = 'guest:ben'")
        .await;
    let report = ledger.audit().await.unwrap();
    assert_eq!(report.problems.len(), 2, "{:?}", report.problems);
    assert!(
        report.problems[0].starts_with("match m1: the rows differ"),
        "{:?}",
        report.problems
    );
    assert!(report.problems[1].contains("guest:ben"), "{:?}", report.problems);
    // The record changed to agree: now the signature does not.
    backend
        .execute("UPDATE matches SET record = REPLACE(record, '\"rank\":2', '\"rank\":1') WHERE id = 'm1'")
        .await;
    let report = ledger.audit().await.unwrap();
    assert_eq!(
        report.problems[0], "match m1: the signature does not match its record",
        "the rows agree with the edited record"
    );
}

/// Wednesday 2026-12-02 12:00 UTC, and that week's Monday 00:00 UTC
/// (checked with Python's datetime).
const NOW: i64 = 1_796_212_800_000;
const MONDAY: i64 = 1_795_996_800_000;

async fn boards_rank_by_metric_period_and_chat_with_shared_ranks(ledger: Arc<dyn Ledger>, _: &Backend) {
    let at = |id: &str, ended_at: i64, chat: Option<&str>, ranking| MatchRecord {
        ended_at,
        started_at: ended_at - 60_000,
        chat: chat.map(str::to_owned),
        ..record(id, ranking)
    };
    // Last week; this week before today; today, in chat C1.
    let matches = [
        at(
            "m1",
            MONDAY - 3_600_000,
            None,
            vec![line("ann", 1, 100), line("ben", 2, 50)],
        ),
        at(
            "m2",
            MONDAY + 3_600_000,
            None,
            vec![line("ben", 1, 70), line("cy", 2, 70)],
        ),
        at(
            "m3",
            NOW - 3_600_000,
            Some("C1"),
            vec![line("ann", 1, 40), line("cy", 2, 10)],
        ),
    ];
    for m in &matches {
        ledger.record(m).await.unwrap();
    }
    let board = |metric, period, chat: Option<&str>, limit, around: Option<&str>| {
        let ledger = ledger.clone();
        let query = BoardQuery {
            game: "arena".into(),
            chat: chat.map(str::to_owned),
            period,
            metric,
            limit,
            around: around.map(|p| format!("guest:{p}")),
            now_ms: NOW,
        };
        async move { ledger.board(&query).await.unwrap() }
    };
    let lines = |b: &Board| -> Vec<(i64, String, i64)> {
        b.entries.iter().map(|e| (e.rank, e.name.clone(), e.value)).collect()
    };
    let l = |rank, name: &str, value| (rank, name.to_owned(), value);

    let best = board(Metric::Best, Period::All, None, 10, None).await;
    assert_eq!(
        lines(&best),
        [l(1, "ann", 100), l(2, "ben", 70), l(2, "cy", 70)],
        "ties share a rank"
    );
    let ann = &best.entries[0];
    assert_eq!((ann.best, ann.wins, ann.total, ann.matches), (100, 2, 140, 2));
    let wins = board(Metric::Wins, Period::All, None, 10, None).await;
    assert_eq!(lines(&wins), [l(1, "ann", 2), l(2, "ben", 1), l(3, "cy", 0)]);
    let total = board(Metric::Total, Period::All, None, 10, None).await;
    assert_eq!(lines(&total), [l(1, "ann", 140), l(2, "ben", 120), l(3, "cy", 80)]);
    let week = board(Metric::Best, Period::Week, None, 10, None).await;
    assert_eq!(
        lines(&week),
        [l(1, "ben", 70), l(1, "cy", 70), l(3, "ann", 40)],
        "a rank after a tie skips"
    );
    let day = board(Metric::Best, Period::Day, None, 10, None).await;
    assert_eq!(lines(&day), [l(1, "ann", 40), l(2, "cy", 10)]);
    let chat = board(Metric::Total, Period::All, Some("C1"), 10, None).await;
    assert_eq!(lines(&chat), [l(1, "ann", 40), l(2, "cy", 10)]);
    assert!(board(Metric::Best, Period::All, Some("C2"), 10, None)
        .await
        .entries
        .is_empty());

    // The top one, and cy's own line outside it.
    let top = board(Metric::Best, Period::All, None, 1, Some("cy")).await;
    assert_eq!(lines(&top), [l(1, "ann", 100)]);
    let own = top.around.expect("cy's line");
    assert_eq!((own.rank, own.name.as_str(), own.value), (2, "cy", 70));
    assert!(board(Metric::Best, Period::All, None, 1, Some("nobody"))
        .await
        .around
        .is_none());
}

async fn a_players_history_pages_newest_first(ledger: Arc<dyn Ledger>, _: &Backend) {
    for (n, ended_at) in [(1, 3_000), (2, 1_000), (3, 2_000), (4, 2_000)] {
        let ranking = vec![line("ann", 2, n), line("ben", 1, 10 * n)];
        let m = MatchRecord {
            ended_at,
            ..record(&format!("m{n}"), ranking)
        };
        ledger.record(&m).await.unwrap();
    }
    ledger.record(&record("m5", vec![line("cy", 1, 1)])).await.unwrap();
    let page = |before: Option<&'static str>| {
        let ledger = ledger.clone();
        async move {
            let matches = ledger.player_matches("guest:ann", before, 2).await.unwrap();
            matches.iter().map(|m| m.id.clone()).collect::<Vec<_>>()
        }
    };
    // Newest first; m3 and m4 ended together and go by id.
    assert_eq!(page(None).await, ["m1", "m4"]);
    assert_eq!(page(Some("m4")).await, ["m3", "m2"]);
    assert!(page(Some("m2")).await.is_empty());
    let first = &ledger.player_matches("guest:ann", None, 1).await.unwrap()[0];
    assert_eq!(
        (first.rank, first.score, first.players, first.game.as_str()),
        (2, 1, 2, "arena")
    );
    assert!(ledger.player_matches("guest:nobody", None, 5).await.unwrap().is_empty());
}

async fn rewards_pay_by_rank_within_the_rules_and_the_daily_cap(ledger: Arc<dyn Ledger>, backend: &Backend) {
    let rules = Manifest::parse(
        "name = \"arena\"\nmin_players = 1\nmax_players = 8\n[rewards]\n\
         by_rank = [100, 40]\nmin_players = 2\nmin_match_secs = 30\ndaily_cap = 150\n",
    )
    .unwrap()
    .rewards;
    let day = 86_400_000;
    let paid = |id: &str, ranking, change: fn(&mut MatchRecord)| {
        let mut m = MatchRecord {
            rewards: rules.clone(),
            ..record(id, ranking)
        };
        change(&mut m);
        m
    };
    let matches = [
        // Ann first, Ben and a guest second: the guest is not paid.
        paid("m1", vec![tg("ann", 1), tg("ben", 2), line("cy", 2, 0)], |_| {}),
        // Ann again the same day: cut to what is left of her cap (150 - 100).
        paid("m2", vec![tg("ann", 1), tg("ben", 3)], |_| {}),
        // Her cap is spent.
        paid("m3", vec![tg("ann", 1), tg("ben", 2)], |m| m.room = "OTHER1".into()),
        // Too short, aborted, too few players: nothing.
        paid("m4", vec![tg("ann", 1), tg("ben", 2)], |m| {
            m.started_at = m.ended_at - 10_000
        }),
        paid("m5", vec![tg("ann", 1), tg("ben", 1)], |m| m.aborted = true),
        paid("m6", vec![tg("ann", 1)], |_| {}),
        // The next UTC day, a fresh cap.
        paid("m7", vec![tg("ann", 1), tg("ben", 2)], |m| {
            m.started_at += 86_400_000;
            m.ended_at += 86_400_000;
        }),
    ];
    for m in &matches {
        ledger.record(m).await.unwrap();
    }
    let claims = |player: &'static str| {
        let ledger = ledger.clone();
        async move {
            let claims = ledger.claims(player, 10).await.unwrap();
            assert!(claims.iter().all(|c| c.currency == "ton" && c.status == "open"));
            claims.into_iter().map(|c| (c.match_id, c.amount)).collect::<Vec<_>>()
        }
    };
    let owned = |pairs: &[(&str, i64)]| pairs.iter().map(|(m, a)| (m.to_string(), *a)).collect::<Vec<_>>();
    assert_eq!(claims("tg:ann").await, owned(&[("m7", 100), ("m2", 50), ("m1", 100)]));
    assert_eq!(claims("tg:ben").await, owned(&[("m7", 40), ("m3", 40), ("m1", 40)]));
    assert!(claims("guest:cy").await.is_empty());

    // Ten matches recorded at once, each paying Dee 100 against a cap of
    // 150 on a day of her own: together they pay exactly 150. The pool's
    // connections are opened first, so the ten transactions overlap.
    let warm = (0..16).map(|_| ledger.claims("tg:nobody", 1));
    futures_util::future::join_all(warm).await;
    let at_once = (0..10).map(|n| {
        let ledger = ledger.clone();
        let mut m = paid(&format!("d{n}"), vec![tg("dee", 1), tg("eve", 2)], |_| {});
        m.started_at += 5 * day;
        m.ended_at += 5 * day;
        async move { ledger.record(&m).await.unwrap() }
    });
    futures_util::future::join_all(at_once).await;
    let total: i64 = ledger
        .claims("tg:dee", 100)
        .await
        .unwrap()
        .iter()
        .map(|c| c.amount)
        .sum();
    assert_eq!(total, 150, "the daily cap holds for matches recorded at once");

    // The check finds a claim no match grants (one slipped in by hand).
    assert!(ledger.audit().await.unwrap().is_clean());
    backend
        .execute("INSERT INTO claims (match_id, player_id, currency, amount, created_at) VALUES ('m6', 'tg:zed', 'ton', 5, 0)")
        .await;
    let report = ledger.audit().await.unwrap();
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert!(
        report.problems[0].starts_with("the claim of tg:zed on match m6"),
        "{:?}",
        report.problems
    );
}

/// A tic-tac-toe match on a server whose ledger is `database`: Bob leaves
/// a started game, Ada wins it, and the leaderboard shows it.
async fn a_forfeit_reaches_the_leaderboard(database: Option<String>) {
    let server = TestServer::start_with(|config| config.database = database.as_deref().map(Secret::from), None).await;
    let result = common::forfeited_match(&server.ws_url(), "Bob").await;
    assert_eq!(result["ranking"][0]["name"], "Ada");
    let (status, board) = get_json(&server.http("/api/leaderboard/tictactoe")).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = board["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Ada", "Bob"]);
    let bob = board["entries"][1]["player"].as_str().unwrap().to_owned();

    // The board's parameters: wins this week, Bob's own line beside the top.
    let url = server.http(&format!(
        "/api/leaderboard/tictactoe?metric=wins&period=week&limit=1&around={bob}"
    ));
    let (status, wins) = get_json(&url).await;
    assert_eq!(status, 200, "{wins}");
    assert_eq!(
        (wins["metric"].as_str(), wins["period"].as_str()),
        (Some("wins"), Some("week"))
    );
    assert_eq!(wins["entries"].as_array().unwrap().len(), 1);
    assert_eq!(
        (&wins["entries"][0]["name"], &wins["entries"][0]["value"]),
        (&json!("Ada"), &json!(1))
    );
    assert_eq!(
        (&wins["around"]["name"], &wins["around"]["rank"]),
        (&json!("Bob"), &json!(2))
    );
    // A guest room has no chat: its chat's board is empty.
    let (_, chat) = get_json(&server.http("/api/leaderboard/tictactoe?scope=chat&chat=123")).await;
    assert_eq!(chat["entries"], json!([]));
    let (status, history) = get_json(&server.http(&format!("/api/players/{bob}/matches?limit=1"))).await;
    assert_eq!(status, 200, "{history}");
    assert_eq!(history["matches"][0]["rank"], 2);
    assert_eq!(history["matches"][0]["match"], result["match"]);
    let next = history["next"].as_str().expect("a full page has a next");
    let (_, rest) = get_json(&server.http(&format!("/api/players/{bob}/matches?before={next}"))).await;
    assert_eq!(
        (rest["matches"].as_array().map(Vec::len), &rest["next"]),
        (Some(0), &json!(null))
    );
    let (status, _) = get_json(&server.http(&format!("/api/players/{bob}/matches?limit=500"))).await;
    assert_eq!(status, 400);
    for bad in [
        "period=month",
        "metric=elo",
        "scope=chat",
        "chat=123",
        "scope=team",
        "limit=0",
    ] {
        let (status, refused) = get_json(&server.http(&format!("/api/leaderboard/tictactoe?{bad}"))).await;
        assert_eq!(
            (status, refused["error"].as_str()),
            (400, Some("bad_request")),
            "{bad}: {refused}"
        );
    }
    // With --database, nothing is written to a SQLite file in the data dir.
    assert_eq!(server.data_dir().join("data/parlor.db").exists(), database.is_none());
}

#[tokio::test]
async fn a_server_records_into_sqlite_by_default() {
    a_forfeit_reaches_the_leaderboard(None).await;
}

#[tokio::test]
async fn a_server_records_into_postgres_with_database() {
    let schema = Schema::new().await;
    a_forfeit_reaches_the_leaderboard(Some(schema.url.clone())).await;
    schema.drop().await;
}

#[tokio::test]
async fn an_unknown_database_scheme_is_refused_without_echoing_the_url() {
    let dir = tempfile::tempdir().unwrap();
    let error = ledger::open(Some("mysql://root:hunter2@db/parlor"), dir.path(), key())
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(error.contains("\"mysql\"") && error.contains("postgres://"), "{error}");
    assert!(!error.contains("hunter2"), "{error}");
}

/// Telegram player `id`, ranked `rank`, no score.
fn tg(id: &str, rank: u32) -> RankLine {
    RankLine {
        player: format!("tg:{id}"),
        name: id.into(),
        rank,
        score: 0,
    }
}

/// Two matches of a game paying 100 to the winner and 40 to the second:
/// Ann first, Ben second in each (claims 1 to 4).
async fn ann_and_ben_win_twice(ledger: &Arc<dyn Ledger>) {
    let rules = Manifest::parse(
        "name = \"arena\"\nmin_players = 1\nmax_players = 8\n[rewards]\nby_rank = [100, 40]\nmin_match_secs = 0\n",
    )
    .unwrap()
    .rewards;
    for id in ["m1", "m2"] {
        let m = MatchRecord {
            rewards: rules.clone(),
            ..record(id, vec![tg("ann", 1), tg("ben", 2)])
        };
        ledger.record(&m).await.unwrap();
    }
}

fn wallet_link(player: &str, network: &str, address: &str, nonce: &str) -> WalletLink {
    WalletLink {
        player: player.into(),
        network: network.into(),
        address: address.into(),
        public_key: "ab".repeat(32),
        contract: "v4r2".into(),
        nonce: nonce.into(),
        nonce_expires: 2_000,
        replace: false,
        now_ms: 1_000_000,
    }
}

async fn wallets_link_once_per_payload_one_per_player_and_network(ledger: Arc<dyn Ledger>, _: &Backend) {
    let ann = |address: &str, nonce: &str| wallet_link("tg:1", "-239", address, nonce);
    assert_eq!(
        ledger.link_wallet(&ann("0:aa", "n1")).await.unwrap(),
        LinkOutcome::Linked
    );
    // The same payload again: refused, whatever it asks.
    assert_eq!(
        ledger.link_wallet(&ann("0:aa", "n1")).await.unwrap(),
        LinkOutcome::PayloadUsed
    );
    // Linking the wallet she has: fine, and it uses the payload up.
    assert_eq!(
        ledger.link_wallet(&ann("0:aa", "n2")).await.unwrap(),
        LinkOutcome::Unchanged
    );
    assert_eq!(
        ledger.link_wallet(&ann("0:bb", "n2")).await.unwrap(),
        LinkOutcome::PayloadUsed
    );
    // Another wallet on the same network: only when asked to replace.
    assert_eq!(
        ledger.link_wallet(&ann("0:bb", "n3")).await.unwrap(),
        LinkOutcome::AlreadyLinked { address: "0:aa".into() }
    );
    // The refusal wrote nothing, the payload included.
    let mut replace = ann("0:bb", "n3");
    replace.replace = true;
    assert_eq!(ledger.link_wallet(&replace).await.unwrap(), LinkOutcome::Linked);
    // One on each network.
    assert_eq!(
        ledger
            .link_wallet(&wallet_link("tg:1", "-3", "0:aa", "n4"))
            .await
            .unwrap(),
        LinkOutcome::Linked
    );
    let wallets = ledger.wallets("tg:1").await.unwrap();
    let listed: Vec<(&str, &str)> = wallets
        .iter()
        .map(|w| (w.network.as_str(), w.address.as_str()))
        .collect();
    assert_eq!(listed, [("-239", "0:bb"), ("-3", "0:aa")]);
    // A wallet is one player's.
    assert_eq!(
        ledger
            .link_wallet(&wallet_link("tg:2", "-239", "0:bb", "n5"))
            .await
            .unwrap(),
        LinkOutcome::TakenByOther
    );
    assert!(ledger.wallets("tg:2").await.unwrap().is_empty());
    // ...and the one Ann let go is free.
    assert_eq!(
        ledger
            .link_wallet(&wallet_link("tg:2", "-239", "0:aa", "n5"))
            .await
            .unwrap(),
        LinkOutcome::Linked
    );
    // Used payloads are forgotten once expired (n1 expired at 2,000 s).
    let mut later = wallet_link("tg:3", "-239", "0:cc", "n1");
    later.now_ms = 2_000_000;
    later.nonce_expires = 3_000;
    assert_eq!(ledger.link_wallet(&later).await.unwrap(), LinkOutcome::Linked);
}

async fn claims_are_numbered_and_a_voucher_marks_its_claim(ledger: Arc<dyn Ledger>, backend: &Backend) {
    ann_and_ben_win_twice(&ledger).await;
    let ann = ledger.claims("tg:ann", 10).await.unwrap();
    let ben = ledger.claims("tg:ben", 10).await.unwrap();
    let mut ids: Vec<i64> = ann.iter().chain(&ben).map(|c| c.id).collect();
    ids.sort();
    assert_eq!(ids, [1, 2, 3, 4], "claims are numbered from 1, each its own");

    let ask = |claim: i64, player: &str| VoucherRequest {
        claim,
        player: player.into(),
        network: "-239".into(),
        expires_at: 2_000_000_000,
    };
    let claim = ann[0].id;
    assert_eq!(
        ledger.voucher(&ask(claim, "tg:ann")).await.unwrap(),
        VoucherOutcome::NoWallet
    );
    assert_eq!(
        ledger.voucher(&ask(claim, "tg:ben")).await.unwrap(),
        VoucherOutcome::NotYours
    );
    assert_eq!(
        ledger.voucher(&ask(99, "tg:ann")).await.unwrap(),
        VoucherOutcome::NoSuchClaim
    );
    assert_eq!(
        ledger.claims("tg:ann", 10).await.unwrap()[0].status,
        "open",
        "a refusal marks nothing"
    );

    let address = format!("0:{}", "ab".repeat(32));
    let link = wallet_link("tg:ann", "-239", &address, "v1");
    assert_eq!(ledger.link_wallet(&link).await.unwrap(), LinkOutcome::Linked);
    let VoucherOutcome::Issued(voucher) = ledger.voucher(&ask(claim, "tg:ann")).await.unwrap() else {
        panic!("no voucher")
    };
    assert_eq!(
        (voucher.claim, voucher.amount, voucher.recipient.as_str()),
        (claim, 100, address.as_str())
    );
    assert_eq!(voucher.public_key, key().public_hex());
    let status = |claims: Vec<parlor::ledger::Claim>| claims.into_iter().find(|c| c.id == claim).unwrap().status;
    assert_eq!(status(ledger.claims("tg:ann", 10).await.unwrap()), "voucher");

    // Paid another way: no voucher.
    backend
        .execute(&format!("UPDATE claims SET status = 'paid' WHERE id = {claim}"))
        .await;
    assert_eq!(
        ledger.voucher(&ask(claim, "tg:ann")).await.unwrap(),
        VoucherOutcome::Settled { status: "paid".into() }
    );
}

async fn payout_batches_take_open_claims_once_and_settle_once(ledger: Arc<dyn Ledger>, _: &Backend) {
    ann_and_ben_win_twice(&ledger).await;
    assert!(ledger.payable("-239", 10).await.unwrap().is_empty(), "no wallets yet");
    for (player, n) in [("tg:ann", "aa"), ("tg:ben", "bb")] {
        let link = wallet_link(player, "-239", &format!("0:{}", n.repeat(32)), player);
        assert_eq!(ledger.link_wallet(&link).await.unwrap(), LinkOutcome::Linked);
    }
    // A vouchered claim is the claim contract's: never in a batch.
    let vouchered = ledger.claims("tg:ann", 10).await.unwrap()[0].id;
    let ask = VoucherRequest {
        claim: vouchered,
        player: "tg:ann".into(),
        network: "-239".into(),
        expires_at: 2_000_000_000,
    };
    assert!(matches!(ledger.voucher(&ask).await.unwrap(), VoucherOutcome::Issued(_)));
    assert_eq!(ledger.payable("-239", 10).await.unwrap().len(), 3);

    let request = |seqno: i64, max: u32| BatchRequest {
        network: "-239".into(),
        wallet: "0:operator".into(),
        seqno,
        valid_until: 5_000,
        max,
        now_ms: 1_000,
    };
    let BatchOutcome::New(first) = ledger.open_batch(&request(7, 2)).await.unwrap() else {
        panic!("no batch")
    };
    assert_eq!((first.payments.len(), first.status.as_str()), (2, "signed"));
    assert_eq!(first.total, first.payments.iter().map(|p| p.amount).sum::<i64>());
    assert!(first.payments.iter().all(|p| p.claim != vouchered));
    assert_eq!(
        ledger.payable("-239", 10).await.unwrap().len(),
        1,
        "batched claims are not payable"
    );
    // The same request again is the same batch; another is refused until
    // this one settles.
    assert_eq!(
        ledger.open_batch(&request(7, 2)).await.unwrap(),
        BatchOutcome::Existing(first.clone())
    );
    assert_eq!(
        ledger.open_batch(&request(8, 2)).await.unwrap(),
        BatchOutcome::Unsettled(first.clone())
    );
    assert!(ledger.audit().await.unwrap().is_clean());

    let SettleOutcome::Settled(settled) = ledger.settle_batch(first.id, false).await.unwrap() else {
        panic!("not settled")
    };
    assert_eq!(settled.status, "failed");
    assert_eq!(
        ledger.settle_batch(first.id, true).await.unwrap(),
        SettleOutcome::AlreadySettled {
            status: "failed".into()
        }
    );
    assert_eq!(
        ledger.settle_batch(999, true).await.unwrap(),
        SettleOutcome::NoSuchBatch
    );
    assert_eq!(
        ledger.payable("-239", 10).await.unwrap().len(),
        3,
        "a failed batch's claims are open again"
    );

    let BatchOutcome::New(second) = ledger.open_batch(&request(8, 10)).await.unwrap() else {
        panic!("no batch")
    };
    assert_eq!(second.payments.len(), 3);
    assert!(matches!(
        ledger.settle_batch(second.id, true).await.unwrap(),
        SettleOutcome::Settled(_)
    ));
    assert_eq!(ledger.open_batch(&request(9, 10)).await.unwrap(), BatchOutcome::Empty);
    let statuses: Vec<String> = ledger
        .claims("tg:ben", 10)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.status)
        .collect();
    assert_eq!(statuses, ["paid", "paid"]);
    let report = ledger.audit().await.unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
}

/// Matches over two weeks, some in a chat, one aborted: what a ledger
/// held before boards were kept in `board_scores`.
fn matches_before_the_upgrade() -> Vec<MatchRecord> {
    let day = 86_400_000;
    // Thursday 2026-11-26 12:00 UTC, then on over 10 days.
    let start = 1_795_694_400_000;
    (0..10)
        .map(|i| MatchRecord {
            chat: (i % 3 == 0).then(|| "chat1".to_owned()),
            started_at: start + i * day - 60_000,
            ended_at: start + i * day,
            aborted: i == 4,
            ..record(
                &format!("m{i}"),
                vec![
                    line(["ann", "ben", "cy"][i as usize % 3], 1, 10 * i + 5),
                    line(["ben", "cy", "dee"][i as usize % 3], 2, 7 * i),
                    line("eve", 2, 7 * i),
                ],
            )
        })
        .collect()
}

/// The rows a ledger before `board_scores` wrote for `m`, as SQL.
fn rows_before_the_upgrade(m: &MatchRecord) -> Vec<String> {
    let chat = m.chat.as_ref().map_or("NULL".to_owned(), |c| format!("'{c}'"));
    let mut rows = vec![format!(
        "INSERT INTO matches (id, game, room, chat, started_at, ended_at, aborted) \
         VALUES ('{}', '{}', '{}', {chat}, {}, {}, {})",
        m.id,
        m.game,
        m.room,
        m.started_at,
        m.ended_at,
        if m.aborted { "TRUE" } else { "FALSE" }
    )];
    for l in &m.ranking {
        rows.push(format!(
            "INSERT INTO match_players (match_id, player_id, name, rank, score) VALUES ('{}', '{}', '{}', {}, {})",
            m.id, l.player, l.name, l.rank, l.score
        ));
    }
    rows
}

/// Every board of the upgraded ledger is the board a ledger that recorded
/// the same matches live shows.
async fn boards_agree(upgraded: &Arc<dyn Ledger>, live: &Arc<dyn Ledger>) {
    let now = matches_before_the_upgrade()[9].ended_at + 3_600_000;
    let mut compared = 0;
    for metric in [Metric::Best, Metric::Wins, Metric::Total] {
        for period in [Period::All, Period::Week, Period::Day] {
            for chat in [None, Some("chat1".to_owned())] {
                let query = BoardQuery {
                    game: "arena".into(),
                    chat,
                    period,
                    metric,
                    limit: 10,
                    around: Some("guest:eve".into()),
                    now_ms: now,
                };
                let board = upgraded.board(&query).await.unwrap();
                assert_eq!(board, live.board(&query).await.unwrap(), "{query:?}");
                compared += usize::from(!board.entries.is_empty());
            }
        }
    }
    assert!(compared >= 12, "most boards have lines ({compared})");
}

#[tokio::test]
async fn boards_of_matches_recorded_before_the_upgrade_are_filled_in_on_sqlite() {
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
    let dir = tempfile::tempdir().unwrap();
    let options = SqliteConnectOptions::new()
        .filename(dir.path().join("parlor.db"))
        .create_if_missing(true);
    let pool = SqlitePool::connect_with(options).await.unwrap();
    let mut before = sqlx::migrate!("src/ledger/migrations/sqlite");
    before.migrations = before.migrations.iter().filter(|m| m.version < 9).cloned().collect();
    before.run(&pool).await.unwrap();
    for m in matches_before_the_upgrade() {
        for row in rows_before_the_upgrade(&m) {
            sqlx::query(&row).execute(&pool).await.unwrap();
        }
    }
    pool.close().await;
    let upgraded = ledger::open(None, dir.path(), key()).await.unwrap();
    let (live, _backend) = Backend::sqlite().await;
    for m in matches_before_the_upgrade() {
        live.record(&m).await.unwrap();
    }
    boards_agree(&upgraded, &live).await;
}

#[tokio::test]
async fn boards_of_matches_recorded_before_the_upgrade_are_filled_in_on_postgres() {
    let schema = Schema::new().await;
    let pool = sqlx::PgPool::connect(&schema.url).await.unwrap();
    let mut before = sqlx::migrate!("src/ledger/migrations/postgres");
    before.migrations = before.migrations.iter().filter(|m| m.version < 7).cloned().collect();
    before.run(&pool).await.unwrap();
    for m in matches_before_the_upgrade() {
        for row in rows_before_the_upgrade(&m) {
            sqlx::query(&row).execute(&pool).await.unwrap();
        }
    }
    pool.close().await;
    let upgraded = ledger::open(Some(&schema.url), std::path::Path::new("unused"), key())
        .await
        .unwrap();
    let (live, backend) = Backend::postgres().await;
    for m in matches_before_the_upgrade() {
        live.record(&m).await.unwrap();
    }
    boards_agree(&upgraded, &live).await;
    drop((upgraded, live));
    backend.clean_up().await;
    schema.drop().await;
}

#[tokio::test]
async fn the_check_finds_rows_whose_parent_is_missing_on_sqlite() {
    let (ledger, backend) = Backend::sqlite().await;
    // Written with foreign keys off, as the sqlite3 shell does by default.
    backend
        .execute(
            "PRAGMA foreign_keys = OFF; \
             INSERT INTO claims (match_id, player_id, currency, amount, created_at, id) \
             VALUES ('gone', 'tg:1', 'ton', 5, 0, 1)",
        )
        .await;
    let report = ledger.audit().await.unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|p| p == "claims row 1: its matches row is missing"),
        "{:?}",
        report.problems
    );
}
