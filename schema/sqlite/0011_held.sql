-- 0011: threads, help requests, outcomes and announcements the content
-- check wants reviewed are held (hold_reason set): seen by their author and
-- staff only, announced to nobody, until staff release them.
ALTER TABLE threads ADD COLUMN hold_reason TEXT;
ALTER TABLE help_requests ADD COLUMN hold_reason TEXT;

-- An outcome summary held for review: stored, shown to staff only, not
-- announced until released.
ALTER TABLE threads ADD COLUMN outcome_hold_reason TEXT;

-- An announcement held for review: the event waits here, unpublished,
-- until staff release it (then it goes to its channel's log and is deleted
-- here).
CREATE TABLE held_events (
  id           INTEGER PRIMARY KEY,
  community_id INTEGER NOT NULL,
  channel      TEXT NOT NULL,
  type         TEXT NOT NULL,
  data         TEXT NOT NULL,
  author_id    INTEGER NOT NULL,
  hold_reason  TEXT NOT NULL,
  created_at   INTEGER NOT NULL
);
CREATE INDEX held_events_community ON held_events (community_id, id);
