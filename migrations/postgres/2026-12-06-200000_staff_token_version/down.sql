ALTER TABLE users DROP COLUMN kept_token;
ALTER TABLE users DROP COLUMN token_version;
