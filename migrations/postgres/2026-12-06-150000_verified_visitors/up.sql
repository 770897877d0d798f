-- One person, one wallet: verified addresses (kept only as a keyed hash), pending codes,
-- wrong-code counts per address, and offers that need a verified visitor.
ALTER TABLE offers ADD COLUMN requires_verified BOOLEAN NOT NULL DEFAULT FALSE;

-- The primary key is the keyed hash of the phone number or e-mail: one wallet per address.
CREATE TABLE visitor_addresses (
  address_hash TEXT PRIMARY KEY NOT NULL,
  visitor_id TEXT NOT NULL REFERENCES visitors(id),
  channel TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
  hint TEXT NOT NULL,
  verified_at TIMESTAMP NOT NULL
);
CREATE INDEX visitor_addresses_visitor ON visitor_addresses(visitor_id);

CREATE TABLE verification_codes (
  address_hash TEXT NOT NULL,
  visitor_id TEXT NOT NULL REFERENCES visitors(id),
  channel TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
  hint TEXT NOT NULL,
  code_hash TEXT NOT NULL,
  created_at TIMESTAMP NOT NULL,
  expires_at TIMESTAMP NOT NULL,
  PRIMARY KEY (address_hash, visitor_id)
);
CREATE INDEX verification_codes_visitor ON verification_codes(visitor_id);

CREATE TABLE verification_locks (
  address_hash TEXT PRIMARY KEY NOT NULL,
  failures INTEGER NOT NULL DEFAULT 0,
  locked_until TIMESTAMP
);
