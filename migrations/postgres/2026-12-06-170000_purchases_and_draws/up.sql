-- Consumption stamps and fair draws (two more offer triggers).

ALTER TABLE offers DROP CONSTRAINT offers_trigger_type_check;
ALTER TABLE offers ADD CONSTRAINT offers_trigger_type_check
  CHECK (trigger_type IN ('signup', 'checkins', 'claim', 'purchases', 'draw'));

-- One stamp per visitor, merchant and Macau day in a campaign: the primary key is the rule.
-- `spend_avos` is the largest spend recorded that day (so a per-stamp minimum spend counts
-- the best purchase of the day).
CREATE TABLE purchase_stamps (
  campaign_id TEXT NOT NULL REFERENCES campaigns(id),
  visitor_id TEXT NOT NULL REFERENCES visitors(id),
  merchant_id TEXT NOT NULL REFERENCES merchants(id),
  day DATE NOT NULL,
  spend_avos BIGINT NOT NULL CHECK (spend_avos >= 0),
  purchase_id TEXT NOT NULL,
  created_at TIMESTAMP NOT NULL,
  PRIMARY KEY (campaign_id, visitor_id, merchant_id, day)
);

-- Every purchase recorded at a till (scanned wallet card) or by a redemption.
CREATE TABLE purchases (
  id TEXT PRIMARY KEY NOT NULL,
  campaign_id TEXT NOT NULL REFERENCES campaigns(id),
  merchant_id TEXT NOT NULL REFERENCES merchants(id),
  visitor_id TEXT NOT NULL REFERENCES visitors(id),
  user_id TEXT,
  spend_avos BIGINT NOT NULL CHECK (spend_avos >= 0),
  redemption_id TEXT UNIQUE,
  stamped BOOLEAN NOT NULL,
  day DATE NOT NULL,
  created_at TIMESTAMP NOT NULL
);
CREATE INDEX purchases_campaign_day ON purchases(campaign_id, day);
CREATE INDEX purchases_merchant_time ON purchases(merchant_id, created_at);
CREATE INDEX purchases_visitor ON purchases(visitor_id, campaign_id);

-- The per-stamp minimum spend of a `purchases` offer.
CREATE TABLE purchase_triggers (
  offer_id TEXT PRIMARY KEY NOT NULL REFERENCES offers(id),
  min_spend_avos BIGINT NOT NULL DEFAULT 0 CHECK (min_spend_avos >= 0)
);

-- A fair draw: the seed is chosen when the offer is created and only its SHA-256
-- (`commitment`) is shown until the draw. `status` moves open -> drawing -> done by
-- conditional updates, so one process claims it; `claimed_at` lets another take over a draw
-- whose process died.
CREATE TABLE draws (
  offer_id TEXT PRIMARY KEY NOT NULL REFERENCES offers(id),
  seed TEXT NOT NULL,
  commitment TEXT NOT NULL,
  entries_close_at TIMESTAMP NOT NULL,
  draw_at TIMESTAMP NOT NULL,
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'drawing', 'done')),
  entry_count INTEGER NOT NULL DEFAULT 0,
  claimed_at TIMESTAMP,
  attempts INTEGER NOT NULL DEFAULT 0,
  drawn_at TIMESTAMP
);
CREATE INDEX draws_due ON draws(status, draw_at);

-- One entry per person and draw; a winner's coupon is issued in the same transaction that
-- moves its entry from pending to won, so it is issued once.
CREATE TABLE draw_entries (
  id TEXT PRIMARY KEY NOT NULL,
  offer_id TEXT NOT NULL REFERENCES offers(id),
  visitor_id TEXT NOT NULL REFERENCES visitors(id),
  person TEXT NOT NULL,
  created_at TIMESTAMP NOT NULL,
  outcome TEXT NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'won', 'lost')),
  coupon_id TEXT,
  note TEXT,
  UNIQUE (offer_id, person)
);
CREATE INDEX draw_entries_visitor ON draw_entries(visitor_id);

