-- Failed attempts (sign-in, claim links), counted over a sliding window per
-- subject: a client address, an email address typed in, or both together.
-- Several Embark servers on one database count together. Rows older than the
-- longest window are deleted now and then (services::throttle::forget_old).
CREATE TABLE throttle_failure (
    -- Which limit counts this failure (services::throttle::Limit).
    bucket     text NOT NULL CHECK (bucket IN ('sign_in_address', 'sign_in_account', 'sign_in_account_anywhere', 'claim_link_address')),
    -- SHA-256 of the address or normalised email: never a typed secret as is
    -- (people type passwords into the email field).
    subject    bytea NOT NULL CHECK (octet_length(subject) = 32),
    failed_at  timestamptz NOT NULL
);
CREATE INDEX throttle_failure_window ON throttle_failure (bucket, subject, failed_at);
CREATE INDEX throttle_failure_age ON throttle_failure (failed_at);

ALTER TABLE audit_event DROP CONSTRAINT audit_event_target_has_id;
ALTER TABLE audit_event ADD CONSTRAINT audit_event_target_has_id CHECK (target_id IS NOT NULL OR target_kind IN ('settings', 'client_address'));

-- Sessions are stored under a digest of their id (server/src/session_store.rs),
-- so a copy of the database holds no live session. Sessions stored before,
-- under their ids as they were, are ended.
DELETE FROM tower_sessions.session;
