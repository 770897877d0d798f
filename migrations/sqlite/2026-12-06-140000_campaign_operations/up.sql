-- Campaign operations after launch: budgets, pausing offers, retiring points, suspending
-- merchants, withdrawing enrolments, voiding coupons, banning visitors, per-device secrets.

ALTER TABLE campaigns ADD COLUMN budget_avos BIGINT CHECK (budget_avos IS NULL OR budget_avos >= 0);
ALTER TABLE campaigns ADD COLUMN daily_budget_avos BIGINT CHECK (daily_budget_avos IS NULL OR daily_budget_avos >= 0);
-- Face value of the campaign's e-cash coupons issued and not void (kept in the issuing transaction).
ALTER TABLE campaigns ADD COLUMN committed_avos BIGINT NOT NULL DEFAULT 0;

CREATE TABLE campaign_budget_days (
  campaign_id TEXT NOT NULL REFERENCES campaigns(id),
  day DATE NOT NULL,
  committed_avos BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (campaign_id, day)
);

UPDATE campaigns SET committed_avos = COALESCE((
  SELECT SUM(o.face_value_avos) FROM coupons c JOIN offers o ON o.id = c.offer_id
  WHERE c.campaign_id = campaigns.id AND o.kind = 'ecash' AND c.status <> 'void'), 0);

INSERT INTO campaign_budget_days (campaign_id, day, committed_avos)
  SELECT c.campaign_id, c.day, SUM(o.face_value_avos) FROM coupons c JOIN offers o ON o.id = c.offer_id
  WHERE o.kind = 'ecash' AND c.status <> 'void' GROUP BY c.campaign_id, c.day;

ALTER TABLE offers ADD COLUMN paused BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE points ADD COLUMN retired_at TIMESTAMP;
ALTER TABLE merchants ADD COLUMN suspended_at TIMESTAMP;
ALTER TABLE merchants ADD COLUMN suspend_reason TEXT;
-- An enrolment can be withdrawn by an official (SQLite cannot change a CHECK in place).
CREATE TABLE enrolments_new (
  id TEXT PRIMARY KEY NOT NULL,
  campaign_id TEXT NOT NULL REFERENCES campaigns(id),
  merchant_id TEXT NOT NULL REFERENCES merchants(id),
  status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'withdrawn')),
  submitted_at TIMESTAMP NOT NULL,
  decided_at TIMESTAMP,
  decided_by TEXT REFERENCES users(id),
  reason TEXT,
  withdrawn_at TIMESTAMP,
  UNIQUE (campaign_id, merchant_id)
);
INSERT INTO enrolments_new (id, campaign_id, merchant_id, status, submitted_at, decided_at, decided_by, reason)
  SELECT id, campaign_id, merchant_id, status, submitted_at, decided_at, decided_by, reason FROM enrolments;
DROP TABLE enrolments;
ALTER TABLE enrolments_new RENAME TO enrolments;
CREATE INDEX enrolments_status ON enrolments(status, submitted_at);
ALTER TABLE visitors ADD COLUMN banned_at TIMESTAMP;
ALTER TABLE visitors ADD COLUMN ban_reason TEXT;
ALTER TABLE visitors ADD COLUMN banned_by TEXT;
ALTER TABLE coupons ADD COLUMN void_reason TEXT;
ALTER TABLE coupons ADD COLUMN voided_by TEXT;
ALTER TABLE coupons ADD COLUMN voided_at TIMESTAMP;
-- Each display device's own secret: its rotating codes are signed with it, so revoking the
-- device stops its codes, even those computed offline.
ALTER TABLE devices ADD COLUMN secret TEXT;
