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

/// Exactly what a claim email to `full_name` would say with this personal
/// message, with a placeholder where the personal link will be.
pub async fn preview_invitation(
    state: &AppState,
    full_name: &str,
    email: &str,
    personal_message: &str,
    now: OffsetDateTime,
) -> anyhow::Result<crate::admin::person::EmailPreview> {
    use crate::domain::PersonName;
    use crate::server::mail::templates::{render_claim_email, ClaimEmailInput};
    let settings = crate::server::db::settings::editable(&state.pool).await?;
    let first_name = PersonName::parse(full_name).map(|n| n.first_name().to_owned()).unwrap_or_default();
    let link = format!("{}/claim/(a new personal link)", state.public_url);
    let rendered = render_claim_email(&ClaimEmailInput {
        subject_template: &settings.claim_email_subject,
        body_template: &settings.claim_email_body,
        first_name: &first_name,
        organization: &settings.organization_name,
        link: &link,
        expires_at: now + time::Duration::days(i64::from(settings.claim_link_lifetime_days)),
        personal_message: Some(personal_message),
    });
    Ok(crate::admin::person::EmailPreview { to: email.to_owned(), subject: rendered.subject, text: rendered.text })
}

/// A personal message as admins type it: trimmed, at most 2,000 characters,
/// empty meaning none.
pub fn personal_message(raw: &str) -> Result<Option<String>, &'static str> {
    let message = raw.trim();
    if message.chars().count() > 2000 {
        return Err("A personal message can be at most 2,000 characters long.");
    }
    Ok((!message.is_empty()).then(|| message.to_owned()))
}
