DROP TABLE draw_entries;
DROP TABLE draws;
DROP TABLE purchase_triggers;
DROP TABLE purchases;
DROP TABLE purchase_stamps;
PRAGMA writable_schema = ON;
UPDATE sqlite_master
  SET sql = replace(sql, 'CHECK (trigger_type IN (''signup'', ''checkins'', ''claim'', ''purchases'', ''draw''))',
                         'CHECK (trigger_type IN (''signup'', ''checkins'', ''claim''))')
  WHERE type = 'table' AND name = 'offers';
PRAGMA writable_schema = RESET;
