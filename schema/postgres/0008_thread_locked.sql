-- 0008 (PostgreSQL): locked beside open/closed. See schema/sqlite/0008.
ALTER TABLE threads ADD COLUMN locked BIGINT NOT NULL DEFAULT 0;
UPDATE threads SET locked = 1, status = 'open' WHERE status = 'locked';
