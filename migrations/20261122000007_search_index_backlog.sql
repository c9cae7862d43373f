-- The People search's trigram index moves off the account table, to a
-- table of search documents kept up to date in the background.
--
-- Indexing a person's name, email and external ID is about fifty trigram
-- entries: for an import of 100,000 people, a second of its transaction
-- even with GIN's pending list (server/benches/scale.rs). Writers now only
-- note which accounts need (re)indexing, in `account_search_backlog`, in
-- their own transaction; a worker indexes them moments later
-- (services::search_index). Searches read the index *and* the backlog, so
-- they are never behind: a person is found the moment they are committed.

-- One expression for the document, shared by the index, the worker and the
-- searches that scan accounts directly.
CREATE FUNCTION account_search_document(full_name text, email_normalized text, external_id text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN lower(full_name) || ' ' || coalesce(email_normalized, '') || ' ' || coalesce(lower(external_id), '');

CREATE TABLE account_search (
    account_id uuid PRIMARY KEY,
    document   text NOT NULL
);
CREATE INDEX account_search_document_trgm ON account_search USING gin (document gin_trgm_ops);

-- Accounts whose document is missing or stale; an account may be listed
-- more than once.
CREATE TABLE account_search_backlog (
    account_id uuid NOT NULL
);

INSERT INTO account_search (account_id, document)
SELECT id, account_search_document(full_name, email_normalized, external_id) FROM account;

DROP INDEX account_search_trgm;

CREATE FUNCTION account_search_note_new() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO account_search_backlog (account_id) SELECT id FROM new_rows;
    RETURN NULL;
END $$;

CREATE TRIGGER account_search_note_new
    AFTER INSERT ON account REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION account_search_note_new();

-- Row by row for updates: most updates of accounts (invitations, claims)
-- leave the searched columns alone and should not capture every row.
CREATE FUNCTION account_search_note_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO account_search_backlog (account_id) VALUES (NEW.id);
    RETURN NULL;
END $$;

CREATE TRIGGER account_search_note_changed
    AFTER UPDATE OF full_name, email_normalized, external_id ON account
    FOR EACH ROW WHEN (NEW.full_name IS DISTINCT FROM OLD.full_name
                       OR NEW.email_normalized IS DISTINCT FROM OLD.email_normalized
                       OR NEW.external_id IS DISTINCT FROM OLD.external_id)
    EXECUTE FUNCTION account_search_note_changed();

-- Deleting an account deletes its document too (migration 6's trigger,
-- with one statement more).
CREATE OR REPLACE FUNCTION account_after_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM group_membership WHERE account_id IN (SELECT id FROM deleted_rows);
    DELETE FROM email_outbox WHERE account_id IN (SELECT id FROM deleted_rows);
    DELETE FROM claim_credential WHERE account_id IN (SELECT id FROM deleted_rows);
    DELETE FROM account_search WHERE account_id IN (SELECT id FROM deleted_rows);
    UPDATE account SET manager_id = NULL WHERE manager_id IN (SELECT id FROM deleted_rows);
    RETURN NULL;
END $$;
