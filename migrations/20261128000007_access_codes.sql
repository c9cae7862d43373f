-- Access codes for people without an email address (issue 14). The codes
-- themselves are claim_credential rows of kind 'access_code' (baseline).

-- How long a code works: Workplace's 90 days by default.
ALTER TABLE settings ADD COLUMN access_code_lifetime_days integer NOT NULL DEFAULT 90
    CONSTRAINT settings_access_code_lifetime_days_check CHECK (access_code_lifetime_days BETWEEN 1 AND 365);

-- How many wrong codes are allowed in the 15-minute window, per client
-- address and from everyone together (Settings).
ALTER TABLE settings ADD COLUMN access_code_attempts_per_address integer NOT NULL DEFAULT 10
    CONSTRAINT settings_access_code_attempts_per_address_check CHECK (access_code_attempts_per_address BETWEEN 3 AND 1000);
ALTER TABLE settings ADD COLUMN access_code_attempts_overall integer NOT NULL DEFAULT 10000
    CONSTRAINT settings_access_code_attempts_overall_check CHECK (access_code_attempts_overall BETWEEN 100 AND 1000000);

-- Wrong codes count per client address, and from anywhere (a distributed
-- guess); a right code from another address is unaffected by the first.
ALTER TABLE throttle_failure DROP CONSTRAINT throttle_failure_bucket_check;
ALTER TABLE throttle_failure ADD CONSTRAINT throttle_failure_bucket_check
    CHECK (bucket IN ('sign_in_address', 'sign_in_account', 'sign_in_account_anywhere', 'claim_link_address', 'sso_start_address',
                      'access_code_address', 'access_code_anywhere'));

ALTER TYPE audit_action ADD VALUE 'access_code.shown';
ALTER TYPE audit_action ADD VALUE 'access_codes.exported';
