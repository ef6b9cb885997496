-- Leaderboards kept as they are read: one row per game, period bucket,
-- chat and player, added to in the transaction that records each match
-- (not aborted). period is 'all' (bucket 0), 'day' or 'week' (bucket: the
-- period's first unix millisecond, UTC, weeks from Monday); chat is '' for
-- everyone, else the chat_instance. A board is then an index range:
-- reading one no longer aggregates every match of the game.
CREATE TABLE board_scores (
    game        TEXT NOT NULL,
    period      TEXT NOT NULL,
    bucket      BIGINT NOT NULL,
    chat        TEXT NOT NULL,
    player_id   TEXT NOT NULL,
    name        TEXT NOT NULL, -- the name of the player's best match
    best        BIGINT NOT NULL,
    wins        BIGINT NOT NULL,
    total       BIGINT NOT NULL,
    matches     BIGINT NOT NULL,
    PRIMARY KEY (game, period, bucket, chat, player_id)
);

-- In board order, ties by player id: the top of a board is the first rows
-- of its range, however many players are level.
CREATE INDEX board_by_best ON board_scores(game, period, bucket, chat, best DESC, player_id);
CREATE INDEX board_by_wins ON board_scores(game, period, bucket, chat, wins DESC, player_id);
CREATE INDEX board_by_total ON board_scores(game, period, bucket, chat, total DESC, player_id);

-- The matches recorded before: each line into its six rows (three periods,
-- everyone and its chat).
INSERT INTO board_scores (game, period, bucket, chat, player_id, name, best, wins, total, matches)
SELECT m.game, 'all', 0, '', p.player_id, p.name, MAX(p.score),
       SUM(CASE WHEN p.rank = 1 THEN 1 ELSE 0 END), SUM(p.score), COUNT(*)
FROM match_players p JOIN matches m ON m.id = p.match_id
WHERE m.aborted = 0 AND 1 = 1
GROUP BY m.game, p.player_id;

INSERT INTO board_scores (game, period, bucket, chat, player_id, name, best, wins, total, matches)
SELECT m.game, 'all', 0, m.chat, p.player_id, p.name, MAX(p.score),
       SUM(CASE WHEN p.rank = 1 THEN 1 ELSE 0 END), SUM(p.score), COUNT(*)
FROM match_players p JOIN matches m ON m.id = p.match_id
WHERE m.aborted = 0 AND m.chat IS NOT NULL
GROUP BY m.game, m.chat, p.player_id;

INSERT INTO board_scores (game, period, bucket, chat, player_id, name, best, wins, total, matches)
SELECT m.game, 'day', (m.ended_at / 86400000) * 86400000, '', p.player_id, p.name, MAX(p.score),
       SUM(CASE WHEN p.rank = 1 THEN 1 ELSE 0 END), SUM(p.score), COUNT(*)
FROM match_players p JOIN matches m ON m.id = p.match_id
WHERE m.aborted = 0 AND 1 = 1
GROUP BY m.game, (m.ended_at / 86400000) * 86400000, p.player_id;

INSERT INTO board_scores (game, period, bucket, chat, player_id, name, best, wins, total, matches)
SELECT m.game, 'day', (m.ended_at / 86400000) * 86400000, m.chat, p.player_id, p.name, MAX(p.score),
       SUM(CASE WHEN p.rank = 1 THEN 1 ELSE 0 END), SUM(p.score), COUNT(*)
FROM match_players p JOIN matches m ON m.id = p.match_id
WHERE m.aborted = 0 AND m.chat IS NOT NULL
GROUP BY m.game, (m.ended_at / 86400000) * 86400000, m.chat, p.player_id;

INSERT INTO board_scores (game, period, bucket, chat, player_id, name, best, wins, total, matches)
SELECT m.game, 'week', ((m.ended_at / 86400000) - ((m.ended_at / 86400000) - 4) % 7) * 86400000, '', p.player_id, p.name, MAX(p.score),
       SUM(CASE WHEN p.rank = 1 THEN 1 ELSE 0 END), SUM(p.score), COUNT(*)
FROM match_players p JOIN matches m ON m.id = p.match_id
WHERE m.aborted = 0 AND 1 = 1
GROUP BY m.game, ((m.ended_at / 86400000) - ((m.ended_at / 86400000) - 4) % 7) * 86400000, p.player_id;

INSERT INTO board_scores (game, period, bucket, chat, player_id, name, best, wins, total, matches)
SELECT m.game, 'week', ((m.ended_at / 86400000) - ((m.ended_at / 86400000) - 4) % 7) * 86400000, m.chat, p.player_id, p.name, MAX(p.score),
       SUM(CASE WHEN p.rank = 1 THEN 1 ELSE 0 END), SUM(p.score), COUNT(*)
FROM match_players p JOIN matches m ON m.id = p.match_id
WHERE m.aborted = 0 AND m.chat IS NOT NULL
GROUP BY m.game, ((m.ended_at / 86400000) - ((m.ended_at / 86400000) - 4) % 7) * 86400000, m.chat, p.player_id;
