-- Single sign-on with the organisation's OpenID Connect provider (issue 13).

-- How a person signs in when the organisation lets admins choose per person.
CREATE TYPE sign_in_method AS ENUM ('password', 'sso');
ALTER TABLE account ADD COLUMN sign_in_method sign_in_method NOT NULL DEFAULT 'password';

-- Who signs in with the provider: nobody (SSO off), everyone, or the people
-- whose sign_in_method is 'sso'.
CREATE TYPE sso_policy AS ENUM ('nobody', 'everyone', 'chosen');

-- The provider, one of a kind. The client secret is sealed under a key
-- derived from EMBARK_SECRET_KEY (configuration, never in the database), so
-- a copy of the database does not reveal it.
CREATE TABLE sso_configuration (
    id                   boolean PRIMARY KEY DEFAULT true CONSTRAINT sso_configuration_single_row CHECK (id),
    issuer_url           text NOT NULL CONSTRAINT sso_issuer_present CHECK (length(issuer_url) > 0),
    client_id            text NOT NULL CONSTRAINT sso_client_id_present CHECK (length(client_id) > 0),
    client_secret_sealed bytea NOT NULL,
    button_label         text NOT NULL CONSTRAINT sso_button_label_present CHECK (length(btrim(button_label)) > 0),
    -- Lowercased domains whose verified emails may claim from the sign-in page.
    trusted_domains      text[] NOT NULL DEFAULT '{}',
    policy               sso_policy NOT NULL DEFAULT 'nobody',
    updated_at           timestamptz NOT NULL
);

-- An identity at the provider is the pair (issuer, subject) (SECURITY.md
-- rule 14): bound to at most one account, and an account has at most one.
CREATE TABLE sso_identity (
    account_id uuid PRIMARY KEY REFERENCES account (id) ON DELETE CASCADE,
    issuer     text NOT NULL,
    subject    text NOT NULL,
    -- The email the provider asserted when the identity was bound.
    email      text,
    bound_at   timestamptz NOT NULL,
    CONSTRAINT sso_identity_issuer_subject_key UNIQUE (issuer, subject)
);

-- Single sign-on attempts abandoned at the provider count per client address
-- (each one writes a session), so a flood cannot fill the session table.
ALTER TABLE throttle_failure DROP CONSTRAINT throttle_failure_bucket_check;
ALTER TABLE throttle_failure ADD CONSTRAINT throttle_failure_bucket_check
    CHECK (bucket IN ('sign_in_address', 'sign_in_account', 'sign_in_account_anywhere', 'claim_link_address', 'sso_start_address'));
