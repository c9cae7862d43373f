//! Invite Selected: the accounts an uploaded list names, kept between the
//! match report and the send.

use crate::domain::{AccountId, AccountStatus};
use sqlx::{PgExecutor, Postgres, Transaction};
use time::OffsetDateTime;
use uuid::Uuid;

/// The account one listed identifier names, if any.
#[derive(Debug, Clone)]
pub struct ListedAccount {
    pub line: i32,
    pub id: Option<AccountId>,
    pub status: Option<AccountStatus>,
    pub full_name: Option<String>,
}

/// Looks up each listed identifier: by normalised email where one is given,
/// else by external ID, else by (normalised) username: a line without `@`
/// may name someone without email.
pub async fn look_up(
    executor: impl PgExecutor<'_>,
    lines: &[i32],
    emails_normalized: &[Option<String>],
    external_ids: &[Option<String>],
    usernames_normalized: &[Option<String>],
) -> sqlx::Result<Vec<ListedAccount>> {
    sqlx::query_as!(
        ListedAccount,
        r#"SELECT t.line AS "line!", a.id AS "id?: AccountId", a.status AS "status?: AccountStatus",
                  a.full_name AS "full_name?"
           FROM UNNEST($1::int[], $2::text[], $3::text[], $4::text[]) AS t(line, email, ext, username)
           LEFT JOIN account a ON a.id = CASE WHEN t.email IS NOT NULL
               THEN (SELECT id FROM account WHERE email_normalized = t.email)
               ELSE coalesce((SELECT id FROM account WHERE external_id = t.ext),
                             (SELECT id FROM account WHERE username_normalized = t.username)) END
           ORDER BY t.line"#,
        lines,
        emails_normalized as &[Option<String>],
        external_ids as &[Option<String>],
        usernames_normalized as &[Option<String>],
    )
    .fetch_all(executor)
    .await
}

pub async fn insert(
    executor: impl PgExecutor<'_>,
    id: Uuid,
    file_name: &str,
    created_by: Option<AccountId>,
    account_ids: &[Uuid],
    report: serde_json::Value,
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO invite_selection (id, file_name, created_by, created_at, account_ids, report) VALUES ($1, $2, $3, $4, $5, $6)",
        id,
        file_name,
        created_by as Option<AccountId>,
        now,
        account_ids,
        report,
    )
    .execute(executor)
    .await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct SelectionRow {
    pub report: serde_json::Value,
    pub sent_at: Option<OffsetDateTime>,
}

pub async fn find(executor: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<SelectionRow>> {
    sqlx::query_as!(SelectionRow, "SELECT report, sent_at FROM invite_selection WHERE id = $1", id).fetch_optional(executor).await
}

/// Takes the selection's accounts for sending, once: None when it was sent
/// already (a double-clicked Send invites nobody twice).
pub async fn take_for_sending(tx: &mut Transaction<'_, Postgres>, id: Uuid, now: OffsetDateTime) -> sqlx::Result<Option<Vec<Uuid>>> {
    sqlx::query_scalar!("UPDATE invite_selection SET sent_at = $2 WHERE id = $1 AND sent_at IS NULL RETURNING account_ids", id, now)
        .fetch_optional(&mut **tx)
        .await
}

/// Forgets selections older than a day.
pub async fn delete_stale(executor: impl PgExecutor<'_>, now: OffsetDateTime) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM invite_selection WHERE created_at < $1::timestamptz - interval '1 day'", now).execute(executor).await?;
    Ok(())
}
