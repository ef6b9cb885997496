-- Each claim gets a number, which a claim voucher names (claim_id:uint64)
-- and the API's voucher and payout calls take: the next after the
-- highest, in the recording transaction (SQLite has one writer). Claims
-- recorded before are numbered in their row order.
ALTER TABLE claims ADD COLUMN id INTEGER;
UPDATE claims SET id = rowid;
CREATE UNIQUE INDEX claims_by_id ON claims(id);
