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

/// The board's ranked lines. Parameters: 1 game, 2 since, 3 chat (or
/// NULL), then 4 the limit, or 4 the `around` player when `around`.
pub(super) fn board_sql(dialect: Dialect, metric: Metric, around: bool) -> String {
    let p = |n| dialect.param(n);
    // SQLite's MAX() brings the other columns of its row; PostgreSQL needs
    // the name picked explicitly.
    let name = match dialect {
        Dialect::Sqlite => "p.name",
        Dialect::Postgres => "(ARRAY_AGG(p.name ORDER BY p.score DESC))[1]",
    };
    let not_aborted = match dialect {
        Dialect::Sqlite => "m.aborted = 0",
        Dialect::Postgres => "NOT m.aborted",
    };
    let value = match metric {
        Metric::Best => "best",
        Metric::Wins => "wins",
        Metric::Total => "total",
    };
    let ranked = format!(
        "WITH totals AS (\
           SELECT p.player_id, {name} AS name, MAX(p.score) AS best, \
                  CAST(SUM(CASE WHEN p.rank = 1 THEN 1 ELSE 0 END) AS BIGINT) AS wins, \
                  CAST(SUM(p.score) AS BIGINT) AS total, COUNT(*) AS matches \
           FROM match_players p JOIN matches m ON m.id = p.match_id \
           WHERE m.game = {g} AND {not_aborted} AND m.ended_at >= {since} \
             AND ({chat} IS NULL OR m.chat = {chat}) \
           GROUP BY p.player_id), \
         ranked AS (SELECT *, RANK() OVER (ORDER BY {value} DESC) AS place FROM totals) \
         SELECT place, player_id, name, {value}, best, wins, total, matches FROM ranked ",
        g = p(1),
        since = p(2),
        chat = p(3),
    );
    if around {
        format!("{ranked}WHERE player_id = {}", p(4))
    } else {
        format!("{ranked}ORDER BY place, player_id LIMIT {}", p(4))
    }
}
