-- 0012: the notice board (通知公告). An announcement is kept, pinned ones
-- first; each member's reading of it is a row, so staff see how many of
-- the members have read it. One held for review (hold_reason set) is seen
-- by staff only until released.
CREATE TABLE announcements (
  id           INTEGER PRIMARY KEY,
  community_id INTEGER NOT NULL REFERENCES communities (id),
  author_id    INTEGER NOT NULL REFERENCES users (id),
  title        TEXT NOT NULL,
  body         TEXT NOT NULL,
  pinned       INTEGER NOT NULL DEFAULT 0,
  hold_reason  TEXT,
  created_at   INTEGER NOT NULL
);
CREATE INDEX announcements_board ON announcements (community_id, pinned, id);

CREATE TABLE announcement_reads (
  announcement_id INTEGER NOT NULL REFERENCES announcements (id),
  user_id         INTEGER NOT NULL REFERENCES users (id),
  read_at         INTEGER NOT NULL,
  PRIMARY KEY (announcement_id, user_id)
);
