-- Ledger rows not yet chained (see the PostgreSQL migration). SQLite lets one writer in at a
-- time, so its transactions chain their rows themselves and this table stays empty; it exists
-- so both databases have the same tables.
CREATE TABLE ledger_pending (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  campaign_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('issue', 'redeem', 'void', 'expire', 'settle', 'pay')),
  offer_id TEXT,
  coupon_id TEXT,
  redemption_id TEXT,
  merchant_id TEXT,
  settlement_id TEXT,
  amount_avos BIGINT NOT NULL,
  created_at TIMESTAMP NOT NULL
);
