-- 0006: devices for push, the push outbox, inbox retention.

-- A phone's push token (APNs, vendor push, WeChat). A token belongs to one
-- user at a time: registering it again moves it to whoever holds the phone.
CREATE TABLE devices (
  id         INTEGER PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES users (id),
  platform   TEXT NOT NULL,
  token      TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  seen_at    INTEGER NOT NULL,
  UNIQUE (platform, token)
);
CREATE INDEX devices_user ON devices (user_id);

-- One row per notification to relay to a user who had no live socket when
-- it was written; delivered by the gateway's push worker with retries.
-- state: pending -> delivered | failed (relay said 4xx) | expired (gave up
-- after push_max_age_s) | dropped (no device left).
CREATE TABLE push_outbox (
  id              INTEGER PRIMARY KEY,
  notification_id INTEGER NOT NULL,
  user_id         INTEGER NOT NULL,
  state           TEXT NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'delivered', 'failed', 'expired', 'dropped')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_at         INTEGER NOT NULL,
  last_error      TEXT,
  created_at      INTEGER NOT NULL,
  done_at         INTEGER
);
CREATE INDEX push_due ON push_outbox (next_at) WHERE state = 'pending';
CREATE INDEX push_done ON push_outbox (done_at) WHERE state != 'pending';

CREATE INDEX notifications_created ON notifications (created_at);
