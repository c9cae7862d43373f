-- References to accounts and groups from the tables written in bulk
-- (memberships, claim credentials, outbox emails, managers), checked once
-- per statement instead of once per row.
--
-- A foreign key checks each inserted row on its own: an index lookup and a
-- row lock, run as a separate query per row. An import of 100,000 people in
-- two groups each made 300,000 of them, and Invite All 200,000: more than a
-- second each (server/benches/scale.rs). The triggers below check a whole
-- statement's rows with one join, with a foreign key's guarantees:
-- - every new row refers to a row that exists, else the statement fails
--   with SQLSTATE 23503 (foreign_key_violation), naming the constraint the
--   foreign key had;
-- - the referenced rows are locked FOR KEY SHARE, as a foreign key locks
--   them, so a concurrent deletion waits for the inserting transaction and
--   then removes (or clears) what it inserted; rows the inserting
--   transaction wrote itself need no lock, as no one else can delete them;
-- - deleting an account or a group removes the rows that refer to it, or
--   clears a report's manager, as ON DELETE did.
-- Updates are checked row by row, and only when they change the reference:
-- most updates of these tables (sending an email, using a credential)
-- leave it alone and should not pay for capturing every row they change.
-- Embark's transactions are READ COMMITTED: each statement of a trigger
-- sees what concurrent transactions committed before it.

ALTER TABLE group_membership
    DROP CONSTRAINT group_membership_account_id_fkey,
    DROP CONSTRAINT group_membership_group_id_fkey;
ALTER TABLE claim_credential DROP CONSTRAINT claim_credential_account_id_fkey;
ALTER TABLE email_outbox DROP CONSTRAINT email_outbox_account_id_fkey;
ALTER TABLE account DROP CONSTRAINT account_manager_id_fkey;

-- A statement's new rows (transition table `new_rows`) must name existing
-- rows. Arguments: the referenced table (keyed by `id`), the referencing
-- column, and the constraint name errors report.
CREATE FUNCTION check_new_references() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    naming bigint;
    found bigint;
BEGIN
    -- Joins, not DISTINCT: a transition table has no statistics, and a
    -- guessed count of distinct values plans one index probe per row.
    EXECUTE format('SELECT count(*) FROM new_rows WHERE %I IS NOT NULL', TG_ARGV[1]) INTO naming;
    -- Rows this transaction wrote need no lock: no other transaction can
    -- delete a row it cannot see yet, nor one this transaction updated
    -- (the update holds a lock already). An import's memberships mostly
    -- name the people it has just created. (A frozen row keeps its old
    -- xmin, which equals this transaction's only after four billion
    -- others; it would then go unlocked, and only a deletion racing this
    -- very statement could leave an orphan.)
    EXECUTE format('SELECT count(*) FROM new_rows n JOIN %I r ON r.id = n.%I WHERE r.xmin = pg_current_xact_id()::xid',
                   TG_ARGV[0], TG_ARGV[1]) INTO found;
    IF found = naming THEN
        RETURN NULL;
    END IF;
    -- The others are locked, each once; a deletion in progress is waited
    -- for, and what it deleted is then missing from the count below.
    EXECUTE format('SELECT 1 FROM %I r WHERE r.id IN (SELECT %I FROM new_rows) AND r.xmin <> pg_current_xact_id()::xid FOR KEY SHARE',
                   TG_ARGV[0], TG_ARGV[1]);
    EXECUTE format('SELECT count(*) FROM new_rows n JOIN %I r ON r.id = n.%I', TG_ARGV[0], TG_ARGV[1]) INTO found;
    IF found <> naming THEN
        RAISE EXCEPTION 'insert or update on table "%" violates foreign key constraint "%"', TG_TABLE_NAME, TG_ARGV[2]
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = TG_ARGV[2], TABLE = TG_TABLE_NAME;
    END IF;
    RETURN NULL;
END $$;

-- The same for one updated row whose reference changed.
CREATE FUNCTION check_changed_reference() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    found boolean;
BEGIN
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE id = ($1).%I FOR KEY SHARE)', TG_ARGV[0], TG_ARGV[1])
        INTO found USING NEW;
    IF NOT found THEN
        RAISE EXCEPTION 'insert or update on table "%" violates foreign key constraint "%"', TG_TABLE_NAME, TG_ARGV[2]
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = TG_ARGV[2], TABLE = TG_TABLE_NAME;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER group_membership_account_id_fkey
    AFTER INSERT ON group_membership REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION check_new_references('account', 'account_id', 'group_membership_account_id_fkey');
CREATE TRIGGER group_membership_account_id_changed
    AFTER UPDATE OF account_id ON group_membership
    FOR EACH ROW WHEN (NEW.account_id IS DISTINCT FROM OLD.account_id)
    EXECUTE FUNCTION check_changed_reference('account', 'account_id', 'group_membership_account_id_fkey');
CREATE TRIGGER group_membership_group_id_fkey
    AFTER INSERT ON group_membership REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION check_new_references('account_group', 'group_id', 'group_membership_group_id_fkey');
CREATE TRIGGER group_membership_group_id_changed
    AFTER UPDATE OF group_id ON group_membership
    FOR EACH ROW WHEN (NEW.group_id IS DISTINCT FROM OLD.group_id)
    EXECUTE FUNCTION check_changed_reference('account_group', 'group_id', 'group_membership_group_id_fkey');

CREATE TRIGGER claim_credential_account_id_fkey
    AFTER INSERT ON claim_credential REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION check_new_references('account', 'account_id', 'claim_credential_account_id_fkey');
CREATE TRIGGER claim_credential_account_id_changed
    AFTER UPDATE OF account_id ON claim_credential
    FOR EACH ROW WHEN (NEW.account_id IS DISTINCT FROM OLD.account_id)
    EXECUTE FUNCTION check_changed_reference('account', 'account_id', 'claim_credential_account_id_fkey');

-- An outbox email may name no account (mail to an address only).
CREATE TRIGGER email_outbox_account_id_fkey
    AFTER INSERT ON email_outbox REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION check_new_references('account', 'account_id', 'email_outbox_account_id_fkey');
CREATE TRIGGER email_outbox_account_id_changed
    AFTER UPDATE OF account_id ON email_outbox
    FOR EACH ROW WHEN (NEW.account_id IS NOT NULL AND NEW.account_id IS DISTINCT FROM OLD.account_id)
    EXECUTE FUNCTION check_changed_reference('account', 'account_id', 'email_outbox_account_id_fkey');

-- A manager and their reports may arrive in one statement.
CREATE TRIGGER account_manager_id_fkey
    AFTER INSERT ON account REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION check_new_references('account', 'manager_id', 'account_manager_id_fkey');
CREATE TRIGGER account_manager_id_changed
    AFTER UPDATE OF manager_id ON account
    FOR EACH ROW WHEN (NEW.manager_id IS NOT NULL AND NEW.manager_id IS DISTINCT FROM OLD.manager_id)
    EXECUTE FUNCTION check_changed_reference('account', 'manager_id', 'account_manager_id_fkey');

-- What deleting accounts or groups does to the rows that name them.
CREATE FUNCTION account_after_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM group_membership WHERE account_id IN (SELECT id FROM deleted_rows);
    DELETE FROM email_outbox WHERE account_id IN (SELECT id FROM deleted_rows);
    DELETE FROM claim_credential WHERE account_id IN (SELECT id FROM deleted_rows);
    UPDATE account SET manager_id = NULL WHERE manager_id IN (SELECT id FROM deleted_rows);
    RETURN NULL;
END $$;

CREATE TRIGGER account_after_delete
    AFTER DELETE ON account REFERENCING OLD TABLE AS deleted_rows
    FOR EACH STATEMENT EXECUTE FUNCTION account_after_delete();

CREATE FUNCTION account_group_after_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM group_membership WHERE group_id IN (SELECT id FROM deleted_rows);
    RETURN NULL;
END $$;

CREATE TRIGGER account_group_after_delete
    AFTER DELETE ON account_group REFERENCING OLD TABLE AS deleted_rows
    FOR EACH STATEMENT EXECUTE FUNCTION account_group_after_delete();
