-- The Account Management API (issue 15): integrations that hold SCIM
-- tokens, and the name parts an identity provider sends.

-- An identity provider (Okta, Entra ID, a script) allowed to manage people
-- through SCIM. Only a SHA-256 of its bearer token is kept (the token has
-- 256 random bits, so no slow hash is needed); `token_prefix` is the token's
-- public start, shown so admins can tell tokens apart and used to find the
-- row before the digest is compared in constant time.
CREATE TABLE integration (
    id                   uuid PRIMARY KEY,
    name                 text NOT NULL,
    name_normalized      text NOT NULL CONSTRAINT integration_name_normalized_key UNIQUE,
    description          text NOT NULL DEFAULT '',
    token_prefix         text NOT NULL CONSTRAINT integration_token_prefix_key UNIQUE,
    token_digest         bytea NOT NULL,
    -- After a rotation with an overlap, the previous token works until then.
    previous_token_prefix text CONSTRAINT integration_previous_token_prefix_key UNIQUE,
    previous_token_digest bytea,
    previous_token_valid_until timestamptz,
    -- "Invite people automatically as soon as this integration adds them".
    invite_automatically boolean NOT NULL DEFAULT false,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    revoked_at           timestamptz,
    last_used_at         timestamptz,
    last_used_address    text,
    CONSTRAINT integration_name_present CHECK (length(btrim(name)) > 0),
    CONSTRAINT integration_token_digest_length CHECK (length(token_digest) = 32),
    CONSTRAINT integration_previous_token_complete CHECK (
        (previous_token_prefix IS NULL) = (previous_token_digest IS NULL)
        AND (previous_token_prefix IS NULL) = (previous_token_valid_until IS NULL))
);

-- SCIM's name.givenName and name.familyName, kept as the provider sent
-- them so they read back unchanged; `full_name` stays the name Embark shows.
ALTER TABLE account ADD COLUMN given_name text;
ALTER TABLE account ADD COLUMN family_name text;
-- The enterprise extension's employeeNumber.
ALTER TABLE account ADD COLUMN employee_number text;

ALTER TYPE audit_target_kind ADD VALUE 'integration';
ALTER TYPE audit_action ADD VALUE 'integration.created';
ALTER TYPE audit_action ADD VALUE 'integration.changed';
ALTER TYPE audit_action ADD VALUE 'integration.token_rotated';
ALTER TYPE audit_action ADD VALUE 'integration.revoked';

-- SCIM's externalId of a group (every SCIM resource may carry one).
ALTER TABLE account_group ADD COLUMN external_id text;

-- Wrong SCIM tokens count per client address.
ALTER TABLE throttle_failure DROP CONSTRAINT throttle_failure_bucket_check;
ALTER TABLE throttle_failure ADD CONSTRAINT throttle_failure_bucket_check
    CHECK (bucket IN ('sign_in_address', 'sign_in_account', 'sign_in_account_anywhere', 'claim_link_address', 'sso_start_address',
                      'access_code_address', 'access_code_anywhere', 'scim_token_address'));

-- Which integration acted, for its activity list on the Integrations page.
-- Not a foreign key: the log keeps what happened whatever becomes of the
-- integration.
ALTER TABLE audit_event ADD COLUMN actor_integration_id uuid;
CREATE INDEX audit_event_by_integration ON audit_event (actor_integration_id, occurred_at) WHERE actor_integration_id IS NOT NULL;
