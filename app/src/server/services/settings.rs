//! The organisation's settings.

use crate::server::db::audit::{Actor, AuditEvent};
use crate::server::db::{audit, settings};
use crate::server::AppState;
use serde_json::json;
use time::OffsetDateTime;

/// Saves checked settings and records who changed them. Returns the terms
/// version now in force.
pub async fn save(state: &AppState, new: &settings::EditableSettings, actor: &Actor, now: OffsetDateTime) -> anyhow::Result<i32> {
    let mut tx = state.pool.begin().await?;
    let version = settings::save(&mut tx, new, now).await?;
    audit::record(
        &mut tx,
        AuditEvent {
            actor,
            action: "settings.updated",
            target_id: None,
            target_label: &new.organization_name,
            details: json!({ "require_terms": new.require_terms, "terms_version": version, "link_lifetime_days": new.claim_link_lifetime_days }),
            now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(version)
}
