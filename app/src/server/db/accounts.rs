use crate::domain::{AccountId, AccountStatus, Role};
use sqlx::{PgExecutor, Postgres, Transaction};
use time::OffsetDateTime;

/// One account row as services need it.
#[derive(Debug, Clone, sqlx::FromRow)]
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
    pub status_before_deactivation: Option<AccountStatus>,
    pub created_at: OffsetDateTime,
    pub invited_at: Option<OffsetDateTime>,
    pub claimed_at: Option<OffsetDateTime>,
    pub deactivated_at: Option<OffsetDateTime>,
}

const COLUMNS: &str = "id, status, role, email, external_id, username, full_name, title, department, \
    location, phone, manager_id, password_hash, session_epoch, status_before_deactivation, created_at, \
    invited_at, claimed_at, deactivated_at";

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
    sqlx::query(
        "INSERT INTO account (id, status, role, email, email_normalized, external_id, username, \
         username_normalized, full_name, title, department, location, phone, manager_id, password_hash, \
         created_at, updated_at, invited_at, claimed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16, $17, $18)",
    )
    .bind(row.id)
    .bind(row.status)
    .bind(row.role)
    .bind(row.email)
    .bind(&row.email_normalized)
    .bind(row.external_id)
    .bind(row.username)
    .bind(&row.username_normalized)
    .bind(row.full_name)
    .bind(row.title)
    .bind(row.department)
    .bind(row.location)
    .bind(row.phone)
    .bind(row.manager_id)
    .bind(row.password_hash)
    .bind(row.now)
    .bind(invited_at)
    .bind(claimed_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn find(executor: impl PgExecutor<'_>, id: AccountId) -> sqlx::Result<Option<AccountRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM account WHERE id = $1")).bind(id).fetch_optional(executor).await
}

pub async fn find_by_email(executor: impl PgExecutor<'_>, email_normalized: &str) -> sqlx::Result<Option<AccountRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM account WHERE email_normalized = $1")).bind(email_normalized).fetch_optional(executor).await
}

pub async fn admin_exists(executor: impl PgExecutor<'_>) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM account WHERE role = 'admin' AND status = 'claimed')").fetch_one(executor).await
}

/// The facts a request needs about the person its session belongs to.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionAccount {
    pub id: AccountId,
    pub status: AccountStatus,
    pub role: Role,
    pub full_name: String,
    pub email: Option<String>,
    pub session_epoch: i32,
}

pub async fn find_for_session(executor: impl PgExecutor<'_>, id: AccountId) -> sqlx::Result<Option<SessionAccount>> {
    sqlx::query_as("SELECT id, status, role, full_name, email, session_epoch FROM account WHERE id = $1").bind(id).fetch_optional(executor).await
}

/// uninvited | invited → invited. Returns false when the account is in
/// another state (or gone), in which case nothing changed.
pub async fn mark_invited(tx: &mut Transaction<'_, Postgres>, id: AccountId, now: OffsetDateTime) -> sqlx::Result<bool> {
    let updated = sqlx::query(
        "UPDATE account SET status = 'invited', invited_at = $2, updated_at = $2 \
         WHERE id = $1 AND status IN ('uninvited', 'invited')",
    )
    .bind(id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// invited → claimed, setting the password. False when not invited.
pub async fn mark_claimed(tx: &mut Transaction<'_, Postgres>, id: AccountId, password_hash: Option<&str>, now: OffsetDateTime) -> sqlx::Result<bool> {
    let updated = sqlx::query(
        "UPDATE account SET status = 'claimed', claimed_at = $2, updated_at = $2, \
         password_hash = COALESCE($3, password_hash) WHERE id = $1 AND status = 'invited'",
    )
    .bind(id)
    .bind(now)
    .bind(password_hash)
    .execute(&mut **tx)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// any active state → deactivated; bumps the session epoch so every session
/// of the account is refused from its next request on.
pub async fn mark_deactivated(tx: &mut Transaction<'_, Postgres>, id: AccountId, now: OffsetDateTime) -> sqlx::Result<bool> {
    let updated = sqlx::query(
        "UPDATE account SET status_before_deactivation = status, status = 'deactivated', \
         deactivated_at = $2, updated_at = $2, session_epoch = session_epoch + 1 \
         WHERE id = $1 AND status IN ('uninvited', 'invited', 'claimed')",
    )
    .bind(id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// deactivated → claimed (if the person had claimed) or uninvited (their old
/// links were revoked, so they need a fresh invitation). Returns the new
/// status, or None when the account was not deactivated.
pub async fn mark_reactivated(tx: &mut Transaction<'_, Postgres>, id: AccountId, now: OffsetDateTime) -> sqlx::Result<Option<AccountStatus>> {
    sqlx::query_scalar(
        "UPDATE account SET \
           status = CASE WHEN claimed_at IS NOT NULL THEN 'claimed'::account_status ELSE 'uninvited'::account_status END, \
           status_before_deactivation = NULL, deactivated_at = NULL, updated_at = $2 \
         WHERE id = $1 AND status = 'deactivated' RETURNING status",
    )
    .bind(id)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await
}

/// Removes a deactivated account. Returns the removed row's label fields.
pub async fn delete_deactivated(tx: &mut Transaction<'_, Postgres>, id: AccountId) -> sqlx::Result<Option<(String, Option<String>)>> {
    sqlx::query_as("DELETE FROM account WHERE id = $1 AND status = 'deactivated' RETURNING full_name, email").bind(id).fetch_optional(&mut **tx).await
}

pub async fn set_password(tx: &mut Transaction<'_, Postgres>, id: AccountId, hash: &str, now: OffsetDateTime) -> sqlx::Result<()> {
    sqlx::query("UPDATE account SET password_hash = $2, session_epoch = session_epoch + 1, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(hash)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Reads the account and holds its row lock until the transaction ends.
pub async fn find_for_update(tx: &mut Transaction<'_, Postgres>, id: AccountId) -> sqlx::Result<Option<AccountRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM account WHERE id = $1 FOR UPDATE")).bind(id).fetch_optional(&mut **tx).await
}

/// How many accounts are in each status.
pub async fn count_by_status(executor: impl PgExecutor<'_>) -> sqlx::Result<Vec<(AccountStatus, i64)>> {
    sqlx::query_as("SELECT status, count(*) FROM account GROUP BY status").fetch_all(executor).await
}

/// Saves what the person confirmed in the claim wizard.
pub async fn update_profile(
    tx: &mut Transaction<'_, Postgres>,
    id: AccountId,
    profile: &crate::domain::ProfileDetails,
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE account SET full_name = $2, title = $3, department = $4, location = $5, phone = $6, updated_at = $7 WHERE id = $1")
        .bind(id)
        .bind(profile.full_name.as_ref())
        .bind(&profile.title)
        .bind(&profile.department)
        .bind(&profile.location)
        .bind(&profile.phone)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn record_terms_accepted(tx: &mut Transaction<'_, Postgres>, id: AccountId, version: i32, now: OffsetDateTime) -> sqlx::Result<()> {
    sqlx::query("UPDATE account SET terms_accepted_version = $2, terms_accepted_at = $3 WHERE id = $1")
        .bind(id)
        .bind(version)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// One row of the People list.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
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
/// optionally filtered by status and by a search over name, email and
/// external id. Keyset pagination: the cost of a page does not grow with its
/// depth.
pub async fn list_people(
    executor: impl PgExecutor<'_>,
    status: Option<AccountStatus>,
    after: Option<(&str, AccountId)>,
    limit: i64,
) -> sqlx::Result<Vec<PersonRow>> {
    // Only the filters in use are in the statement, so PostgreSQL plans each
    // combination for what it is.
    let mut query = sqlx::QueryBuilder::new("SELECT id, full_name, email, external_id, title, department, status FROM account WHERE true");
    if let Some(status) = status {
        query.push(" AND status = ").push_bind(status);
    }
    push_after(&mut query, after);
    query.push(" ORDER BY lower(full_name), id LIMIT ").push_bind(limit);
    query.build_query_as().fetch_all(executor).await
}

fn push_after<'a>(query: &mut sqlx::QueryBuilder<'a, sqlx::Postgres>, after: Option<(&'a str, AccountId)>) {
    if let Some((name, id)) = after {
        query.push(" AND (lower(full_name), id) > (").push_bind(name.to_lowercase()).push(", ").push_bind(id).push(")");
    }
}

/// Indexes up to `limit` accounts of the search backlog (accounts created,
/// or renamed, since they were last indexed; see migration
/// `search_index_backlog`) and takes them off it. Returns how many backlog
/// entries it handled: 0 when the backlog is empty, or when another process
/// is indexing it at the moment.
pub async fn index_search_backlog(pool: &sqlx::PgPool, limit: i64) -> sqlx::Result<u64> {
    let mut tx = pool.begin().await?;
    // One indexer at a time: two could otherwise write one account's
    // documents in the wrong order, the older last.
    let indexer: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(hashtext('embark.account_search'))").fetch_one(&mut *tx).await?;
    if !indexer {
        return Ok(0);
    }
    // The accounts are read in the same snapshot as the backlog entries
    // taken: a change committed later left an entry this one does not take.
    let taken: (i64,) = sqlx::query_as(
        "WITH taken AS ( \
           DELETE FROM account_search_backlog WHERE ctid = ANY (ARRAY(SELECT ctid FROM account_search_backlog LIMIT $1)) \
           RETURNING account_id \
         ), indexed AS ( \
           INSERT INTO account_search (account_id, document) \
           SELECT id, account_search_document(full_name, email_normalized, external_id) FROM account \
           WHERE id IN (SELECT account_id FROM taken) \
           ON CONFLICT (account_id) DO UPDATE SET document = EXCLUDED.document \
         ) SELECT count(*) FROM taken",
    )
    .bind(limit)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(u64::try_from(taken.0).unwrap_or(0))
}

/// The most matches a People search sorts by name. Past it, a page shows
/// some of the matches and says the search should be narrowed.
pub const SEARCH_CANDIDATES: i64 = 200;

/// Pages of the account table (about 12 people each) a search samples
/// first, in storage order, to see how common its term is.
const SAMPLE_PAGES: i64 = 150;

/// How far a common term is looked for in storage order before the
/// trigram index is asked instead.
const PROBE_PAGES: i64 = 2_000;

/// A page of People search results, and whether more people matched than
/// [`SEARCH_CANDIDATES`] (the page then comes from the first that many).
#[derive(sqlx::FromRow)]
struct SearchRow {
    #[sqlx(flatten)]
    person: PersonRow,
    candidates: i64,
}

/// Searches name, email and external ID ("contains"), in name order after
/// the cursor. At most [`SEARCH_CANDIDATES`] + 1 matches are candidates,
/// sorted by name; so every search costs about the same whatever it
/// matches, and the pages of a capped search stay the same from one
/// request to the next. The candidates are:
/// - when more people's names start with the term than the cap (a common
///   first name), the first of them by name, from the name index;
/// - otherwise the first matches found in one of two ways, each cheap
///   where the other is not: reading the table's first pages in storage
///   order, for a term many people match anywhere (the company's email
///   domain), where the trigram index would build a bitmap of every match
///   (200 ms for a term a million people match); or the trigram index of
///   search documents with its backlog, for rarer terms. A sample of the
///   first [`SAMPLE_PAGES`] pages tells which.
pub async fn search_people(
    pool: &sqlx::PgPool,
    search: &str,
    status: Option<AccountStatus>,
    after: Option<(&str, AccountId)>,
    limit: i64,
) -> sqlx::Result<(Vec<PersonRow>, bool)> {
    let mut tx = pool.begin().await?;
    // PostgreSQL cannot estimate how many people a substring matches, and a
    // wrong guess walks the whole name index (seconds at a million
    // accounts): each statement below is given the one plan it is for.
    // Parallel workers would hand the matches over out of storage order.
    for setting in ["enable_seqscan", "enable_bitmapscan", "max_parallel_workers_per_gather"] {
        sqlx::query(&format!("SET LOCAL {setting} = 0")).execute(&mut *tx).await?;
    }
    let mut starting = sqlx::QueryBuilder::new("SELECT count(*) FROM (SELECT 1 FROM account WHERE ");
    push_name_starts_with(&mut starting, search, status);
    starting.push(" LIMIT ").push_bind(SEARCH_CANDIDATES + 1).push(") starting");
    let names_starting: i64 = starting.build_query_scalar().fetch_one(&mut *tx).await?;
    if names_starting > SEARCH_CANDIDATES {
        let rows: Vec<SearchRow> = search_page(search, status, after, limit, Candidates::NamesStartingWith).build_query_as().fetch_all(&mut *tx).await?;
        tx.commit().await?;
        return Ok((rows.into_iter().map(|r| r.person).collect(), true));
    }
    sqlx::query("SET LOCAL enable_indexscan = 0").execute(&mut *tx).await?;

    // How big the table is, and how many candidates its first pages hold.
    let mut sample = sqlx::QueryBuilder::new(
        "SELECT pg_relation_size('account') / current_setting('block_size')::bigint, (SELECT count(*) FROM (SELECT 1 FROM account WHERE ",
    );
    push_matches(&mut sample, search, status, Some(SAMPLE_PAGES));
    sample.push(" LIMIT ").push_bind(SEARCH_CANDIDATES + 1).push(") sampled)");
    let (table_pages, sampled): (i64, i64) = sample.build_query_as().fetch_one(&mut *tx).await?;

    let capped = |rows: &[SearchRow]| rows.first().is_some_and(|r| r.candidates > SEARCH_CANDIDATES);
    let pages = if sampled > SEARCH_CANDIDATES || table_pages <= SAMPLE_PAGES {
        Some(SAMPLE_PAGES)
    } else if sampled * PROBE_PAGES / SAMPLE_PAGES >= 2 * (SEARCH_CANDIDATES + 1) {
        // Common enough that the cap should fill well within the probe.
        Some(PROBE_PAGES)
    } else {
        None
    };
    let mut rows = None;
    if let Some(pages) = pages {
        let found: Vec<SearchRow> = search_page(search, status, after, limit, Candidates::FirstPages(pages)).build_query_as().fetch_all(&mut *tx).await?;
        // Capped there, or the whole table was read: these are the
        // candidates. Otherwise the index finds the ones further on.
        if capped(&found) || table_pages <= pages {
            rows = Some(found);
        }
    }
    let rows = match rows {
        Some(rows) => rows,
        None => {
            for setting in ["enable_bitmapscan", "enable_indexscan"] {
                sqlx::query(&format!("SET LOCAL {setting} = 1")).execute(&mut *tx).await?;
            }
            search_page(search, status, after, limit, Candidates::Anywhere).build_query_as().fetch_all(&mut *tx).await?
        }
    };
    tx.commit().await?;
    let capped = capped(&rows);
    Ok((rows.into_iter().map(|r| r.person).collect(), capped))
}

/// Names that start with the search term, as a range of the name index;
/// `starts_with` keeps it exact under any collation.
fn push_name_starts_with(query: &mut sqlx::QueryBuilder<'_, sqlx::Postgres>, search: &str, status: Option<AccountStatus>) {
    let prefix = search.to_lowercase();
    query
        .push("lower(full_name) >= ")
        .push_bind(prefix.clone())
        .push(" AND lower(full_name) < ")
        .push_bind(format!("{prefix}{}", char::MAX))
        .push(" AND starts_with(lower(full_name), ")
        .push_bind(prefix)
        .push(")");
    if let Some(status) = status {
        query.push(" AND status = ").push_bind(status);
    }
}

/// The conditions of a search: the term, the status, and when `pages` is
/// given, only the table's first that many pages.
fn push_matches(query: &mut sqlx::QueryBuilder<'_, sqlx::Postgres>, search: &str, status: Option<AccountStatus>, pages: Option<i64>) {
    query.push("account_search_document(full_name, email_normalized, external_id) LIKE ").push_bind(super::contains_pattern(search)).push(" ESCAPE '\\'");
    if let Some(status) = status {
        query.push(" AND status = ").push_bind(status);
    }
    if let Some(pages) = pages {
        query.push(format!(" AND ctid < '({pages},0)'::tid"));
    }
}

/// Where a search's candidates come from.
#[derive(Debug, Clone, Copy)]
enum Candidates {
    /// The first names, by name, that start with the term.
    NamesStartingWith,
    /// The first matches in storage order within the table's first pages.
    FirstPages(i64),
    /// The first matches anywhere, from the trigram index of search
    /// documents and the backlog of accounts not indexed yet.
    Anywhere,
}

/// One page of search results, after the cursor, from the candidates.
fn search_page<'a>(
    search: &str,
    status: Option<AccountStatus>,
    after: Option<(&'a str, AccountId)>,
    limit: i64,
    candidates: Candidates,
) -> sqlx::QueryBuilder<'a, sqlx::Postgres> {
    let mut query = sqlx::QueryBuilder::new(
        "SELECT id, full_name, email, external_id, title, department, status, candidates FROM ( \
           SELECT *, count(*) OVER () AS candidates FROM ( \
             SELECT id, full_name, email, external_id, title, department, status FROM account WHERE ",
    );
    match candidates {
        Candidates::NamesStartingWith => {
            push_name_starts_with(&mut query, search, status);
            query.push(" ORDER BY lower(full_name), id");
        }
        Candidates::FirstPages(pages) => push_matches(&mut query, search, status, Some(pages)),
        Candidates::Anywhere => {
            // The index may be a moment behind: the backlog holds whoever
            // it does not have yet (or has under an old name, which the
            // condition on the account itself then rules out).
            query
                .push("id IN (SELECT account_id FROM account_search WHERE document LIKE ")
                .push_bind(super::contains_pattern(search))
                .push(" ESCAPE '\\' UNION SELECT account_id FROM account_search_backlog) AND ");
            push_matches(&mut query, search, status, None);
        }
    }
    query.push(" LIMIT ").push_bind(SEARCH_CANDIDATES + 1).push(") matches) account WHERE true");
    push_after(&mut query, after);
    query.push(" ORDER BY lower(full_name), id LIMIT ").push_bind(limit);
    query
}

/// A colleague as the directory shows them.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
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
    let pattern = search.map(super::contains_pattern);
    sqlx::query_as(
        "SELECT id, full_name, title, department, location, email, status FROM account \
         WHERE status <> 'deactivated' \
           AND ($1::text IS NULL OR lower(full_name) LIKE $1 ESCAPE '\\' OR lower(title) LIKE $1 ESCAPE '\\' \
                OR lower(department) LIKE $1 ESCAPE '\\') \
         ORDER BY lower(full_name), id LIMIT $2",
    )
    .bind(pattern)
    .bind(limit)
    .fetch_all(executor)
    .await
}

pub async fn save_picture(tx: &mut Transaction<'_, Postgres>, id: AccountId, jpeg: &[u8], now: OffsetDateTime) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO account_picture (account_id, jpeg, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (account_id) DO UPDATE SET jpeg = EXCLUDED.jpeg, updated_at = EXCLUDED.updated_at",
    )
    .bind(id)
    .bind(jpeg)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn picture(executor: impl PgExecutor<'_>, id: AccountId) -> sqlx::Result<Option<Vec<u8>>> {
    sqlx::query_scalar("SELECT jpeg FROM account_picture WHERE account_id = $1").bind(id).fetch_optional(executor).await
}

/// An account just moved to `invited` by a bulk invitation.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InvitedAccount {
    pub id: AccountId,
    pub email: String,
    pub full_name: String,
}

/// uninvited → invited for every account in `ids` (or every uninvited account
/// when `ids` is None) that has an email address, in one statement that both
/// checks and changes the state. Claimed and deactivated accounts are never
/// touched.
pub async fn mark_many_invited(tx: &mut Transaction<'_, Postgres>, ids: Option<&[uuid::Uuid]>, now: OffsetDateTime) -> sqlx::Result<Vec<InvitedAccount>> {
    sqlx::query_as(
        "UPDATE account SET status = 'invited', invited_at = $1, updated_at = $1 \
         WHERE status = 'uninvited' AND email_normalized IS NOT NULL AND ($2::uuid[] IS NULL OR id = ANY($2)) \
         RETURNING id, email, full_name",
    )
    .bind(now)
    .bind(ids)
    .fetch_all(&mut **tx)
    .await
}

/// How many accounts await an invitation, and how many of those have no
/// email address to send one to.
pub async fn count_uninvited(executor: impl PgExecutor<'_>) -> sqlx::Result<(i64, i64)> {
    sqlx::query_as("SELECT count(*), count(*) FILTER (WHERE email_normalized IS NULL) FROM account WHERE status = 'uninvited'").fetch_one(executor).await
}

/// Everyone but administrators.
pub async fn count_non_admins(executor: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT count(*) FROM account WHERE role <> 'admin'").fetch_one(executor).await
}

/// Uninvited accounts, in external ID order.
pub async fn uninvited_by_external_id(executor: impl PgExecutor<'_>) -> sqlx::Result<Vec<AccountId>> {
    sqlx::query_scalar("SELECT id FROM account WHERE status = 'uninvited' ORDER BY external_id, id").fetch_all(executor).await
}
