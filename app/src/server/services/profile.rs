//! A signed-in person's own profile, picture and password.

use crate::api::auth::Viewer;
use crate::api::home::MyProfile;
use crate::domain::{AccountId, AuditAction, AuditTarget, FieldError, Password, ProfileDetails};
use crate::error::AppError;
use crate::server::db::accounts::{self, pictures, transitions};
use crate::server::db::audit::{self, AuditEvent};
use crate::server::services::auth::SignedIn;
use crate::server::{context, session, AppState};
use serde_json::json;
use time::OffsetDateTime;
use tower_sessions::Session;

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("the current password is not right")]
    WrongCurrentPassword,
    #[error("the account is gone")]
    Gone,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for ProfileError {
    fn from(error: sqlx::Error) -> Self {
        Self::Unexpected(error.into())
    }
}

impl From<ProfileError> for AppError {
    fn from(error: ProfileError) -> Self {
        match error {
            ProfileError::WrongCurrentPassword => context::invalid(FieldError::new("current_password", "That is not your current password.")),
            ProfileError::Gone => context::not_found(),
            ProfileError::Unexpected(e) => AppError::from(e),
        }
    }
}

/// What the person's profile page shows.
pub async fn mine(state: &AppState, id: AccountId) -> Result<MyProfile, ProfileError> {
    let account = accounts::find(&state.pool, id).await?.ok_or(ProfileError::Gone)?;
    let has_picture = pictures::exists(&state.pool, id).await?;
    Ok(MyProfile {
        account_id: account.id,
        has_picture,
        full_name: account.full_name,
        // Someone without email signs in with their username.
        signs_in_with: account.email.clone().or(account.username.map(|u| format!("the username {u}"))).unwrap_or_default(),
        email: account.email,
        title: account.title,
        department: account.department,
        location: account.location,
        phone: account.phone,
    })
}

pub async fn update(state: &AppState, viewer: &Viewer, profile: &ProfileDetails, now: OffsetDateTime) -> Result<(), ProfileError> {
    let mut tx = state.pool.begin().await?;
    transitions::update_profile(&mut tx, viewer.account_id, profile, now).await?;
    let target = AuditTarget::account(viewer.account_id, profile.full_name.as_ref(), viewer.email.as_deref());
    audit::record(&mut *tx, AuditEvent { actor: &viewer.actor(), action: AuditAction::ProfileUpdated, target: &target, details: json!({}), now }).await?;
    tx.commit().await?;
    Ok(())
}

/// Changes the password after checking the current one. Every other session
/// of the account ends (the session epoch moves); this browser goes on under
/// a new session id.
pub async fn change_password(
    state: &AppState,
    browser: &Session,
    viewer: &Viewer,
    current: &str,
    new: &Password,
    now: OffsetDateTime,
) -> Result<(), ProfileError> {
    let account = accounts::find(&state.pool, viewer.account_id).await?.ok_or(ProfileError::Gone)?;
    if !state.hasher.verify(account.password_hash.as_deref(), current).await? {
        return Err(ProfileError::WrongCurrentPassword);
    }
    let hash = state.hasher.hash(new.expose()).await?;
    let mut tx = state.pool.begin().await?;
    transitions::set_password(&mut tx, account.id, &hash, now).await?;
    let target = AuditTarget::account(account.id, &account.full_name, account.email.as_deref());
    audit::record(&mut *tx, AuditEvent { actor: &viewer.actor(), action: AuditAction::PasswordChanged, target: &target, details: json!({}), now }).await?;
    tx.commit().await?;
    let signed_in = SignedIn { account_id: account.id, role: account.role, session_epoch: account.session_epoch + 1 };
    session::establish(browser, &signed_in, now).await.map_err(anyhow::Error::from)?;
    Ok(())
}

/// Replaces the person's picture with one already normalised.
pub async fn set_picture(state: &AppState, viewer: &Viewer, jpeg: &[u8], now: OffsetDateTime) -> Result<(), ProfileError> {
    let mut tx = state.pool.begin().await?;
    pictures::save(&mut tx, viewer.account_id, jpeg, now).await?;
    let target = AuditTarget::account(viewer.account_id, &viewer.full_name, viewer.email.as_deref());
    audit::record(&mut *tx, AuditEvent { actor: &viewer.actor(), action: AuditAction::PictureChanged, target: &target, details: json!({}), now }).await?;
    tx.commit().await?;
    Ok(())
}

/// A person's picture, for signed-in colleagues.
pub async fn picture(state: &AppState, id: AccountId) -> anyhow::Result<Option<Vec<u8>>> {
    Ok(pictures::find(&state.pool, id).await?)
}
