//! The organisation's settings, and checking that mail goes out.

use crate::api::auth::Viewer;
use crate::api::settings::SettingsView;
use crate::domain::{Actor, AuditAction, AuditTarget, OrganizationSettings};
use crate::error::AppError;
use crate::server::db::audit::{self, AuditEvent};
use crate::server::db::settings;
use crate::server::mail::templates::RenderedEmail;
use crate::server::{context, AppState};
use serde_json::json;
use time::OffsetDateTime;

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("SMTP is not configured: set EMBARK_SMTP_URL and EMBARK_MAIL_FROM and restart Embark.")]
    NoSmtp,
    #[error("Your account has no email address to send to.")]
    NoAddress,
    #[error("The SMTP server did not accept the message: {0}")]
    NotAccepted(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for SettingsError {
    fn from(error: sqlx::Error) -> Self {
        Self::Unexpected(error.into())
    }
}

impl From<SettingsError> for AppError {
    fn from(error: SettingsError) -> Self {
        match error {
            SettingsError::Unexpected(e) => context::internal(e),
            refused => context::refused(refused.to_string()),
        }
    }
}

/// What the Settings page shows `viewer`.
pub async fn view(state: &AppState, viewer: &Viewer, now: OffsetDateTime) -> Result<SettingsView, SettingsError> {
    let s = settings::get(&state.pool).await?;
    let attempts = settings::access_code_attempts(&state.pool).await?;
    Ok(SettingsView {
        organization_name: s.organization_name,
        require_terms: s.require_terms,
        terms_text: s.terms_text,
        terms_version: s.terms_version,
        link_lifetime_days: s.claim_link_lifetime_days,
        code_lifetime_days: s.access_code_lifetime_days,
        code_attempts_per_address: attempts.per_address,
        code_attempts_overall: attempts.overall,
        claim_email_subject: s.claim_email_subject,
        claim_email_body: s.claim_email_body,
        smtp_configured: state.mailer.is_some(),
        admin_email: viewer.email.clone(),
        now_unix: now.unix_timestamp(),
    })
}

/// Saves checked settings and records who changed them. Returns the terms
/// version now in force.
pub async fn save(state: &AppState, new: &OrganizationSettings, actor: &Actor, now: OffsetDateTime) -> Result<i32, SettingsError> {
    let mut tx = state.pool.begin().await?;
    let version = settings::save(&mut tx, new, now).await?;
    let target = AuditTarget::settings(new.organization_name.as_ref());
    let details = json!({ "require_terms": new.require_terms, "terms_version": version, "link_lifetime_days": new.claim_link_lifetime_days,
                          "code_lifetime_days": new.access_code_lifetime_days,
                          "code_attempts_per_address": new.access_code_attempts_per_address,
                          "code_attempts_overall": new.access_code_attempts_overall });
    audit::record(&mut *tx, AuditEvent { actor, action: AuditAction::SettingsUpdated, target: &target, details, now }).await?;
    tx.commit().await?;
    Ok(version)
}

/// Sends a test message to the viewer's own address, now, and returns the
/// address.
pub async fn send_test_email(state: &AppState, viewer: &Viewer) -> Result<String, SettingsError> {
    let mailer = state.mailer.as_ref().ok_or(SettingsError::NoSmtp)?;
    let to = viewer.email.clone().ok_or(SettingsError::NoAddress)?;
    let text = "This is a test message from Embark. If you can read it, invitations will reach people too.".to_owned();
    let email = RenderedEmail { subject: "Embark test email".into(), html: format!("<p>{text}</p>"), text };
    mailer.send(&format!("test-{}", uuid::Uuid::now_v7()), &to, &email).await.map_err(|e| SettingsError::NotAccepted(e.to_string()))?;
    Ok(to)
}
