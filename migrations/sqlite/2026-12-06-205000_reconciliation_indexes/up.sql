-- Reconciliation replays each coupon's and each redemption's story from the ledger, grouped
-- by coupon and by redemption within a campaign; these indexes give those groups in order.
CREATE INDEX ledger_coupon_story ON ledger(campaign_id, coupon_id, id);
CREATE INDEX ledger_redemption_story ON ledger(campaign_id, redemption_id, id) WHERE redemption_id IS NOT NULL;
