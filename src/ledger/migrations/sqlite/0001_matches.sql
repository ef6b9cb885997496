-- One row per finished match, written in the same transaction as its players.
CREATE TABLE matches (
    id          TEXT PRIMARY KEY,
    game        TEXT NOT NULL,
    room        TEXT NOT NULL,
    started_at  INTEGER NOT NULL, -- unix milliseconds
    ended_at    INTEGER NOT NULL
);

CREATE TABLE match_players (
    match_id    TEXT NOT NULL REFERENCES matches(id),
    player_id   TEXT NOT NULL,
    name        TEXT NOT NULL,
    rank        INTEGER NOT NULL,
    score       INTEGER NOT NULL,
    PRIMARY KEY (match_id, player_id)
);

CREATE INDEX matches_by_game ON matches(game);
CREATE INDEX match_players_by_player ON match_players(player_id);
