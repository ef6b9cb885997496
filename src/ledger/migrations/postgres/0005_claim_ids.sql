-- Each claim gets a number, which a claim voucher names (claim_id:uint64)
-- and the API's voucher and payout calls take: from a sequence; the claims
-- recorded before are numbered as the column is added.
ALTER TABLE claims ADD COLUMN id BIGSERIAL;
CREATE UNIQUE INDEX claims_by_id ON claims(id);
