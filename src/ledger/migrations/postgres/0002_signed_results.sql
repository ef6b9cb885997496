-- Signed results, and the chat: each match's canonical record (the exact JSON text), its
-- Ed25519 signature (hex) and the signing key's id.
ALTER TABLE matches ADD COLUMN record TEXT;
ALTER TABLE matches ADD COLUMN signature TEXT;
ALTER TABLE matches ADD COLUMN key_id TEXT;
-- The Telegram chat (chat_instance) whose room the match was played in.
ALTER TABLE matches ADD COLUMN chat TEXT;

-- Every key the server has signed with, so old results stay checkable
-- after the key changes.
CREATE TABLE result_keys (
    id          TEXT PRIMARY KEY,
    public_key  TEXT NOT NULL
);
