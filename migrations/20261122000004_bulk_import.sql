-- Spreadsheet imports and file-based invitation selections. An upload is
-- parsed and checked into a staging area first (the dry-run preview), then
-- applied in one transaction, so a file is applied wholly or not at all.

CREATE TYPE import_state AS ENUM ('previewed', 'applied', 'discarded');

CREATE TABLE import_batch (
    id          uuid PRIMARY KEY,
    file_name   text NOT NULL,
    state       import_state NOT NULL DEFAULT 'previewed',
    created_by  uuid,
    created_at  timestamptz NOT NULL,
    applied_at  timestamptz,
    -- What the preview showed, so an apply that would differ is refused.
    preview     jsonb NOT NULL DEFAULT '{}'::jsonb,
    result      jsonb NOT NULL DEFAULT '{}'::jsonb
);

-- Staged rows: scratch data, rebuilt from the file if lost, so not
-- WAL-logged (an unlogged table is emptied after a crash, never half-written
-- into `account`).
CREATE UNLOGGED TABLE import_row (
    batch_id          uuid NOT NULL REFERENCES import_batch (id) ON DELETE CASCADE,
    line              integer NOT NULL,
    -- The row's identifier as typed, for the error report.
    label             text NOT NULL,
    email             text,
    email_normalized  text,
    external_id       text,
    full_name         text NOT NULL DEFAULT '',
    title             text NOT NULL DEFAULT '',
    department        text NOT NULL DEFAULT '',
    location          text NOT NULL DEFAULT '',
    phone             text NOT NULL DEFAULT '',
    manager_email_normalized text,
    group_names       text[] NOT NULL DEFAULT '{}',
    group_keys        text[] NOT NULL DEFAULT '{}',
    -- The id a new account gets, chosen when staged.
    new_id            uuid NOT NULL,
    -- Filled by classification: the existing account the row updates.
    account_id        uuid,
    -- What is wrong with the row on its own (set when staged) and against
    -- the directory (set by classification, again when applied).
    parse_problem     text,
    problem           text,
    -- 'create' | 'update' | 'unchanged' | 'invalid'
    action            text NOT NULL DEFAULT 'invalid',
    PRIMARY KEY (batch_id, line)
);
-- Classification looks up managers among the file's own rows.
CREATE INDEX import_row_by_email ON import_row (batch_id, email_normalized);

-- Invite Selected: the accounts an uploaded list matched, kept between the
-- match report and the send.
CREATE TABLE invite_selection (
    id          uuid PRIMARY KEY,
    file_name   text NOT NULL,
    created_by  uuid,
    created_at  timestamptz NOT NULL,
    account_ids uuid[] NOT NULL,
    report      jsonb NOT NULL,
    sent_at     timestamptz
);

-- One trigram index for the People search (name, email and external ID
-- together) instead of one per column: every bulk write of accounts (import,
-- Invite All) maintains a third as many GIN entries. The expression must stay
-- the same as the one `db::accounts::list_people` searches.
DROP INDEX IF EXISTS account_name_trgm;
DROP INDEX IF EXISTS account_email_trgm;
DROP INDEX IF EXISTS account_external_id_trgm;
CREATE INDEX account_search_trgm ON account USING gin (
    (lower(full_name) || ' ' || coalesce(email_normalized, '') || ' ' || coalesce(lower(external_id), '')) gin_trgm_ops
);

-- Status changes (Invite All, claims, deactivation) become heap-only
-- updates: no index holds the status any more, and pages keep room for a
-- row's next version. Invite All over 100,000 people then rewrites no index
-- entry at all. The People page's status filter walks the name index instead.
DROP INDEX IF EXISTS account_by_status_name;
ALTER TABLE account SET (fillfactor = 50);
