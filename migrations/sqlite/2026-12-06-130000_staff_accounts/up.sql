-- Staff accounts: the `viewer` role, usernames unique whatever their case, forced password
-- changes after a reset, and a lockout counted in the database (shared by every process).
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE users_new (
  id TEXT PRIMARY KEY NOT NULL,
  username TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('official', 'viewer', 'merchant')),
  merchant_id TEXT REFERENCES merchants(id),
  merchant_role TEXT CHECK (merchant_role IS NULL OR merchant_role IN ('owner', 'cashier')),
  active BOOLEAN NOT NULL DEFAULT 1,
  created_at TIMESTAMP NOT NULL,
  username_key TEXT NOT NULL,
  must_change_password BOOLEAN NOT NULL DEFAULT 0,
  failed_logins INTEGER NOT NULL DEFAULT 0,
  locked_until TIMESTAMP,
  CHECK ((role = 'merchant') = (merchant_id IS NOT NULL))
);
INSERT INTO users_new (id, username, password_hash, role, merchant_id, merchant_role, active, created_at, username_key)
  SELECT id, username, password_hash, role, merchant_id, merchant_role, active, created_at, lower(username) FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE UNIQUE INDEX users_username_ci ON users(username_key);
COMMIT;
PRAGMA foreign_keys = ON;
