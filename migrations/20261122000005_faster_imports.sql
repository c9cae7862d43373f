-- Cheaper bulk imports, measured by server/benches/scale.rs.

-- Staged rows arrive by COPY (csv), which has no array syntax worth
-- escaping by hand: a row's group names are kept joined by U+001F (group
-- names cannot hold control characters) and split where they are used.
ALTER TABLE import_row ALTER COLUMN group_names DROP DEFAULT,
                       ALTER COLUMN group_keys DROP DEFAULT;
ALTER TABLE import_row
    ALTER COLUMN group_names TYPE text USING array_to_string(group_names, chr(31)),
    ALTER COLUMN group_keys TYPE text USING array_to_string(group_keys, chr(31));
ALTER TABLE import_row ALTER COLUMN group_names SET DEFAULT '',
                       ALTER COLUMN group_keys SET DEFAULT '';

-- The manager's account when it is already in Embark, found by
-- classification, so applying never joins `account` to itself while writing
-- it (a plan made from a small directory's statistics then scans the whole
-- email index once per row).
ALTER TABLE import_row ADD COLUMN manager_account_id uuid;

-- Classification rewrites every staged row once (and the apply again for
-- matched rows): with room on each page that is a heap-only update, which
-- leaves the indexes alone.
ALTER TABLE import_row SET (fillfactor = 50);

-- Almost nobody has a username (only people without email), so the unique
-- index need not hold an entry for every other account: one index write
-- less per imported person.
ALTER TABLE account DROP CONSTRAINT account_username_normalized_key;
CREATE UNIQUE INDEX account_username_normalized_key ON account (username_normalized)
    WHERE username_normalized IS NOT NULL;

-- Invite All writes a credential, an email and an audit row per person; two
-- of their index and key checks are dropped here (0.3 s at 100,000):
-- - A claim email's credential is never deleted on its own, only with its
--   account, whose deletion already removes the account's emails, and the
--   mail worker treats a missing credential like a revoked one: the email's
--   reference to it needs no foreign-key check per row.
ALTER TABLE email_outbox DROP CONSTRAINT email_outbox_credential_id_fkey;
-- - Audit rows arrive in time order, which a BRIN index summarises for a few
--   bytes per 128 pages instead of one B-tree entry per row.
DROP INDEX audit_event_by_time;
CREATE INDEX audit_event_by_time ON audit_event USING brin (occurred_at);

-- Staged rows are scratch, deleted with their batch by the statement that
-- forgets stale previews: a foreign-key check per staged row was half the
-- time of staging 100,000 rows (0.4 s).
ALTER TABLE import_row DROP CONSTRAINT import_row_batch_id_fkey;
