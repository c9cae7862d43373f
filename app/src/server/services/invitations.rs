//! Unsent Invitations: who waits for an invitation, and exactly what an
//! invitation email will say before an admin sends it.

use crate::api::invitations::{UnsentInvitations, WaitingPerson};
use crate::api::people::EmailPreview;
use crate::domain::{AccountStatus, PersonName};
use crate::server::db::accounts::lists;
use crate::server::db::settings;
use crate::server::mail::templates::{render_claim_email, ClaimEmailInput};
use crate::server::AppState;
use time::OffsetDateTime;

/// People listed on the Unsent Invitations page; the People page has
/// everyone.
const SHOWN: i64 = 25;

/// Who waits for an invitation. With `preview_message`, also the email
/// Invite All would send with that personal message (shown for the first
/// person waiting who has an address).
pub async fn unsent(state: &AppState, preview_message: Option<&str>, now: OffsetDateTime) -> anyhow::Result<UnsentInvitations> {
    let (waiting, without_email) = lists::count_uninvited(&state.pool).await?;
    let first: Vec<WaitingPerson> = lists::people(&state.pool, Some(AccountStatus::Uninvited), None, SHOWN)
        .await?
        .into_iter()
        .map(|p| WaitingPerson { id: p.id, full_name: p.full_name, email: p.email })
        .collect();
    let preview = match preview_message {
        Some(message) => Some(sample_preview(state, first.iter().find_map(|p| p.email.as_deref().map(|e| (p.full_name.as_str(), e))), message, now).await?),
        None => None,
    };
    let mut integrations_to_switch_on = crate::server::db::integrations::not_inviting(&state.pool).await?;
    // Directory sync too (the seeds' Active Directory Sync).
    if crate::server::db::directory::configuration(&state.pool).await?.is_some_and(|directory| !directory.invite_automatically) {
        integrations_to_switch_on.push("directory sync".to_owned());
    }
    Ok(UnsentInvitations { waiting, without_email, first, preview, integrations_to_switch_on })
}

/// The email a bulk invitation sends, for `first` (a name and an address) or
/// an example person.
pub async fn sample_preview(state: &AppState, first: Option<(&str, &str)>, personal_message: &str, now: OffsetDateTime) -> anyhow::Result<EmailPreview> {
    let (name, email) = first.unwrap_or(("Alex Example", "alex@example.com"));
    preview(state, name, email, personal_message, now).await
}

/// Exactly what a claim email to `full_name` would say with this personal
/// message, with a placeholder where the personal link will be.
pub async fn preview(state: &AppState, full_name: &str, email: &str, personal_message: &str, now: OffsetDateTime) -> anyhow::Result<EmailPreview> {
    let settings = settings::get(&state.pool).await?;
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
    Ok(EmailPreview { to: email.to_owned(), subject: rendered.subject, text: rendered.text })
}
