//! A signed-in person's own profile and password.

use crate::domain::{AccountId, Password, ProfileDetails};
use crate::server::db::audit::{Actor, AuditEvent};
use crate::server::db::{accounts, audit};
use crate::server::AppState;
use serde_json::json;
use time::OffsetDateTime;

pub async fn update(state: &AppState, id: AccountId, profile: &ProfileDetails, now: OffsetDateTime) -> anyhow::Result<()> {
    let mut tx = state.pool.begin().await?;
    accounts::update_profile(&mut tx, id, profile, now).await?;
    audit::record(
        &mut tx,
        AuditEvent {
            actor: &Actor::account(id, profile.full_name.as_ref()),
            action: "profile.updated",
            target_id: Some(id),
            target_label: profile.full_name.as_ref(),
            details: json!({}),
            now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum PasswordChangeError {
    #[error("the current password is not right")]
    WrongCurrentPassword,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Changes the password after checking the current one. Every session of
/// the account ends (the session epoch moves); the caller signs this browser
/// in again with the returned epoch.
pub async fn change_password(state: &AppState, id: AccountId, current: &str, new: &Password, now: OffsetDateTime) -> Result<i32, PasswordChangeError> {
    let account = accounts::find(&state.pool, id).await.map_err(anyhow::Error::from)?.ok_or_else(|| anyhow::anyhow!("the account is gone"))?;
    if !state.hasher.verify(account.password_hash.as_deref(), current).await? {
        return Err(PasswordChangeError::WrongCurrentPassword);
    }
    let hash = state.hasher.hash(new.expose()).await?;
    let mut tx = state.pool.begin().await.map_err(anyhow::Error::from)?;
    accounts::set_password(&mut tx, id, &hash, now).await.map_err(anyhow::Error::from)?;
    audit::record(
        &mut tx,
        AuditEvent {
            actor: &Actor::account(id, account.full_name.clone()),
            action: "password.changed",
            target_id: Some(id),
            target_label: &account.full_name,
            details: json!({}),
            now,
        },
    )
    .await
    .map_err(anyhow::Error::from)?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    Ok(account.session_epoch + 1)
}

/// Replaces the person's picture with one already normalised.
pub async fn set_picture(state: &AppState, id: AccountId, jpeg: &[u8], now: OffsetDateTime) -> anyhow::Result<()> {
    let mut tx = state.pool.begin().await?;
    accounts::save_picture(&mut tx, id, jpeg, now).await?;
    audit::record(
        &mut tx,
        AuditEvent { actor: &Actor::account(id, ""), action: "profile.picture_changed", target_id: Some(id), target_label: "", details: json!({}), now },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
