-- Directory sync (issue 17): the organisation's LDAP directory (Active
-- Directory or OpenLDAP), read when an admin asks.

CREATE TYPE directory_kind AS ENUM ('active_directory', 'open_ldap');
CREATE TYPE directory_security AS ENUM ('ldaps', 'start_tls', 'plain');

-- One directory, like the single sign-on provider. The bind password is
-- sealed under a key derived from EMBARK_SECRET_KEY (configuration, never in
-- the database), so a copy of the database does not reveal it.
CREATE TABLE directory_configuration (
    id                   boolean PRIMARY KEY DEFAULT true CONSTRAINT directory_configuration_single_row CHECK (id),
    kind                 directory_kind NOT NULL,
    url                  text NOT NULL,
    security             directory_security NOT NULL,
    ca_certificate       text,
    bind_dn              text NOT NULL CONSTRAINT directory_bind_dn_present CHECK (length(btrim(bind_dn)) > 0),
    bind_password_sealed bytea NOT NULL,
    base_dn              text NOT NULL CONSTRAINT directory_base_dn_present CHECK (length(btrim(base_dn)) > 0),
    filter               text NOT NULL CONSTRAINT directory_filter_present CHECK (filter LIKE '(%)'),
    -- domain::AttributeMap: which attribute holds each detail.
    attributes           jsonb NOT NULL,
    updated_at           timestamptz NOT NULL,
    -- SECURITY: the scheme and the protection agree; ldaps:// is TLS from
    -- the first byte, ldap:// is upgraded by StartTLS or knowingly plain.
    CONSTRAINT directory_url_matches_security CHECK (
        (security = 'ldaps' AND url LIKE 'ldaps://_%') OR (security <> 'ldaps' AND url LIKE 'ldap://_%'))
);

ALTER TYPE audit_action ADD VALUE 'directory.settings_changed';
