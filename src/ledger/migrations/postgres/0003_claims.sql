-- Rewards: what a match pays each player under its game's [rewards],
-- written in the same transaction as the match. One claim per (match,
-- player); amount in the currency's smallest unit; created_at is the
-- match's end (unix milliseconds), which the daily cap counts by.
CREATE TABLE claims (
    match_id    TEXT NOT NULL REFERENCES matches(id),
    player_id   TEXT NOT NULL,
    currency    TEXT NOT NULL, -- "ton" or "jetton:<master address>"
    amount      BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'open',
    PRIMARY KEY (match_id, player_id)
);

CREATE INDEX claims_by_player ON claims(player_id, currency, created_at);
