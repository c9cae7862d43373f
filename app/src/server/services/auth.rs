//! Signing in with email and password, signing out, and where first-run
//! setup stands for a browser.

use crate::api::auth::{SetupStatus, Viewer};
use crate::domain::{normalize_identifier, AccountId, AccountStatus, Actor, AuditAction, AuditTarget, Role};
use crate::error::AppError;
use crate::server::db::accounts;
use crate::server::db::audit::{self, AuditEvent};
use crate::server::services::throttle::{self, Limit, Subject, Throttled};
use crate::server::{context, session, AppState};
use serde_json::json;
use std::net::IpAddr;
use time::OffsetDateTime;
use tower_sessions::Session;

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Unknown email, wrong password, or an account that cannot sign in:
    /// deliberately one case, so the answer reveals nothing.
    #[error("the email address or password is not right")]
    InvalidCredentials,
    /// Too many failures from this address or for this email: refused
    /// before the password is even looked at.
    #[error(transparent)]
    Throttled(#[from] Throttled),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for SignInError {
    fn from(error: sqlx::Error) -> Self {
        Self::Unexpected(error.into())
    }
}

impl From<tower_sessions::session::Error> for SignInError {
    fn from(error: tower_sessions::session::Error) -> Self {
        Self::Unexpected(error.into())
    }
}

impl From<SignInError> for AppError {
    fn from(error: SignInError) -> Self {
        match error {
            SignInError::InvalidCredentials => context::refused("That email address and password don't match an active account. Check them and try again."),
            SignInError::Throttled(throttled) => context::fail(AppError::Throttled(throttled.message("sign in"))),
            SignInError::Unexpected(e) => AppError::from(e),
        }
    }
}

/// Who just signed in; what the session records.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub account_id: AccountId,
    pub role: Role,
    pub session_epoch: i32,
}

/// Checks an email and password and, when they match a claimed account,
/// signs the session in under a new id. Always costs one argon2
/// verification, whether or not the account exists (SECURITY.md: unknown
/// users still cost one hash), unless the client address or the email has
/// used up its failures ([`Limit::SignInFromAddress`],
/// [`Limit::SignInForAccount`], [`Limit::SignInForAccountAnywhere`]): then
/// nothing is hashed at all.
pub async fn sign_in(state: &AppState, browser: &Session, client: IpAddr, email: &str, password: &str, now: OffsetDateTime) -> Result<SignedIn, SignInError> {
    let email = normalize_identifier(email);
    let from_address = Subject::Address(client);
    let for_account = Subject::EmailFrom(&email, client);
    let for_account_anywhere = Subject::Email(&email);
    let limits = [(Limit::SignInFromAddress, &from_address), (Limit::SignInForAccount, &for_account), (Limit::SignInForAccountAnywhere, &for_account_anywhere)];
    let [_, earlier_failures, _] = throttle::check(&state.pool, limits, now).await??;
    let account = accounts::find_by_email(&state.pool, &email).await?;
    let stored = account.as_ref().and_then(|a| a.password_hash.as_deref());
    let password_matches = state.hasher.verify(stored, password).await?;
    let account = match account {
        Some(account) if password_matches && account.status == AccountStatus::Claimed => account,
        other => {
            tracing::info!(account_id = ?other.as_ref().map(|a| a.id), "sign-in refused");
            let target = other.as_ref().map(|a| AuditTarget::account(a.id, &a.full_name, a.email.as_deref()));
            throttle::record_failures(&state.pool, limits, client, target.as_ref(), now).await?;
            return Err(SignInError::InvalidCredentials);
        }
    };
    if earlier_failures > 0 {
        throttle::forget(&state.pool, Limit::SignInForAccount, &for_account).await?;
    }
    let mut tx = state.pool.begin().await?;
    let target = AuditTarget::account(account.id, &account.full_name, account.email.as_deref());
    let actor = Actor::account(account.id, account.full_name.clone());
    audit::record(&mut tx, AuditEvent { actor: &actor, action: AuditAction::SignedIn, target: &target, details: json!({ "method": "password" }), now }).await?;
    tx.commit().await?;
    let signed_in = SignedIn { account_id: account.id, role: account.role, session_epoch: account.session_epoch };
    session::establish(browser, &signed_in, now).await?;
    Ok(signed_in)
}

/// Ends the browser's session wherever it stands, recording the sign-out of
/// whoever was signed in.
pub async fn sign_out(state: &AppState, browser: &Session, viewer: Option<&Viewer>, now: OffsetDateTime) -> anyhow::Result<()> {
    if let Some(viewer) = viewer {
        let mut tx = state.pool.begin().await?;
        let target = AuditTarget::account(viewer.account_id, &viewer.full_name, viewer.email.as_deref());
        audit::record(&mut tx, AuditEvent { actor: &viewer.actor(), action: AuditAction::SignedOut, target: &target, details: json!({}), now }).await?;
        tx.commit().await?;
    }
    session::end(browser).await?;
    Ok(())
}

/// Where first-run setup stands for this browser. Reveals only whether
/// setup is over.
pub async fn setup_status(state: &AppState, browser: &Session) -> anyhow::Result<SetupStatus> {
    if accounts::admin_exists(&state.pool).await? {
        return Ok(SetupStatus::Done);
    }
    Ok(if session::setup_granted(browser).await? { SetupStatus::Ready } else { SetupStatus::NeedsLink })
}
