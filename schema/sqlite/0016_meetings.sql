-- 0016: meetings of residents or their representatives (议事会, 居民代表
-- 会议). Invitees check in with the code staff show on screen; quorum is
-- computed from check-ins (per mille, to compare in integers). Votes given
-- at a meeting by members who did not vote online are entered by staff:
-- source 'offline' and the staff member who entered it (an online vote
-- replaces it; the audit log keeps every entry).
CREATE TABLE meetings (
  id              INTEGER PRIMARY KEY,
  community_id    INTEGER NOT NULL REFERENCES communities (id),
  title           TEXT NOT NULL,
  agenda          TEXT NOT NULL,
  place           TEXT NOT NULL,
  starts_at       INTEGER NOT NULL,
  invitees        TEXT NOT NULL CHECK (invitees IN ('members', 'representatives')),
  quorum_permille INTEGER NOT NULL CHECK (quorum_permille BETWEEN 0 AND 1000),
  checkin_code    TEXT NOT NULL,
  minutes         TEXT,
  minutes_at      INTEGER,
  created_by      INTEGER NOT NULL REFERENCES users (id),
  created_at      INTEGER NOT NULL
);
CREATE INDEX meetings_community ON meetings (community_id, starts_at);

CREATE TABLE meeting_threads (
  meeting_id INTEGER NOT NULL REFERENCES meetings (id),
  thread_id  INTEGER NOT NULL REFERENCES threads (id),
  PRIMARY KEY (meeting_id, thread_id)
) WITHOUT ROWID;

CREATE TABLE meeting_checkins (
  meeting_id    INTEGER NOT NULL REFERENCES meetings (id),
  user_id       INTEGER NOT NULL REFERENCES users (id),
  checked_in_at INTEGER NOT NULL,
  PRIMARY KEY (meeting_id, user_id)
) WITHOUT ROWID;

ALTER TABLE votes ADD COLUMN source TEXT NOT NULL DEFAULT 'online'
  CHECK (source IN ('online', 'offline'));
ALTER TABLE votes ADD COLUMN entered_by INTEGER REFERENCES users (id);
