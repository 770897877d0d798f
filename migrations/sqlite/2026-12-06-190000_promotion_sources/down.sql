DROP INDEX promotion_sources_campaign;
DROP TABLE promotion_sources;
