-- 0007: which token a spent refresh token was rotated into, so that the
-- one retry of a refresh whose answer was lost can be recognised exactly
-- (refresh_reuse_grace_s).
ALTER TABLE refresh_spent ADD COLUMN replaced_by BLOB;
