-- 0008: locked is a fact of its own, beside open/closed. Before, a lock
-- was the status 'locked', so closing a locked consultation (by staff or
-- by its deadline) dropped the lock and the thread took posts again, and
-- a closed consultation could not be locked at all. status now says open
-- or closed; locked says whether posts, votes and edits are refused.
ALTER TABLE threads ADD COLUMN locked INTEGER NOT NULL DEFAULT 0;
UPDATE threads SET locked = 1, status = 'open' WHERE status = 'locked';
