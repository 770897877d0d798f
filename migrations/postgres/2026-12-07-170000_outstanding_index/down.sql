DROP INDEX coupons_status_expiry;
CREATE INDEX coupons_status_expiry ON coupons(status, expires_at);
