use crate::domain::AccountId;
use sqlx::{Postgres, Transaction};
use time::OffsetDateTime;

/// Who caused a change.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Option<AccountId>,
    pub label: String,
}

impl Actor {
    pub fn account(id: AccountId, label: impl Into<String>) -> Self {
        Self { id: Some(id), label: label.into() }
    }

    /// The signed-in person acting.
    pub fn viewer(viewer: &crate::auth::Viewer) -> Self {
        Self::account(viewer.account_id, viewer.full_name.clone())
    }

    /// Embark itself (first-run setup, background work).
    pub fn system() -> Self {
        Self { id: None, label: "Embark".to_owned() }
    }

    /// The command line, run by whoever operates the server.
    pub fn command_line() -> Self {
        Self { id: None, label: "command line".to_owned() }
    }
}

/// One fact for the audit log.
pub struct AuditEvent<'a> {
    pub actor: &'a Actor,
    pub action: &'a str,
    pub target_id: Option<AccountId>,
    pub target_label: &'a str,
    pub details: serde_json::Value,
    pub now: OffsetDateTime,
}

pub async fn record(tx: &mut Transaction<'_, Postgres>, event: AuditEvent<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO audit_event (occurred_at, actor_id, actor_label, action, target_id, target_label, details) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(event.now)
    .bind(event.actor.id)
    .bind(&event.actor.label)
    .bind(event.action)
    .bind(event.target_id)
    .bind(event.target_label)
    .bind(event.details)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One audit entry as read back.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub occurred_at: OffsetDateTime,
    pub actor_label: String,
    pub action: String,
    pub target_id: Option<AccountId>,
    pub target_label: String,
}

/// The newest entries about one account, newest first.
pub async fn for_target(executor: impl sqlx::PgExecutor<'_>, target: AccountId, limit: i64) -> sqlx::Result<Vec<AuditRow>> {
    sqlx::query_as(
        "SELECT occurred_at, actor_label, action, target_id, target_label FROM audit_event \
         WHERE target_id = $1 ORDER BY occurred_at DESC, id DESC LIMIT $2",
    )
    .bind(target)
    .bind(limit)
    .fetch_all(executor)
    .await
}

/// The same action on many accounts (bulk work), one row per account, in one
/// statement.
pub async fn record_many(
    tx: &mut Transaction<'_, Postgres>,
    actor: &Actor,
    action: &str,
    targets: &[uuid::Uuid],
    labels: &[String],
    details: serde_json::Value,
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO audit_event (occurred_at, actor_id, actor_label, action, target_id, target_label, details) \
         SELECT $1, $2, $3, $4, target_id, target_label, $7 FROM UNNEST($5::uuid[], $6::text[]) AS t(target_id, target_label)",
    )
    .bind(now)
    .bind(actor.id)
    .bind(&actor.label)
    .bind(action)
    .bind(targets)
    .bind(labels)
    .bind(details)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
