-- 0010: the retained access log, sanctions and appeals (网络日志留存, 《网络安全法》 art. 21).
--
-- One row per request that writes (every POST, PUT, PATCH, DELETE: logins,
-- refreshes and logouts included) and per WebSocket authentication: who
-- (user, session), from where (address and port after trusted_proxies,
-- user agent), what (method, route, target ids as JSON), the answer's
-- status and the request id of the gateway's own log. texts: every
-- user-written text of the request ({"body": "..."}), so each version of
-- each text is kept as long as the log, whatever later happens to it.
-- A write that commits inserts its row in its own transaction (status NULL
-- until the answer is known, then set); a request that commits nothing
-- gets its row after the answer. Never passwords, tokens or codes.
-- Kept access_log_retention_days (at least 180).
CREATE TABLE access_log (
  id         INTEGER PRIMARY KEY,
  at         INTEGER NOT NULL,
  user_id    INTEGER,
  session_id INTEGER,
  ip         TEXT NOT NULL,
  port       INTEGER,
  user_agent TEXT,
  method     TEXT NOT NULL,
  route      TEXT NOT NULL,
  target     TEXT,
  status     INTEGER,
  request_id INTEGER NOT NULL,
  texts      TEXT
);
CREATE INDEX access_log_at ON access_log (at);
CREATE INDEX access_log_user ON access_log (user_id, at);

-- Sanctions beyond mutes. A warning: told to the member, in the
-- moderation log; withdrawn when an appeal overturns it.
CREATE TABLE warnings (
  id           INTEGER PRIMARY KEY,
  community_id INTEGER NOT NULL,
  user_id      INTEGER NOT NULL,
  actor_id     INTEGER NOT NULL,
  reason       TEXT NOT NULL,
  at           INTEGER NOT NULL,
  withdrawn_at INTEGER,
  action_id    INTEGER NOT NULL  -- its moderation_log entry
);
CREATE INDEX warnings_user ON warnings (user_id, at);

-- A suspension by an admin: no sign-in until `until` (NULL: permanent).
-- Lifting it (an admin, or an overturned appeal) deletes the row.
CREATE TABLE suspensions (
  user_id    INTEGER PRIMARY KEY,
  actor_id   INTEGER NOT NULL,
  reason     TEXT NOT NULL,
  at         INTEGER NOT NULL,
  until      INTEGER
);

-- Phones of permanently suspended members, only as a keyed hash
-- (HMAC-SHA256 under a key derived from the server secret): registering
-- one answers 403 blacklisted.
CREATE TABLE blacklist (
  phone_hash BLOB PRIMARY KEY,
  user_id    INTEGER NOT NULL,
  reason     TEXT NOT NULL,
  at         INTEGER NOT NULL
);

-- 申诉: one per moderation action, by the member it targeted.
CREATE TABLE appeals (
  id              INTEGER PRIMARY KEY,
  action_id       INTEGER NOT NULL UNIQUE REFERENCES moderation_log (id),
  community_id    INTEGER NOT NULL,
  appellant_id    INTEGER NOT NULL,
  reason          TEXT NOT NULL,
  status          TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'upheld', 'overturned')),
  decided_by      INTEGER,
  decision_reason TEXT,
  created_at      INTEGER NOT NULL,
  decided_at      INTEGER
);
CREATE INDEX appeals_community ON appeals (community_id, status, id);
