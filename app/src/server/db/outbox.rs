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
        "UPDATE email_outbox SET state = 'cancelled', last_error = 'the account was deactivated', next_attempt_at = $2 \
         WHERE account_id = $1 AND state IN ('queued', 'sending')",
    )
    .bind(account_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(cancelled.rows_affected())
}

/// A queued email leased to this worker, with what rendering it needs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LeasedEmail {
    pub id: OutboxId,
    pub kind: String,
    pub recipient: String,
    pub payload: serde_json::Value,
    pub attempts: i32,
    pub account_status: Option<crate::domain::AccountStatus>,
    pub full_name: Option<String>,
    pub credential_state: Option<super::credentials::CredentialState>,
    pub secret_sealed: Option<Vec<u8>>,
    pub expires_at: Option<OffsetDateTime>,
    pub organization_name: String,
    pub claim_email_subject: String,
    pub claim_email_body: String,
}

/// Leases up to `limit` due emails for `lease`, in one statement. Emails
/// whose lease ran out (their worker died mid-batch) are due again, which
/// bounds what a crash can send twice to the batch that was in flight.
pub async fn lease_due(pool: &sqlx::PgPool, now: OffsetDateTime, limit: i64, lease: time::Duration) -> sqlx::Result<Vec<LeasedEmail>> {
    sqlx::query_as(
        "WITH due AS ( \
             SELECT id FROM email_outbox \
             WHERE state IN ('queued', 'sending') AND next_attempt_at <= $1 \
             ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED \
         ), leased AS ( \
             UPDATE email_outbox o SET state = 'sending', attempts = o.attempts + 1, next_attempt_at = $3 \
             FROM due WHERE o.id = due.id \
             RETURNING o.id, o.kind, o.recipient, o.payload, o.attempts, o.account_id, o.credential_id \
         ) \
         SELECT l.id, l.kind, l.recipient, l.payload, l.attempts, a.status AS account_status, a.full_name, \
                c.state AS credential_state, c.secret_sealed, c.expires_at, \
                s.organization_name, s.claim_email_subject, s.claim_email_body \
         FROM leased l \
         LEFT JOIN account a ON a.id = l.account_id \
         LEFT JOIN claim_credential c ON c.id = l.credential_id \
         CROSS JOIN settings s",
    )
    .bind(now)
    .bind(limit)
    .bind(now + lease)
    .fetch_all(pool)
    .await
}

/// Records delivery of many emails in one statement. Only leased rows are
/// marked, so a row another worker re-leased after this one's lease expired
/// is not touched twice.
pub async fn mark_many_sent(pool: &sqlx::PgPool, ids: &[uuid::Uuid], now: OffsetDateTime) -> sqlx::Result<()> {
    sqlx::query("UPDATE email_outbox SET state = 'sent', sent_at = $2, last_error = NULL WHERE id = ANY($1) AND state = 'sending'")
        .bind(ids)
        .bind(now)
        .execute(pool)
        .await?;
    Ok(())
}

/// Gives a leased email back unsent, without counting the attempt.
pub async fn release(pool: &sqlx::PgPool, id: OutboxId) -> sqlx::Result<()> {
    sqlx::query("UPDATE email_outbox SET state = 'queued', attempts = attempts - 1, next_attempt_at = now() WHERE id = $1 AND state = 'sending'")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Puts the email back in the queue to try again at `retry_at`.
pub async fn mark_retry(pool: &sqlx::PgPool, id: OutboxId, error: &str, retry_at: OffsetDateTime) -> sqlx::Result<()> {
    sqlx::query("UPDATE email_outbox SET state = 'queued', last_error = $2, next_attempt_at = $3 WHERE id = $1 AND state = 'sending'")
        .bind(id)
        .bind(error)
        .bind(retry_at)
        .execute(pool)
        .await?;
    Ok(())
}

/// Ends the email: `failed` (delivery is hopeless) or `cancelled` (it must
/// not be sent any more).
pub async fn mark_final(pool: &sqlx::PgPool, id: OutboxId, state: OutboxState, reason: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE email_outbox SET state = $2, last_error = $3 WHERE id = $1 AND state = 'sending'")
        .bind(id)
        .bind(state)
        .bind(reason)
        .execute(pool)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type, serde::Serialize, serde::Deserialize)]
#[sqlx(type_name = "outbox_state", rename_all = "lowercase")]
pub enum OutboxState {
    Queued,
    Sending,
    Sent,
    Failed,
    Cancelled,
}

impl OutboxState {
    pub const ALL: [OutboxState; 5] = [Self::Queued, Self::Sending, Self::Sent, Self::Failed, Self::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }
}

/// One email as the Outgoing mail page lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: OutboxId,
    pub kind: String,
    pub recipient: String,
    pub full_name: Option<String>,
    pub state: OutboxState,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: OffsetDateTime,
    pub sent_at: Option<OffsetDateTime>,
}

/// Newest first, optionally of one state, before the (created_at, id) cursor.
pub async fn list(
    executor: impl sqlx::PgExecutor<'_>,
    state: Option<OutboxState>,
    before: Option<(OffsetDateTime, OutboxId)>,
    limit: i64,
) -> sqlx::Result<Vec<OutboxRow>> {
    sqlx::query_as(
        "SELECT o.id, o.kind, o.recipient, a.full_name, o.state, o.attempts, o.last_error, o.created_at, o.sent_at \
         FROM email_outbox o LEFT JOIN account a ON a.id = o.account_id \
         WHERE ($1::outbox_state IS NULL OR o.state = $1) \
           AND ($2::timestamptz IS NULL OR (o.created_at, o.id) < ($2, $3)) \
         ORDER BY o.created_at DESC, o.id DESC LIMIT $4",
    )
    .bind(state)
    .bind(before.map(|(at, _)| at))
    .bind(before.map(|(_, id)| id))
    .bind(limit)
    .fetch_all(executor)
    .await
}

/// The sealed secret of a claim email's link, while that link is live.
pub async fn live_link_of(executor: impl sqlx::PgExecutor<'_>, id: OutboxId) -> sqlx::Result<Option<(AccountId, String, Vec<u8>)>> {
    sqlx::query_as(
        "SELECT a.id, a.full_name, c.secret_sealed FROM email_outbox o \
         JOIN claim_credential c ON c.id = o.credential_id AND c.state = 'active' AND c.expires_at > now() \
         JOIN account a ON a.id = o.account_id AND a.status = 'invited' \
         WHERE o.id = $1",
    )
    .bind(id)
    .fetch_optional(executor)
    .await
}

/// Queues one claim invitation per link (bulk invitations), all with the
/// same payload, in one statement.
pub async fn enqueue_invitations(
    tx: &mut Transaction<'_, Postgres>,
    account_ids: &[uuid::Uuid],
    credential_ids: &[uuid::Uuid],
    recipients: &[String],
    payload: serde_json::Value,
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    let ids: Vec<uuid::Uuid> = (0..account_ids.len()).map(|_| OutboxId::new().0).collect();
    sqlx::query(
        "INSERT INTO email_outbox (id, kind, account_id, credential_id, recipient, payload, next_attempt_at, created_at) \
         SELECT id, $5, account_id, credential_id, recipient, $6, $7, $7 \
         FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::text[]) AS t(id, account_id, credential_id, recipient)",
    )
    .bind(&ids)
    .bind(account_ids)
    .bind(credential_ids)
    .bind(recipients)
    .bind(CLAIM_INVITATION)
    .bind(payload)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
