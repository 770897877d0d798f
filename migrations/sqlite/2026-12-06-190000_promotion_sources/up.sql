-- Promotion sources: the bureau's influencer and channel promotions, registered by officials.
-- `code` is what the short link and QR carry as the visitor's `ref`.
CREATE TABLE promotion_sources (
  id TEXT PRIMARY KEY NOT NULL,
  campaign_id TEXT NOT NULL REFERENCES campaigns(id),
  code TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  platform TEXT NOT NULL,
  note TEXT,
  created_by TEXT NOT NULL,
  created_at TIMESTAMP NOT NULL
);
CREATE INDEX promotion_sources_campaign ON promotion_sources (campaign_id);
