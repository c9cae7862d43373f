-- Embark's schema (the baseline: Embark had not been released when earlier
-- migrations were squashed into this one). Later changes go in later files.
--
-- Integrity is declared here, not re-implemented in code: foreign keys with
-- their ON DELETE rules, CHECK constraints for what each state implies, and
-- unique indexes on the normalised forms people are compared by. See
-- ARCHITECTURE.md "The lifecycle" for the states.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- People ---------------------------------------------------------------

CREATE TYPE account_status AS ENUM ('uninvited', 'invited', 'claimed', 'deactivated');
CREATE TYPE account_role AS ENUM ('employee', 'admin');

CREATE TABLE account (
    id                  uuid PRIMARY KEY,
    status              account_status NOT NULL DEFAULT 'uninvited',
    role                account_role   NOT NULL DEFAULT 'employee',
    -- What the person typed is kept; uniqueness is on the normalised form
    -- (NFKC + lowercase), computed by the domain layer.
    email               text,
    email_normalized    text CONSTRAINT account_email_normalized_key UNIQUE,
    external_id         text CONSTRAINT account_external_id_key UNIQUE,
    -- For people without email, who claim with an access code.
    username            text,
    username_normalized text,
    full_name           text NOT NULL,
    title               text NOT NULL DEFAULT '',
    department          text NOT NULL DEFAULT '',
    location            text NOT NULL DEFAULT '',
    phone               text NOT NULL DEFAULT '',
    -- Deleting a manager leaves their reports without one. No index: a
    -- deletion (rare, one person at a time) reads the table to find the
    -- reports, where an index would cost every imported row a write.
    manager_id          uuid CONSTRAINT account_manager_id_fkey REFERENCES account (id) ON DELETE SET NULL,
    password_hash       text,
    -- Bumped by deactivation and password changes: every session that carries
    -- an older epoch is refused on its next request.
    session_epoch       integer NOT NULL DEFAULT 0,
    -- Where a reactivation returns to.
    status_before_deactivation account_status,
    -- What the person agreed to when they claimed.
    terms_accepted_version integer,
    terms_accepted_at   timestamptz,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    invited_at          timestamptz,
    claimed_at          timestamptz,
    deactivated_at      timestamptz,
    CONSTRAINT account_has_sign_in_name CHECK (email_normalized IS NOT NULL OR username_normalized IS NOT NULL),
    CONSTRAINT account_email_pair CHECK ((email IS NULL) = (email_normalized IS NULL)),
    CONSTRAINT account_username_pair CHECK ((username IS NULL) = (username_normalized IS NULL)),
    CONSTRAINT account_full_name_present CHECK (length(btrim(full_name)) > 0),
    CONSTRAINT account_invited_has_time CHECK (status <> 'invited' OR invited_at IS NOT NULL),
    CONSTRAINT account_claimed_has_time CHECK (status <> 'claimed' OR claimed_at IS NOT NULL),
    CONSTRAINT account_deactivated_has_time CHECK (status <> 'deactivated' OR deactivated_at IS NOT NULL),
    CONSTRAINT account_not_own_manager CHECK (manager_id IS DISTINCT FROM id)
)
-- Status changes (Invite All, claims, deactivation) are heap-only updates:
-- no index holds the status, and each page keeps room for a row's next
-- version. The People page's status filter walks the name index instead.
WITH (fillfactor = 50);

-- Almost nobody has a username (only people without email): the index holds
-- only those who do.
CREATE UNIQUE INDEX account_username_normalized_key ON account (username_normalized) WHERE username_normalized IS NOT NULL;
-- The People list and the directory page by name, then id.
CREATE INDEX account_by_name ON account (lower(full_name), id);

-- Profile pictures: always re-encoded by Embark (square JPEG, no metadata),
-- never the bytes that were uploaded.
CREATE TABLE account_picture (
    account_id uuid PRIMARY KEY REFERENCES account (id) ON DELETE CASCADE,
    jpeg       bytea NOT NULL,
    updated_at timestamptz NOT NULL
);

-- People search ----------------------------------------------------------
--
-- The trigram index of the People search lives off the account table, in
-- documents kept up to date in the background: indexing a person's name,
-- email and external ID is about fifty trigram entries, a second of an
-- import of 100,000 people. Writers only note which accounts need
-- (re)indexing, in `account_search_backlog`, in their own transaction; a
-- worker (services::search_index) indexes them moments later. Searches read
-- the index *and* the backlog, so they are never behind.

-- One expression for the document, shared by the index, the worker and the
-- searches that scan accounts directly.
CREATE FUNCTION account_search_document(full_name text, email_normalized text, external_id text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN lower(full_name) || ' ' || coalesce(email_normalized, '') || ' ' || coalesce(lower(external_id), '');

CREATE TABLE account_search (
    account_id uuid PRIMARY KEY REFERENCES account (id) ON DELETE CASCADE,
    document   text NOT NULL
);
CREATE INDEX account_search_document_trgm ON account_search USING gin (document gin_trgm_ops);

-- Accounts whose document is missing or stale; an account may be listed
-- more than once. A queue, not a reference: an entry whose account is gone
-- by the time the worker reads it indexes nothing, so it needs no foreign
-- key (which would cost each imported person a check).
CREATE TABLE account_search_backlog (
    account_id uuid NOT NULL
);

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

-- Groups -------------------------------------------------------------------

CREATE TABLE account_group (
    id                  uuid PRIMARY KEY,
    name                text NOT NULL,
    name_normalized     text NOT NULL CONSTRAINT account_group_name_normalized_key UNIQUE,
    description         text NOT NULL DEFAULT '',
    -- Closed groups are not searchable in the claim wizard.
    is_open             boolean NOT NULL DEFAULT true,
    suggested_at_claim  boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    CONSTRAINT account_group_name_present CHECK (length(btrim(name)) > 0)
);

CREATE TABLE group_membership (
    group_id   uuid NOT NULL CONSTRAINT group_membership_group_id_fkey REFERENCES account_group (id) ON DELETE CASCADE,
    account_id uuid NOT NULL CONSTRAINT group_membership_account_id_fkey REFERENCES account (id) ON DELETE CASCADE,
    added_at   timestamptz NOT NULL,
    PRIMARY KEY (group_id, account_id)
);
CREATE INDEX group_membership_by_account ON group_membership (account_id);

-- Claiming -----------------------------------------------------------------

CREATE TYPE claim_credential_kind AS ENUM ('link', 'access_code');
CREATE TYPE claim_credential_state AS ENUM ('active', 'used', 'revoked');

-- Claim links and access codes. Only a SHA-256 of the secret is stored for
-- lookup; `secret_sealed` is the secret encrypted under the server's secret
-- key (not in the database), so links can be shown again without a database
-- copy revealing them.
CREATE TABLE claim_credential (
    id            uuid PRIMARY KEY,
    account_id    uuid NOT NULL CONSTRAINT claim_credential_account_id_fkey REFERENCES account (id) ON DELETE CASCADE,
    kind          claim_credential_kind NOT NULL,
    state         claim_credential_state NOT NULL DEFAULT 'active',
    secret_hash   bytea NOT NULL CONSTRAINT claim_credential_secret_hash_key UNIQUE,
    secret_sealed bytea NOT NULL,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    used_at       timestamptz,
    revoked_at    timestamptz,
    CONSTRAINT claim_credential_used_has_time CHECK (state <> 'used' OR used_at IS NOT NULL),
    CONSTRAINT claim_credential_revoked_has_time CHECK (state <> 'revoked' OR revoked_at IS NOT NULL)
);
-- At most one live credential of each kind per account.
CREATE UNIQUE INDEX claim_credential_one_active ON claim_credential (account_id, kind) WHERE state = 'active';
-- An account's credentials, newest last (rate limits, deletion).
CREATE INDEX claim_credential_by_account ON claim_credential (account_id, created_at);

-- The organisation's settings: exactly one row.
CREATE TABLE settings (
    id                   boolean PRIMARY KEY DEFAULT true CHECK (id),
    organization_name    text NOT NULL DEFAULT '',
    require_terms        boolean NOT NULL DEFAULT false,
    terms_text           text NOT NULL DEFAULT '',
    terms_version        integer NOT NULL DEFAULT 1,
    claim_link_lifetime_days integer NOT NULL DEFAULT 30 CHECK (claim_link_lifetime_days BETWEEN 1 AND 365),
    claim_email_subject  text NOT NULL DEFAULT 'You''re invited to join {organization} on Embark',
    claim_email_body     text NOT NULL DEFAULT E'Hi {first_name},\n\n{organization} has set up an account for you. Claim it with this link:\n\n{link}\n\nThe link works until {expiry_date}.',
    updated_at           timestamptz NOT NULL DEFAULT now()
);
INSERT INTO settings (id) VALUES (true);

-- Email ----------------------------------------------------------------------

-- Mail that will never be sent (its link was replaced, its account
-- deactivated) is cancelled rather than failed, so "failed" means only a
-- real delivery problem an admin should look at.
CREATE TYPE outbox_state AS ENUM ('queued', 'sending', 'sent', 'failed', 'cancelled');
CREATE TYPE email_kind AS ENUM ('claim_invitation');

-- Email outbox: rows are written in the same transaction as the business
-- change; a worker sends them. Messages that carry a claim link reference the
-- credential and render the link only at send time, so the outbox never
-- holds a usable secret.
CREATE TABLE email_outbox (
    id              uuid PRIMARY KEY,
    kind            email_kind NOT NULL,
    account_id      uuid CONSTRAINT email_outbox_account_id_fkey REFERENCES account (id) ON DELETE CASCADE,
    -- The claim credential whose link the email carries. Not a foreign key,
    -- on purpose: a credential is deleted only with its account, which
    -- takes the account's emails with it (email_outbox_account_id_fkey), and
    -- the mail worker cancels an email whose credential it cannot find. A
    -- check here would cost Invite All a second per 100,000 people
    -- (server/benches/scale.rs) for a reference nothing else can break.
    credential_id   uuid,
    recipient       text NOT NULL,
    -- Template inputs other than the link (personal message, …).
    payload         jsonb NOT NULL DEFAULT '{}'::jsonb,
    state           outbox_state NOT NULL DEFAULT 'queued',
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    last_error      text,
    created_at      timestamptz NOT NULL,
    sent_at         timestamptz,
    CONSTRAINT email_outbox_sent_has_time CHECK (state <> 'sent' OR sent_at IS NOT NULL),
    CONSTRAINT email_outbox_invitation_has_link CHECK (kind <> 'claim_invitation' OR credential_id IS NOT NULL)
);
-- Work the outbox worker can take: queued mail that is due, and mail whose
-- sending lease ran out because a worker died mid-batch.
CREATE INDEX email_outbox_due ON email_outbox (next_attempt_at) WHERE state IN ('queued', 'sending');
CREATE INDEX email_outbox_by_account ON email_outbox (account_id);
-- The Outgoing mail page, newest first.
CREATE INDEX email_outbox_by_time ON email_outbox (created_at, id);

-- Audit ----------------------------------------------------------------------

-- What happened (AuditAction in app/src/domain/audit.rs, which names each in
-- words), and what kind of thing it happened to (AuditTarget).
CREATE TYPE audit_action AS ENUM (
    'account.created', 'account.updated', 'account.invited', 'account.invitation_resent', 'account.claimed',
    'account.deactivated', 'account.reactivated', 'account.deleted',
    'session.signed_in', 'session.signed_out', 'password.changed', 'profile.updated', 'profile.picture_changed',
    'invitations.sent', 'invitation.link_viewed', 'import.applied',
    'group.created', 'group.updated', 'group.deleted', 'group.member_added', 'group.member_removed',
    'settings.updated', 'setup.completed'
);
CREATE TYPE audit_target_kind AS ENUM ('account', 'group', 'import', 'invitation_batch', 'settings');

-- Who did what to whom, and when. No foreign keys: the record outlives what
-- it speaks of, and the labels keep the names it had.
CREATE TABLE audit_event (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at  timestamptz NOT NULL,
    actor_id     uuid,
    actor_label  text NOT NULL,
    action       audit_action NOT NULL,
    target_kind  audit_target_kind NOT NULL,
    -- The organisation's settings are one row with no id of its own.
    target_id    uuid,
    target_label text NOT NULL DEFAULT '',
    details      jsonb NOT NULL DEFAULT '{}'::jsonb,
    CONSTRAINT audit_event_target_has_id CHECK (target_id IS NOT NULL OR target_kind = 'settings')
);
-- A person's history, and the audit log page, newest first.
CREATE INDEX audit_event_by_target ON audit_event (target_id, occurred_at, id);
CREATE INDEX audit_event_by_time ON audit_event (occurred_at, id);

-- Bulk work ------------------------------------------------------------------

-- Spreadsheet imports. An upload is parsed and checked into a staging area
-- first (the dry-run preview), then applied in one transaction, so a file is
-- applied wholly or not at all.
CREATE TYPE import_state AS ENUM ('previewed', 'applied', 'discarded');

CREATE TABLE import_batch (
    id          uuid PRIMARY KEY,
    file_name   text NOT NULL,
    state       import_state NOT NULL DEFAULT 'previewed',
    created_by  uuid REFERENCES account (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL,
    applied_at  timestamptz,
    -- What the preview showed, so an apply that would differ is refused.
    preview     jsonb NOT NULL DEFAULT '{}'::jsonb,
    result      jsonb NOT NULL DEFAULT '{}'::jsonb,
    CONSTRAINT import_batch_applied_has_time CHECK (state <> 'applied' OR applied_at IS NOT NULL)
);

CREATE TYPE import_action AS ENUM ('create', 'update', 'unchanged', 'invalid');

-- Staged rows: scratch data, rebuilt from the file if lost, so not
-- WAL-logged (an unlogged table is emptied after a crash, never half-written
-- into `account`). Classification rewrites rows in place: with room on each
-- page that is a heap-only update, which leaves the indexes alone.
-- Not a foreign key to its batch, on purpose: staged rows are scratch,
-- written 100,000 at a time by COPY, and a check per row was half of staging
-- (server/benches/scale.rs); they are deleted with their batch in the same
-- statement (db::imports::delete_stale).
CREATE UNLOGGED TABLE import_row (
    batch_id          uuid NOT NULL,
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
    -- The row's group names, and their normalised forms, joined by U+001F
    -- (group names cannot hold control characters): staged by COPY, which
    -- has no array syntax worth escaping by hand.
    group_names       text NOT NULL DEFAULT '',
    group_keys        text NOT NULL DEFAULT '',
    -- The id a new account gets, chosen when staged.
    new_id            uuid NOT NULL,
    -- Filled by classification: the existing account the row updates, and
    -- the manager's account when it is already in Embark.
    account_id        uuid,
    manager_account_id uuid,
    -- What is wrong with the row on its own (set when staged) and against
    -- the directory (set by classification, again when applied).
    parse_problem     text,
    problem           text,
    action            import_action NOT NULL DEFAULT 'invalid',
    PRIMARY KEY (batch_id, line),
    CONSTRAINT import_row_invalid_has_problem CHECK (action <> 'invalid' OR coalesce(parse_problem, problem) IS NOT NULL)
) WITH (fillfactor = 50);

-- Invite Selected: the accounts an uploaded list matched, kept between the
-- match report and the send.
CREATE TABLE invite_selection (
    id          uuid PRIMARY KEY,
    file_name   text NOT NULL,
    created_by  uuid REFERENCES account (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL,
    account_ids uuid[] NOT NULL,
    report      jsonb NOT NULL,
    sent_at     timestamptz
);

-- Sessions ---------------------------------------------------------------------

-- In the layout tower-sessions-sqlx-store expects.
CREATE SCHEMA tower_sessions;
CREATE TABLE tower_sessions.session (
    id          text PRIMARY KEY NOT NULL,
    data        bytea NOT NULL,
    expiry_date timestamptz NOT NULL
);
CREATE INDEX session_expiry ON tower_sessions.session (expiry_date);
