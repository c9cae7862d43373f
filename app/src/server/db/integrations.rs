//! The `integration` table: identity providers that manage people through
//! SCIM, and their bearer tokens (kept as digests).

use crate::domain::{AuditAction, IntegrationId};
use sqlx::{PgExecutor, Postgres, Transaction};
use time::OffsetDateTime;

/// An integration as the admin panel shows it.
#[derive(Debug, Clone)]
pub struct IntegrationRow {
    pub id: IntegrationId,
    pub name: String,
    pub description: String,
    pub token_prefix: String,
    pub previous_token_valid_until: Option<OffsetDateTime>,
    pub invite_automatically: bool,
    pub created_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
    pub last_used_at: Option<OffsetDateTime>,
    pub last_used_address: Option<String>,
}

pub struct NewIntegrationRow<'a> {
    pub id: IntegrationId,
    pub name: &'a str,
    pub name_normalized: String,
    pub description: &'a str,
    pub token_prefix: &'a str,
    pub token_digest: &'a [u8],
    pub now: OffsetDateTime,
}

pub async fn insert(tx: &mut Transaction<'_, Postgres>, row: &NewIntegrationRow<'_>) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO integration (id, name, name_normalized, description, token_prefix, token_digest, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        row.id as IntegrationId,
        row.name,
        row.name_normalized,
        row.description,
        row.token_prefix,
        row.token_digest,
        row.now,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Every integration, live ones first, then by name.
pub async fn list(executor: impl PgExecutor<'_>) -> sqlx::Result<Vec<IntegrationRow>> {
    sqlx::query_as!(
        IntegrationRow,
        r#"SELECT id AS "id: IntegrationId", name, description, token_prefix, previous_token_valid_until, invite_automatically,
                  created_at, revoked_at, last_used_at, last_used_address
           FROM integration ORDER BY revoked_at IS NOT NULL, name_normalized LIMIT 200"#
    )
    .fetch_all(executor)
    .await
}

pub async fn find(executor: impl PgExecutor<'_>, id: IntegrationId) -> sqlx::Result<Option<IntegrationRow>> {
    sqlx::query_as!(
        IntegrationRow,
        r#"SELECT id AS "id: IntegrationId", name, description, token_prefix, previous_token_valid_until, invite_automatically,
                  created_at, revoked_at, last_used_at, last_used_address
           FROM integration WHERE id = $1"#,
        id as IntegrationId,
    )
    .fetch_optional(executor)
    .await
}

/// What a bearer token is checked against: the live integration whose
/// current token, or previous token still in its overlap, has this prefix.
#[derive(Debug, Clone)]
pub struct TokenOwner {
    pub id: IntegrationId,
    pub name: String,
    pub invite_automatically: bool,
    pub digest: Vec<u8>,
}

pub async fn token_owner(executor: impl PgExecutor<'_>, prefix: &str, now: OffsetDateTime) -> sqlx::Result<Option<TokenOwner>> {
    sqlx::query_as!(
        TokenOwner,
        r#"SELECT id AS "id: IntegrationId", name, invite_automatically,
                  (CASE WHEN token_prefix = $1 THEN token_digest ELSE previous_token_digest END) AS "digest!"
           FROM integration
           WHERE revoked_at IS NULL
             AND (token_prefix = $1 OR (previous_token_prefix = $1 AND previous_token_valid_until > $2))"#,
        prefix,
        now,
    )
    .fetch_optional(executor)
    .await
}

/// Notes when and from where the integration last called. Skipped when it
/// was noted less than a minute ago, so a sync of thousands of people does
/// not write the row thousands of times.
pub async fn note_use(executor: impl PgExecutor<'_>, id: IntegrationId, address: &str, now: OffsetDateTime) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE integration SET last_used_at = $2, last_used_address = $3 \
         WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2::timestamptz - interval '1 minute' OR last_used_address IS DISTINCT FROM $3)",
        id as IntegrationId,
        now,
        address,
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Replaces the token; the old one keeps working until `old_valid_until`
/// (None: not at all). False when the integration is gone or revoked.
pub async fn replace_token(
    tx: &mut Transaction<'_, Postgres>,
    id: IntegrationId,
    prefix: &str,
    digest: &[u8],
    old_valid_until: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> sqlx::Result<bool> {
    let updated = sqlx::query!(
        "UPDATE integration SET \
           previous_token_prefix = CASE WHEN $4::timestamptz IS NULL THEN NULL ELSE token_prefix END, \
           previous_token_digest = CASE WHEN $4::timestamptz IS NULL THEN NULL ELSE token_digest END, \
           previous_token_valid_until = $4, \
           token_prefix = $2, token_digest = $3, updated_at = $5 \
         WHERE id = $1 AND revoked_at IS NULL",
        id as IntegrationId,
        prefix,
        digest,
        old_valid_until,
        now,
    )
    .execute(&mut **tx)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// Ends the integration for good: no token of it works again.
pub async fn revoke(tx: &mut Transaction<'_, Postgres>, id: IntegrationId, now: OffsetDateTime) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "UPDATE integration SET revoked_at = $2, updated_at = $2, previous_token_prefix = NULL, previous_token_digest = NULL, previous_token_valid_until = NULL \
         WHERE id = $1 AND revoked_at IS NULL RETURNING name",
        id as IntegrationId,
        now,
    )
    .fetch_optional(&mut **tx)
    .await
}

pub async fn set_invite_automatically(tx: &mut Transaction<'_, Postgres>, id: IntegrationId, on: bool, now: OffsetDateTime) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "UPDATE integration SET invite_automatically = $2, updated_at = $3 WHERE id = $1 AND revoked_at IS NULL RETURNING name",
        id as IntegrationId,
        on,
        now,
    )
    .fetch_optional(&mut **tx)
    .await
}

/// Invite All's launch behaviour: every live integration from now on invites
/// the people it adds. Returns the names of those switched on.
pub async fn invite_automatically_everywhere(tx: &mut Transaction<'_, Postgres>, now: OffsetDateTime) -> sqlx::Result<Vec<(IntegrationId, String)>> {
    let rows = sqlx::query!(
        r#"UPDATE integration SET invite_automatically = true, updated_at = $1 WHERE revoked_at IS NULL AND NOT invite_automatically
           RETURNING id AS "id: IntegrationId", name"#,
        now,
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(|row| (row.id, row.name)).collect())
}

/// The live integrations that do not invite automatically yet (Invite All's
/// confirmation names them).
pub async fn not_inviting(executor: impl PgExecutor<'_>) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!("SELECT name FROM integration WHERE revoked_at IS NULL AND NOT invite_automatically ORDER BY name_normalized").fetch_all(executor).await
}

/// One line of an integration's activity: what it did, or what was done to
/// it.
#[derive(Debug, Clone)]
pub struct ActivityRow {
    pub integration_id: IntegrationId,
    pub occurred_at: OffsetDateTime,
    pub actor_label: String,
    pub action: AuditAction,
    pub target_label: String,
    /// The integration acted (rather than an admin acting on it).
    pub by_integration: bool,
}

/// The newest `per` entries of each of these integrations, newest first.
pub async fn recent_activity(executor: impl PgExecutor<'_>, ids: &[IntegrationId], per: i64) -> sqlx::Result<Vec<ActivityRow>> {
    sqlx::query_as!(
        ActivityRow,
        r#"SELECT i.id AS "integration_id!: IntegrationId", e.occurred_at AS "occurred_at!", e.actor_label AS "actor_label!",
                  e.action AS "action!: AuditAction", e.target_label AS "target_label!", e.by_integration AS "by_integration!"
           FROM integration i
           CROSS JOIN LATERAL (
               SELECT * FROM (
                   (SELECT a.occurred_at, a.id, a.actor_label, a.action, a.target_label, true AS by_integration
                      FROM audit_event a WHERE a.actor_integration_id = i.id ORDER BY a.occurred_at DESC LIMIT $2)
                   UNION ALL
                   (SELECT a.occurred_at, a.id, a.actor_label, a.action, a.target_label, false
                      FROM audit_event a WHERE a.target_kind = 'integration' AND a.target_id = i.id ORDER BY a.occurred_at DESC LIMIT $2)
               ) both_kinds ORDER BY occurred_at DESC, id DESC LIMIT $2
           ) e
           WHERE i.id = ANY($1)
           ORDER BY i.id, e.occurred_at DESC, e.id DESC"#,
        ids as &[IntegrationId],
        per,
    )
    .fetch_all(executor)
    .await
}
