-- 0003: consultation forums (議事協商) and moderation.

-- A thread: a discussion, or a consultation with options, a deadline, one
-- vote per member and an outcome staff publish. status: open, locked
-- (no new posts), closed (consultation decided).
CREATE TABLE threads (
  id           INTEGER PRIMARY KEY,
  community_id INTEGER NOT NULL REFERENCES communities (id),
  kind         TEXT NOT NULL CHECK (kind IN ('discussion', 'consultation')),
  title        TEXT NOT NULL,
  body         TEXT NOT NULL,
  author_id    INTEGER NOT NULL REFERENCES users (id),
  status       TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'locked', 'closed')),
  pinned       INTEGER NOT NULL DEFAULT 0,
  live_tally   INTEGER NOT NULL DEFAULT 0,
  closes_at    INTEGER,
  closed_at    INTEGER,
  outcome      TEXT,
  outcome_at   INTEGER,
  lock_reason  TEXT,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);
CREATE INDEX threads_community ON threads (community_id, pinned DESC, id DESC);
-- The deadline timer's query: open consultations by closes_at.
CREATE INDEX threads_due ON threads (closes_at) WHERE kind = 'consultation' AND closed_at IS NULL;

CREATE TABLE thread_options (
  thread_id INTEGER NOT NULL REFERENCES threads (id),
  idx       INTEGER NOT NULL,
  label     TEXT NOT NULL,
  PRIMARY KEY (thread_id, idx)
) WITHOUT ROWID;

CREATE TABLE votes (
  thread_id  INTEGER NOT NULL REFERENCES threads (id),
  user_id    INTEGER NOT NULL REFERENCES users (id),
  option_idx INTEGER NOT NULL,
  reason     TEXT,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (thread_id, user_id)
) WITHOUT ROWID;

-- status: visible, pending (held for review: reports or the word filter),
-- hidden (by staff). hold_reason says why a post is pending.
CREATE TABLE posts (
  id           INTEGER PRIMARY KEY,
  thread_id    INTEGER NOT NULL REFERENCES threads (id),
  community_id INTEGER NOT NULL,
  author_id    INTEGER NOT NULL REFERENCES users (id),
  body         TEXT NOT NULL,
  reply_to     INTEGER REFERENCES posts (id),
  status       TEXT NOT NULL DEFAULT 'visible' CHECK (status IN ('visible', 'pending', 'hidden')),
  hold_reason  TEXT,
  created_at   INTEGER NOT NULL,
  edited_at    INTEGER
);
CREATE INDEX posts_thread ON posts (thread_id, id);

CREATE TABLE post_edits (
  post_id   INTEGER NOT NULL REFERENCES posts (id),
  body      TEXT NOT NULL,
  edited_at INTEGER NOT NULL
);
CREATE INDEX post_edits_post ON post_edits (post_id);

CREATE TABLE reports (
  post_id     INTEGER NOT NULL REFERENCES posts (id),
  reporter_id INTEGER NOT NULL REFERENCES users (id),
  reason      TEXT NOT NULL,
  at          INTEGER NOT NULL,
  resolved_at INTEGER,
  PRIMARY KEY (post_id, reporter_id)
) WITHOUT ROWID;

-- 居務公開: every staff action with its reason.
CREATE TABLE moderation_log (
  id           INTEGER PRIMARY KEY,
  community_id INTEGER NOT NULL,
  actor_id     INTEGER NOT NULL,
  action       TEXT NOT NULL,
  target_kind  TEXT NOT NULL,
  target_id    INTEGER NOT NULL,
  reason       TEXT NOT NULL DEFAULT '',
  at           INTEGER NOT NULL
);
CREATE INDEX moderation_log_community ON moderation_log (community_id, id);

CREATE TABLE mutes (
  community_id INTEGER NOT NULL,
  user_id      INTEGER NOT NULL,
  until        INTEGER NOT NULL,
  reason       TEXT NOT NULL,
  PRIMARY KEY (community_id, user_id)
) WITHOUT ROWID;

-- Full-text search over titles and visible post bodies; trigram finds
-- Chinese substrings of 3+ characters (shorter ones fall back to instr()).
CREATE VIRTUAL TABLE search_fts USING fts5 (
  text, community_id UNINDEXED, thread_id UNINDEXED, post_id UNINDEXED,
  tokenize = 'trigram'
);
