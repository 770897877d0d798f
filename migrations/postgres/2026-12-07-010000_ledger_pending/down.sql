DROP TABLE ledger_pending;
