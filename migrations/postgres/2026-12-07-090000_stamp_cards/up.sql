-- Each visitor's stamp card in a campaign: the distinct points it has checked in at. On
-- PostgreSQL a check-in is one statement that adds its point to the card with
-- `INSERT ... ON CONFLICT DO UPDATE`, which works on the card's latest version under its row
-- lock, so the stamps it counts are exact without taking the visitor's lock first, and the
-- card's creation marks the visitor's first visit. SQLite, with one writer, counts the stamps
-- from `checkins` in the same transaction and keeps no card. Written by `db::checkins`
-- (`record`, and `recount_cards` after check-ins move between visitors or are bulk-loaded).
CREATE TABLE stamp_cards (
  visitor_id TEXT NOT NULL,
  campaign_id TEXT NOT NULL,
  points TEXT[] NOT NULL,
  PRIMARY KEY (visitor_id, campaign_id)
);

INSERT INTO stamp_cards (visitor_id, campaign_id, points)
SELECT visitor_id, campaign_id, array_agg(DISTINCT point_id)
FROM checkins
GROUP BY visitor_id, campaign_id;
