DROP INDEX purchases_visitor;
CREATE INDEX purchases_visitor ON purchases(visitor_id, campaign_id);
