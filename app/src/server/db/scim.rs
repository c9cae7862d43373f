//! What the SCIM API reads and writes beyond the lifecycle's own statements:
//! people and groups as SCIM resources, and their filtered lists. A SCIM
//! filter becomes a [`Condition`] over an allow-list of columns (the service
//! maps attribute names to them); it is assembled into SQL here with every
//! value bound as a parameter.

use crate::domain::{AccountId, AccountStatus, GroupId, SignInMethod};
use sqlx::{PgExecutor, Postgres, QueryBuilder, Transaction};
use time::OffsetDateTime;

/// A person as the SCIM API shows them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: AccountId,
    pub status: AccountStatus,
    pub email: Option<String>,
    pub external_id: Option<String>,
    pub username: Option<String>,
    pub full_name: String,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub title: String,
    pub department: String,
    pub employee_number: Option<String>,
    pub location: String,
    pub phone: String,
    pub manager_id: Option<AccountId>,
    pub sign_in_method: SignInMethod,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub invited_at: Option<OffsetDateTime>,
    pub claimed_at: Option<OffsetDateTime>,
}

const USER_COLUMNS: &str = "a.id, a.status, a.email, a.external_id, a.username, a.full_name, a.given_name, a.family_name, a.title, a.department, \
     a.employee_number, a.location, a.phone, a.manager_id, a.sign_in_method, a.created_at, a.updated_at, a.invited_at, a.claimed_at";

pub async fn user(executor: impl PgExecutor<'_>, id: AccountId) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as!(
        UserRow,
        r#"SELECT a.id AS "id: AccountId", a.status AS "status: AccountStatus", a.email, a.external_id, a.username, a.full_name,
                  a.given_name, a.family_name, a.title, a.department, a.employee_number, a.location, a.phone, a.manager_id AS "manager_id: AccountId",
                  a.sign_in_method AS "sign_in_method: SignInMethod", a.created_at, a.updated_at, a.invited_at, a.claimed_at
           FROM account a WHERE a.id = $1"#,
        id as AccountId,
    )
    .fetch_optional(executor)
    .await
}

/// [`user`], locked until the transaction ends.
pub async fn user_for_update(tx: &mut Transaction<'_, Postgres>, id: AccountId) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as!(
        UserRow,
        r#"SELECT a.id AS "id: AccountId", a.status AS "status: AccountStatus", a.email, a.external_id, a.username, a.full_name,
                  a.given_name, a.family_name, a.title, a.department, a.employee_number, a.location, a.phone, a.manager_id AS "manager_id: AccountId",
                  a.sign_in_method AS "sign_in_method: SignInMethod", a.created_at, a.updated_at, a.invited_at, a.claimed_at
           FROM account a WHERE a.id = $1 FOR UPDATE"#,
        id as AccountId,
    )
    .fetch_optional(&mut **tx)
    .await
}

/// The columns a user filter may test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserColumn {
    Id,
    /// The username, else the email (what SCIM calls `userName`).
    UserName,
    ExternalId,
    Email,
    FullName,
    GivenName,
    FamilyName,
    Title,
    Department,
    EmployeeNumber,
    Phone,
    Manager,
    Active,
    Created,
    LastModified,
}

impl UserColumn {
    /// The SQL expression: texts lowercased where SCIM compares them without
    /// case, and empty texts as NULL so `pr` means "has a value".
    fn sql(self) -> &'static str {
        match self {
            Self::Id => "a.id::text",
            Self::UserName => "lower(coalesce(a.username, a.email))",
            Self::ExternalId => "a.external_id",
            Self::Email => "lower(a.email)",
            Self::FullName => "lower(a.full_name)",
            Self::GivenName => "lower(a.given_name)",
            Self::FamilyName => "lower(a.family_name)",
            Self::Title => "lower(nullif(a.title, ''))",
            Self::Department => "lower(nullif(a.department, ''))",
            Self::EmployeeNumber => "lower(a.employee_number)",
            Self::Phone => "nullif(a.phone, '')",
            Self::Manager => "a.manager_id::text",
            Self::Active => "(a.status <> 'deactivated')",
            Self::Created => "a.created_at",
            Self::LastModified => "a.updated_at",
        }
    }
}

/// The columns a group filter may test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupColumn {
    Id,
    DisplayName,
    /// Whether a member with this id is in the group.
    MemberId,
    Created,
    LastModified,
}

impl GroupColumn {
    fn sql(self) -> &'static str {
        match self {
            Self::Id => "g.id::text",
            Self::DisplayName => "lower(g.name)",
            Self::MemberId => "m.account_id::text",
            Self::Created => "g.created_at",
            Self::LastModified => "g.updated_at",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Eq,
    Ne,
    Contains,
    StartsWith,
    EndsWith,
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
}

/// A value a filter compares with, already in the column's form (texts
/// lowercased for the columns that are).
#[derive(Debug, Clone, PartialEq)]
pub enum FilterValue {
    Text(String),
    Bool(bool),
    Time(OffsetDateTime),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Condition<C> {
    Compare(C, Comparison, FilterValue),
    Present(C),
    /// `userName eq`: the indexed normalised email or username.
    SignInNameIs(String),
    All(Vec<Condition<C>>),
    Any(Vec<Condition<C>>),
    Not(Box<Condition<C>>),
}

trait Column: Copy {
    fn expression(self) -> &'static str;
    /// Membership tests need a sub-query around them.
    fn is_membership(self) -> bool {
        false
    }
}

impl Column for UserColumn {
    fn expression(self) -> &'static str {
        self.sql()
    }
}

impl Column for GroupColumn {
    fn expression(self) -> &'static str {
        self.sql()
    }
    fn is_membership(self) -> bool {
        self == GroupColumn::MemberId
    }
}

fn push_condition<'a, C: Column>(query: &mut QueryBuilder<'a, Postgres>, condition: &'a Condition<C>) {
    match condition {
        Condition::SignInNameIs(normalized) => {
            query.push("(a.email_normalized = ").push_bind(normalized.as_str()).push(" OR a.username_normalized = ").push_bind(normalized.as_str()).push(")");
        }
        Condition::Present(column) if column.is_membership() => {
            query.push("EXISTS (SELECT 1 FROM group_membership m WHERE m.group_id = g.id)");
        }
        Condition::Present(column) => {
            query.push("(").push(column.expression()).push(" IS NOT NULL)");
        }
        Condition::Compare(column, comparison, value) if column.is_membership() => {
            query.push("EXISTS (SELECT 1 FROM group_membership m WHERE m.group_id = g.id AND ");
            push_comparison(query, column.expression(), *comparison, value);
            query.push(")");
        }
        Condition::Compare(column, comparison, value) => push_comparison(query, column.expression(), *comparison, value),
        Condition::All(parts) | Condition::Any(parts) => {
            let joiner = if matches!(condition, Condition::All(_)) { " AND " } else { " OR " };
            query.push("(");
            for (index, part) in parts.iter().enumerate() {
                if index > 0 {
                    query.push(joiner);
                }
                push_condition(query, part);
            }
            query.push(")");
        }
        Condition::Not(inner) => {
            // A NULL (absent) value does not match the inner test, so it
            // matches its negation.
            query.push("(NOT coalesce(");
            push_condition(query, inner);
            query.push(", false))");
        }
    }
}

fn push_comparison<'a>(query: &mut QueryBuilder<'a, Postgres>, expression: &'static str, comparison: Comparison, value: &'a FilterValue) {
    query.push("(").push(expression);
    match (comparison, value) {
        (Comparison::Contains | Comparison::StartsWith | Comparison::EndsWith, FilterValue::Text(text)) => {
            let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            let pattern = match comparison {
                Comparison::Contains => format!("%{escaped}%"),
                Comparison::StartsWith => format!("{escaped}%"),
                _ => format!("%{escaped}"),
            };
            query.push(" LIKE ").push_bind(pattern).push(" ESCAPE '\\'");
        }
        (comparison, value) => {
            query.push(match comparison {
                Comparison::Ne => " IS DISTINCT FROM ",
                Comparison::Greater => " > ",
                Comparison::GreaterOrEqual => " >= ",
                Comparison::Less => " < ",
                Comparison::LessOrEqual => " <= ",
                _ => " = ",
            });
            match value {
                FilterValue::Text(text) => query.push_bind(text.as_str()),
                FilterValue::Bool(flag) => query.push_bind(*flag),
                FilterValue::Time(at) => query.push_bind(*at),
            };
        }
    }
    query.push(")");
}

/// One page of the people a filter matches, in a stable order (creation,
/// then id), and how many match in all. The statement is assembled because
/// the filter's shape is the client's; every value in it is a parameter.
pub async fn users(pool: &sqlx::PgPool, filter: Option<&Condition<UserColumn>>, offset: i64, limit: i64) -> sqlx::Result<(Vec<UserRow>, i64)> {
    let mut count = QueryBuilder::new("SELECT count(*) FROM account a WHERE ");
    let mut page = QueryBuilder::new(format!("SELECT {USER_COLUMNS} FROM account a WHERE "));
    for query in [&mut count, &mut page] {
        match filter {
            Some(condition) => push_condition(query, condition),
            None => {
                query.push("true");
            }
        }
    }
    page.push(" ORDER BY a.created_at, a.id OFFSET ").push_bind(offset).push(" LIMIT ").push_bind(limit);
    let total: i64 = count.build_query_scalar().fetch_one(pool).await?;
    let rows = if limit > 0 { page.build_query_as::<UserRow>().fetch_all(pool).await? } else { Vec::new() };
    Ok((rows, total))
}

/// What a SCIM write sets on a person, beyond their lifecycle state.
pub struct UserDetails<'a> {
    pub email: Option<&'a str>,
    pub email_normalized: Option<String>,
    pub username: Option<&'a str>,
    pub username_normalized: Option<String>,
    pub external_id: Option<&'a str>,
    pub full_name: &'a str,
    pub given_name: Option<&'a str>,
    pub family_name: Option<&'a str>,
    pub title: &'a str,
    pub department: &'a str,
    pub employee_number: Option<&'a str>,
    pub phone: &'a str,
    pub manager_id: Option<AccountId>,
}

/// Writes the details; false when the person is gone.
pub async fn update_user(tx: &mut Transaction<'_, Postgres>, id: AccountId, details: &UserDetails<'_>, now: OffsetDateTime) -> sqlx::Result<bool> {
    let updated = sqlx::query!(
        "UPDATE account SET email = $2, email_normalized = $3, username = $4, username_normalized = $5, external_id = $6, full_name = $7, \
         given_name = $8, family_name = $9, title = $10, department = $11, phone = $12, manager_id = $13, updated_at = $14, \
         employee_number = $15 WHERE id = $1",
        id as AccountId,
        details.email,
        details.email_normalized,
        details.username,
        details.username_normalized,
        details.external_id,
        details.full_name,
        details.given_name,
        details.family_name,
        details.title,
        details.department,
        details.phone,
        details.manager_id as Option<AccountId>,
        now,
        details.employee_number,
    )
    .execute(&mut **tx)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// A group as the SCIM API shows it (members apart).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GroupRow {
    pub id: GroupId,
    pub name: String,
    pub external_id: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

pub async fn group(executor: impl PgExecutor<'_>, id: GroupId) -> sqlx::Result<Option<GroupRow>> {
    sqlx::query_as!(GroupRow, r#"SELECT id AS "id: GroupId", name, external_id, created_at, updated_at FROM account_group WHERE id = $1"#, id as GroupId)
        .fetch_optional(executor)
        .await
}

pub async fn groups(pool: &sqlx::PgPool, filter: Option<&Condition<GroupColumn>>, offset: i64, limit: i64) -> sqlx::Result<(Vec<GroupRow>, i64)> {
    let mut count = QueryBuilder::new("SELECT count(*) FROM account_group g WHERE ");
    let mut page = QueryBuilder::new("SELECT g.id, g.name, g.external_id, g.created_at, g.updated_at FROM account_group g WHERE ");
    for query in [&mut count, &mut page] {
        match filter {
            Some(condition) => push_condition(query, condition),
            None => {
                query.push("true");
            }
        }
    }
    page.push(" ORDER BY g.created_at, g.id OFFSET ").push_bind(offset).push(" LIMIT ").push_bind(limit);
    let total: i64 = count.build_query_scalar().fetch_one(pool).await?;
    let rows = if limit > 0 { page.build_query_as::<GroupRow>().fetch_all(pool).await? } else { Vec::new() };
    Ok((rows, total))
}

/// The members of these groups, as (group, member) pairs, by member id.
pub async fn members_of(executor: impl PgExecutor<'_>, groups: &[GroupId]) -> sqlx::Result<Vec<(GroupId, AccountId)>> {
    let rows = sqlx::query!(
        r#"SELECT group_id AS "group_id: GroupId", account_id AS "account_id: AccountId" FROM group_membership
           WHERE group_id = ANY($1) ORDER BY group_id, account_id"#,
        groups as &[GroupId],
    )
    .fetch_all(executor)
    .await?;
    Ok(rows.into_iter().map(|row| (row.group_id, row.account_id)).collect())
}

/// Which of these ids are people.
pub async fn existing_accounts(executor: impl PgExecutor<'_>, ids: &[uuid::Uuid]) -> sqlx::Result<Vec<AccountId>> {
    sqlx::query_scalar!(r#"SELECT id AS "id: AccountId" FROM account WHERE id = ANY($1)"#, ids).fetch_all(executor).await
}

/// Renames a group and sets its external id; false when it is gone.
pub async fn rename_group(tx: &mut Transaction<'_, Postgres>, id: GroupId, name: &str, external_id: Option<&str>, now: OffsetDateTime) -> sqlx::Result<bool> {
    let updated = sqlx::query!(
        "UPDATE account_group SET name = $2, name_normalized = $3, external_id = $4, updated_at = $5 WHERE id = $1",
        id as GroupId,
        name,
        crate::domain::normalize_identifier(name),
        external_id,
        now,
    )
    .execute(&mut **tx)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// Makes the group's members exactly `members`; returns those added and
/// those removed.
pub async fn set_members(
    tx: &mut Transaction<'_, Postgres>,
    group: GroupId,
    members: &[AccountId],
    now: OffsetDateTime,
) -> sqlx::Result<(Vec<AccountId>, Vec<AccountId>)> {
    let removed = sqlx::query_scalar!(
        r#"DELETE FROM group_membership WHERE group_id = $1 AND NOT (account_id = ANY($2)) RETURNING account_id AS "id: AccountId""#,
        group as GroupId,
        members as &[AccountId],
    )
    .fetch_all(&mut **tx)
    .await?;
    let added = sqlx::query_scalar!(
        r#"INSERT INTO group_membership (group_id, account_id, added_at) SELECT $1, unnest($2::uuid[]), $3
           ON CONFLICT DO NOTHING RETURNING account_id AS "id: AccountId""#,
        group as GroupId,
        members as &[AccountId],
        now,
    )
    .fetch_all(&mut **tx)
    .await?;
    touch_group(tx, group, now).await?;
    Ok((added, removed))
}

/// Marks the group changed (its members did), for its `meta.version`.
pub async fn touch_group(tx: &mut Transaction<'_, Postgres>, group: GroupId, now: OffsetDateTime) -> sqlx::Result<()> {
    sqlx::query!("UPDATE account_group SET updated_at = greatest($2, updated_at + interval '1 microsecond') WHERE id = $1", group as GroupId, now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Names and emails of these people, for the audit log.
pub async fn names_of(executor: impl PgExecutor<'_>, ids: &[AccountId]) -> sqlx::Result<Vec<(AccountId, String, Option<String>)>> {
    let rows =
        sqlx::query!(r#"SELECT id AS "id: AccountId", full_name, email FROM account WHERE id = ANY($1)"#, ids as &[AccountId]).fetch_all(executor).await?;
    Ok(rows.into_iter().map(|row| (row.id, row.full_name, row.email)).collect())
}

/// The group, locked until the transaction ends.
pub async fn group_for_update(tx: &mut Transaction<'_, Postgres>, id: GroupId) -> sqlx::Result<Option<GroupRow>> {
    sqlx::query_as!(
        GroupRow,
        r#"SELECT id AS "id: GroupId", name, external_id, created_at, updated_at FROM account_group WHERE id = $1 FOR UPDATE"#,
        id as GroupId
    )
    .fetch_optional(&mut **tx)
    .await
}
