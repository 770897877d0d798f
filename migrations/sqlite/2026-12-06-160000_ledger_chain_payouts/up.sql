-- The ledger becomes a hash chain: each row carries the hash of the row before it (see the
-- README for the canonical encoding). Rows written before this migration are sealed by
-- `bairro migrate` / start-up, which is the only update the trigger still lets through:
-- filling in a missing hash, with every other column unchanged.
ALTER TABLE ledger ADD COLUMN prev_hash TEXT;
ALTER TABLE ledger ADD COLUMN hash TEXT;
DROP TRIGGER ledger_no_update;
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
WHEN NOT (OLD.hash IS NULL AND NEW.hash IS NOT NULL AND NEW.prev_hash IS NOT NULL
  AND NEW.id IS OLD.id AND NEW.campaign_id IS OLD.campaign_id AND NEW.kind IS OLD.kind
  AND NEW.offer_id IS OLD.offer_id AND NEW.coupon_id IS OLD.coupon_id
  AND NEW.redemption_id IS OLD.redemption_id AND NEW.merchant_id IS OLD.merchant_id
  AND NEW.settlement_id IS OLD.settlement_id AND NEW.amount_avos IS OLD.amount_avos
  AND NEW.created_at IS OLD.created_at)
BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;

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
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', 0, CURRENT_TIMESTAMP);

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
