-- 0001: the gateway backbone: settings, users, the event log.
-- Every later migration is a new numbered file; never edit an applied one.

-- Server-wide settings; the token secret lives here so every process on
-- one database signs and verifies with the same key.
CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value BLOB NOT NULL
) WITHOUT ROWID;

-- Accounts. Issue-3 fields (phone, password) arrive in a later migration;
-- here a user is whoever holds a token from `mint-token`.
CREATE TABLE users (
  id           INTEGER PRIMARY KEY,
  display_name TEXT NOT NULL DEFAULT '',
  is_admin     INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
  created_at   INTEGER NOT NULL
);

-- One row per channel that ever had an event: the head (last seq handed
-- out) and the highest seq trimmed away by retention. A subscriber whose
-- `since` is below `trimmed` has missed events and gets `reset`.
CREATE TABLE channels (
  name    TEXT PRIMARY KEY,
  head    INTEGER NOT NULL DEFAULT 0,
  trimmed INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- The durable event log. `data` is JSON text, sent to clients as is.
-- `community_id` (NULL for server-wide channels) keeps the shard key on
-- every row.
CREATE TABLE events (
  channel      TEXT NOT NULL,
  seq          INTEGER NOT NULL,
  type         TEXT NOT NULL,
  data         TEXT NOT NULL,
  at           INTEGER NOT NULL,
  community_id INTEGER,
  PRIMARY KEY (channel, seq)
) WITHOUT ROWID;
