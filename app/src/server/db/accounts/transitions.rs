//! Changes of an account's state and of what it holds. Each transition
//! checks its source state in the statement that changes it, so a caller
//! learns from the result whether it happened; `services::lifecycle` is the
//! only caller of the state changes.

use crate::domain::{AccountId, AccountStatus, ProfileDetails};
use sqlx::{Postgres, Transaction};
use time::OffsetDateTime;

/// uninvited | invited → invited. Returns false when the account is in
/// another state (or gone), in which case nothing changed.
pub async fn mark_invited(tx: &mut Transaction<'_, Postgres>, id: AccountId, now: OffsetDateTime) -> sqlx::Result<bool> {
    let updated = sqlx::query!(
        "UPDATE account SET status = 'invited', invited_at = $2, updated_at = $2 WHERE id = $1 AND status IN ('uninvited', 'invited')",
        id as AccountId,
        now,
    )
    .execute(&mut **tx)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// An account just moved to `invited` by a bulk invitation.
#[derive(Debug, Clone)]
pub struct InvitedAccount {
    pub id: AccountId,
    /// None for someone who claims with an access code.
    pub email: Option<String>,
    pub full_name: String,
}

/// uninvited → invited for every account in `ids` (or every uninvited account
/// when `ids` is None), in one statement that both checks and changes the
/// state. Claimed and deactivated accounts are never touched.
pub async fn mark_many_invited(tx: &mut Transaction<'_, Postgres>, ids: Option<&[uuid::Uuid]>, now: OffsetDateTime) -> sqlx::Result<Vec<InvitedAccount>> {
    sqlx::query_as!(
        InvitedAccount,
        r#"UPDATE account SET status = 'invited', invited_at = $1, updated_at = $1
           WHERE status = 'uninvited' AND ($2::uuid[] IS NULL OR id = ANY($2))
           RETURNING id AS "id: AccountId", email, full_name"#,
        now,
        ids,
    )
    .fetch_all(&mut **tx)
    .await
}

/// The sign-in name of someone without email (chosen as they claim).
pub async fn set_username(tx: &mut Transaction<'_, Postgres>, id: AccountId, username: &str, username_normalized: &str) -> sqlx::Result<()> {
    sqlx::query!("UPDATE account SET username = $2, username_normalized = $3 WHERE id = $1", id as AccountId, username, username_normalized)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// invited → claimed, setting the password when one is given. False when
/// the account is not invited.
pub async fn mark_claimed(tx: &mut Transaction<'_, Postgres>, id: AccountId, password_hash: Option<&str>, now: OffsetDateTime) -> sqlx::Result<bool> {
    let updated = sqlx::query!(
        "UPDATE account SET status = 'claimed', claimed_at = $2, updated_at = $2, password_hash = COALESCE($3, password_hash) \
         WHERE id = $1 AND status = 'invited'",
        id as AccountId,
        now,
        password_hash,
    )
    .execute(&mut **tx)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// any active state → deactivated; bumps the session epoch so every session
/// of the account is refused from its next request on.
pub async fn mark_deactivated(tx: &mut Transaction<'_, Postgres>, id: AccountId, now: OffsetDateTime) -> sqlx::Result<bool> {
    let updated = sqlx::query!(
        "UPDATE account SET status_before_deactivation = status, status = 'deactivated', \
         deactivated_at = $2, updated_at = $2, session_epoch = session_epoch + 1 \
         WHERE id = $1 AND status IN ('uninvited', 'invited', 'claimed')",
        id as AccountId,
        now,
    )
    .execute(&mut **tx)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// An account just deactivated together with others.
#[derive(Debug, Clone)]
pub struct DeactivatedAccount {
    pub id: AccountId,
    pub full_name: String,
    pub email: Option<String>,
    pub previous_status: AccountStatus,
}

/// any active state → deactivated for every employee in `ids`, in one
/// statement, as [`mark_deactivated`] does for one. The rows are locked in id
/// order, so two bulk changes of the same people cannot deadlock. Admins and
/// owners in `ids` are left as they are: the last-owner rule is checked one
/// person at a time, never here.
pub async fn mark_many_employees_deactivated(
    tx: &mut Transaction<'_, Postgres>,
    ids: &[uuid::Uuid],
    now: OffsetDateTime,
) -> sqlx::Result<Vec<DeactivatedAccount>> {
    sqlx::query_as!(
        DeactivatedAccount,
        r#"WITH locked AS (
             SELECT id FROM account WHERE id = ANY($1) AND role = 'employee' AND status IN ('uninvited', 'invited', 'claimed')
             ORDER BY id FOR UPDATE)
           UPDATE account a SET status_before_deactivation = a.status, status = 'deactivated',
                  deactivated_at = $2, updated_at = $2, session_epoch = a.session_epoch + 1
           FROM locked WHERE a.id = locked.id
           RETURNING a.id AS "id: AccountId", a.full_name, a.email,
                     a.status_before_deactivation AS "previous_status!: AccountStatus""#,
        ids,
        now,
    )
    .fetch_all(&mut **tx)
    .await
}

/// deactivated → claimed (if the person had claimed) or uninvited (their old
/// links were revoked, so they need a fresh invitation). Returns the new
/// status, or None when the account was not deactivated.
pub async fn mark_reactivated(tx: &mut Transaction<'_, Postgres>, id: AccountId, now: OffsetDateTime) -> sqlx::Result<Option<AccountStatus>> {
    sqlx::query_scalar!(
        r#"UPDATE account SET
             status = CASE WHEN claimed_at IS NOT NULL THEN 'claimed'::account_status ELSE 'uninvited'::account_status END,
             status_before_deactivation = NULL, deactivated_at = NULL, updated_at = $2
           WHERE id = $1 AND status = 'deactivated' RETURNING status AS "status: AccountStatus""#,
        id as AccountId,
        now,
    )
    .fetch_optional(&mut **tx)
    .await
}

/// Removes a deactivated account; the schema removes what belongs to it.
/// Returns the removed row's label fields.
pub async fn delete_deactivated(tx: &mut Transaction<'_, Postgres>, id: AccountId) -> sqlx::Result<Option<(String, Option<String>)>> {
    let deleted = sqlx::query!("DELETE FROM account WHERE id = $1 AND status = 'deactivated' RETURNING full_name, email", id as AccountId)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(deleted.map(|row| (row.full_name, row.email)))
}

/// Replaces the password; every session of the account ends.
pub async fn set_password(tx: &mut Transaction<'_, Postgres>, id: AccountId, hash: &str, now: OffsetDateTime) -> sqlx::Result<()> {
    sqlx::query!("UPDATE account SET password_hash = $2, session_epoch = session_epoch + 1, updated_at = $3 WHERE id = $1", id as AccountId, hash, now,)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Saves what the person confirmed about themselves.
pub async fn update_profile(tx: &mut Transaction<'_, Postgres>, id: AccountId, profile: &ProfileDetails, now: OffsetDateTime) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE account SET full_name = $2, title = $3, department = $4, location = $5, phone = $6, updated_at = $7 WHERE id = $1",
        id as AccountId,
        profile.full_name.as_ref(),
        profile.title,
        profile.department,
        profile.location,
        profile.phone,
        now,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn record_terms_accepted(tx: &mut Transaction<'_, Postgres>, id: AccountId, version: i32, now: OffsetDateTime) -> sqlx::Result<()> {
    sqlx::query!("UPDATE account SET terms_accepted_version = $2, terms_accepted_at = $3 WHERE id = $1", id as AccountId, version, now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
