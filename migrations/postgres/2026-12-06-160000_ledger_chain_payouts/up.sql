-- The ledger becomes a hash chain: each row carries the hash of the row before it (see the
-- README for the canonical encoding). Rows written before this migration are sealed by
-- `bairro migrate` / start-up, which is the only update the trigger still lets through:
-- filling in a missing hash, with every other column unchanged. TRUNCATE is refused too.
ALTER TABLE ledger ADD COLUMN prev_hash TEXT;
ALTER TABLE ledger ADD COLUMN hash TEXT;
CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.hash IS NULL AND NEW.hash IS NOT NULL AND NEW.prev_hash IS NOT NULL
     AND (NEW.id, NEW.campaign_id, NEW.kind, NEW.offer_id, NEW.coupon_id, NEW.redemption_id,
          NEW.merchant_id, NEW.settlement_id, NEW.amount_avos, NEW.created_at)
         IS NOT DISTINCT FROM
         (OLD.id, OLD.campaign_id, OLD.kind, OLD.offer_id, OLD.coupon_id, OLD.redemption_id,
          OLD.merchant_id, OLD.settlement_id, OLD.amount_avos, OLD.created_at) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'ledger is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();

-- The end of the chain: the last row's id and hash and how many rows there are. Appends lock
-- this row, so the chain never forks; a removed last row is found by comparing with it.
CREATE TABLE ledger_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  last_id BIGINT NOT NULL,
  last_hash TEXT NOT NULL,
  rows_count BIGINT NOT NULL,
  updated_at TIMESTAMP NOT NULL
);
INSERT INTO ledger_head (id, last_id, last_hash, rows_count, updated_at)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', 0, now() AT TIME ZONE 'UTC');

-- The bank account a merchant wants to be paid into; an official verifies it, a change
-- un-verifies it.
CREATE TABLE bank_accounts (
  merchant_id TEXT PRIMARY KEY REFERENCES merchants(id),
  account_name TEXT NOT NULL,
  bank TEXT NOT NULL,
  account_number TEXT NOT NULL,
  updated_by TEXT NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  verified_by TEXT,
  verified_at TIMESTAMP
);

-- A batch of approved statements handed to the bank as one transfer file.
CREATE TABLE payouts (
  id TEXT PRIMARY KEY,
  status TEXT NOT NULL CHECK (status IN ('open', 'paid')),
  total_avos BIGINT NOT NULL,
  statements_count INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  created_at TIMESTAMP NOT NULL,
  confirmed_by TEXT,
  confirmed_at TIMESTAMP,
  bank_reference TEXT
);

-- One line of a batch; a statement is in at most one batch. Payee and account are copied
-- when the batch is made, so the file never changes afterwards.
CREATE TABLE payout_items (
  settlement_id TEXT PRIMARY KEY REFERENCES settlements(id),
  payout_id TEXT NOT NULL REFERENCES payouts(id),
  merchant_id TEXT NOT NULL,
  payee TEXT NOT NULL,
  bank TEXT NOT NULL,
  account_number TEXT NOT NULL,
  amount_avos BIGINT NOT NULL,
  reference TEXT NOT NULL
);
CREATE INDEX payout_items_payout ON payout_items(payout_id);
