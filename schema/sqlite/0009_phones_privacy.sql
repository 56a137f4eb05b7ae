-- 0009: verified phones (实名), SMS codes, consents, account deletion (注销),
-- IP属地, and what a session remembers of where it was used.

-- phone_verified_at: when the phone last proved itself by a code.
-- consent_version/_at: the privacy policy the member last agreed to.
-- deletes_at: a requested deletion, cancellable until then; deleted_at:
-- anonymised (display name 已注销用户, no phone, no password).
-- ip_region: the region of the address of the last login.
ALTER TABLE users ADD COLUMN phone_verified_at INTEGER;
ALTER TABLE users ADD COLUMN consent_version TEXT;
ALTER TABLE users ADD COLUMN consent_at INTEGER;
ALTER TABLE users ADD COLUMN deletes_at INTEGER;
ALTER TABLE users ADD COLUMN deleted_at INTEGER;
ALTER TABLE users ADD COLUMN ip_region TEXT;
CREATE INDEX users_deletes ON users (deletes_at) WHERE deletes_at IS NOT NULL;

-- A verification code: only its keyed hash (HMAC-SHA256 under a key
-- derived from the server secret, over phone, purpose and code). Only the
-- newest code of a phone and purpose counts; it dies when used, expired or
-- after 5 wrong tries. user_id: who asked, for codes sent while signed in
-- (change_phone, verify, cancel). ip: the address that asked, for the
-- per-address limit. Rows stay two days, for the per-day limits.
CREATE TABLE sms_codes (
  id         INTEGER PRIMARY KEY,
  phone      TEXT NOT NULL,
  purpose    TEXT NOT NULL
             CHECK (purpose IN ('register', 'login', 'reset', 'change_phone', 'verify', 'cancel')),
  code_hash  BLOB NOT NULL,
  user_id    INTEGER,
  ip         TEXT NOT NULL,
  delivered  INTEGER NOT NULL DEFAULT 0,  -- 1 when it went to the relay
  tries      INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at    INTEGER
);
CREATE INDEX sms_codes_phone ON sms_codes (phone, purpose, id);
CREATE INDEX sms_codes_phone_day ON sms_codes (phone, created_at);
CREATE INDEX sms_codes_ip ON sms_codes (ip, created_at);
CREATE INDEX sms_codes_created ON sms_codes (created_at);

-- Resend pacing: one row per phone, claimed by a conditional upsert, so of
-- two requests racing (two gateways) one sends.
CREATE TABLE sms_pacing (
  phone   TEXT PRIMARY KEY,
  last_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Every consent to the privacy policy, with time and address.
CREATE TABLE consents (
  id      INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id),
  version TEXT NOT NULL,
  at      INTEGER NOT NULL,
  ip      TEXT NOT NULL
);
CREATE INDEX consents_user ON consents (user_id, id);

-- Where a session was opened and last refreshed from.
ALTER TABLE sessions ADD COLUMN ip TEXT;
ALTER TABLE sessions ADD COLUMN user_agent TEXT;

-- IP属地 of what was written, from the address it was written from.
ALTER TABLE threads ADD COLUMN ip_region TEXT;
ALTER TABLE posts ADD COLUMN ip_region TEXT;
ALTER TABLE help_requests ADD COLUMN ip_region TEXT;
