-- The kept statistics of closed days now hold the campaign's purchases too: forget the
-- days kept before, so that each is counted again (with its purchases) when next asked for.
DELETE FROM stats_days;
-- A buyer is counted on the day of their first purchase in the campaign: whether a visitor
-- bought in the campaign before a day is one look-up in this index.
DROP INDEX purchases_visitor;
CREATE INDEX purchases_visitor ON purchases(visitor_id, campaign_id, day);
