-- 0015 (PostgreSQL): the representative role. See schema/sqlite/0015.
ALTER TABLE memberships DROP CONSTRAINT memberships_role_check,
  ADD CONSTRAINT memberships_role_check CHECK (role IN ('resident', 'representative', 'staff'));
ALTER TABLE invites DROP CONSTRAINT invites_role_check,
  ADD CONSTRAINT invites_role_check CHECK (role IN ('resident', 'representative', 'staff'));
