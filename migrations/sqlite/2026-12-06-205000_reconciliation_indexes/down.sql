DROP INDEX ledger_redemption_story;
DROP INDEX ledger_coupon_story;
