-- 0019 (PostgreSQL): the content check's verdict on each attached photo (kind "image",
-- its thumbnail): 'passed'; 'review' (held: only its uploader and staff
-- see it); a rejected photo is never attached.
ALTER TABLE uploads ADD COLUMN check_status TEXT NOT NULL DEFAULT 'passed'
  CHECK (check_status IN ('passed', 'review'));
