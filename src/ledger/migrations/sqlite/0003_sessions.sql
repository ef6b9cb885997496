-- The newest token generation of each session that has been resumed at
-- least once (a session never resumed is at generation 0 and has no row).
-- A resume moves its session from the generation it presents to the next,
-- so a token works once; rows past their expiry are deleted.
CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    generation  INTEGER NOT NULL,
    expires     INTEGER NOT NULL -- unix seconds
);

CREATE INDEX sessions_by_expiry ON sessions(expires);
