//! Groups and memberships.

use crate::domain::{AccountId, AccountStatus, GroupId, GroupSettings};
use sqlx::{PgExecutor, Postgres, Transaction};
use time::OffsetDateTime;

/// A group as the claim wizard and home page show it.
#[derive(Debug, Clone)]
pub struct GroupSummary {
    pub id: GroupId,
    pub name: String,
    pub description: String,
}

/// A group in the claim wizard: suggested to everyone who claims, or one
/// the claimant is already in (or both).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ClaimantGroup {
    pub id: GroupId,
    pub name: String,
    pub description: String,
    pub suggested: bool,
    pub joined: bool,
}

/// Open groups whose name contains `query` (case-insensitive).
pub async fn search_open(executor: impl PgExecutor<'_>, query: &str, limit: i64) -> sqlx::Result<Vec<GroupSummary>> {
    sqlx::query_as!(
        GroupSummary,
        r#"SELECT id AS "id: GroupId", name, description FROM account_group
           WHERE is_open AND name_normalized LIKE $1 ESCAPE '\' ORDER BY name_normalized LIMIT $2"#,
        super::contains_pattern(&crate::domain::normalize_identifier(query)),
        limit,
    )
    .fetch_all(executor)
    .await
}

/// The groups an account belongs to.
pub async fn of_account(executor: impl PgExecutor<'_>, account: AccountId) -> sqlx::Result<Vec<GroupSummary>> {
    sqlx::query_as!(
        GroupSummary,
        r#"SELECT g.id AS "id: GroupId", g.name, g.description FROM account_group g JOIN group_membership m ON m.group_id = g.id
           WHERE m.account_id = $1 ORDER BY g.name_normalized"#,
        account as AccountId,
    )
    .fetch_all(executor)
    .await
}

/// Which groups a membership request may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chooser {
    /// An admin: any group.
    Admin,
    /// A person claiming their account: only open or suggested groups.
    ClaimingPerson,
}

/// Adds the account to each of `groups` the chooser may pick, in one
/// statement; other ids are ignored. Returns how many memberships were added.
pub async fn join(tx: &mut Transaction<'_, Postgres>, account: AccountId, groups: &[GroupId], chooser: Chooser, now: OffsetDateTime) -> sqlx::Result<u64> {
    let added = sqlx::query!(
        "INSERT INTO group_membership (group_id, account_id, added_at) \
         SELECT id, $1, $3 FROM account_group WHERE id = ANY($2) AND ($4 OR is_open OR suggested_at_claim) \
         ON CONFLICT DO NOTHING",
        account as AccountId,
        groups as &[GroupId],
        now,
        chooser == Chooser::Admin,
    )
    .execute(&mut **tx)
    .await?;
    Ok(added.rows_affected())
}

/// Creates a group.
pub async fn insert(tx: &mut Transaction<'_, Postgres>, group: &GroupSettings, now: OffsetDateTime) -> sqlx::Result<GroupId> {
    let id = GroupId::new();
    sqlx::query!(
        "INSERT INTO account_group (id, name, name_normalized, description, is_open, suggested_at_claim, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        id as GroupId,
        group.name,
        crate::domain::normalize_identifier(&group.name),
        group.description,
        group.is_open,
        group.suggested_at_claim,
        now,
    )
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// Adds any account (including uninvited ones) to a group. False when the
/// account was a member already.
pub async fn add_member(tx: &mut Transaction<'_, Postgres>, group: GroupId, account: AccountId, now: OffsetDateTime) -> sqlx::Result<bool> {
    let added = sqlx::query!(
        "INSERT INTO group_membership (group_id, account_id, added_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        group as GroupId,
        account as AccountId,
        now,
    )
    .execute(&mut **tx)
    .await?;
    Ok(added.rows_affected() == 1)
}

/// A group as the admin panel lists it.
#[derive(Debug, Clone)]
pub struct GroupRow {
    pub id: GroupId,
    pub name: String,
    pub description: String,
    pub is_open: bool,
    pub suggested_at_claim: bool,
    pub member_count: i64,
}

pub async fn list(executor: impl PgExecutor<'_>) -> sqlx::Result<Vec<GroupRow>> {
    sqlx::query_as!(
        GroupRow,
        r#"SELECT g.id AS "id: GroupId", g.name, g.description, g.is_open, g.suggested_at_claim,
                  (SELECT count(*) FROM group_membership m WHERE m.group_id = g.id) AS "member_count!"
           FROM account_group g ORDER BY g.name_normalized LIMIT 500"#
    )
    .fetch_all(executor)
    .await
}

pub async fn find(executor: impl PgExecutor<'_>, id: GroupId) -> sqlx::Result<Option<GroupRow>> {
    sqlx::query_as!(
        GroupRow,
        r#"SELECT g.id AS "id: GroupId", g.name, g.description, g.is_open, g.suggested_at_claim,
                  (SELECT count(*) FROM group_membership m WHERE m.group_id = g.id) AS "member_count!"
           FROM account_group g WHERE g.id = $1"#,
        id as GroupId,
    )
    .fetch_optional(executor)
    .await
}

pub async fn update(tx: &mut Transaction<'_, Postgres>, id: GroupId, group: &GroupSettings, now: OffsetDateTime) -> sqlx::Result<bool> {
    let updated = sqlx::query!(
        "UPDATE account_group SET name = $2, name_normalized = $3, description = $4, is_open = $5, suggested_at_claim = $6, updated_at = $7 WHERE id = $1",
        id as GroupId,
        group.name,
        crate::domain::normalize_identifier(&group.name),
        group.description,
        group.is_open,
        group.suggested_at_claim,
        now,
    )
    .execute(&mut **tx)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// Deletes the group (its memberships go with it); returns its name if it
/// existed.
pub async fn delete(tx: &mut Transaction<'_, Postgres>, id: GroupId) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!("DELETE FROM account_group WHERE id = $1 RETURNING name", id as GroupId).fetch_optional(&mut **tx).await
}

/// Removes a membership; returns the member's name and email when there was
/// one.
pub async fn remove_member(tx: &mut Transaction<'_, Postgres>, group: GroupId, account: AccountId) -> sqlx::Result<Option<(String, Option<String>)>> {
    let removed = sqlx::query!(
        "WITH removed AS (DELETE FROM group_membership WHERE group_id = $1 AND account_id = $2 RETURNING account_id) \
         SELECT a.full_name, a.email FROM account a JOIN removed r ON r.account_id = a.id",
        group as GroupId,
        account as AccountId,
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(removed.map(|row| (row.full_name, row.email)))
}

/// A member as the admin panel lists them.
#[derive(Debug, Clone)]
pub struct MemberRow {
    pub id: AccountId,
    pub full_name: String,
    pub email: Option<String>,
    pub status: AccountStatus,
}

pub async fn members(executor: impl PgExecutor<'_>, group: GroupId) -> sqlx::Result<Vec<MemberRow>> {
    sqlx::query_as!(
        MemberRow,
        r#"SELECT a.id AS "id: AccountId", a.full_name, a.email, a.status AS "status: AccountStatus"
           FROM group_membership m JOIN account a ON a.id = m.account_id
           WHERE m.group_id = $1 ORDER BY lower(a.full_name), a.id LIMIT 1000"#,
        group as GroupId,
    )
    .fetch_all(executor)
    .await
}
