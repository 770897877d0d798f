DROP TABLE payout_items;
DROP TABLE payouts;
DROP TABLE bank_accounts;
DROP TABLE ledger_head;
DROP TRIGGER ledger_no_update;
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;
ALTER TABLE ledger DROP COLUMN hash;
ALTER TABLE ledger DROP COLUMN prev_hash;
