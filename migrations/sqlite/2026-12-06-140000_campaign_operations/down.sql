ALTER TABLE devices DROP COLUMN secret;
ALTER TABLE coupons DROP COLUMN voided_at;
ALTER TABLE coupons DROP COLUMN voided_by;
ALTER TABLE coupons DROP COLUMN void_reason;
ALTER TABLE visitors DROP COLUMN banned_by;
ALTER TABLE visitors DROP COLUMN ban_reason;
ALTER TABLE visitors DROP COLUMN banned_at;
CREATE TABLE enrolments_old (
  id TEXT PRIMARY KEY NOT NULL,
  campaign_id TEXT NOT NULL REFERENCES campaigns(id),
  merchant_id TEXT NOT NULL REFERENCES merchants(id),
  status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
  submitted_at TIMESTAMP NOT NULL,
  decided_at TIMESTAMP,
  decided_by TEXT REFERENCES users(id),
  reason TEXT,
  UNIQUE (campaign_id, merchant_id)
);
INSERT INTO enrolments_old (id, campaign_id, merchant_id, status, submitted_at, decided_at, decided_by, reason)
  SELECT id, campaign_id, merchant_id, CASE WHEN status = 'withdrawn' THEN 'rejected' ELSE status END,
         submitted_at, decided_at, decided_by, reason FROM enrolments;
DROP TABLE enrolments;
ALTER TABLE enrolments_old RENAME TO enrolments;
CREATE INDEX enrolments_status ON enrolments(status, submitted_at);
ALTER TABLE merchants DROP COLUMN suspend_reason;
ALTER TABLE merchants DROP COLUMN suspended_at;
ALTER TABLE points DROP COLUMN retired_at;
ALTER TABLE offers DROP COLUMN paused;
DROP TABLE campaign_budget_days;
ALTER TABLE campaigns DROP COLUMN committed_avos;
ALTER TABLE campaigns DROP COLUMN daily_budget_avos;
ALTER TABLE campaigns DROP COLUMN budget_avos;
