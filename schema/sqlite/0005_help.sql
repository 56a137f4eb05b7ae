-- 0005: neighbour help (鄰里互助) and the notification inbox.

-- Quiet hours of a volunteer profile: minutes after local midnight
-- (Asia/Shanghai); NULL = none. Urgent requests ignore them.
ALTER TABLE volunteers ADD COLUMN quiet_start INTEGER;
ALTER TABLE volunteers ADD COLUMN quiet_end INTEGER;

-- status: open -> claimed -> done -> confirmed; open|claimed -> cancelled;
-- open -> expired. Every transition is one conditional UPDATE.
CREATE TABLE help_requests (
  id            INTEGER PRIMARY KEY,
  community_id  INTEGER NOT NULL REFERENCES communities (id),
  requester_id  INTEGER NOT NULL REFERENCES users (id),
  category      TEXT NOT NULL,
  title         TEXT NOT NULL,
  details       TEXT NOT NULL,
  grid          TEXT,
  urgency       TEXT NOT NULL CHECK (urgency IN ('normal', 'urgent')),
  contact       TEXT NOT NULL,
  status        TEXT NOT NULL DEFAULT 'open'
                CHECK (status IN ('open', 'claimed', 'done', 'confirmed', 'cancelled', 'expired')),
  volunteer_id  INTEGER REFERENCES users (id),
  window_end    INTEGER,            -- expires when still open after this
  escalated_at  INTEGER,
  claimed_at    INTEGER,
  done_at       INTEGER,
  rating        INTEGER,
  thanks        TEXT,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);
CREATE INDEX help_community ON help_requests (community_id, id);
CREATE INDEX help_open ON help_requests (status, created_at) WHERE status = 'open';

-- 志願服務時長: service per volunteer per community.
CREATE TABLE service_ledger (
  community_id INTEGER NOT NULL,
  user_id      INTEGER NOT NULL,
  request_id   INTEGER NOT NULL REFERENCES help_requests (id),
  minutes      INTEGER NOT NULL,
  rating       INTEGER,
  at           INTEGER NOT NULL,
  PRIMARY KEY (community_id, user_id, request_id)
) WITHOUT ROWID;

-- The inbox: one row per notification, written in the same transaction as
-- the change it tells of, and pushed on user:{uid}.
CREATE TABLE notifications (
  id         INTEGER PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES users (id),
  type       TEXT NOT NULL,
  data       TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  read       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read = 0;
