use crate::domain::{AccountId, CredentialId, OutboxId};
use sqlx::{Postgres, Transaction};
use time::OffsetDateTime;

/// Kinds of email Embark sends.
pub const CLAIM_INVITATION: &str = "claim_invitation";

pub struct NewEmail<'a> {
    pub kind: &'a str,
    pub account_id: Option<AccountId>,
    pub credential_id: Option<CredentialId>,
    pub recipient: &'a str,
    pub payload: serde_json::Value,
    pub now: OffsetDateTime,
}

/// Queues one email in the caller's transaction, so it is sent if and only if
/// the change that caused it commits.
pub async fn enqueue(tx: &mut Transaction<'_, Postgres>, email: NewEmail<'_>) -> sqlx::Result<OutboxId> {
    let id = OutboxId::new();
    sqlx::query(
        "INSERT INTO email_outbox (id, kind, account_id, credential_id, recipient, payload, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(id)
    .bind(email.kind)
    .bind(email.account_id)
    .bind(email.credential_id)
    .bind(email.recipient)
    .bind(email.payload)
    .bind(email.now)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// Withdraws queued mail for an account whose access just ended.
pub async fn cancel_queued_for_account(tx: &mut Transaction<'_, Postgres>, account_id: AccountId, now: OffsetDateTime) -> sqlx::Result<u64> {
    let cancelled = sqlx::query(
        "UPDATE email_outbox SET state = 'failed', last_error = 'cancelled: the account was deactivated', next_attempt_at = $2 \
         WHERE account_id = $1 AND state = 'queued'",
    )
    .bind(account_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(cancelled.rows_affected())
}
