-- Payout batches: open TON claims paid from the operator's own wallet in
-- one signed external message (parlor rewards payout). A batch is
-- 'signed' until the operator settles it 'paid' or 'failed'; at most one
-- batch is 'signed' at a time. valid_until (unix seconds) is the message's,
-- kept so a rebuilt batch signs the same message.
CREATE TABLE payout_batches (
    id          INTEGER PRIMARY KEY,
    network     TEXT NOT NULL,
    wallet      TEXT NOT NULL,
    seqno       BIGINT NOT NULL,
    valid_until BIGINT NOT NULL,
    total       BIGINT NOT NULL,
    claims      BIGINT NOT NULL,
    status      TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE UNIQUE INDEX one_unsettled_batch ON payout_batches(status) WHERE status = 'signed';

-- What each batch pays: the claim, the wallet it pays and the amount,
-- kept after the batch is settled (a failed batch's claims are open again).
CREATE TABLE batch_claims (
    batch_id    BIGINT NOT NULL REFERENCES payout_batches(id),
    claim_id    BIGINT NOT NULL,
    wallet      TEXT NOT NULL,
    amount      BIGINT NOT NULL,
    PRIMARY KEY (batch_id, claim_id)
);

CREATE INDEX batch_claims_by_claim ON batch_claims(claim_id);
