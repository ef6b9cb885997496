-- Matches the server ended at shutdown before the game did (recorded, not
-- lost; leaderboards skip them).
ALTER TABLE matches ADD COLUMN aborted INTEGER NOT NULL DEFAULT 0;
