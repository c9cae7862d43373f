//! The People export: everyone a filter matches, read as one stream.

use crate::domain::{AccountId, AccountStatus, SignInMethod};
use crate::server::db::credentials::CredentialKind;
use futures::stream::BoxStream;
use time::OffsetDateTime;

/// One exported person, with their live claim credential if invited.
#[derive(Debug, Clone)]
pub struct ExportRow {
    pub id: AccountId,
    pub email: Option<String>,
    pub external_id: Option<String>,
    pub full_name: String,
    pub title: String,
    pub department: String,
    pub location: String,
    pub phone: String,
    pub manager_email: Option<String>,
    /// Group names, in name order, separated by "; " (as imports read them).
    pub groups: Option<String>,
    pub sign_in_method: SignInMethod,
    pub username: Option<String>,
    pub status: AccountStatus,
    pub invited_at: Option<OffsetDateTime>,
    pub claimed_at: Option<OffsetDateTime>,
    /// The invited person's active link (or, without email, access code),
    /// expired or not.
    pub credential_kind: Option<CredentialKind>,
    pub credential_sealed: Option<Vec<u8>>,
    pub credential_expires_at: Option<OffsetDateTime>,
}

/// Which people an export holds: the People page's status filter and
/// search (every match, not the page's capped candidates).
#[derive(Debug, Clone, Default)]
pub struct ExportFilter {
    pub status: Option<AccountStatus>,
    pub search: Option<String>,
}

/// Everyone `filter` matches, in name order, as the database sends them
/// (one statement, so one consistent snapshot; memory stays flat).
pub fn rows<'a>(pool: &'a sqlx::PgPool, filter: &ExportFilter) -> BoxStream<'a, sqlx::Result<ExportRow>> {
    let pattern = filter.search.as_deref().map(crate::server::db::contains_pattern);
    sqlx::query_as!(
        ExportRow,
        r#"WITH memberships AS (
               SELECT gm.account_id, string_agg(g.name, '; ' ORDER BY lower(g.name)) AS names
               FROM group_membership gm JOIN account_group g ON g.id = gm.group_id GROUP BY gm.account_id)
           SELECT a.id AS "id: AccountId", a.email, a.external_id, a.full_name, a.title, a.department, a.location, a.phone,
                  m.email AS "manager_email?", ms.names AS "groups?", a.sign_in_method AS "sign_in_method: SignInMethod", a.username,
                  a.status AS "status: AccountStatus", a.invited_at, a.claimed_at,
                  c.kind AS "credential_kind?: CredentialKind", c.secret_sealed AS "credential_sealed?", c.expires_at AS "credential_expires_at?"
           FROM account a
           LEFT JOIN account m ON m.id = a.manager_id
           LEFT JOIN memberships ms ON ms.account_id = a.id
           LEFT JOIN claim_credential c ON c.account_id = a.id AND c.state = 'active' AND a.status = 'invited'
                AND c.kind = CASE WHEN a.email IS NULL THEN 'access_code'::claim_credential_kind ELSE 'link' END
           WHERE ($1::account_status IS NULL OR a.status = $1)
             AND ($2::text IS NULL OR account_search_document(a.full_name, a.email_normalized, a.external_id) LIKE $2 ESCAPE '\')
           ORDER BY lower(a.full_name), a.id"#,
        filter.status as Option<AccountStatus>,
        pattern,
    )
    .fetch(pool)
}

/// What an export of `filter` would hold: everyone, and of the invited
/// those whose link or code works at `now` and those whose has expired.
#[derive(Debug, Clone, Copy)]
pub struct ExportCounts {
    pub people: i64,
    pub invited_live: i64,
    pub invited_expired: i64,
}

pub async fn counts(pool: &sqlx::PgPool, filter: &ExportFilter, now: OffsetDateTime) -> sqlx::Result<ExportCounts> {
    let pattern = filter.search.as_deref().map(crate::server::db::contains_pattern);
    sqlx::query_as!(
        ExportCounts,
        r#"SELECT count(*) AS "people!",
                  count(*) FILTER (WHERE a.status = 'invited' AND c.expires_at > $3) AS "invited_live!",
                  count(*) FILTER (WHERE a.status = 'invited' AND (c.id IS NULL OR c.expires_at <= $3)) AS "invited_expired!"
           FROM account a
           LEFT JOIN claim_credential c ON c.account_id = a.id AND c.state = 'active' AND a.status = 'invited'
                AND c.kind = CASE WHEN a.email IS NULL THEN 'access_code'::claim_credential_kind ELSE 'link' END
           WHERE ($1::account_status IS NULL OR a.status = $1)
             AND ($2::text IS NULL OR account_search_document(a.full_name, a.email_normalized, a.external_id) LIKE $2 ESCAPE '\')"#,
        filter.status as Option<AccountStatus>,
        pattern,
        now,
    )
    .fetch_one(pool)
    .await
}

/// An invited person whose link (or code) no longer works.
#[derive(Debug, Clone)]
pub struct ExpiredInvitation {
    pub id: AccountId,
    pub full_name: String,
    pub email: Option<String>,
}

/// The invited people `filter` matches whose link (or, without email, code)
/// has expired or is gone, their rows locked until the transaction ends.
pub async fn expired_invitations(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    filter: &ExportFilter,
    now: OffsetDateTime,
) -> sqlx::Result<Vec<ExpiredInvitation>> {
    let pattern = filter.search.as_deref().map(crate::server::db::contains_pattern);
    sqlx::query_as!(
        ExpiredInvitation,
        r#"SELECT a.id AS "id: AccountId", a.full_name, a.email FROM account a
           WHERE a.status = 'invited'
             AND ($1::account_status IS NULL OR a.status = $1)
             AND ($2::text IS NULL OR account_search_document(a.full_name, a.email_normalized, a.external_id) LIKE $2 ESCAPE '\')
             AND NOT EXISTS (SELECT 1 FROM claim_credential c WHERE c.account_id = a.id AND c.state = 'active' AND c.expires_at > $3
                             AND c.kind = CASE WHEN a.email IS NULL THEN 'access_code'::claim_credential_kind ELSE 'link' END)
           ORDER BY a.id
           FOR UPDATE OF a"#,
        filter.status as Option<AccountStatus>,
        pattern,
        now,
    )
    .fetch_all(&mut **tx)
    .await
}
