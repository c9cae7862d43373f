//! Signing in with email and password, signing out, and where first-run
//! setup stands for a browser.

use crate::api::auth::{SetupStatus, SignInOptions, Viewer};
use crate::domain::{normalize_identifier, AccountId, AccountStatus, Actor, AuditAction, AuditTarget, Role, SignInMethod};
use crate::error::AppError;
use crate::server::db::accounts;
use crate::server::db::audit::{self, AuditEvent};
use crate::server::db::sso::{self, AccountKey};
use crate::server::services::throttle::{self, Limit, Subject, Throttled};
use crate::server::{context, session, AppState};
use serde_json::json;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock};
use std::time::Instant;
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
    /// The person signs in at the organisation's identity provider.
    #[error("this account signs in with single sign-on")]
    UsesSingleSignOn,
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
            SignInError::InvalidCredentials => {
                context::refused("That email address (or username) and password don't match an active account. Check them and try again.")
            }
            SignInError::UsesSingleSignOn => {
                context::refused("Your organisation signs you in with single sign-on: use the single sign-on button above instead of a password.")
            }
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
pub async fn sign_in(state: &AppState, browser: &Session, client: IpAddr, login: &str, password: &str, now: OffsetDateTime) -> Result<SignedIn, SignInError> {
    // An email address, or the username of someone without one (usernames
    // cannot contain @). Counted under the same limits either way.
    let email = normalize_identifier(login);
    let from_address = Subject::Address(client);
    let for_account = Subject::EmailFrom(&email, client);
    let for_account_anywhere = Subject::Email(&email);
    let limits = [(Limit::SignInFromAddress, &from_address), (Limit::SignInForAccount, &for_account), (Limit::SignInForAccountAnywhere, &for_account_anywhere)];
    let [_, earlier_failures, _] = throttle::check(&state.pool, limits, now).await??;
    let account =
        if email.contains('@') { accounts::find_by_email(&state.pool, &email).await? } else { accounts::find_by_username(&state.pool, &email).await? };
    if let Some(account) = account.as_ref().filter(|a| a.status == AccountStatus::Claimed) {
        if signs_in_with_sso(state, account.id).await? {
            return Err(SignInError::UsesSingleSignOn);
        }
    }
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
    let target = AuditTarget::account(account.id, &account.full_name, account.email.as_deref());
    let actor = Actor::account(account.id, account.full_name.clone());
    audit::record(&state.pool, AuditEvent { actor: &actor, action: AuditAction::SignedIn, target: &target, details: json!({ "method": "password" }), now })
        .await?;
    let signed_in = SignedIn { account_id: account.id, role: account.role, session_epoch: account.session_epoch };
    session::establish(browser, &signed_in, now).await?;
    Ok(signed_in)
}

/// Whether the person signs in at the provider (the organisation's policy
/// over their own method).
async fn signs_in_with_sso(state: &AppState, account: AccountId) -> sqlx::Result<bool> {
    Ok(sso::account(&state.pool, AccountKey::Id(account)).await?.is_some_and(|a| a.signs_in_with() == SignInMethod::Sso))
}

/// Ends the browser's session wherever it stands, recording the sign-out of
/// whoever was signed in.
pub async fn sign_out(state: &AppState, browser: &Session, viewer: Option<&Viewer>, now: OffsetDateTime) -> anyhow::Result<()> {
    if let Some(viewer) = viewer {
        let target = AuditTarget::account(viewer.account_id, &viewer.full_name, viewer.email.as_deref());
        audit::record(&state.pool, AuditEvent { actor: &viewer.actor(), action: AuditAction::SignedOut, target: &target, details: json!({}), now }).await?;
    }
    session::end(browser).await?;
    Ok(())
}

/// What the sign-in page offers: where setup stands and the single sign-on
/// button, as kept by [`SignInPageCache`].
pub async fn sign_in_options(state: &AppState, browser: &Session) -> anyhow::Result<SignInOptions> {
    let page = state.sign_in_page.read(&state.pool, Instant::now()).await?;
    let setup = if page.admin_exists {
        SetupStatus::Done
    } else if session::setup_granted(browser).await? {
        SetupStatus::Ready
    } else {
        SetupStatus::NeedsLink
    };
    Ok(SignInOptions { setup, sso_button_label: page.sso_button_label })
}

/// Where first-run setup stands for this browser. Reveals only whether
/// setup is over.
pub async fn setup_status(state: &AppState, browser: &Session) -> anyhow::Result<SetupStatus> {
    if accounts::admin_exists(&state.pool).await? {
        return Ok(SetupStatus::Done);
    }
    Ok(if session::setup_granted(browser).await? { SetupStatus::Ready } else { SetupStatus::NeedsLink })
}

/// What the sign-in page shows from the database (whether an administrator
/// exists, the single sign-on button), kept for up to a second, so that
/// visitors to the sign-in page cost PostgreSQL nothing: it is the page
/// anyone may load as often as they like. Only what the page displays is
/// kept; signing in reads everything it decides on afresh. This server
/// forgets it at once when it changes it; another server's change shows
/// within the second.
#[derive(Default)]
pub struct SignInPageCache {
    kept: RwLock<Option<(Instant, sso::SignInPageRow)>>,
    /// Counts [`Self::forget`]s, so that a read which started before a
    /// change cannot keep what it read after the change forgot it.
    changes: AtomicU64,
}

impl SignInPageCache {
    const FRESH_FOR: std::time::Duration = std::time::Duration::from_secs(1);

    /// The page's row as of at most a second before `now`.
    pub async fn read(&self, pool: &sqlx::PgPool, now: Instant) -> sqlx::Result<sso::SignInPageRow> {
        if let Some((read_at, page)) = &*self.kept.read().unwrap_or_else(PoisonError::into_inner) {
            if now.saturating_duration_since(*read_at) < Self::FRESH_FOR {
                return Ok(page.clone());
            }
        }
        let changes = self.changes.load(Ordering::Acquire);
        let page = sso::sign_in_page(pool).await?;
        let mut kept = self.kept.write().unwrap_or_else(PoisonError::into_inner);
        if self.changes.load(Ordering::Acquire) == changes {
            *kept = Some((now, page.clone()));
        }
        Ok(page)
    }

    /// Called after committing a change to what the page shows.
    pub fn forget(&self) {
        self.changes.fetch_add(1, Ordering::AcqRel);
        *self.kept.write().unwrap_or_else(PoisonError::into_inner) = None;
    }
}
