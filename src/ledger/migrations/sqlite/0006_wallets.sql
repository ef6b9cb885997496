-- Wallets linked with TON Connect: one per player per network (TON
-- Connect's chain id, "-239" mainnet or "-3" testnet), and a wallet
-- belongs to one player. address is the raw form, "<workchain>:<hex>";
-- contract the wallet contract its proof's state init holds ("v4r2", ...);
-- linked_at unix milliseconds.
CREATE TABLE wallets (
    player_id   TEXT NOT NULL,
    network     TEXT NOT NULL,
    address     TEXT NOT NULL,
    public_key  TEXT NOT NULL,
    contract    TEXT NOT NULL,
    linked_at   BIGINT NOT NULL,
    PRIMARY KEY (player_id, network),
    UNIQUE (network, address)
);

-- The nonces of the ton_proof payloads used to link a wallet, so each
-- payload links once; kept until the payload's expiry (unix seconds).
CREATE TABLE ton_payloads (
    nonce       TEXT PRIMARY KEY,
    expires     BIGINT NOT NULL
);

CREATE INDEX ton_payloads_by_expiry ON ton_payloads(expires);
