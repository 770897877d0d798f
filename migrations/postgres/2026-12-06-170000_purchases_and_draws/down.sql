DROP TABLE draw_entries;
DROP TABLE draws;
DROP TABLE purchase_triggers;
DROP TABLE purchases;
DROP TABLE purchase_stamps;
ALTER TABLE offers DROP CONSTRAINT offers_trigger_type_check;
ALTER TABLE offers ADD CONSTRAINT offers_trigger_type_check
  CHECK (trigger_type IN ('signup', 'checkins', 'claim')) NOT VALID;
