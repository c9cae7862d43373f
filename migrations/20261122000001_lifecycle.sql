-- Embark's lifecycle data model. See ARCHITECTURE.md "The lifecycle".

CREATE TYPE account_status AS ENUM ('uninvited', 'invited', 'claimed', 'deactivated');
CREATE TYPE account_role AS ENUM ('employee', 'admin');

CREATE TABLE account (
    id                  uuid PRIMARY KEY,
    status              account_status NOT NULL DEFAULT 'uninvited',
    role                account_role   NOT NULL DEFAULT 'employee',
    -- What the person typed is kept; uniqueness is on the normalised form
    -- (NFKC + lowercase), computed by the domain layer.
    email               text,
    email_normalized    text UNIQUE,
    external_id         text UNIQUE,
    -- For people without email, who claim with an access code.
    username            text,
    username_normalized text UNIQUE,
    full_name           text NOT NULL,
    title               text NOT NULL DEFAULT '',
    department          text NOT NULL DEFAULT '',
    location            text NOT NULL DEFAULT '',
    phone               text NOT NULL DEFAULT '',
    manager_id          uuid REFERENCES account (id) ON DELETE SET NULL,
    password_hash       text,
    -- Bumped by deactivation and password changes: every session that carries
    -- an older epoch is refused on its next request.
    session_epoch       integer NOT NULL DEFAULT 0,
    -- Where a reactivation returns to.
    status_before_deactivation account_status,
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
    CONSTRAINT account_deactivated_has_time CHECK (status <> 'deactivated' OR deactivated_at IS NOT NULL)
);

-- Keyset pagination of the People list, by name then id, optionally per status.
CREATE INDEX account_by_name ON account (lower(full_name), id);
CREATE INDEX account_by_status_name ON account (status, lower(full_name), id);

CREATE TYPE claim_credential_kind AS ENUM ('link', 'access_code');
CREATE TYPE claim_credential_state AS ENUM ('active', 'used', 'revoked');

-- Claim links and access codes. Only a SHA-256 of the secret is stored for
-- lookup; `secret_sealed` is the secret encrypted under the server's secret key
-- (not in the database), so links can be re-exported without a database copy
-- revealing them.
CREATE TABLE claim_credential (
    id            uuid PRIMARY KEY,
    account_id    uuid NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    kind          claim_credential_kind NOT NULL,
    state         claim_credential_state NOT NULL DEFAULT 'active',
    secret_hash   bytea NOT NULL UNIQUE,
    secret_sealed bytea NOT NULL,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    used_at       timestamptz,
    revoked_at    timestamptz,
    CONSTRAINT claim_credential_used_has_time CHECK (state <> 'used' OR used_at IS NOT NULL),
    CONSTRAINT claim_credential_revoked_has_time CHECK (state <> 'revoked' OR revoked_at IS NOT NULL)
);
-- At most one live credential of each kind per account.
CREATE UNIQUE INDEX claim_credential_one_active
    ON claim_credential (account_id, kind) WHERE state = 'active';

CREATE TABLE account_group (
    id                  uuid PRIMARY KEY,
    name                text NOT NULL,
    name_normalized     text NOT NULL UNIQUE,
    description         text NOT NULL DEFAULT '',
    -- Closed groups are not searchable in the claim wizard.
    is_open             boolean NOT NULL DEFAULT true,
    suggested_at_claim  boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    CONSTRAINT account_group_name_present CHECK (length(btrim(name)) > 0)
);

CREATE TABLE group_membership (
    group_id   uuid NOT NULL REFERENCES account_group (id) ON DELETE CASCADE,
    account_id uuid NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    added_at   timestamptz NOT NULL,
    PRIMARY KEY (group_id, account_id)
);
CREATE INDEX group_membership_by_account ON group_membership (account_id);

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

CREATE TYPE outbox_state AS ENUM ('queued', 'sending', 'sent', 'failed');

-- Email outbox: rows are written in the same transaction as the business
-- change; a worker sends them. Messages that carry a claim link reference the
-- credential and render the link only at send time, so the outbox never holds
-- a usable secret.
CREATE TABLE email_outbox (
    id              uuid PRIMARY KEY,
    kind            text NOT NULL,
    account_id      uuid REFERENCES account (id) ON DELETE CASCADE,
    credential_id   uuid REFERENCES claim_credential (id) ON DELETE CASCADE,
    recipient       text NOT NULL,
    -- Template inputs other than the link (personal message, …).
    payload         jsonb NOT NULL DEFAULT '{}'::jsonb,
    state           outbox_state NOT NULL DEFAULT 'queued',
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    last_error      text,
    created_at      timestamptz NOT NULL,
    sent_at         timestamptz
);
CREATE INDEX email_outbox_due ON email_outbox (next_attempt_at) WHERE state = 'queued';
CREATE INDEX email_outbox_by_account ON email_outbox (account_id);

-- Who did what to whom, and when. No foreign keys: the record outlives the
-- account it speaks of.
CREATE TABLE audit_event (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at  timestamptz NOT NULL,
    actor_id     uuid,
    actor_label  text NOT NULL,
    action       text NOT NULL,
    target_id    uuid,
    target_label text NOT NULL DEFAULT '',
    details      jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_event_by_target ON audit_event (target_id, occurred_at);
CREATE INDEX audit_event_by_time ON audit_event (occurred_at);

-- Sessions, in the layout tower-sessions-sqlx-store expects.
CREATE SCHEMA tower_sessions;
CREATE TABLE tower_sessions.session (
    id          text PRIMARY KEY NOT NULL,
    data        bytea NOT NULL,
    expiry_date timestamptz NOT NULL
);
CREATE INDEX session_expiry ON tower_sessions.session (expiry_date);
