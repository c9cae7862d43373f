-- Directory sync, continued (issue 17): who came from the directory, what
-- leaving it does, inviting automatically, and a schedule.

CREATE TYPE directory_departure AS ENUM ('deactivate', 'report');

ALTER TABLE directory_configuration
    -- Group entries whose member values name their people, for directories
    -- whose people carry no memberOf. NULL: groups come from memberOf.
    ADD COLUMN group_filter text CONSTRAINT directory_group_filter_form CHECK (group_filter LIKE '(%)'),
    -- What happens to people a sync no longer finds (they left the filter,
    -- were disabled or deleted): deactivated, or only listed.
    ADD COLUMN departures directory_departure NOT NULL DEFAULT 'report',
    -- The seeds' "Active Directory Sync": people are created uninvited
    -- until Invite All turns this on.
    ADD COLUMN invite_automatically boolean NOT NULL DEFAULT false,
    -- NULL: only when an admin presses Sync now.
    ADD COLUMN sync_every_minutes integer CONSTRAINT directory_sync_every_range CHECK (sync_every_minutes BETWEEN 15 AND 1440),
    -- When the next scheduled sync is due; servers claim it by moving it on,
    -- so only one of several runs it. Set once an admin has applied a first
    -- sync (the first one is always previewed).
    ADD COLUMN next_sync_at timestamptz,
    ADD COLUMN last_applied_at timestamptz,
    ADD COLUMN last_run_at timestamptz,
    ADD COLUMN last_run_outcome text,
    ADD CONSTRAINT directory_schedule_has_interval CHECK (next_sync_at IS NULL OR sync_every_minutes IS NOT NULL),
    ADD CONSTRAINT directory_run_has_outcome CHECK ((last_run_at IS NULL) = (last_run_outcome IS NULL));

-- People a directory sync created or matched. Those a later sync no longer
-- finds are its departures; people added by hand are never touched by it.
-- No index: only a sync reads it, and it reads everyone.
ALTER TABLE account ADD COLUMN in_directory boolean NOT NULL DEFAULT false;

ALTER TYPE audit_action ADD VALUE 'directory.synced';
