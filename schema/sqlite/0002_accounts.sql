-- 0002: accounts, sessions, communities, memberships, invites, audit log,
-- idempotent POSTs, login throttling.

-- Phone numbers are stored normalised (11 digits, mainland mobile). The
-- password hash records its own parameters:
--   scrypt$<log2 N>$<r>$<p>$<salt base64url>$<hash base64url>
-- so they can be raised later without invalidating old hashes.
ALTER TABLE users ADD COLUMN phone TEXT;
ALTER TABLE users ADD COLUMN pw_hash TEXT;
CREATE UNIQUE INDEX users_phone ON users (phone) WHERE phone IS NOT NULL;

-- A login session: one per device sign-in. The refresh token is stored only
-- as its SHA-256. Rotation replaces `refresh_hash`; the spent hashes stay in
-- `refresh_spent` so that a replayed one revokes the whole session.
CREATE TABLE sessions (
  id           INTEGER PRIMARY KEY,
  user_id      INTEGER NOT NULL REFERENCES users (id),
  refresh_hash BLOB NOT NULL UNIQUE,
  created_at   INTEGER NOT NULL,
  refreshed_at INTEGER NOT NULL,
  revoked_at   INTEGER,
  revoke_reason TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_revoked ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;

CREATE TABLE refresh_spent (
  hash       BLOB PRIMARY KEY,
  session_id INTEGER NOT NULL REFERENCES sessions (id),
  spent_at   INTEGER NOT NULL
) WITHOUT ROWID;

-- 社區: the tenant. Grids (網格) are named at creation, in order.
CREATE TABLE communities (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  created_by INTEGER NOT NULL REFERENCES users (id),
  created_at INTEGER NOT NULL
);

CREATE TABLE grids (
  community_id INTEGER NOT NULL REFERENCES communities (id),
  name         TEXT NOT NULL,
  position     INTEGER NOT NULL,
  PRIMARY KEY (community_id, name)
) WITHOUT ROWID;

CREATE TABLE memberships (
  community_id INTEGER NOT NULL REFERENCES communities (id),
  user_id      INTEGER NOT NULL REFERENCES users (id),
  role         TEXT NOT NULL CHECK (role IN ('resident', 'staff')),
  joined_at    INTEGER NOT NULL,
  PRIMARY KEY (community_id, user_id)
) WITHOUT ROWID;
CREATE INDEX memberships_user ON memberships (user_id, community_id);

-- 志願者: a member who opted in, with categories and grids (JSON arrays).
CREATE TABLE volunteers (
  community_id INTEGER NOT NULL,
  user_id      INTEGER NOT NULL,
  categories   TEXT NOT NULL,
  grids        TEXT NOT NULL,
  active       INTEGER NOT NULL CHECK (active IN (0, 1)),
  updated_at   INTEGER NOT NULL,
  PRIMARY KEY (community_id, user_id),
  FOREIGN KEY (community_id, user_id) REFERENCES memberships (community_id, user_id)
) WITHOUT ROWID;

CREATE TABLE invites (
  code         TEXT PRIMARY KEY,
  community_id INTEGER NOT NULL REFERENCES communities (id),
  role         TEXT NOT NULL CHECK (role IN ('resident', 'staff')),
  created_by   INTEGER NOT NULL REFERENCES users (id),
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  max_uses     INTEGER NOT NULL,
  uses         INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Every role change and staff action on membership, with actor and time.
CREATE TABLE audit_log (
  id           INTEGER PRIMARY KEY,
  community_id INTEGER,
  actor_id     INTEGER NOT NULL,
  action       TEXT NOT NULL,
  target_user  INTEGER,
  detail       TEXT NOT NULL DEFAULT '{}',
  at           INTEGER NOT NULL
);
CREATE INDEX audit_log_community ON audit_log (community_id, id);

-- A POST with Idempotency-Key: the first answer, replayed for 24 h.
CREATE TABLE idempotency (
  user_id    INTEGER NOT NULL,
  key        TEXT NOT NULL,
  route      TEXT NOT NULL,
  status     INTEGER NOT NULL,
  body       TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_age ON idempotency (created_at);

-- Failed logins per key ("phone:<n>" or "ip:<addr>"), shared by every
-- process on the database so a lock-out holds whichever one is asked.
CREATE TABLE login_failures (
  key          TEXT PRIMARY KEY,
  failures     INTEGER NOT NULL,
  window_start INTEGER NOT NULL,
  locked_until INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
