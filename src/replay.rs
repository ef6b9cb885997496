//! Recorded matches read back from the ledger and run again: what
//! `parlor replay MATCH` checks and what a spectator of `watch {replay}`
//! sees (docs/replays.md). The room side is [`crate::room::Replay`].
//!
//! A match is found by its signed record (its seed, ranking and the
//! SHA-256 of its recording); its recording must hash to that, so a
//! recording changed after the match was signed is refused, not replayed.
//! A continuous room's match needs the room's earlier matches run first
//! (the world carries over): the recordings name each other back to the
//! room's first recorded match.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::catalog::Catalog;
use crate::ledger::{Ledger, LedgerError};
use crate::lifecycle::Lifecycle;
use crate::matchmaking::LocalDirectory;
use crate::protocol::RankLine;
use crate::room::{
    MatchSeed, Progress, Recording, Replay, ReplayError, ReplayMatch, ReplayReport, RoomContext, MAX_RECORDING_BYTES,
};
use crate::simulation::GameType;

/// A recorded match ready to run: its game and its room's recorded
/// matches up to it, oldest first.
pub struct Recorded {
    pub game: Arc<dyn GameType>,
    pub chain: Vec<ReplayMatch>,
}

/// Why a match cannot be replayed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("the ledger has no signed match {0}")]
    NoSuchMatch(String),
    #[error(
        "match {0} has no recording: its game's manifest did not say `record = true` when it was played, \
         or its room stopped recording (a match over {MAX_RECORDING_BYTES} bytes of steps)"
    )]
    NotRecorded(String),
    #[error("match {id} cannot be replayed: {problem}")]
    Unusable { id: String, problem: String },
    #[error("match {id} is of game {game}, which this server does not host")]
    UnknownGame { id: String, game: String },
    #[error("match {id} is match {matches} of its room; this replays at most {max} matches of a room")]
    TooLong { id: String, matches: usize, max: usize },
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// The fields of a signed record a replay reads (docs/api.md).
#[derive(Deserialize)]
struct SignedFields {
    game: String,
    aborted: bool,
    seed: Option<String>,
    recording: Option<String>,
    players: Vec<SignedPlayer>,
}

#[derive(Deserialize)]
struct SignedPlayer {
    id: String,
    name: String,
    rank: u32,
    score: i64,
}

/// The game of match `id`, from its signed record; `None` if the ledger
/// has no such signed match.
pub async fn game_of(ledger: &dyn Ledger, id: &str) -> Result<Option<String>, LedgerError> {
    let Some(signed) = ledger.signed_match(id).await? else {
        return Ok(None);
    };
    Ok(serde_json::from_str::<SignedFields>(&signed.record)
        .ok()
        .map(|f| f.game))
}

/// Reads match `id` and the recorded matches of its room before it (at
/// most `max_matches` in all) from `ledger`, for a game of `catalog`.
pub async fn load(ledger: &dyn Ledger, catalog: &Catalog, id: &str, max_matches: usize) -> Result<Recorded, LoadError> {
    let mut chain = Vec::new();
    let mut next = Some(id.to_owned());
    let mut game_name = None;
    while let Some(id) = next {
        if chain.len() == max_matches {
            return Err(LoadError::TooLong {
                id: chain.last().map_or(id, |m: &ReplayMatch| m.id.clone()),
                matches: chain.len() + 1,
                max: max_matches,
            });
        }
        let unusable = |problem: String| LoadError::Unusable {
            id: id.clone(),
            problem,
        };
        let signed = ledger
            .signed_match(&id)
            .await?
            .ok_or_else(|| LoadError::NoSuchMatch(id.clone()))?;
        let fields: SignedFields =
            serde_json::from_str(&signed.record).map_err(|e| unusable(format!("its signed record: {e}")))?;
        let Some(digest) = fields.recording else {
            return Err(LoadError::NotRecorded(id));
        };
        let bytes = ledger
            .recording(&id)
            .await?
            .ok_or_else(|| LoadError::NotRecorded(id.clone()))?;
        if hex::encode(Sha256::digest(&bytes)) != digest {
            return Err(unusable(
                "its recording is not the one its signed record names (SHA-256 differs)".into(),
            ));
        }
        let recording = Recording::decode(&bytes).map_err(unusable)?;
        if recording.game != fields.game || game_name.as_ref().is_some_and(|g| *g != fields.game) {
            return Err(unusable(format!("its recording is of game {}", recording.game)));
        }
        let seed = fields
            .seed
            .as_deref()
            .and_then(MatchSeed::parse)
            .ok_or_else(|| unusable("its signed record has no 32-byte seed".into()))?;
        next = recording.previous.clone();
        game_name = Some(fields.game);
        chain.push(ReplayMatch {
            id,
            seed,
            ranking: fields
                .players
                .into_iter()
                .map(|p| RankLine {
                    player: p.id,
                    name: p.name,
                    rank: p.rank,
                    score: p.score,
                })
                .collect(),
            aborted: fields.aborted,
            recording,
        });
    }
    chain.reverse();
    let name = game_name.expect("a chain has a match");
    let game = catalog.get(&name).cloned().ok_or_else(|| LoadError::UnknownGame {
        id: id.to_owned(),
        game: name,
    })?;
    Ok(Recorded { game, chain })
}

impl Recorded {
    /// A replay of it in a room of its own, reporting to nothing shared:
    /// not the server's directory or metrics, nor its ledger (the room has
    /// no recorder, and its outcomes are compared instead of written). Its
    /// play-back task, if it has one, stops with `lifecycle`.
    pub fn replay(self, ledger: Arc<dyn Ledger>, lifecycle: Lifecycle) -> Replay {
        let ctx = RoomContext {
            ledger,
            directory: Arc::new(LocalDirectory::default()),
            lifecycle,
            inbox: 64,
            outbound_reserve: 8,
            unclaimed_grace: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(1),
            metrics: Arc::default(),
        };
        Replay::new(ctx, self.game, self.chain)
    }
}

/// Runs match `id` again, and every match of its room before it, as fast
/// as they go, off the async threads: each match that ends as recorded is
/// given to `each` as it does (what `parlor replay` prints); the first
/// divergence is the error.
pub async fn check(
    ledger: Arc<dyn Ledger>,
    catalog: &Catalog,
    id: &str,
    mut each: impl FnMut(&ReplayMatch, &ReplayReport) + Send + 'static,
) -> Result<Vec<ReplayReport>, CheckError> {
    let recorded = load(&*ledger, catalog, id, usize::MAX).await?;
    let mut replay = recorded.replay(ledger, Lifecycle::new());
    let run = tokio::task::spawn_blocking(move || {
        let mut reports = Vec::new();
        loop {
            match replay.advance()? {
                Progress::Ticked => {}
                Progress::Ended(report) => {
                    each(&replay.chain()[replay.current() - 1], &report);
                    reports.push(report);
                }
                Progress::Done => return Ok::<_, ReplayError>(reports),
            }
        }
    })
    .await;
    match run {
        Ok(result) => Ok(result?),
        Err(e) => Err(CheckError::Diverged(ReplayError {
            match_id: id.to_owned(),
            tick: 0,
            problem: format!("the replay itself failed: {e}"),
        })),
    }
}

/// Why [`check`] failed.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("the replay diverged: {0}")]
    Diverged(#[from] ReplayError),
}
