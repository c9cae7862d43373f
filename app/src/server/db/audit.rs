//! The audit log: written in the transaction of the change it records.

use crate::domain::{Actor, AuditAction, AuditTarget, AuditTargetKind};
use sqlx::{PgExecutor, Postgres, Transaction};
use time::OffsetDateTime;

/// One fact for the audit log.
pub struct AuditEvent<'a> {
    pub actor: &'a Actor,
    pub action: AuditAction,
    pub target: &'a AuditTarget,
    pub details: serde_json::Value,
    pub now: OffsetDateTime,
}

/// One entry; inside the transaction of what it records, or alone when
/// that is all there is to write.
pub async fn record(executor: impl PgExecutor<'_>, event: AuditEvent<'_>) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO audit_event (occurred_at, actor_id, actor_label, action, target_kind, target_id, target_label, details, actor_integration_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        event.now,
        event.actor.id.map(|id| id.0),
        event.actor.label,
        event.action as AuditAction,
        event.target.kind as AuditTargetKind,
        event.target.id,
        event.target.label,
        event.details,
        event.actor.integration.map(|id| id.0),
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// The same action on many accounts (bulk work), one row per account, in one
/// statement.
pub async fn record_for_accounts(
    tx: &mut Transaction<'_, Postgres>,
    actor: &Actor,
    action: AuditAction,
    accounts: &[uuid::Uuid],
    labels: &[String],
    details: serde_json::Value,
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO audit_event (occurred_at, actor_id, actor_label, action, target_kind, target_id, target_label, details, actor_integration_id) \
         SELECT $1, $2, $3, $4, 'account', target_id, target_label, $7, $8 FROM UNNEST($5::uuid[], $6::text[]) AS t(target_id, target_label)",
        now,
        actor.id.map(|id| id.0),
        actor.label,
        action as AuditAction,
        accounts,
        labels,
        details,
        actor.integration.map(|id| id.0),
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One audit entry as read back.
#[derive(Debug, Clone)]
pub struct AuditRow {
    pub occurred_at: OffsetDateTime,
    pub actor_label: String,
    pub action: AuditAction,
    /// An invitation given as an access code rather than a link.
    pub by_access_code: bool,
}

/// The newest entries about one thing, newest first.
pub async fn about(executor: impl PgExecutor<'_>, kind: AuditTargetKind, id: uuid::Uuid, limit: i64) -> sqlx::Result<Vec<AuditRow>> {
    sqlx::query_as!(
        AuditRow,
        r#"SELECT occurred_at, actor_label, action AS "action: AuditAction",
                  coalesce(details->>'via' = 'access_code', false) AS "by_access_code!" FROM audit_event
           WHERE target_id = $2 AND target_kind = $1 ORDER BY occurred_at DESC, id DESC LIMIT $3"#,
        kind as AuditTargetKind,
        id,
        limit,
    )
    .fetch_all(executor)
    .await
}

/// One entry for the audit log page and its export.
#[derive(Debug, Clone)]
pub struct LogRow {
    pub id: i64,
    pub occurred_at: OffsetDateTime,
    pub actor_id: Option<uuid::Uuid>,
    pub actor_label: String,
    pub action: AuditAction,
    pub target_kind: AuditTargetKind,
    pub target_id: Option<uuid::Uuid>,
    pub target_label: String,
    pub details: serde_json::Value,
}

/// What the audit log page asks for: entries older than `before` (a
/// keyset position, newest first) and no older than `since`, optionally
/// only by or about one person and of one kind.
#[derive(Debug, Clone, Copy)]
pub struct LogFilter {
    pub person: Option<uuid::Uuid>,
    pub action: Option<AuditAction>,
    pub before: (OffsetDateTime, i64),
    pub since: OffsetDateTime,
}

/// One page of the log, newest first. Each filter has its own statement,
/// so each walks the index that fits it (a person's entries through the
/// actor and target indexes, a kind through the action index, the rest
/// through the time index) instead of one plan for every case.
pub async fn log_page(executor: impl PgExecutor<'_>, filter: LogFilter, limit: i64) -> sqlx::Result<Vec<LogRow>> {
    let (before_at, before_id) = filter.before;
    match (filter.person, filter.action) {
        (Some(person), action) => {
            sqlx::query_as!(
                LogRow,
                r#"SELECT id AS "id!", occurred_at AS "occurred_at!", actor_id, actor_label AS "actor_label!", action AS "action!: AuditAction",
                          target_kind AS "target_kind!: AuditTargetKind", target_id, target_label AS "target_label!", details AS "details!"
                   FROM ((SELECT * FROM audit_event WHERE actor_id = $1 AND (occurred_at, id) < ($2, $3) AND occurred_at >= $4
                          AND ($5::audit_action IS NULL OR action = $5) ORDER BY occurred_at DESC, id DESC LIMIT $6)
                         UNION
                         (SELECT * FROM audit_event WHERE target_id = $1 AND (occurred_at, id) < ($2, $3) AND occurred_at >= $4
                          AND ($5::audit_action IS NULL OR action = $5) ORDER BY occurred_at DESC, id DESC LIMIT $6)) AS mine
                   ORDER BY occurred_at DESC, id DESC LIMIT $6"#,
                person,
                before_at,
                before_id,
                filter.since,
                action as Option<AuditAction>,
                limit,
            )
            .fetch_all(executor)
            .await
        }
        (None, Some(action)) => {
            sqlx::query_as!(
                LogRow,
                r#"SELECT id, occurred_at, actor_id, actor_label, action AS "action: AuditAction", target_kind AS "target_kind: AuditTargetKind",
                          target_id, target_label, details
                   FROM audit_event WHERE action = $1 AND (occurred_at, id) < ($2, $3) AND occurred_at >= $4
                   ORDER BY occurred_at DESC, id DESC LIMIT $5"#,
                action as AuditAction,
                before_at,
                before_id,
                filter.since,
                limit,
            )
            .fetch_all(executor)
            .await
        }
        (None, None) => {
            sqlx::query_as!(
                LogRow,
                r#"SELECT id, occurred_at, actor_id, actor_label, action AS "action: AuditAction", target_kind AS "target_kind: AuditTargetKind",
                          target_id, target_label, details
                   FROM audit_event WHERE (occurred_at, id) < ($1, $2) AND occurred_at >= $3
                   ORDER BY occurred_at DESC, id DESC LIMIT $4"#,
                before_at,
                before_id,
                filter.since,
                limit,
            )
            .fetch_all(executor)
            .await
        }
    }
}
