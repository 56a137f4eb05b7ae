-- 0015: the representative role (居民代表), between resident and staff:
-- invited to representatives' meetings (0016). SQLite changes a CHECK only
-- by rebuilding the table; the migration runs with foreign keys off and
-- checks every key before it commits (store_sqlite.c).
CREATE TABLE memberships_new (
  community_id INTEGER NOT NULL REFERENCES communities (id),
  user_id      INTEGER NOT NULL REFERENCES users (id),
  role         TEXT NOT NULL CHECK (role IN ('resident', 'representative', 'staff')),
  joined_at    INTEGER NOT NULL,
  PRIMARY KEY (community_id, user_id)
) WITHOUT ROWID;
INSERT INTO memberships_new (community_id, user_id, role, joined_at)
  SELECT community_id, user_id, role, joined_at FROM memberships;
DROP TABLE memberships;
ALTER TABLE memberships_new RENAME TO memberships;
CREATE INDEX memberships_user ON memberships (user_id, community_id);

CREATE TABLE invites_new (
  code         TEXT PRIMARY KEY,
  community_id INTEGER NOT NULL REFERENCES communities (id),
  role         TEXT NOT NULL CHECK (role IN ('resident', 'representative', 'staff')),
  created_by   INTEGER NOT NULL REFERENCES users (id),
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  max_uses     INTEGER NOT NULL,
  uses         INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
INSERT INTO invites_new SELECT code, community_id, role, created_by, created_at, expires_at,
  max_uses, uses FROM invites;
DROP TABLE invites;
ALTER TABLE invites_new RENAME TO invites;
