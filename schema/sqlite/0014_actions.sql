-- 0014: 落实. Implementation items of a decided consultation: who owns
-- each, by when, its status and progress; every change is kept with its
-- note (the item's history).
CREATE TABLE actions (
  id           INTEGER PRIMARY KEY,
  thread_id    INTEGER NOT NULL REFERENCES threads (id),
  community_id INTEGER NOT NULL REFERENCES communities (id),
  title        TEXT NOT NULL,
  owner_id     INTEGER REFERENCES users (id),
  due_at       INTEGER,
  status       TEXT NOT NULL DEFAULT 'planned'
               CHECK (status IN ('planned', 'in_progress', 'done', 'blocked')),
  progress     INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
  note         TEXT,
  created_by   INTEGER NOT NULL REFERENCES users (id),
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);
CREATE INDEX actions_community ON actions (community_id, id);
CREATE INDEX actions_thread ON actions (thread_id, id);
