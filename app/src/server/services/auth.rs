//! Signing in with email and password.

use crate::domain::{normalize_identifier, AccountId, AccountStatus, Role};
use crate::server::db::audit::{Actor, AuditEvent};
use crate::server::db::{accounts, audit};
use crate::server::AppState;
use serde_json::json;
use time::OffsetDateTime;

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Unknown email, wrong password, or an account that cannot sign in:
    /// deliberately one case, so the answer reveals nothing.
    #[error("the email address or password is not right")]
    InvalidCredentials,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for SignInError {
    fn from(error: sqlx::Error) -> Self {
        Self::Unexpected(error.into())
    }
}

/// Who just signed in; what the session records.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub account_id: AccountId,
    pub role: Role,
    pub session_epoch: i32,
}

/// Checks an email and password. Always costs one argon2 verification,
/// whether or not the account exists (SECURITY.md: unknown users still cost
/// one hash), and only claimed accounts may sign in.
pub async fn sign_in(state: &AppState, email: &str, password: &str, now: OffsetDateTime) -> Result<SignedIn, SignInError> {
    let account = accounts::find_by_email(&state.pool, &normalize_identifier(email)).await?;
    let stored = account.as_ref().and_then(|a| a.password_hash.as_deref());
    let password_matches = state.hasher.verify(stored, password).await?;
    let account = match account {
        Some(account) if password_matches && account.status == AccountStatus::Claimed => account,
        other => {
            tracing::info!(account_id = ?other.map(|a| a.id), "sign-in refused");
            return Err(SignInError::InvalidCredentials);
        }
    };
    let mut tx = state.pool.begin().await?;
    audit::record(
        &mut tx,
        AuditEvent {
            actor: &Actor::account(account.id, account.full_name.clone()),
            action: "session.signed_in",
            target_id: Some(account.id),
            target_label: &super::lifecycle::target_label(&account.full_name, account.email.as_deref()),
            details: json!({ "method": "password" }),
            now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(SignedIn { account_id: account.id, role: account.role, session_epoch: account.session_epoch })
}
