-- Profile pictures: always re-encoded by Embark (square JPEG, no metadata),
-- never the bytes that were uploaded.
CREATE TABLE account_picture (
    account_id uuid PRIMARY KEY REFERENCES account (id) ON DELETE CASCADE,
    jpeg       bytea NOT NULL,
    updated_at timestamptz NOT NULL
);

-- "contains" searches over names, emails and external ids stay fast on large
-- directories.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX account_name_trgm ON account USING gin (lower(full_name) gin_trgm_ops);
CREATE INDEX account_email_trgm ON account USING gin (email_normalized gin_trgm_ops);
CREATE INDEX account_external_id_trgm ON account USING gin (lower(external_id) gin_trgm_ops);
