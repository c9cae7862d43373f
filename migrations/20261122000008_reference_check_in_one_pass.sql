-- The statement-level reference check of migration 6 counted a statement's
-- new rows in one pass over its transition table and the rows it names in
-- another; at 200,000 memberships each pass re-reads the table from a
-- temporary file. One pass now counts both. Behaviour is unchanged
-- (server/tests/api/references.rs).
CREATE OR REPLACE FUNCTION check_new_references() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    naming bigint;
    found bigint;
BEGIN
    -- A join, not DISTINCT: a transition table has no statistics, and a
    -- guessed count of distinct values plans one index probe per row.
    -- Rows this transaction wrote need no lock: no other transaction can
    -- delete a row it cannot see yet, nor one this transaction updated
    -- (the update holds a lock already). An import's memberships mostly
    -- name the people it has just created. (A frozen row keeps its old
    -- xmin, which equals this transaction's only after four billion
    -- others; it would then go unlocked, and only a deletion racing this
    -- very statement could leave an orphan.)
    EXECUTE format('SELECT count(n.%I), count(r.id) FROM new_rows n LEFT JOIN %I r ON r.id = n.%I AND r.xmin = pg_current_xact_id()::xid',
                   TG_ARGV[1], TG_ARGV[0], TG_ARGV[1]) INTO naming, found;
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
