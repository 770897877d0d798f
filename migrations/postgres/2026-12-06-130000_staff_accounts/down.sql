-- Viewers have no place in the old shape: they become disabled officials.
UPDATE users SET active = FALSE, role = 'official' WHERE role = 'viewer';
ALTER TABLE users DROP COLUMN locked_until;
ALTER TABLE users DROP COLUMN failed_logins;
ALTER TABLE users DROP COLUMN must_change_password;
DROP INDEX users_username_ci;
ALTER TABLE users DROP COLUMN username_key;
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('official', 'merchant'));
