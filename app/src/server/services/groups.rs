//! Groups: created and curated by admins, joined by people at claim time.
//! Every change is audited.

use crate::api::groups::{GroupDetail, GroupListItem, GroupMember};
use crate::domain::{AccountId, Actor, AuditAction, AuditTarget, EmailAddress, FieldError, GroupId, GroupSettings};
use crate::error::AppError;
use crate::server::db::audit::{self, AuditEvent};
use crate::server::db::{self, accounts, groups};
use crate::server::{context, AppState};
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
            // The group or the person went while we were adding.
            _ if db::foreign_key_violation(&error).is_some() => Self::NotFound,
            _ => Self::Unexpected(error.into()),
        }
    }
}

impl From<GroupError> for AppError {
    fn from(error: GroupError) -> Self {
        match error {
            GroupError::NotFound => context::not_found(),
            GroupError::DuplicateName => context::invalid(FieldError::new("name", "A group with this name already exists.")),
            GroupError::UnknownPerson => context::invalid(FieldError::new("email", "No one has this email address. Add them on the People page first.")),
            GroupError::Unexpected(e) => context::internal(e),
        }
    }
}

fn list_item(row: groups::GroupRow) -> GroupListItem {
    GroupListItem {
        id: row.id,
        name: row.name,
        description: row.description,
        is_open: row.is_open,
        suggested: row.suggested_at_claim,
        members: row.member_count,
    }
}

/// Every group, by name.
pub async fn list(state: &AppState) -> Result<Vec<GroupListItem>, GroupError> {
    Ok(groups::list(&state.pool).await?.into_iter().map(list_item).collect())
}

/// One group and its members.
pub async fn detail(state: &AppState, id: GroupId) -> Result<GroupDetail, GroupError> {
    let group = groups::find(&state.pool, id).await?.ok_or(GroupError::NotFound)?;
    let members = groups::members(&state.pool, id)
        .await?
        .into_iter()
        .map(|m| GroupMember { id: m.id, full_name: m.full_name, email: m.email, status: m.status })
        .collect();
    Ok(GroupDetail { group: list_item(group), members })
}

pub async fn create(state: &AppState, settings: &GroupSettings, actor: &Actor, now: OffsetDateTime) -> Result<GroupId, GroupError> {
    let mut tx = state.pool.begin().await?;
    let id = groups::insert(&mut tx, settings, now).await?;
    let target = AuditTarget::group(id, &settings.name);
    let details = json!({ "is_open": settings.is_open, "suggested": settings.suggested_at_claim });
    audit::record(&mut *tx, AuditEvent { actor, action: AuditAction::GroupCreated, target: &target, details, now }).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn update(state: &AppState, id: GroupId, settings: &GroupSettings, actor: &Actor, now: OffsetDateTime) -> Result<(), GroupError> {
    let mut tx = state.pool.begin().await?;
    if !groups::update(&mut tx, id, settings, now).await? {
        return Err(GroupError::NotFound);
    }
    let target = AuditTarget::group(id, &settings.name);
    let details = json!({ "is_open": settings.is_open, "suggested": settings.suggested_at_claim });
    audit::record(&mut *tx, AuditEvent { actor, action: AuditAction::GroupUpdated, target: &target, details, now }).await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes the group and its memberships; its members stay.
pub async fn delete(state: &AppState, id: GroupId, actor: &Actor, now: OffsetDateTime) -> Result<(), GroupError> {
    let mut tx = state.pool.begin().await?;
    let name = groups::delete(&mut tx, id).await?.ok_or(GroupError::NotFound)?;
    audit::record(&mut *tx, AuditEvent { actor, action: AuditAction::GroupDeleted, target: &AuditTarget::group(id, &name), details: json!({}), now }).await?;
    tx.commit().await?;
    Ok(())
}

/// Adds anyone with that email, whatever their status (uninvited people can
/// be placed in groups before they are invited). The audit entry is about
/// the person, so it shows in their history.
pub async fn add_member_by_email(state: &AppState, id: GroupId, email: &EmailAddress, actor: &Actor, now: OffsetDateTime) -> Result<AccountId, GroupError> {
    let account = accounts::find_by_email(&state.pool, &email.normalized()).await?.ok_or(GroupError::UnknownPerson)?;
    let mut tx = state.pool.begin().await?;
    let group = groups::find(&mut *tx, id).await?.ok_or(GroupError::NotFound)?;
    if groups::add_member(&mut tx, id, account.id, now).await? {
        let target = AuditTarget::account(account.id, &account.full_name, account.email.as_deref());
        let details = json!({ "group_id": id, "group": group.name });
        audit::record(&mut *tx, AuditEvent { actor, action: AuditAction::GroupMemberAdded, target: &target, details, now }).await?;
    }
    tx.commit().await?;
    Ok(account.id)
}

pub async fn remove_member(state: &AppState, id: GroupId, account: AccountId, actor: &Actor, now: OffsetDateTime) -> Result<(), GroupError> {
    let mut tx = state.pool.begin().await?;
    let group = groups::find(&mut *tx, id).await?.ok_or(GroupError::NotFound)?;
    if let Some((full_name, email)) = groups::remove_member(&mut tx, id, account).await? {
        let target = AuditTarget::account(account, &full_name, email.as_deref());
        let details = json!({ "group_id": id, "group": group.name });
        audit::record(&mut *tx, AuditEvent { actor, action: AuditAction::GroupMemberRemoved, target: &target, details, now }).await?;
    }
    tx.commit().await?;
    Ok(())
}
