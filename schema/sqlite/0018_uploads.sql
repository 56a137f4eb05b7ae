-- 0018: photos. Each upload is kept re-encoded (JPEG, upright, no
-- metadata) with a thumbnail; file_key names its bytes: two files in the
-- upload folder on SQLite, two rows of upload_blobs on PostgreSQL. An
-- upload belongs to its uploader until it is attached to one thread, post,
-- help request or resident's request (at a position, 0..8); it is then
-- read exactly like that item. Never attached, it goes after a day.
CREATE TABLE uploads (
  id            INTEGER PRIMARY KEY,
  user_id       INTEGER NOT NULL REFERENCES users (id),
  file_key      TEXT NOT NULL UNIQUE,
  src_type      TEXT NOT NULL,
  bytes         INTEGER NOT NULL,
  width         INTEGER NOT NULL,
  height        INTEGER NOT NULL,
  thumb_width   INTEGER NOT NULL,
  thumb_height  INTEGER NOT NULL,
  etag          TEXT NOT NULL,
  thumb_etag    TEXT NOT NULL,
  attached_kind TEXT CHECK (attached_kind IN ('thread', 'post', 'help', 'ticket')),
  attached_id   INTEGER,
  position      INTEGER,
  created_at    INTEGER NOT NULL
);
CREATE INDEX uploads_user ON uploads (user_id, id);
CREATE INDEX uploads_attached ON uploads (attached_kind, attached_id, position);
CREATE INDEX uploads_orphans ON uploads (created_at) WHERE attached_kind IS NULL;
