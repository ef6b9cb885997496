//! Leaderboards: a game's players ranked by a metric, over a period, for
//! everyone or one Telegram chat; players level on the metric share a rank.
//! The SQL is built here once for both backends ([`Dialect`]).

use serde::{Deserialize, Serialize};

/// What a board ranks by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// A player's best score in one match.
    #[default]
    Best,
    /// Matches a player finished first in (rank 1, shared ranks count).
    Wins,
    /// The sum of a player's scores.
    Total,
}

/// Which matches a board counts, by when they ended (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    #[default]
    All,
    /// Since 00:00 UTC today.
    Day,
    /// Since Monday 00:00 UTC this week.
    Week,
}

impl Period {
    /// The first unix millisecond the period counts, at `now_ms`.
    ///
    /// ```
    /// use parlor::ledger::Period;
    /// // Thursday 1970-01-01 12:00 UTC.
    /// let noon = 12 * 3_600_000;
    /// assert_eq!(Period::Day.since(noon), 0);
    /// assert_eq!(Period::All.since(noon), i64::MIN);
    /// // Monday 1970-01-05 00:00 UTC starts the week of Friday the 9th.
    /// assert_eq!(Period::Week.since(8 * 86_400_000 + noon), 4 * 86_400_000);
    /// ```
    pub fn since(self, now_ms: i64) -> i64 {
        const DAY: i64 = 86_400_000;
        let today = now_ms.div_euclid(DAY);
        match self {
            Period::All => i64::MIN,
            Period::Day => today * DAY,
            // Day 0 (1970-01-01) was a Thursday: Monday is day 4 of its week.
            Period::Week => (today - (today - 4).rem_euclid(7)) * DAY,
        }
    }
}

/// A board to read.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardQuery {
    pub game: String,
    /// `Some(chat_instance)`: only matches of that chat's room.
    pub chat: Option<String>,
    pub period: Period,
    pub metric: Metric,
    /// Entries from the top.
    pub limit: u32,
    /// A player whose own entry is wanted too, wherever it ranks.
    pub around: Option<String>,
    /// Now, unix milliseconds (the period is counted back from it).
    pub now_ms: i64,
}

/// One player's line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoardEntry {
    /// 1 for the top; players level on the metric share a rank.
    pub rank: i64,
    pub player: String,
    /// The name of the player's best match.
    pub name: String,
    /// The metric's value.
    pub value: i64,
    pub best: i64,
    pub wins: i64,
    pub total: i64,
    pub matches: i64,
}

/// A board: its top entries, and the `around` player's own line.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Board {
    pub entries: Vec<BoardEntry>,
    pub around: Option<BoardEntry>,
}

/// The SQL dialects of the two backends.
#[derive(Debug, Clone, Copy)]
pub(super) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    fn param(self, n: usize) -> String {
        match self {
            Dialect::Sqlite => format!("?{n}"),
            Dialect::Postgres => format!("${n}"),
        }
    }
}

impl Period {
    /// Its name in `board_scores.period`.
    pub(super) fn name(self) -> &'static str {
        match self {
            Period::All => "all",
            Period::Day => "day",
            Period::Week => "week",
        }
    }

    /// The first millisecond of the period that holds `at_ms`: the key of
    /// its `board_scores` rows (0 for all time).
    pub(super) fn bucket(self, at_ms: i64) -> i64 {
        match self {
            Period::All => 0,
            _ => self.since(at_ms),
        }
    }
}

impl Metric {
    fn column(self) -> &'static str {
        match self {
            Metric::Best => "best",
            Metric::Wins => "wins",
            Metric::Total => "total",
        }
    }
}

/// Boards are read from `board_scores`, where recording a match adds each
/// player's line to the all-time, day and week rows of the game, for
/// everyone (chat `''`) and for the match's chat: a board is an index
/// range, not an aggregation of every match.
///
/// The top lines: 1 game, 2 period, 3 bucket, 4 chat (`''` for everyone),
/// 5 limit; columns player_id, name, value, best, wins, total, matches,
/// best first (ties by player id). Ranks are counted from the values.
pub(super) fn top_sql(dialect: Dialect, metric: Metric) -> String {
    let p = |n| dialect.param(n);
    let value = metric.column();
    format!(
        "SELECT player_id, name, {value}, best, wins, total, matches FROM board_scores \
         WHERE game = {} AND period = {} AND bucket = {} AND chat = {} \
         ORDER BY {value} DESC, player_id LIMIT {}",
        p(1),
        p(2),
        p(3),
        p(4),
        p(5)
    )
}

/// One player's line and rank: parameters 1 to 4 as [`top_sql`], 5 the
/// player; columns rank, then as [`top_sql`].
pub(super) fn own_sql(dialect: Dialect, metric: Metric) -> String {
    let p = |n| dialect.param(n);
    let value = metric.column();
    let range = format!(
        "game = {} AND period = {} AND bucket = {} AND chat = {}",
        p(1),
        p(2),
        p(3),
        p(4)
    );
    format!(
        "SELECT (SELECT COUNT(*) FROM board_scores o WHERE {range} AND o.{value} > s.{value}) + 1, \
                player_id, name, {value}, best, wins, total, matches \
         FROM board_scores s WHERE {range} AND player_id = {}",
        p(5)
    )
}

/// Adds one player's line of a match to a board row: 1 game, 2 period,
/// 3 bucket, 4 chat, 5 player, 6 name, 7 score, 8 wins (1 or 0). The name
/// kept is that of the player's best match.
pub(super) fn add_line_sql(dialect: Dialect) -> String {
    let p = |n| dialect.param(n);
    let greatest = match dialect {
        Dialect::Sqlite => "MAX",
        Dialect::Postgres => "GREATEST",
    };
    format!(
        "INSERT INTO board_scores (game, period, bucket, chat, player_id, name, best, wins, total, matches) \
         VALUES ({}, {}, {}, {}, {}, {}, {s}, {}, {s}, 1) \
         ON CONFLICT (game, period, bucket, chat, player_id) DO UPDATE SET \
           name = CASE WHEN excluded.best > board_scores.best THEN excluded.name ELSE board_scores.name END, \
           best = {greatest}(board_scores.best, excluded.best), \
           wins = board_scores.wins + excluded.wins, \
           total = board_scores.total + excluded.total, \
           matches = board_scores.matches + 1",
        p(1),
        p(2),
        p(3),
        p(4),
        p(5),
        p(6),
        p(8),
        s = p(7),
    )
}

/// Ranks for lines in board order: players level on the value share the
/// rank of the first of them (SQL's `RANK()`).
pub(super) fn rank_lines(lines: &mut [BoardEntry]) {
    for i in 0..lines.len() {
        lines[i].rank = if i > 0 && lines[i].value == lines[i - 1].value {
            lines[i - 1].rank
        } else {
            i as i64 + 1
        };
    }
}
