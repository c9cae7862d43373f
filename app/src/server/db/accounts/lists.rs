//! Lists and counts of accounts: the People list, the directory, Unsent
//! Invitations' numbers. Lists page by (lower(name), id), the order of the
//! `account_by_name` index, so a page costs the same at any depth.

use crate::domain::{AccountId, AccountStatus};
use sqlx::PgExecutor;

/// One row of the People list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PersonRow {
    pub id: AccountId,
    pub full_name: String,
    pub email: Option<String>,
    pub external_id: Option<String>,
    pub title: String,
    pub department: String,
    pub status: AccountStatus,
}

/// A page of the People list in name order, after the (name, id) cursor,
/// optionally of one status.
pub async fn people(
    executor: impl PgExecutor<'_>,
    status: Option<AccountStatus>,
    after: Option<(&str, AccountId)>,
    limit: i64,
) -> sqlx::Result<Vec<PersonRow>> {
    // Assembled at run time so that only the filters in use are in the
    // statement: PostgreSQL then plans each combination for what it is
    // (with a status, the name index is walked and rows filtered).
    let mut query = sqlx::QueryBuilder::new("SELECT id, full_name, email, external_id, title, department, status FROM account WHERE true");
    if let Some(status) = status {
        query.push(" AND status = ").push_bind(status);
    }
    push_after(&mut query, after);
    query.push(" ORDER BY lower(full_name), id LIMIT ").push_bind(limit);
    query.build_query_as().fetch_all(executor).await
}

/// Keeps rows after the (name, id) cursor.
pub(super) fn push_after<'a>(query: &mut sqlx::QueryBuilder<'a, sqlx::Postgres>, after: Option<(&'a str, AccountId)>) {
    if let Some((name, id)) = after {
        query.push(" AND (lower(full_name), id) > (").push_bind(name.to_lowercase()).push(", ").push_bind(id).push(")");
    }
}

/// A colleague as the directory shows them.
#[derive(Debug, Clone)]
pub struct DirectoryEntry {
    pub id: AccountId,
    pub full_name: String,
    pub title: String,
    pub department: String,
    pub location: String,
    pub email: Option<String>,
    pub status: AccountStatus,
}

/// Colleagues whose name, title or department contains `search`, including
/// people who have not claimed yet; deactivated people are not listed.
pub async fn directory(executor: impl PgExecutor<'_>, search: Option<&str>, limit: i64) -> sqlx::Result<Vec<DirectoryEntry>> {
    let pattern = search.map(super::super::contains_pattern);
    sqlx::query_as!(
        DirectoryEntry,
        r#"SELECT id AS "id: AccountId", full_name, title, department, location, email, status AS "status: AccountStatus"
           FROM account
           WHERE status <> 'deactivated'
             AND ($1::text IS NULL OR lower(full_name) LIKE $1 ESCAPE '\' OR lower(title) LIKE $1 ESCAPE '\'
                  OR lower(department) LIKE $1 ESCAPE '\')
           ORDER BY lower(full_name), id LIMIT $2"#,
        pattern,
        limit,
    )
    .fetch_all(executor)
    .await
}

/// How many accounts are in each status (statuses nobody is in are absent).
pub async fn count_by_status(executor: impl PgExecutor<'_>) -> sqlx::Result<Vec<(AccountStatus, i64)>> {
    let rows = sqlx::query!(r#"SELECT status AS "status: AccountStatus", count(*) AS "count!" FROM account GROUP BY status"#).fetch_all(executor).await?;
    Ok(rows.into_iter().map(|row| (row.status, row.count)).collect())
}

/// How many accounts await an invitation, and how many of those have no
/// email address to send one to.
pub async fn count_uninvited(executor: impl PgExecutor<'_>) -> sqlx::Result<(i64, i64)> {
    let row = sqlx::query!(
        r#"SELECT count(*) AS "waiting!", count(*) FILTER (WHERE email_normalized IS NULL) AS "without_email!"
           FROM account WHERE status = 'uninvited'"#
    )
    .fetch_one(executor)
    .await?;
    Ok((row.waiting, row.without_email))
}

/// Everyone but administrators.
pub async fn count_non_admins(executor: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM account WHERE role = 'employee'"#).fetch_one(executor).await
}

/// Uninvited accounts, in external ID order.
pub async fn uninvited_by_external_id(executor: impl PgExecutor<'_>) -> sqlx::Result<Vec<AccountId>> {
    sqlx::query_scalar!(r#"SELECT id AS "id: AccountId" FROM account WHERE status = 'uninvited' ORDER BY external_id, id"#).fetch_all(executor).await
}
