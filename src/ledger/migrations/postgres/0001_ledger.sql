-- The ledger on PostgreSQL: the same tables as the SQLite file's
-- migrations 0001 to 0003, in one step (this backend starts here).

-- One row per finished match, written in the same transaction as its players.
CREATE TABLE matches (
    id          TEXT PRIMARY KEY,
    game        TEXT NOT NULL,
    room        TEXT NOT NULL,
    started_at  BIGINT NOT NULL, -- unix milliseconds
    ended_at    BIGINT NOT NULL,
    -- Ended by the server at shutdown before the game did; leaderboards skip it.
    aborted     BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE match_players (
    match_id    TEXT NOT NULL REFERENCES matches(id),
    player_id   TEXT NOT NULL,
    name        TEXT NOT NULL,
    rank        BIGINT NOT NULL,
    score       BIGINT NOT NULL,
    PRIMARY KEY (match_id, player_id)
);

CREATE INDEX matches_by_game ON matches(game);
CREATE INDEX match_players_by_player ON match_players(player_id);

-- The newest token generation of each session resumed at least once.
CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    generation  BIGINT NOT NULL,
    expires     BIGINT NOT NULL -- unix seconds
);

CREATE INDEX sessions_by_expiry ON sessions(expires);
