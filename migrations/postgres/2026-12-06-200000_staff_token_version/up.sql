-- Staff tokens carry the account's token version: a password reset or change moves it on, so
-- every token issued before is refused. `kept_token` is the one token (its `jti`) that made
-- the account's own change and keeps working.
ALTER TABLE users ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN kept_token TEXT;
