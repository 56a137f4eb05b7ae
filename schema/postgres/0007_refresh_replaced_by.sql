-- 0007 (PostgreSQL): which token a spent refresh token was rotated into.
-- See schema/sqlite/0007.
ALTER TABLE refresh_spent ADD COLUMN replaced_by BYTEA;
