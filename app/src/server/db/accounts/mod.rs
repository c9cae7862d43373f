//! The `account` table: finding and creating people. State changes are in
//! [`transitions`], lists and counts in [`lists`], the People search in
//! [`search`], pictures in [`pictures`].

pub mod export;
pub mod lists;
pub mod pictures;
pub mod search;
pub mod transitions;

use crate::domain::{AccountId, AccountStatus, Role};
use sqlx::{PgExecutor, Postgres, Transaction};
use time::OffsetDateTime;

/// One account row as services need it.
#[derive(Debug, Clone)]
pub struct AccountRow {
    pub id: AccountId,
    pub status: AccountStatus,
    pub role: Role,
    pub email: Option<String>,
    pub external_id: Option<String>,
    pub username: Option<String>,
    pub full_name: String,
    pub title: String,
    pub department: String,
    pub location: String,
    pub phone: String,
    pub manager_id: Option<AccountId>,
    pub password_hash: Option<String>,
    pub session_epoch: i32,
    pub created_at: OffsetDateTime,
    pub invited_at: Option<OffsetDateTime>,
    pub claimed_at: Option<OffsetDateTime>,
    pub deactivated_at: Option<OffsetDateTime>,
}

/// The values a new account row is created with.
pub struct NewAccountRow<'a> {
    pub id: AccountId,
    pub status: AccountStatus,
    pub role: Role,
    pub email: Option<&'a str>,
    pub email_normalized: Option<String>,
    pub external_id: Option<&'a str>,
    pub username: Option<&'a str>,
    pub username_normalized: Option<String>,
    pub full_name: &'a str,
    pub title: &'a str,
    pub department: &'a str,
    pub location: &'a str,
    pub phone: &'a str,
    pub manager_id: Option<AccountId>,
    pub password_hash: Option<&'a str>,
    pub now: OffsetDateTime,
}

pub async fn insert(tx: &mut Transaction<'_, Postgres>, row: &NewAccountRow<'_>) -> sqlx::Result<()> {
    let invited_at = (row.status == AccountStatus::Invited).then_some(row.now);
    let claimed_at = (row.status == AccountStatus::Claimed).then_some(row.now);
    sqlx::query!(
        "INSERT INTO account (id, status, role, email, email_normalized, external_id, full_name, title, department, \
         location, phone, manager_id, password_hash, created_at, updated_at, invited_at, claimed_at, username, username_normalized) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15, $16, $17, $18)",
        row.id as AccountId,
        row.status as AccountStatus,
        row.role as Role,
        row.email,
        row.email_normalized,
        row.external_id,
        row.full_name,
        row.title,
        row.department,
        row.location,
        row.phone,
        row.manager_id as Option<AccountId>,
        row.password_hash,
        row.now,
        invited_at,
        claimed_at,
        row.username,
        row.username_normalized,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn find(executor: impl PgExecutor<'_>, id: AccountId) -> sqlx::Result<Option<AccountRow>> {
    sqlx::query_as!(
        AccountRow,
        r#"SELECT id AS "id: AccountId", status AS "status: AccountStatus", role AS "role: Role", email, external_id, username, full_name,
                  title, department, location, phone, manager_id AS "manager_id: AccountId", password_hash, session_epoch,
                  created_at, invited_at, claimed_at, deactivated_at
           FROM account WHERE id = $1"#,
        id as AccountId,
    )
    .fetch_optional(executor)
    .await
}

/// Reads the account and holds its row lock until the transaction ends.
pub async fn find_for_update(tx: &mut Transaction<'_, Postgres>, id: AccountId) -> sqlx::Result<Option<AccountRow>> {
    sqlx::query_as!(
        AccountRow,
        r#"SELECT id AS "id: AccountId", status AS "status: AccountStatus", role AS "role: Role", email, external_id, username, full_name,
                  title, department, location, phone, manager_id AS "manager_id: AccountId", password_hash, session_epoch,
                  created_at, invited_at, claimed_at, deactivated_at
           FROM account WHERE id = $1 FOR UPDATE"#,
        id as AccountId,
    )
    .fetch_optional(&mut **tx)
    .await
}

pub async fn find_by_email(executor: impl PgExecutor<'_>, email_normalized: &str) -> sqlx::Result<Option<AccountRow>> {
    sqlx::query_as!(
        AccountRow,
        r#"SELECT id AS "id: AccountId", status AS "status: AccountStatus", role AS "role: Role", email, external_id, username, full_name,
                  title, department, location, phone, manager_id AS "manager_id: AccountId", password_hash, session_epoch,
                  created_at, invited_at, claimed_at, deactivated_at
           FROM account WHERE email_normalized = $1"#,
        email_normalized,
    )
    .fetch_optional(executor)
    .await
}

pub async fn find_by_username(executor: impl PgExecutor<'_>, username_normalized: &str) -> sqlx::Result<Option<AccountRow>> {
    sqlx::query_as!(
        AccountRow,
        r#"SELECT id AS "id: AccountId", status AS "status: AccountStatus", role AS "role: Role", email, external_id, username, full_name,
                  title, department, location, phone, manager_id AS "manager_id: AccountId", password_hash, session_epoch,
                  created_at, invited_at, claimed_at, deactivated_at
           FROM account WHERE username_normalized = $1"#,
        username_normalized,
    )
    .fetch_optional(executor)
    .await
}

/// Which of these (normalised) usernames someone already has.
pub async fn usernames_taken(executor: impl PgExecutor<'_>, usernames_normalized: &[String]) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(r#"SELECT username_normalized AS "username!" FROM account WHERE username_normalized = ANY($1)"#, usernames_normalized)
        .fetch_all(executor)
        .await
}

/// The id of whoever has this (normalised) email address.
pub async fn id_by_email(executor: impl PgExecutor<'_>, email_normalized: &str) -> sqlx::Result<Option<AccountId>> {
    sqlx::query_scalar!(r#"SELECT id AS "id: AccountId" FROM account WHERE email_normalized = $1"#, email_normalized).fetch_optional(executor).await
}

pub async fn admin_exists(executor: impl PgExecutor<'_>) -> sqlx::Result<bool> {
    sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM account WHERE role = 'owner' AND status = 'claimed') AS "exists!""#).fetch_one(executor).await
}

/// The facts a request needs about the person its session belongs to.
#[derive(Debug, Clone)]
pub struct SessionAccount {
    pub id: AccountId,
    pub status: AccountStatus,
    pub role: Role,
    pub full_name: String,
    pub email: Option<String>,
    pub session_epoch: i32,
}

pub async fn find_for_session(executor: impl PgExecutor<'_>, id: AccountId) -> sqlx::Result<Option<SessionAccount>> {
    sqlx::query_as!(
        SessionAccount,
        r#"SELECT id AS "id: AccountId", status AS "status: AccountStatus", role AS "role: Role", full_name, email, session_epoch
           FROM account WHERE id = $1"#,
        id as AccountId,
    )
    .fetch_optional(executor)
    .await
}

/// Serialises every change that could leave Embark without an owner (a role
/// change, an owner's deactivation) until the transaction ends. Taken before
/// any account row lock, so two owners demoting each other at once cannot
/// both succeed, nor deadlock.
pub async fn lock_owner_changes(tx: &mut Transaction<'_, Postgres>) -> sqlx::Result<()> {
    // The key is arbitrary but fixed: "embark owners" as one bigint.
    sqlx::query!("SELECT pg_advisory_xact_lock(7297870656121)").execute(&mut **tx).await?;
    Ok(())
}

/// The account's role, read without a lock.
pub async fn role_of(executor: impl PgExecutor<'_>, id: AccountId) -> sqlx::Result<Option<Role>> {
    sqlx::query_scalar!(r#"SELECT role AS "role: Role" FROM account WHERE id = $1"#, id as AccountId).fetch_optional(executor).await
}

/// How many owners besides `id` can sign in (have claimed their account).
pub async fn count_other_working_owners(tx: &mut Transaction<'_, Postgres>, id: AccountId) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM account WHERE role = 'owner' AND status = 'claimed' AND id <> $1"#, id as AccountId)
        .fetch_one(&mut **tx)
        .await
}

pub async fn set_role(tx: &mut Transaction<'_, Postgres>, id: AccountId, role: Role, now: OffsetDateTime) -> sqlx::Result<()> {
    sqlx::query!("UPDATE account SET role = $2, updated_at = $3 WHERE id = $1", id as AccountId, role as Role, now).execute(&mut **tx).await?;
    Ok(())
}
