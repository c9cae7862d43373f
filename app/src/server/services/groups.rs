//! Groups: created and curated by admins, joined by people at claim time.
//! Every change is audited.

use crate::domain::{normalize_identifier, AccountId, EmailAddress, GroupId};
use crate::server::db::audit::{Actor, AuditEvent};
use crate::server::db::{self, accounts, audit, groups};
use crate::server::AppState;
use serde_json::json;
use time::OffsetDateTime;

#[derive(Debug, thiserror::Error)]
pub enum GroupError {
    #[error("there is no such group")]
    NotFound,
    #[error("a group with this name already exists")]
    DuplicateName,
    #[error("no one has this email address")]
    UnknownPerson,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for GroupError {
    fn from(error: sqlx::Error) -> Self {
        match db::unique_violation(&error).as_deref() {
            Some("account_group_name_normalized_key") => Self::DuplicateName,
            _ => Self::Unexpected(error.into()),
        }
    }
}

/// A group's editable settings, already checked.
#[derive(Debug, Clone)]
pub struct GroupSettings {
    pub name: String,
    pub description: String,
    pub is_open: bool,
    pub suggested_at_claim: bool,
}

async fn record(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    actor: &Actor,
    action: &str,
    label: &str,
    details: serde_json::Value,
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    audit::record(tx, AuditEvent { actor, action, target_id: None, target_label: label, details, now }).await
}

pub async fn create(state: &AppState, settings: &GroupSettings, actor: &Actor, now: OffsetDateTime) -> Result<GroupId, GroupError> {
    let mut tx = state.pool.begin().await?;
    let id = groups::insert(&mut tx, &settings.name, &settings.description, settings.is_open, settings.suggested_at_claim, now).await?;
    record(&mut tx, actor, "group.created", &settings.name, json!({ "group_id": id }), now).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn update(state: &AppState, id: GroupId, settings: &GroupSettings, actor: &Actor, now: OffsetDateTime) -> Result<(), GroupError> {
    let mut tx = state.pool.begin().await?;
    if !groups::update(&mut tx, id, &settings.name, &settings.description, settings.is_open, settings.suggested_at_claim, now).await? {
        return Err(GroupError::NotFound);
    }
    record(
        &mut tx,
        actor,
        "group.updated",
        &settings.name,
        json!({ "group_id": id, "is_open": settings.is_open, "suggested": settings.suggested_at_claim }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn delete(state: &AppState, id: GroupId, actor: &Actor, now: OffsetDateTime) -> Result<(), GroupError> {
    let mut tx = state.pool.begin().await?;
    let name = groups::delete(&mut tx, id).await?.ok_or(GroupError::NotFound)?;
    record(&mut tx, actor, "group.deleted", &name, json!({ "group_id": id }), now).await?;
    tx.commit().await?;
    Ok(())
}

/// Adds anyone with that email, whatever their status (uninvited people can
/// be placed in groups before they are invited).
pub async fn add_member_by_email(state: &AppState, id: GroupId, email: &EmailAddress, actor: &Actor, now: OffsetDateTime) -> Result<AccountId, GroupError> {
    let account = accounts::find_by_email(&state.pool, &normalize_identifier(email.as_ref())).await?.ok_or(GroupError::UnknownPerson)?;
    let mut tx = state.pool.begin().await?;
    let group = groups::find(&mut *tx, id).await?.ok_or(GroupError::NotFound)?;
    groups::add_member(&mut tx, id, account.id, now).await?;
    audit::record(
        &mut tx,
        AuditEvent {
            actor,
            action: "group.member_added",
            target_id: Some(account.id),
            target_label: &account.full_name,
            details: json!({ "group": group.name }),
            now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(account.id)
}

pub async fn remove_member(state: &AppState, id: GroupId, account: AccountId, actor: &Actor, now: OffsetDateTime) -> Result<(), GroupError> {
    let mut tx = state.pool.begin().await?;
    let group = groups::find(&mut *tx, id).await?.ok_or(GroupError::NotFound)?;
    if groups::remove_member(&mut tx, id, account).await? {
        audit::record(
            &mut tx,
            AuditEvent { actor, action: "group.member_removed", target_id: Some(account), target_label: "", details: json!({ "group": group.name }), now },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
