//! Staged spreadsheet imports: the rows of an uploaded file, classified
//! against the directory, then applied with a fixed number of set-based
//! statements however many rows there are.

use crate::domain::{AccountId, Actor, Role, SignInMethod};
use sqlx::postgres::{PgConnection, PgCopyIn};
use sqlx::{PgExecutor, Postgres, Transaction};
use time::OffsetDateTime;
use uuid::Uuid;

/// One parsed row of an import file, as staged.
#[derive(Debug, Clone)]
pub struct StagedRow {
    pub line: i32,
    /// The row's identifier as typed, for the error report.
    pub label: String,
    pub email: Option<String>,
    pub email_normalized: Option<String>,
    pub external_id: Option<String>,
    pub full_name: String,
    pub title: String,
    pub department: String,
    pub location: String,
    pub phone: String,
    pub manager_normalized: Option<String>,
    /// Empty cell: a new person signs in with a password, a matched one
    /// keeps their method.
    pub sign_in_method: Option<SignInMethod>,
    /// The sign-in name of someone without email, as typed or (suggested)
    /// made from the name.
    pub username: Option<String>,
    pub username_normalized: Option<String>,
    pub username_suggested: bool,
    /// The row's group names joined by [`GROUP_SEPARATOR`] (names cannot
    /// hold control characters), and their normalised forms likewise.
    pub group_names: String,
    pub group_keys: String,
    /// The id a new account gets.
    pub new_id: Uuid,
    pub parse_problem: Option<String>,
}

pub const GROUP_SEPARATOR: char = '\u{1f}';

pub async fn create_batch(
    tx: &mut Transaction<'_, Postgres>,
    id: Uuid,
    file_name: &str,
    created_by: Option<AccountId>,
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO import_batch (id, file_name, created_by, created_at) VALUES ($1, $2, $3, $4)",
        id,
        file_name,
        created_by as Option<AccountId>,
        now,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Forgets previews nobody applied within a day, with their staged rows
/// (which have no foreign key to their batch: see the schema).
pub async fn delete_stale(executor: impl PgExecutor<'_>, now: OffsetDateTime) -> sqlx::Result<()> {
    sqlx::query!(
        "WITH stale AS (DELETE FROM import_batch WHERE created_at < $1::timestamptz - interval '1 day' RETURNING id) \
         DELETE FROM import_row WHERE batch_id IN (SELECT id FROM stale)",
        now,
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Forgets a batch's staged rows, and the batch itself unless it was
/// applied (an applied one keeps what it did, for its page and the log).
pub async fn discard(executor: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query!("WITH gone AS (DELETE FROM import_batch WHERE id = $1 AND state <> 'applied') DELETE FROM import_row WHERE batch_id = $1", id,)
        .execute(executor)
        .await?;
    Ok(())
}

/// Starts the one COPY (CSV) that stages a whole file into `import_row`,
/// the cheapest way into PostgreSQL: about a fifth of the time of an UNNEST
/// insert at 100,000 rows (and a statement sqlx cannot check at compile
/// time: its columns are the CSV's). Send it chunks made by [`encode_for_staging`] as
/// the file is read, then `finish()` it (or `abort()` it when the file is
/// refused part-way).
pub async fn start_staging<'c>(tx: &'c mut Transaction<'_, Postgres>) -> sqlx::Result<PgCopyIn<&'c mut PgConnection>> {
    // An unquoted empty field is NULL; the NOT NULL text columns read it as
    // an empty string (FORCE_NOT_NULL) and the nullable ones hold a value or
    // nothing, never an empty string.
    tx.copy_in_raw(
        "COPY import_row (batch_id, line, label, email, email_normalized, external_id, full_name, title, department, \
         location, phone, manager_email_normalized, sign_in_method, username, username_normalized, username_suggested, group_names, group_keys, \
         new_id, parse_problem, action) \
         FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (label, full_name, title, department, location, phone, group_names, group_keys))",
    )
    .await
}

/// Rows as the staging COPY reads them. Plain CPU work, done on the parsing
/// thread so PostgreSQL never waits for it.
pub fn encode_for_staging(batch_id: Uuid, rows: &[StagedRow]) -> Result<Vec<u8>, csv::Error> {
    let batch = batch_id.to_string();
    let mut writer = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::with_capacity(rows.len() * 320));
    for row in rows {
        let (line, new_id) = (row.line.to_string(), row.new_id.to_string());
        let record = [
            batch.as_str(),
            &line,
            &row.label,
            text(&row.email),
            text(&row.email_normalized),
            text(&row.external_id),
            &row.full_name,
            &row.title,
            &row.department,
            &row.location,
            &row.phone,
            text(&row.manager_normalized),
            row.sign_in_method.map_or("", SignInMethod::as_str),
            text(&row.username),
            text(&row.username_normalized),
            if row.username_suggested { "t" } else { "f" },
            &row.group_names,
            &row.group_keys,
            &new_id,
            text(&row.parse_problem),
            // What classification most often decides, so it rewrites only
            // the rows it decides otherwise.
            if row.parse_problem.is_some() { "invalid" } else { "create" },
        ];
        writer.write_record(record)?;
    }
    writer.into_inner().map_err(|e| e.into_error().into())
}

/// Brings the planner's statistics of staged rows up to date once a file is
/// staged. Without them, a batch the statistics have not seen yet is
/// estimated at one row: after an earlier large import, classifying the next
/// one was planned as a nested loop of the batch against itself (100,000²
/// row pairs, hours). A small sample is enough to know a batch's size: 25 ms
/// at 100,000 rows instead of 300 with the default. ANALYZE holds its lock
/// until the preview commits, so concurrent previews take turns from here.
pub async fn refresh_statistics(tx: &mut Transaction<'_, Postgres>) -> sqlx::Result<()> {
    // Local to the transaction, and nothing after it in the transaction
    // reads this setting.
    sqlx::query!("SELECT set_config('default_statistics_target', '10', true)").fetch_one(&mut **tx).await?;
    sqlx::query!("ANALYZE import_row").execute(&mut **tx).await?;
    Ok(())
}

/// A nullable cell for COPY csv: nothing for NULL.
fn text(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or_default()
}

/// Which staged rows [`classify`] looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rows {
    /// Every row that parsed: the preview.
    All,
    /// Only rows that matched someone already in Embark: the apply. A row
    /// that will create a person needs no second look, because what could
    /// have changed for it is guarded by constraints: someone meanwhile
    /// given its email or external ID (unique), or its manager deleted
    /// (foreign key), fails the apply as a whole.
    Matched,
}

/// Matches staged rows against the directory (by external ID, then email,
/// then username),
/// finds what the directory makes wrong with them, and decides what
/// applying each would do. `managers_outside_file` are the manager emails
/// the file's rows name that no row of the file introduces (see
/// `services::import::FileSummary`): only those must already be in Embark.
pub async fn classify(tx: &mut Transaction<'_, Postgres>, batch_id: Uuid, rows: Rows, managers_outside_file: &[String]) -> sqlx::Result<()> {
    // One pass over the rows that parsed: match, find the problem, decide;
    // only rows decided otherwise than they are staged are written, found
    // again by their ctid rather than by joining the batch to itself.
    // `OFFSET 0` keeps PostgreSQL from pulling the problem's CASE up into
    // each place that uses it, which evaluated it three times per row (a
    // quarter of the statement at 100,000 rows).
    sqlx::query!(
        r#"UPDATE import_row r SET account_id = c.account_id, manager_account_id = c.manager_account_id, problem = c.problem, action = c.action
         FROM (SELECT d.*, CASE
           WHEN d.problem IS NOT NULL THEN 'invalid'
           WHEN d.account_id IS NULL THEN 'create'
           WHEN d.differs THEN 'update' ELSE 'unchanged' END::import_action AS action
         FROM (
           SELECT m.ctid AS staged, m.staged_decision, m.matched_id AS account_id, m.found_manager_id AS manager_account_id, CASE
             WHEN m.by_ext IS NOT NULL AND m.by_email IS NOT NULL AND m.by_ext <> m.by_email
               THEN 'The email address belongs to one person in Embark and the external ID to another.'
             WHEN m.by_ext IS NULL AND m.by_email IS NOT NULL AND m.external_id IS NOT NULL AND m.email_owner_ext IS NOT NULL
               THEN 'The person with this email address already has another external ID (' || m.email_owner_ext || ').'
             WHEN m.by_username IS NOT NULL AND coalesce(m.by_ext, m.by_email, m.by_username) <> m.by_username
               THEN 'The username ' || m.username || ' belongs to someone else in Embark.'
             WHEN m.matched_id IS NULL AND m.full_name = '' THEN 'A new person needs a full name.'
             WHEN m.matched_id IS NULL AND m.email IS NULL AND m.username_suggested AND m.external_id IS NULL
               THEN 'A new person without an email address needs a username or an external ID.'
             WHEN m.manager_email_normalized IS NOT NULL AND m.manager_email_normalized = coalesce(m.email_normalized, a.email_normalized)
               THEN 'A person cannot be their own manager.'
             WHEN m.manager_email_normalized IS NOT NULL AND m.found_manager_id IS NULL
                  AND m.manager_email_normalized IN (SELECT unnest($3::text[]))
               THEN 'The manager ' || m.manager_email_normalized || ' is neither in Embark nor in this file.'
             END AS problem,
             a.id IS NOT NULL AND (
                  (m.email IS NOT NULL AND a.email IS DISTINCT FROM m.email)
               OR (m.external_id IS NOT NULL AND a.external_id IS DISTINCT FROM m.external_id)
               OR (m.full_name <> '' AND a.full_name <> m.full_name)
               OR (m.title <> '' AND a.title <> m.title)
               OR (m.department <> '' AND a.department <> m.department)
               OR (m.location <> '' AND a.location <> m.location)
               OR (m.phone <> '' AND a.phone <> m.phone)
               OR (m.sign_in_method IS NOT NULL AND a.sign_in_method <> m.sign_in_method)
               OR (m.username IS NOT NULL AND NOT m.username_suggested AND a.username IS DISTINCT FROM m.username)
               OR (m.manager_email_normalized IS NOT NULL AND NOT EXISTS (
                    SELECT 1 FROM account mm WHERE mm.id = a.manager_id AND mm.email_normalized = m.manager_email_normalized))
               OR EXISTS (SELECT 1 FROM unnest(string_to_array(m.group_keys, chr(31))) k WHERE NOT EXISTS (
                    SELECT 1 FROM group_membership gm JOIN account_group g ON g.id = gm.group_id
                    WHERE gm.account_id = a.id AND g.name_normalized = k))) AS differs
           FROM (
             SELECT s.*, s.ctid, (s.account_id, s.manager_account_id, s.problem, s.action) AS staged_decision,
                    ae.id AS by_email, ax.id AS by_ext, au.id AS by_username, ae.external_id AS email_owner_ext,
                    coalesce(ax.id, ae.id, au.id) AS matched_id,
                    mgr.id AS found_manager_id
             FROM import_row s
             LEFT JOIN account ae ON ae.email_normalized = s.email_normalized
             LEFT JOIN account ax ON ax.external_id = s.external_id
             LEFT JOIN account au ON au.username_normalized = s.username_normalized AND NOT s.username_suggested
             LEFT JOIN account mgr ON mgr.email_normalized = s.manager_email_normalized
             WHERE s.batch_id = $1 AND s.parse_problem IS NULL AND ($2 OR s.account_id IS NOT NULL)
           ) m
           LEFT JOIN account a ON a.id = m.matched_id
           OFFSET 0
         ) d) c
         WHERE r.ctid = c.staged
           AND c.staged_decision IS DISTINCT FROM (c.account_id, c.manager_account_id, c.problem, c.action)"#,
        batch_id,
        rows == Rows::All,
        managers_outside_file,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// How many rows of each action a batch has. Kept in the batch's stored
/// preview (JSON), hence serde.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ActionCounts {
    pub create: i64,
    pub update: i64,
    pub unchanged: i64,
    pub invalid: i64,
}

/// What classification decided for a batch, counted in one pass.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decisions {
    pub counts: ActionCounts,
    /// Rows that matched someone already in Embark.
    pub matched: i64,
    /// The group keys of each row that parsed but classification refused,
    /// joined by [`GROUP_SEPARATOR`]: a group only such rows name is not
    /// created.
    pub refused_rows_group_keys: Vec<String>,
}

pub async fn decisions(executor: impl PgExecutor<'_>, batch_id: Uuid) -> sqlx::Result<Decisions> {
    let row = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE action = 'create') AS "create!", count(*) FILTER (WHERE action = 'update') AS "update!",
                  count(*) FILTER (WHERE action = 'unchanged') AS "unchanged!", count(*) FILTER (WHERE action = 'invalid') AS "invalid!",
                  count(*) FILTER (WHERE account_id IS NOT NULL) AS "matched!",
                  coalesce(array_agg(group_keys) FILTER (WHERE action = 'invalid' AND parse_problem IS NULL AND group_keys <> ''), '{}') AS "refused_rows_group_keys!"
           FROM import_row WHERE batch_id = $1"#,
        batch_id,
    )
    .fetch_one(executor)
    .await?;
    Ok(Decisions {
        counts: ActionCounts { create: row.create, update: row.update, unchanged: row.unchanged, invalid: row.invalid },
        matched: row.matched,
        refused_rows_group_keys: row.refused_rows_group_keys,
    })
}

/// Whether the batch still has its staged rows (a crash empties them all).
pub async fn has_rows(executor: impl PgExecutor<'_>, batch_id: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM import_row WHERE batch_id = $1) AS "exists!""#, batch_id).fetch_one(executor).await
}

/// A group a file names: its normalised key and its name as the file first
/// writes it. Kept in the batch's stored preview (JSON), hence serde.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NamedGroup {
    pub key: String,
    pub name: String,
}

fn keys_and_names(groups: &[NamedGroup]) -> (Vec<String>, Vec<String>) {
    groups.iter().map(|g| (g.key.clone(), g.name.clone())).unzip()
}

/// Which of `groups` do not exist yet, by name, alphabetically by key.
pub async fn new_group_names(executor: impl PgExecutor<'_>, groups: &[NamedGroup]) -> sqlx::Result<Vec<String>> {
    let (keys, names) = keys_and_names(groups);
    sqlx::query_scalar!(
        r#"SELECT name AS "name!" FROM unnest($1::text[], $2::text[]) AS g(key, name)
           WHERE NOT EXISTS (SELECT 1 FROM account_group ag WHERE ag.name_normalized = g.key) ORDER BY key"#,
        &keys,
        &names,
    )
    .fetch_all(executor)
    .await
}

/// One row that will not be applied, and why.
#[derive(Debug, Clone)]
pub struct InvalidRow {
    pub line: i32,
    pub label: String,
    pub problem: String,
}

/// Invalid rows in file order; `limit` None for all (the error report).
pub async fn invalid_rows(executor: impl PgExecutor<'_>, batch_id: Uuid, limit: Option<i64>) -> sqlx::Result<Vec<InvalidRow>> {
    sqlx::query_as!(
        InvalidRow,
        r#"SELECT line, label, coalesce(parse_problem, problem, '') AS "problem!" FROM import_row
           WHERE batch_id = $1 AND action = 'invalid' ORDER BY line LIMIT $2"#,
        batch_id,
        limit,
    )
    .fetch_all(executor)
    .await
}

/// Where an import batch stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "import_state", rename_all = "snake_case")]
pub enum ImportState {
    Previewed,
    Applied,
    Discarded,
}

#[derive(Debug, Clone)]
pub struct BatchRow {
    pub file_name: String,
    pub state: ImportState,
    pub preview: serde_json::Value,
    pub result: serde_json::Value,
}

pub async fn find_batch(executor: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<BatchRow>> {
    sqlx::query_as!(BatchRow, r#"SELECT file_name, state AS "state: ImportState", preview, result FROM import_batch WHERE id = $1"#, id)
        .fetch_optional(executor)
        .await
}

/// Locks a previewed batch for applying; None when it is gone or was
/// already applied. Returns its file name and stored preview.
pub async fn lock_previewed(tx: &mut Transaction<'_, Postgres>, id: Uuid) -> sqlx::Result<Option<(String, serde_json::Value)>> {
    let row =
        sqlx::query!("SELECT file_name, preview FROM import_batch WHERE id = $1 AND state = 'previewed' FOR UPDATE", id).fetch_optional(&mut **tx).await?;
    Ok(row.map(|row| (row.file_name, row.preview)))
}

pub async fn save_preview(tx: &mut Transaction<'_, Postgres>, id: Uuid, preview: serde_json::Value) -> sqlx::Result<()> {
    sqlx::query!("UPDATE import_batch SET preview = $2 WHERE id = $1", id, preview).execute(&mut **tx).await?;
    Ok(())
}

pub async fn mark_applied(tx: &mut Transaction<'_, Postgres>, id: Uuid, result: serde_json::Value, now: OffsetDateTime) -> sqlx::Result<()> {
    sqlx::query!("UPDATE import_batch SET state = 'applied', applied_at = $3, result = $2 WHERE id = $1", id, result, now).execute(&mut **tx).await?;
    Ok(())
}

/// Creates the batch's new accounts (uninvited) and updates the matched ones:
/// a non-empty cell replaces the stored value, an empty cell keeps it.
/// `in_directory`: the batch is a directory sync, whose people it links to
/// the directory (see [`link_to_directory`]).
pub async fn apply_people(tx: &mut Transaction<'_, Postgres>, batch_id: Uuid, in_directory: bool, now: OffsetDateTime) -> sqlx::Result<()> {
    // Usernames made from names become unique: the first of a name keeps
    // it when nobody has it, the others get the next numbers after the
    // highest one in use ("ada.lovelace", "ada.lovelace2", …).
    sqlx::query!(
        r#"UPDATE import_row r SET username = f.username, username_normalized = lower(f.username)
           FROM (
             SELECT s.staged, CASE WHEN t.top IS NULL AND s.rn = 1 THEN s.username
                                   WHEN t.top IS NULL THEN s.username || s.rn
                                   ELSE s.username || (t.top + s.rn) END AS username
             FROM (SELECT ctid AS staged, username, username_normalized,
                          row_number() OVER (PARTITION BY username_normalized ORDER BY line) AS rn
                   FROM import_row WHERE batch_id = $1 AND action = 'create' AND username_suggested) s
             LEFT JOIN (
               SELECT b.base, max(CASE WHEN a.username_normalized = b.base THEN 1
                                       ELSE substring(a.username_normalized FROM length(b.base) + 1)::bigint END) AS top
               FROM (SELECT DISTINCT username_normalized AS base FROM import_row
                     WHERE batch_id = $1 AND action = 'create' AND username_suggested) b
               JOIN account a ON starts_with(a.username_normalized, b.base)
                             AND substring(a.username_normalized FROM length(b.base) + 1) ~ '^[0-9]{0,9}$'
               GROUP BY b.base
             ) t ON t.base = s.username_normalized
           ) f
           WHERE r.ctid = f.staged"#,
        batch_id,
    )
    .execute(&mut **tx)
    .await?;
    // Managers are set in the same statements: someone already in Embark
    // (found by classification), or someone this file adds (the foreign key
    // is checked once the whole statement has run).
    sqlx::query!(
        "INSERT INTO account (id, status, role, email, email_normalized, external_id, username, username_normalized, full_name, title, \
         department, location, phone, manager_id, sign_in_method, in_directory, created_at, updated_at) \
         SELECT r.new_id, 'uninvited', 'employee', r.email, r.email_normalized, r.external_id, \
                r.username, r.username_normalized, \
                r.full_name, r.title, r.department, r.location, r.phone, coalesce(r.manager_account_id, mr.new_id), \
                coalesce(r.sign_in_method, 'password'), $3, $2, $2 \
         FROM import_row r \
         LEFT JOIN import_row mr ON mr.batch_id = r.batch_id AND mr.email_normalized = r.manager_email_normalized AND mr.action = 'create' \
         WHERE r.batch_id = $1 AND r.action = 'create'",
        batch_id,
        now,
        in_directory,
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query!(
        "UPDATE account a SET \
           email = coalesce(u.email, a.email), email_normalized = coalesce(u.email_normalized, a.email_normalized), \
           external_id = coalesce(u.external_id, a.external_id), \
           full_name = CASE WHEN u.full_name <> '' THEN u.full_name ELSE a.full_name END, \
           title = CASE WHEN u.title <> '' THEN u.title ELSE a.title END, \
           department = CASE WHEN u.department <> '' THEN u.department ELSE a.department END, \
           location = CASE WHEN u.location <> '' THEN u.location ELSE a.location END, \
           phone = CASE WHEN u.phone <> '' THEN u.phone ELSE a.phone END, \
           manager_id = coalesce(u.manager_id, a.manager_id), \
           sign_in_method = coalesce(u.sign_in_method, a.sign_in_method), \
           username = CASE WHEN u.username IS NOT NULL AND NOT u.username_suggested THEN u.username ELSE a.username END, \
           username_normalized = CASE WHEN u.username IS NOT NULL AND NOT u.username_suggested THEN u.username_normalized ELSE a.username_normalized END, \
           updated_at = $2 \
         FROM ( \
           SELECT r.*, coalesce(r.manager_account_id, mr.new_id) AS manager_id FROM import_row r \
           LEFT JOIN import_row mr ON mr.batch_id = r.batch_id AND mr.email_normalized = r.manager_email_normalized AND mr.action = 'create' \
           WHERE r.batch_id = $1 AND r.action = 'update' \
         ) u WHERE a.id = u.account_id",
        batch_id,
        now,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Creates those of `groups` (what the batch's applied rows name) that do
/// not exist yet, closed and not suggested (an admin decides who may find
/// them), and adds the batch's memberships.
pub async fn apply_groups(tx: &mut Transaction<'_, Postgres>, batch_id: Uuid, groups: &[NamedGroup], now: OffsetDateTime) -> sqlx::Result<()> {
    let (keys, names) = keys_and_names(groups);
    sqlx::query!(
        "INSERT INTO account_group (id, name, name_normalized, is_open, suggested_at_claim, created_at, updated_at) \
         SELECT gen_random_uuid(), name, key, false, false, $3, $3 FROM unnest($1::text[], $2::text[]) AS g(key, name) \
         ON CONFLICT (name_normalized) DO NOTHING",
        &keys,
        &names,
        now,
    )
    .execute(&mut **tx)
    .await?;
    // An anti-join rather than ON CONFLICT: plain inserts are much cheaper
    // than speculative ones, and new people have no memberships.
    sqlx::query!(
        "INSERT INTO group_membership (group_id, account_id, added_at) \
         SELECT g.id, coalesce(r.account_id, r.new_id), $2 \
         FROM import_row r CROSS JOIN LATERAL unnest(string_to_array(r.group_keys, chr(31))) AS k(key) JOIN account_group g ON g.name_normalized = k.key \
         WHERE r.batch_id = $1 AND r.action IN ('create', 'update') \
           AND (r.account_id IS NULL OR NOT EXISTS ( \
                SELECT 1 FROM group_membership m WHERE m.group_id = g.id AND m.account_id = r.account_id))",
        batch_id,
        now,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One audit row per created or updated account, naming the batch (whose
/// own `import.applied` row names the file). A new person's label comes from
/// the file: only updated people (usually few) are looked up. The details are
/// the same for every row, built once: a JSON object built per row was a
/// quarter of the statement at 100,000 rows.
pub async fn audit_rows(tx: &mut Transaction<'_, Postgres>, batch_id: Uuid, actor: &Actor, now: OffsetDateTime) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO audit_event (occurred_at, actor_id, actor_label, action, target_kind, target_id, target_label, details) \
         SELECT $2, $3, $4, CASE r.action WHEN 'create' THEN 'account.created' ELSE 'account.updated' END::audit_action, 'account', \
                coalesce(r.account_id, r.new_id), \
                CASE WHEN r.account_id IS NULL THEN r.full_name || coalesce(' <' || r.email || '>', '') \
                     ELSE (SELECT a.full_name || coalesce(' <' || a.email || '>', '') FROM account a WHERE a.id = r.account_id) END, \
                $5 \
         FROM import_row r \
         WHERE r.batch_id = $1 AND r.action IN ('create', 'update')",
        batch_id,
        now,
        actor.id.map(|id| id.0),
        actor.label,
        serde_json::json!({ "import": batch_id }),
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Every account the batch's valid rows name, for "Invite now".
pub async fn account_ids(tx: &mut Transaction<'_, Postgres>, batch_id: Uuid) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar!(r#"SELECT coalesce(account_id, new_id) AS "id!" FROM import_row WHERE batch_id = $1 AND action <> 'invalid'"#, batch_id)
        .fetch_all(&mut **tx)
        .await
}

/// The people a new batch created, for a directory that invites
/// automatically.
pub async fn created_account_ids(tx: &mut Transaction<'_, Postgres>, batch_id: Uuid) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar!("SELECT new_id FROM import_row WHERE batch_id = $1 AND action = 'create'", batch_id).fetch_all(&mut **tx).await
}

/// Marks the people a directory sync matched as coming from the directory
/// (those it created already are): from now on, leaving it is noticed.
pub async fn link_to_directory(tx: &mut Transaction<'_, Postgres>, batch_id: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE account a SET in_directory = true FROM import_row r \
         WHERE r.batch_id = $1 AND r.action IN ('update', 'unchanged') AND a.id = r.account_id AND NOT a.in_directory",
        batch_id,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Someone a directory sync provided whom this sync no longer finds.
#[derive(Debug, Clone)]
pub struct Departure {
    pub id: AccountId,
    pub full_name: String,
    pub email: Option<String>,
    pub role: Role,
}

/// The people who came from the directory, are not deactivated, and whom
/// none of the batch's rows names, by name. Classification gave every row
/// that parsed the account it matched; a refused row (a problem of its own,
/// or a clash between two people) still says its people are there, by
/// email or external ID. The refused rows are few, so they are read once
/// and matched by hashing rather than walking the staged rows three times.
pub async fn departures(executor: impl PgExecutor<'_>, batch_id: Uuid) -> sqlx::Result<Vec<Departure>> {
    sqlx::query_as!(
        Departure,
        r#"WITH refused AS MATERIALIZED (
             SELECT email_normalized, external_id FROM import_row WHERE batch_id = $1 AND action = 'invalid')
           SELECT a.id AS "id: AccountId", a.full_name, a.email, a.role AS "role: Role"
           FROM account a
           WHERE a.in_directory AND a.status <> 'deactivated'
             AND NOT EXISTS (SELECT 1 FROM import_row r WHERE r.batch_id = $1 AND r.account_id = a.id)
             AND NOT EXISTS (SELECT 1 FROM refused r WHERE r.email_normalized = a.email_normalized)
             AND NOT EXISTS (SELECT 1 FROM refused r WHERE r.external_id = a.external_id)
           ORDER BY lower(a.full_name), a.id"#,
        batch_id,
    )
    .fetch_all(executor)
    .await
}
