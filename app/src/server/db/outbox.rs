//! The email outbox: rows written in the transaction of the change that
//! causes them, leased and marked by the mail worker (`server::mail`).

use crate::domain::{AccountId, AccountStatus, CredentialId, EmailState, OutboxId};
use crate::server::db::credentials::CredentialState;
use sqlx::{PgExecutor, PgPool, Postgres, Transaction};
use time::OffsetDateTime;

/// Kinds of email Embark sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "email_kind", rename_all = "snake_case")]
pub enum EmailKind {
    ClaimInvitation,
}

pub struct NewEmail<'a> {
    pub kind: EmailKind,
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
    sqlx::query!(
        "INSERT INTO email_outbox (id, kind, account_id, credential_id, recipient, payload, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        id as OutboxId,
        email.kind as EmailKind,
        email.account_id as Option<AccountId>,
        email.credential_id as Option<CredentialId>,
        email.recipient,
        email.payload,
        email.now,
    )
    .execute(&mut **tx)
    .await?;
    Ok(id)
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
    sqlx::query!(
        "INSERT INTO email_outbox (id, kind, account_id, credential_id, recipient, payload, next_attempt_at, created_at) \
         SELECT id, 'claim_invitation', account_id, credential_id, recipient, $5, $6, $6 \
         FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::text[]) AS t(id, account_id, credential_id, recipient)",
        &ids,
        account_ids,
        credential_ids,
        recipients,
        payload,
        now,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Withdraws queued mail for an account whose access just ended, or whose
/// address changed; `reason` is what Outgoing mail shows.
pub async fn cancel_queued_for_account(tx: &mut Transaction<'_, Postgres>, account_id: AccountId, reason: &str, now: OffsetDateTime) -> sqlx::Result<u64> {
    let cancelled = sqlx::query!(
        "UPDATE email_outbox SET state = 'cancelled', last_error = $3, next_attempt_at = $2 \
         WHERE account_id = $1 AND state IN ('queued', 'sending')",
        account_id as AccountId,
        now,
        reason,
    )
    .execute(&mut **tx)
    .await?;
    Ok(cancelled.rows_affected())
}

/// [`cancel_queued_for_account`] for many accounts, in one statement.
pub async fn cancel_queued_for_accounts(
    tx: &mut Transaction<'_, Postgres>,
    account_ids: &[uuid::Uuid],
    reason: &str,
    now: OffsetDateTime,
) -> sqlx::Result<u64> {
    let cancelled = sqlx::query!(
        "UPDATE email_outbox o SET state = 'cancelled', last_error = $3, next_attempt_at = $2 \
         FROM UNNEST($1::uuid[]) AS a(id) WHERE o.account_id = a.id AND o.state IN ('queued', 'sending')",
        account_ids,
        now,
        reason,
    )
    .execute(&mut **tx)
    .await?;
    Ok(cancelled.rows_affected())
}

/// A queued email leased to this worker, with what rendering it needs.
#[derive(Debug, Clone)]
pub struct LeasedEmail {
    pub id: OutboxId,
    pub kind: EmailKind,
    pub recipient: String,
    pub payload: serde_json::Value,
    pub attempts: i32,
    pub account_status: Option<AccountStatus>,
    pub full_name: Option<String>,
    pub credential_state: Option<CredentialState>,
    pub secret_sealed: Option<Vec<u8>>,
    pub expires_at: Option<OffsetDateTime>,
    pub organization_name: String,
    pub claim_email_subject: String,
    pub claim_email_body: String,
}

/// Leases up to `limit` due emails for `lease`, in one statement. Emails
/// whose lease ran out (their worker died mid-batch) are due again, which
/// bounds what a crash can send twice to the batch that was in flight.
pub async fn lease_due(pool: &PgPool, now: OffsetDateTime, limit: i64, lease: time::Duration) -> sqlx::Result<Vec<LeasedEmail>> {
    sqlx::query_as!(
        LeasedEmail,
        r#"WITH due AS (
               SELECT id FROM email_outbox
               WHERE state IN ('queued', 'sending') AND next_attempt_at <= $1
               ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED
           ), leased AS (
               UPDATE email_outbox o SET state = 'sending', attempts = o.attempts + 1, next_attempt_at = $3
               FROM due WHERE o.id = due.id
               RETURNING o.id, o.kind, o.recipient, o.payload, o.attempts, o.account_id, o.credential_id
           )
           SELECT l.id AS "id!: OutboxId", l.kind AS "kind!: EmailKind", l.recipient AS "recipient!", l.payload AS "payload!",
                  l.attempts AS "attempts!", a.status AS "account_status?: AccountStatus", a.full_name AS "full_name?",
                  c.state AS "credential_state?: CredentialState", c.secret_sealed AS "secret_sealed?", c.expires_at AS "expires_at?",
                  s.organization_name, s.claim_email_subject, s.claim_email_body
           FROM leased l
           LEFT JOIN account a ON a.id = l.account_id
           LEFT JOIN claim_credential c ON c.id = l.credential_id
           CROSS JOIN settings s"#,
        now,
        limit,
        now + lease,
    )
    .fetch_all(pool)
    .await
}

/// Records delivery of many emails in one statement. Only leased rows are
/// marked, so a row another worker re-leased after this one's lease expired
/// is not touched twice.
pub async fn mark_many_sent(pool: &PgPool, ids: &[uuid::Uuid], now: OffsetDateTime) -> sqlx::Result<()> {
    sqlx::query!("UPDATE email_outbox SET state = 'sent', sent_at = $2, last_error = NULL WHERE id = ANY($1) AND state = 'sending'", ids, now)
        .execute(pool)
        .await?;
    Ok(())
}

/// Gives a leased email back unsent, without counting the attempt.
pub async fn release(pool: &PgPool, id: OutboxId) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE email_outbox SET state = 'queued', attempts = attempts - 1, next_attempt_at = now() WHERE id = $1 AND state = 'sending'",
        id as OutboxId,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Puts the email back in the queue to try again at `retry_at`.
pub async fn mark_retry(pool: &PgPool, id: OutboxId, error: &str, retry_at: OffsetDateTime) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE email_outbox SET state = 'queued', last_error = $2, next_attempt_at = $3 WHERE id = $1 AND state = 'sending'",
        id as OutboxId,
        error,
        retry_at,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Ends the email: `failed` (delivery is hopeless) or `cancelled` (it must
/// not be sent any more).
pub async fn mark_final(pool: &PgPool, id: OutboxId, state: EmailState, reason: &str) -> sqlx::Result<()> {
    sqlx::query!("UPDATE email_outbox SET state = $2, last_error = $3 WHERE id = $1 AND state = 'sending'", id as OutboxId, state as EmailState, reason,)
        .execute(pool)
        .await?;
    Ok(())
}

/// One email as the Outgoing mail page lists it.
#[derive(Debug, Clone)]
pub struct OutboxRow {
    pub id: OutboxId,
    pub kind: EmailKind,
    pub recipient: String,
    pub full_name: Option<String>,
    pub state: EmailState,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: OffsetDateTime,
    pub sent_at: Option<OffsetDateTime>,
}

/// Newest first, optionally of one state, before the (created_at, id) cursor.
pub async fn list(
    executor: impl PgExecutor<'_>,
    state: Option<EmailState>,
    before: Option<(OffsetDateTime, OutboxId)>,
    limit: i64,
) -> sqlx::Result<Vec<OutboxRow>> {
    sqlx::query_as!(
        OutboxRow,
        r#"SELECT o.id AS "id: OutboxId", o.kind AS "kind: EmailKind", o.recipient, a.full_name AS "full_name?",
                  o.state AS "state: EmailState", o.attempts, o.last_error, o.created_at, o.sent_at
           FROM email_outbox o LEFT JOIN account a ON a.id = o.account_id
           WHERE ($1::outbox_state IS NULL OR o.state = $1)
             AND ($2::timestamptz IS NULL OR (o.created_at, o.id) < ($2, $3))
           ORDER BY o.created_at DESC, o.id DESC LIMIT $4"#,
        state as Option<EmailState>,
        before.map(|(at, _)| at),
        before.map(|(_, id)| id.0),
        limit,
    )
    .fetch_all(executor)
    .await
}

/// A claim email's account and link, while that link is live.
#[derive(Debug, Clone)]
pub struct LiveLink {
    pub account_id: AccountId,
    pub full_name: String,
    pub email: Option<String>,
    pub secret_sealed: Vec<u8>,
}

pub async fn live_link_of(executor: impl PgExecutor<'_>, id: OutboxId, now: OffsetDateTime) -> sqlx::Result<Option<LiveLink>> {
    sqlx::query_as!(
        LiveLink,
        r#"SELECT a.id AS "account_id: AccountId", a.full_name, a.email, c.secret_sealed FROM email_outbox o
           JOIN claim_credential c ON c.id = o.credential_id AND c.state = 'active' AND c.expires_at > $2
           JOIN account a ON a.id = o.account_id AND a.status = 'invited'
           WHERE o.id = $1"#,
        id as OutboxId,
        now,
    )
    .fetch_optional(executor)
    .await
}
