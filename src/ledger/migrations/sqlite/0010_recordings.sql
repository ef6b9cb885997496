-- A match's recording (manifest `record = true`; docs/replays.md): the
-- MessagePack the room wrote, whose SHA-256 the signed record carries.
-- Written in the transaction that records the match.
CREATE TABLE recordings (
    match_id TEXT PRIMARY KEY REFERENCES matches (id),
    data     BLOB NOT NULL
);
