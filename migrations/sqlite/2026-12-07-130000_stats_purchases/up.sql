-- The kept statistics of closed days now hold the campaign's purchases too: forget the
-- days kept before, so that each is counted again (with its purchases) when next asked for.
DELETE FROM stats_days;
