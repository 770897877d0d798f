DROP TABLE payout_items;
DROP TABLE payouts;
DROP TABLE bank_accounts;
DROP TABLE ledger_head;
DROP TRIGGER ledger_no_truncate ON ledger;
CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'ledger is append-only';
END;
$$ LANGUAGE plpgsql;
ALTER TABLE ledger DROP COLUMN hash;
ALTER TABLE ledger DROP COLUMN prev_hash;
