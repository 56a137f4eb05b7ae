-- 0011: threads and help requests the content check wants reviewed are
-- held (hold_reason set): seen by their author and staff only, announced
-- to nobody, until staff release them.
ALTER TABLE threads ADD COLUMN hold_reason TEXT;
ALTER TABLE help_requests ADD COLUMN hold_reason TEXT;
