//! What admins may do with queued mail.

use crate::domain::OutboxId;
use crate::server::db::audit::{Actor, AuditEvent};
use crate::server::db::{audit, outbox};
use crate::server::AppState;
use serde_json::json;
use time::OffsetDateTime;

/// The live claim link a queued invitation carries, for an admin to hand
/// over another way (SMTP not configured, a printed letter). Audited, since a
/// link is a credential. None when the link is no longer live.
pub async fn reveal_claim_link(state: &AppState, id: OutboxId, actor: &Actor, now: OffsetDateTime) -> anyhow::Result<Option<String>> {
    let Some((account_id, full_name, sealed)) = outbox::live_link_of(&state.pool, id).await? else {
        return Ok(None);
    };
    let link = format!("{}/claim/{}", state.public_url, state.sealer.open(&sealed)?);
    let mut tx = state.pool.begin().await?;
    audit::record(
        &mut tx,
        AuditEvent { actor, action: "invitation.link_viewed", target_id: Some(account_id), target_label: &full_name, details: json!({ "email_id": id }), now },
    )
    .await?;
    tx.commit().await?;
    Ok(Some(link))
}
