//! Who may do what in the admin panel: owners change roles, and Embark
//! always keeps at least one owner who can sign in.

use crate::domain::{AccountId, AccountStatus, Actor, AuditAction, AuditTarget, Role};
use crate::server::db::accounts::{self, AccountRow};
use crate::server::db::audit::{self, AuditEvent};
use crate::server::services::lifecycle::LifecycleError;
use crate::server::AppState;
use serde_json::json;
use sqlx::{Postgres, Transaction};
use time::OffsetDateTime;

/// Gives the person `role` (owners only: the server function checks).
/// Refused when it would demote the last owner who can sign in.
pub async fn set_role(state: &AppState, actor: &Actor, id: AccountId, role: Role, now: OffsetDateTime) -> Result<(), LifecycleError> {
    let mut tx = state.pool.begin().await?;
    accounts::lock_owner_changes(&mut tx).await?;
    let account = accounts::find_for_update(&mut tx, id).await?.ok_or(LifecycleError::NotFound)?;
    if account.role == role {
        return Ok(());
    }
    if account.role == Role::Owner {
        ensure_another_owner(&mut tx, &account).await?;
    }
    accounts::set_role(&mut tx, id, role, now).await?;
    let target = AuditTarget::account(id, &account.full_name, account.email.as_deref());
    audit::record(&mut *tx, AuditEvent { actor, action: AuditAction::RoleChanged, target: &target, details: json!({ "from": account.role, "to": role }), now })
        .await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    Ok(())
}

/// Whether `actor` may change an account with `role` in ways that could
/// take it over or lock it out (deactivation, deletion, how it signs in):
/// an owner's account only an owner (or Embark itself, or an integration).
pub fn may_act_on(actor: &Actor, role: Role) -> bool {
    role != Role::Owner || actor.role.is_none_or(Role::is_owner)
}

/// Takes the owner-change lock when `id` is an owner, before the caller
/// locks the account's row (the lock order every owner change keeps).
/// Returns whether it did.
pub async fn lock_if_owner(tx: &mut Transaction<'_, Postgres>, id: AccountId) -> Result<bool, LifecycleError> {
    let is_owner = accounts::role_of(&mut **tx, id).await? == Some(Role::Owner);
    if is_owner {
        accounts::lock_owner_changes(tx).await?;
    }
    Ok(is_owner)
}

/// Before an owner is deactivated or deleted: only an owner (or an
/// integration, or Embark itself) may do it, and never to the last owner
/// who can sign in. `locked` says whether [`lock_if_owner`] already took
/// the owner-change lock.
pub async fn check_owner_may_go(tx: &mut Transaction<'_, Postgres>, account: &AccountRow, actor: &Actor, locked: bool) -> Result<(), LifecycleError> {
    if account.role != Role::Owner {
        return Ok(());
    }
    if !may_act_on(actor, account.role) {
        return Err(LifecycleError::OwnersOnly);
    }
    if !locked {
        // The account became an owner after it was first read; whoever made
        // it one has committed, so taking the lock now cannot deadlock.
        accounts::lock_owner_changes(tx).await?;
    }
    ensure_another_owner(tx, account).await
}

async fn ensure_another_owner(tx: &mut Transaction<'_, Postgres>, account: &AccountRow) -> Result<(), LifecycleError> {
    if account.status == AccountStatus::Claimed && accounts::count_other_working_owners(tx, account.id).await? == 0 {
        return Err(LifecycleError::LastOwner);
    }
    Ok(())
}
