-- 0013: 公示. A published outcome may carry a publicity period
-- (publicity_until); until then members may object, and staff answer each
-- objection in public.
ALTER TABLE threads ADD COLUMN publicity_until INTEGER;

CREATE TABLE objections (
  id           INTEGER PRIMARY KEY,
  thread_id    INTEGER NOT NULL REFERENCES threads (id),
  community_id INTEGER NOT NULL REFERENCES communities (id),
  user_id      INTEGER NOT NULL REFERENCES users (id),
  reason       TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  answer       TEXT,
  answered_by  INTEGER REFERENCES users (id),
  answered_at  INTEGER
);
CREATE INDEX objections_thread ON objections (thread_id, id);
