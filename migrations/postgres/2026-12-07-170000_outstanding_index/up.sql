-- The e-cash still outstanding (coupons issued and not expired, by campaign and offer) is read
-- from this index alone: every campaign answer and the public campaign list carry it.
DROP INDEX coupons_status_expiry;
CREATE INDEX coupons_status_expiry ON coupons(status, expires_at, campaign_id, offer_id);
