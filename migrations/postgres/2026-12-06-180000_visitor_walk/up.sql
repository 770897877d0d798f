-- Short human codes of static check-in points, printed under the QR and typed by visitors.
CREATE TABLE point_short_codes (
  code TEXT PRIMARY KEY NOT NULL,
  point_id TEXT NOT NULL UNIQUE REFERENCES points(id),
  created_at TIMESTAMP NOT NULL
);
-- Existing static points get one now: 10 hex digits (all in the look-alike-free alphabet).
INSERT INTO point_short_codes (code, point_id, created_at)
  SELECT upper(substr(md5(random()::text || id), 1, 10)), id, CURRENT_TIMESTAMP FROM points WHERE rotating = FALSE;

-- Pictures visitors see: a campaign's cover and a shop's photo, resized by Bairro on upload.
CREATE TABLE images (
  owner_kind TEXT NOT NULL CHECK (owner_kind IN ('campaign', 'merchant')),
  owner_id TEXT NOT NULL,
  content_type TEXT NOT NULL,
  data BYTEA NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  etag TEXT NOT NULL,
  created_at TIMESTAMP NOT NULL,
  PRIMARY KEY (owner_kind, owner_id)
);
