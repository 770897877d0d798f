CREATE TABLE merchants (
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  category TEXT NOT NULL,
  address TEXT NOT NULL,
  lat DOUBLE NOT NULL,
  lng DOUBLE NOT NULL,
  m_mark BOOLEAN NOT NULL DEFAULT 0,
  created_at TIMESTAMP NOT NULL
);

CREATE TABLE users (
  id TEXT PRIMARY KEY NOT NULL,
  username TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('official', 'merchant')),
  merchant_id TEXT REFERENCES merchants(id),
  merchant_role TEXT CHECK (merchant_role IS NULL OR merchant_role IN ('owner', 'cashier')),
  active BOOLEAN NOT NULL DEFAULT 1,
  created_at TIMESTAMP NOT NULL,
  CHECK ((role = 'merchant') = (merchant_id IS NOT NULL))
);

CREATE TABLE visitors (
  id TEXT PRIMARY KEY NOT NULL,
  locale TEXT NOT NULL,
  ref TEXT,
  device_hash TEXT,
  created_at TIMESTAMP NOT NULL,
  last_seen_at TIMESTAMP NOT NULL
);
CREATE INDEX visitors_ref ON visitors(ref);
CREATE INDEX visitors_device ON visitors(device_hash);

CREATE TABLE campaigns (
  id TEXT PRIMARY KEY NOT NULL,
  slug TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  district TEXT NOT NULL,
  description TEXT,
  starts_at TIMESTAMP NOT NULL,
  ends_at TIMESTAMP NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('draft', 'published', 'ended')),
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  CHECK (ends_at > starts_at)
);

CREATE TABLE enrolments (
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
CREATE INDEX enrolments_status ON enrolments(status, submitted_at);

CREATE TABLE points (
  id TEXT PRIMARY KEY NOT NULL,
  campaign_id TEXT NOT NULL REFERENCES campaigns(id),
  name TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('qr', 'ar')),
  lat DOUBLE NOT NULL,
  lng DOUBLE NOT NULL,
  radius_m INTEGER NOT NULL CHECK (radius_m > 0),
  rotating BOOLEAN NOT NULL,
  rotate_seconds INTEGER NOT NULL CHECK (rotate_seconds >= 5),
  require_location BOOLEAN NOT NULL DEFAULT 0,
  created_at TIMESTAMP NOT NULL
);
CREATE INDEX points_campaign ON points(campaign_id);

CREATE TABLE device_setups (
  code_hash TEXT PRIMARY KEY NOT NULL,
  point_id TEXT NOT NULL REFERENCES points(id),
  created_by TEXT NOT NULL REFERENCES users(id),
  expires_at TIMESTAMP NOT NULL,
  used_at TIMESTAMP
);

CREATE TABLE devices (
  id TEXT PRIMARY KEY NOT NULL,
  point_id TEXT NOT NULL REFERENCES points(id),
  created_at TIMESTAMP NOT NULL,
  revoked_at TIMESTAMP
);

CREATE TABLE checkins (
  id TEXT PRIMARY KEY NOT NULL,
  visitor_id TEXT NOT NULL REFERENCES visitors(id),
  point_id TEXT NOT NULL REFERENCES points(id),
  campaign_id TEXT NOT NULL REFERENCES campaigns(id),
  method TEXT NOT NULL CHECK (method IN ('qr', 'ar')),
  day DATE NOT NULL,
  scanned_at TIMESTAMP NOT NULL,
  received_at TIMESTAMP NOT NULL,
  lat DOUBLE,
  lng DOUBLE,
  nonce TEXT,
  ref TEXT,
  first_visit BOOLEAN NOT NULL DEFAULT 0,
  UNIQUE (visitor_id, point_id, day),
  UNIQUE (visitor_id, nonce)
);
CREATE INDEX checkins_campaign_day ON checkins(campaign_id, day);
CREATE INDEX checkins_point ON checkins(point_id);
CREATE INDEX checkins_visitor_campaign ON checkins(visitor_id, campaign_id, point_id);

CREATE TABLE checkin_refusals (
  id TEXT PRIMARY KEY NOT NULL,
  visitor_id TEXT REFERENCES visitors(id),
  point_id TEXT REFERENCES points(id),
  campaign_id TEXT REFERENCES campaigns(id),
  reason TEXT NOT NULL,
  method TEXT NOT NULL,
  lat DOUBLE,
  lng DOUBLE,
  day DATE NOT NULL,
  created_at TIMESTAMP NOT NULL
);
CREATE INDEX checkin_refusals_campaign ON checkin_refusals(campaign_id, day);

CREATE TABLE offers (
  id TEXT PRIMARY KEY NOT NULL,
  campaign_id TEXT NOT NULL REFERENCES campaigns(id),
  name TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('ecash', 'discount')),
  face_value_avos BIGINT NOT NULL DEFAULT 0 CHECK (face_value_avos >= 0),
  min_spend_avos BIGINT NOT NULL DEFAULT 0 CHECK (min_spend_avos >= 0),
  percent_off INTEGER NOT NULL DEFAULT 0 CHECK (percent_off BETWEEN 0 AND 100),
  max_discount_avos BIGINT NOT NULL DEFAULT 0 CHECK (max_discount_avos >= 0),
  stock INTEGER NOT NULL CHECK (stock >= 0),
  issued INTEGER NOT NULL DEFAULT 0,
  per_visitor_limit INTEGER NOT NULL CHECK (per_visitor_limit >= 1),
  valid_days INTEGER NOT NULL CHECK (valid_days >= 1),
  valid_until TIMESTAMP NOT NULL,
  trigger_type TEXT NOT NULL CHECK (trigger_type IN ('signup', 'checkins', 'claim')),
  trigger_count INTEGER,
  opens_at TIMESTAMP,
  eligible_categories TEXT NOT NULL DEFAULT '[]',
  created_at TIMESTAMP NOT NULL,
  CHECK (issued >= 0 AND issued <= stock)
);
CREATE INDEX offers_campaign ON offers(campaign_id);

CREATE TABLE coupons (
  id TEXT PRIMARY KEY NOT NULL,
  code TEXT NOT NULL UNIQUE,
  offer_id TEXT NOT NULL REFERENCES offers(id),
  campaign_id TEXT NOT NULL REFERENCES campaigns(id),
  visitor_id TEXT NOT NULL REFERENCES visitors(id),
  seq INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('issued', 'redeemed', 'expired', 'void')),
  issued_at TIMESTAMP NOT NULL,
  expires_at TIMESTAMP NOT NULL,
  day DATE NOT NULL,
  checkin_id TEXT,
  ref TEXT,
  UNIQUE (offer_id, visitor_id, seq)
);
CREATE INDEX coupons_visitor ON coupons(visitor_id);
CREATE INDEX coupons_campaign_day ON coupons(campaign_id, day);
CREATE INDEX coupons_status_expiry ON coupons(status, expires_at);

CREATE TABLE redemptions (
  id TEXT PRIMARY KEY NOT NULL,
  coupon_id TEXT NOT NULL REFERENCES coupons(id),
  offer_id TEXT NOT NULL REFERENCES offers(id),
  campaign_id TEXT NOT NULL REFERENCES campaigns(id),
  merchant_id TEXT NOT NULL REFERENCES merchants(id),
  user_id TEXT NOT NULL REFERENCES users(id),
  spend_avos BIGINT NOT NULL CHECK (spend_avos >= 0),
  discount_avos BIGINT NOT NULL CHECK (discount_avos >= 0),
  ecash_avos BIGINT NOT NULL CHECK (ecash_avos >= 0),
  status TEXT NOT NULL CHECK (status IN ('done', 'void')),
  day DATE NOT NULL,
  created_at TIMESTAMP NOT NULL,
  voided_at TIMESTAMP,
  settlement_id TEXT,
  ref TEXT
);
CREATE UNIQUE INDEX redemptions_one_per_coupon ON redemptions(coupon_id) WHERE status = 'done';
CREATE INDEX redemptions_merchant ON redemptions(merchant_id, created_at);
CREATE INDEX redemptions_campaign_day ON redemptions(campaign_id, day);
CREATE INDEX redemptions_settlement ON redemptions(settlement_id);

CREATE TABLE idempotency_keys (
  merchant_id TEXT NOT NULL REFERENCES merchants(id),
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  status_code INTEGER NOT NULL,
  response TEXT NOT NULL,
  created_at TIMESTAMP NOT NULL,
  PRIMARY KEY (merchant_id, key)
);

CREATE TABLE settlements (
  id TEXT PRIMARY KEY NOT NULL,
  campaign_id TEXT NOT NULL REFERENCES campaigns(id),
  merchant_id TEXT NOT NULL REFERENCES merchants(id),
  period_from DATE NOT NULL,
  period_to DATE NOT NULL,
  amount_avos BIGINT NOT NULL,
  redemptions_count INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('draft', 'approved', 'paid')),
  created_by TEXT NOT NULL REFERENCES users(id),
  created_at TIMESTAMP NOT NULL,
  approved_by TEXT REFERENCES users(id),
  approved_at TIMESTAMP,
  paid_by TEXT REFERENCES users(id),
  paid_at TIMESTAMP
);
CREATE INDEX settlements_merchant ON settlements(merchant_id);
CREATE INDEX settlements_campaign ON settlements(campaign_id);

CREATE TABLE ledger (
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
CREATE INDEX ledger_campaign ON ledger(campaign_id, kind);
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;

CREATE TABLE pageviews (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  campaign_id TEXT NOT NULL,
  path TEXT NOT NULL,
  ref TEXT,
  visitor_hash TEXT NOT NULL,
  day DATE NOT NULL,
  created_at TIMESTAMP NOT NULL
);
CREATE INDEX pageviews_campaign_day ON pageviews(campaign_id, day);
CREATE INDEX pageviews_ref ON pageviews(campaign_id, ref);

-- One row per campaign and page visitor (a keyed hash, never an address): unique visitors.
CREATE TABLE page_visitors (
  campaign_id TEXT NOT NULL,
  visitor_hash TEXT NOT NULL,
  day DATE NOT NULL,
  PRIMARY KEY (campaign_id, visitor_hash)
);
CREATE INDEX page_visitors_day ON page_visitors(campaign_id, day);

-- The statistics of a closed Macau day (nothing can change it any more), as JSON.
CREATE TABLE stats_days (
  campaign_id TEXT NOT NULL,
  day DATE NOT NULL,
  facts TEXT NOT NULL,
  computed_at TIMESTAMP NOT NULL,
  PRIMARY KEY (campaign_id, day)
);

CREATE TABLE survey_answers (
  campaign_id TEXT NOT NULL REFERENCES campaigns(id),
  merchant_id TEXT NOT NULL REFERENCES merchants(id),
  came_because_of_campaign BOOLEAN NOT NULL,
  estimate_pct INTEGER CHECK (estimate_pct IS NULL OR estimate_pct BETWEEN 0 AND 100),
  comment TEXT,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  PRIMARY KEY (campaign_id, merchant_id)
);

CREATE TABLE holidays (
  day DATE PRIMARY KEY NOT NULL,
  name TEXT NOT NULL
);

CREATE TABLE pledge_indicators (
  id TEXT PRIMARY KEY NOT NULL,
  position INTEGER NOT NULL,
  service_item TEXT NOT NULL,
  indicator TEXT NOT NULL,
  clock TEXT NOT NULL CHECK (clock IN ('enrolment_decision', 'settlement_payment')),
  deadline_working_days INTEGER NOT NULL,
  target_pct DOUBLE NOT NULL
);

CREATE TABLE pledge_footnotes (
  indicator_id TEXT NOT NULL REFERENCES pledge_indicators(id),
  year INTEGER NOT NULL,
  text TEXT NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  PRIMARY KEY (indicator_id, year)
);

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  actor_id TEXT,
  actor_role TEXT NOT NULL,
  action TEXT NOT NULL,
  entity TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  before TEXT,
  after TEXT,
  created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_entity ON audit_log(entity, entity_id);
