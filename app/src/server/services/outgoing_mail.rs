//! The Outgoing mail page: every email queued, sent, failed or cancelled,
//! and showing a queued invitation's live link to hand it over another way.

use crate::api::mail::{MailItem, MailPage};
use crate::domain::{timestamp_label, Actor, AuditAction, AuditTarget, EmailState, OutboxId};
use crate::server::db::audit::{self, AuditEvent};
use crate::server::db::outbox::{self, EmailKind};
use crate::server::AppState;
use serde_json::json;
use time::OffsetDateTime;

/// Emails listed per page.
const PAGE_SIZE: i64 = 50;

/// Newest first, optionally of one state, before the cursor of the page
/// before ("<unix nanos>:<id>"; a malformed one starts from the top).
pub async fn page(state: &AppState, filter: Option<EmailState>, before: Option<&str>) -> anyhow::Result<MailPage> {
    let cursor = before.and_then(|raw| {
        let (nanos, id) = raw.split_once(':')?;
        let at = OffsetDateTime::from_unix_timestamp_nanos(nanos.parse().ok()?).ok()?;
        Some((at, id.parse::<OutboxId>().ok()?))
    });
    let rows = outbox::list(&state.pool, filter, cursor, PAGE_SIZE + 1).await?;
    let next = (rows.len() as i64 > PAGE_SIZE)
        .then(|| rows.get(PAGE_SIZE as usize - 1).map(|r| format!("{}:{}", r.created_at.unix_timestamp_nanos(), r.id)))
        .flatten();
    let items = rows
        .into_iter()
        .take(PAGE_SIZE as usize)
        .map(|r| MailItem {
            id: r.id,
            what: match (r.kind, &r.full_name) {
                (EmailKind::ClaimInvitation, Some(name)) => format!("Invitation for {name}"),
                (EmailKind::ClaimInvitation, None) => "Invitation".to_owned(),
            },
            recipient: r.recipient,
            state: r.state,
            attempts: r.attempts,
            last_error: r.last_error,
            queued_at: timestamp_label(r.created_at),
            sent_at: r.sent_at.map(timestamp_label),
        })
        .collect();
    Ok(MailPage { items, next, smtp_configured: state.mailer.is_some() })
}

/// The live claim link a queued invitation carries, for an admin to hand
/// over another way (SMTP not configured, a printed letter). Audited, since a
/// link is a credential. None when the link is no longer live.
pub async fn reveal_claim_link(state: &AppState, id: OutboxId, actor: &Actor, now: OffsetDateTime) -> anyhow::Result<Option<String>> {
    let Some(live) = outbox::live_link_of(&state.pool, id, now).await? else {
        return Ok(None);
    };
    let link = format!("{}/claim/{}", state.public_url, state.sealer.open(&live.secret_sealed)?);
    let mut tx = state.pool.begin().await?;
    let target = AuditTarget::account(live.account_id, &live.full_name, live.email.as_deref());
    audit::record(&mut *tx, AuditEvent { actor, action: AuditAction::InvitationLinkViewed, target: &target, details: json!({ "email_id": id }), now }).await?;
    tx.commit().await?;
    Ok(Some(link))
}
