-- Mail that will never be sent (its link was replaced, its account
-- deactivated) is cancelled rather than failed, so "failed" means only a real
-- delivery problem an admin should look at.
ALTER TYPE outbox_state ADD VALUE IF NOT EXISTS 'cancelled';

-- What the person agreed to when they claimed.
ALTER TABLE account
    ADD COLUMN terms_accepted_version integer,
    ADD COLUMN terms_accepted_at timestamptz;

-- Work the outbox worker can take: queued mail that is due, and mail whose
-- sending lease ran out because a worker died mid-batch.
DROP INDEX IF EXISTS email_outbox_due;
CREATE INDEX email_outbox_due ON email_outbox (next_attempt_at) WHERE state IN ('queued', 'sending');
