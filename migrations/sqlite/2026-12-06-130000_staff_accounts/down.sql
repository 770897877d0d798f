PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE users_old (
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
-- Viewers have no place in the old shape: they become disabled officials.
INSERT INTO users_old (id, username, password_hash, role, merchant_id, merchant_role, active, created_at)
  SELECT id, username, password_hash, CASE WHEN role = 'viewer' THEN 'official' ELSE role END,
         merchant_id, merchant_role, CASE WHEN role = 'viewer' THEN 0 ELSE active END, created_at FROM users;
DROP TABLE users;
ALTER TABLE users_old RENAME TO users;
COMMIT;
PRAGMA foreign_keys = ON;
