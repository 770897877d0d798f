DROP TABLE verification_locks;
DROP TABLE verification_codes;
DROP TABLE visitor_addresses;
ALTER TABLE offers DROP COLUMN requires_verified;
