-- Roles (issue 16): the single all-powerful admin becomes an owner, and
-- people admins hold the permission to add and remove accounts. New enum
-- labels get their own migration file for the same reason as before: a
-- label added in a transaction cannot be used in it.
ALTER TYPE account_role RENAME VALUE 'admin' TO 'owner';
ALTER TYPE account_role ADD VALUE 'people_admin' BEFORE 'owner';

ALTER TYPE audit_action ADD VALUE 'account.role_changed';
ALTER TYPE audit_action ADD VALUE 'people.exported';
ALTER TYPE audit_action ADD VALUE 'audit.exported';

-- The audit log page filters by who acted and by what was done, newest
-- first; the target's index (a person's history) already exists.
CREATE INDEX audit_event_by_actor ON audit_event (actor_id, occurred_at, id) WHERE actor_id IS NOT NULL;
CREATE INDEX audit_event_by_action ON audit_event (action, occurred_at, id);
