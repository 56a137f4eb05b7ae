-- 0017: residents' requests to the community (居民诉求, 首问负责). One
-- staff owner from acceptance to closing; replies public (every member may
-- read them with the request, the resident unnamed) or only for the
-- resident; the deadlines' escalations are stamped once (the tick's
-- conditional update lets one gateway win); a resident reopens once.
CREATE TABLE tickets (
  id                   INTEGER PRIMARY KEY,
  community_id         INTEGER NOT NULL REFERENCES communities (id),
  author_id            INTEGER NOT NULL REFERENCES users (id),
  category             TEXT NOT NULL
                       CHECK (category IN ('question', 'complaint', 'suggestion', 'repair')),
  title                TEXT NOT NULL,
  body                 TEXT NOT NULL,
  grid                 TEXT,
  status               TEXT NOT NULL DEFAULT 'open'
                       CHECK (status IN ('open', 'accepted', 'resolved', 'closed')),
  owner_id             INTEGER REFERENCES users (id),
  accepted_at          INTEGER,
  resolved_at          INTEGER,
  summary              TEXT,
  closed_at            INTEGER,
  satisfaction         INTEGER CHECK (satisfaction BETWEEN 1 AND 5),
  rating_comment       TEXT,
  reopened_at          INTEGER,
  reopen_reason        TEXT,
  accept_escalated_at  INTEGER,
  resolve_escalated_at INTEGER,
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL
);
CREATE INDEX tickets_community ON tickets (community_id, id);
CREATE INDEX tickets_author ON tickets (author_id, id);
CREATE INDEX tickets_waiting ON tickets (status, created_at);

CREATE TABLE ticket_replies (
  id         INTEGER PRIMARY KEY,
  ticket_id  INTEGER NOT NULL REFERENCES tickets (id),
  author_id  INTEGER NOT NULL REFERENCES users (id),
  body       TEXT NOT NULL,
  is_public  INTEGER NOT NULL CHECK (is_public IN (0, 1)),
  created_at INTEGER NOT NULL
);
CREATE INDEX ticket_replies_ticket ON ticket_replies (ticket_id, id);
