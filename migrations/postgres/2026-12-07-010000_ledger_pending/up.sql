-- Ledger rows written by a committed transaction and not yet given their place in the chain.
-- On PostgreSQL an issuing or redeeming transaction writes its rows here, with no lock on the
-- chain's head, so such transactions commit side by side; right after the commit the server's
-- sealer moves every waiting row into `ledger` in this table's id order, chained after the
-- head, in one transaction (and the request answers only then). Rows left here by a process
-- that stopped in between are sealed at the next start, by any other process, and before
-- the ledger is verified or reconciled.
CREATE TABLE ledger_pending (
  id BIGSERIAL PRIMARY KEY,
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
