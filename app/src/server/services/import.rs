//! Provisioning people from a spreadsheet: read and check the whole file
//! into a staged preview (nothing in the directory changes), then apply it in
//! one transaction, wholly or not at all, optionally inviting everyone it
//! names.

use crate::api::import::{Applied, DirectorySyncView, ImportView, InvalidLine, LeavingPerson};
use crate::domain::{
    normalize_identifier, optional_line, AccountId, Actor, AuditAction, AuditTarget, DirectoryDeparture, EmailAddress, PersonName, Role, SignInMethod,
    SyncRules, Username,
};
use crate::error::AppError;
use crate::server::db::audit::{self, AuditEvent};
use crate::server::db::directory;
use crate::server::db::imports::{self, ActionCounts, ImportState, NamedGroup, StagedRow, GROUP_SEPARATOR};
use crate::server::services::lifecycle::{self, BulkSource, Invitation, InviteScope};
use crate::server::services::search_index;
use crate::server::spreadsheet::{self, Format, SheetError, PEOPLE_FILE_TYPES};
use crate::server::{context, AppState};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use time::OffsetDateTime;
use uuid::Uuid;

/// The columns of an import file, in template order.
pub const COLUMNS: [&str; 11] =
    ["Email", "External ID", "Full name", "Title", "Department", "Location", "Phone", "Manager email", "Groups", "Sign-in method", "Username"];

/// The columns a People export adds after [`COLUMNS`]: where each person
/// stands and their claim link. An import reads past them, so an export can
/// be edited and imported back.
pub const EXPORT_COLUMNS: [&str; 6] = ["Status", "Invited at", "Claimed at", "Claim link", "Link expires", "Access code"];

/// A directory sync's rows name their entry (its DN) in this column, which
/// then labels the row in the preview and the error report instead of its
/// email or external ID. Read, but not offered in the template.
pub const DIRECTORY_ENTRY_COLUMN: &str = "Directory entry";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Column {
    Email,
    ExternalId,
    FullName,
    Title,
    Department,
    Location,
    Phone,
    ManagerEmail,
    Groups,
    SignInMethod,
    Username,
    DirectoryEntry,
}

impl Column {
    const ALL: [Column; 11] = [
        Self::Email,
        Self::ExternalId,
        Self::FullName,
        Self::Title,
        Self::Department,
        Self::Location,
        Self::Phone,
        Self::ManagerEmail,
        Self::Groups,
        Self::SignInMethod,
        Self::Username,
    ];

    /// Header cells are matched ignoring case, spaces, `_` and `-`.
    pub(crate) fn from_header(cell: &str) -> Option<Self> {
        let key = |name: &str| name.chars().filter(|c| !matches!(c, ' ' | '_' | '-')).collect::<String>().to_lowercase();
        let wanted = key(cell);
        if wanted == key(DIRECTORY_ENTRY_COLUMN) {
            return Some(Self::DirectoryEntry);
        }
        Self::ALL.into_iter().zip(COLUMNS).find(|(_, name)| key(name) == wanted).map(|(c, _)| c)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Sheet(#[from] SheetError),
    #[error(
        "The first row must name the columns, and it needs an “Email”, “External ID” or “Username” column. Download the template to see the expected layout."
    )]
    NoIdentifierColumn,
    #[error("The column “{0}” is not one Embark knows. The columns are: {list}.", list = COLUMNS.join(", "))]
    UnknownColumn(String),
    #[error("The column “{0}” appears twice in the header row.")]
    RepeatedColumn(String),
    #[error("The file has a header row but no people.")]
    NoRows,
    #[error("This preview is no longer available (it was applied, more than a day has passed, or the server restarted unexpectedly). Upload the file again.")]
    Gone,
    #[error("The directory changed since the preview: {0}. Upload the file again to see the new preview.")]
    Changed(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for ImportError {
    fn from(error: sqlx::Error) -> Self {
        if let Some(constraint) = crate::server::db::unique_violation(&error) {
            return Self::Changed(format!("another change took an email address or external ID in this file ({constraint})"));
        }
        if let Some(constraint) = crate::server::db::foreign_key_violation(&error) {
            let gone = match constraint.as_str() {
                "account_manager_id_fkey" => "a manager this file names was deleted",
                "group_membership_group_id_fkey" => "a group this file names was deleted",
                _ => "a person this file names was deleted",
            };
            return Self::Changed(gone.to_owned());
        }
        Self::Unexpected(error.into())
    }
}

impl From<ImportError> for AppError {
    fn from(error: ImportError) -> Self {
        match error {
            ImportError::Gone => context::not_found(),
            ImportError::Unexpected(e) => context::internal(e),
            refused => context::refused(refused.to_string()),
        }
    }
}

/// The invalid rows a preview lists on the page; the error report has all.
pub const INVALID_ROWS_SHOWN: i64 = 100;

/// Reads, checks and stages `bytes`, then classifies every row against the
/// directory. Changes nothing in the directory.
pub async fn preview(state: &AppState, file_name: &str, bytes: Vec<u8>, actor: &Actor, now: OffsetDateTime) -> Result<Uuid, ImportError> {
    stage(state, file_name, file_name, bytes, None, actor, now).await
}

/// [`preview`] of a directory sync: the directory's people written as CSV
/// rows, shown under `label` instead of a file name. The preview also lists
/// who left the directory, and applying it follows `rules`.
pub async fn preview_directory_rows(
    state: &AppState,
    label: &str,
    csv: Vec<u8>,
    rules: SyncRules,
    actor: &Actor,
    now: OffsetDateTime,
) -> Result<Uuid, ImportError> {
    stage(state, label, "rows.csv", csv, Some(rules), actor, now).await
}

/// The people leaving the directory a preview names; the count has all.
pub const LEAVING_SHOWN: usize = 100;

/// `label` names the batch on its page; `file_name` says how to read `bytes`.
async fn stage(
    state: &AppState,
    label: &str,
    file_name: &str,
    bytes: Vec<u8>,
    directory: Option<SyncRules>,
    actor: &Actor,
    now: OffsetDateTime,
) -> Result<Uuid, ImportError> {
    let mut steps = crate::server::timing::Steps::start("import preview");
    let batch_id = Uuid::now_v7();
    imports::delete_stale(&state.pool, now).await?;
    let mut tx = state.pool.begin().await?;
    imports::create_batch(&mut tx, batch_id, label, actor.id, now).await?;
    // Parsing is CPU work, kept off the request threads. The parsing thread
    // also encodes its rows for the staging COPY, chunk by chunk, so the
    // file is read and PostgreSQL stores it at the same time. A problem
    // found part-way aborts the COPY: nothing staged.
    let (chunks, mut encoded) = tokio::sync::mpsc::channel::<Vec<u8>>(2);
    let name = file_name.to_owned();
    let parsing = tokio::task::spawn_blocking(move || {
        let mut encoding_failure = None;
        let summary = parse_file_in_chunks(&name, &bytes, |chunk| match imports::encode_for_staging(batch_id, &chunk) {
            Ok(encoded) => chunks.blocking_send(encoded).is_ok(),
            Err(error) => {
                encoding_failure = Some(error);
                false
            }
        });
        match encoding_failure {
            Some(error) => Err(ImportError::Unexpected(error.into())),
            None => summary,
        }
    });
    let mut copy = imports::start_staging(&mut tx).await?;
    while let Some(chunk) = encoded.recv().await {
        copy.send(chunk).await?;
    }
    let summary = match parsing.await.map_err(anyhow::Error::from)? {
        Ok(summary) => summary,
        Err(problem) => {
            copy.abort("the file was refused").await?;
            return Err(problem);
        }
    };
    copy.finish().await?;
    steps.lap("parse and stage");
    imports::refresh_statistics(&mut tx).await?;
    imports::classify(&mut tx, batch_id, imports::Rows::All, &summary.managers_outside_file).await?;
    steps.lap("classify");
    let decisions = imports::decisions(&mut *tx, batch_id).await?;
    let groups = summary.groups_of_applied_rows(&decisions.refused_rows_group_keys);
    let new_groups = imports::new_group_names(&mut *tx, &groups).await?;
    steps.lap("count and find new groups");
    let directory = match directory {
        Some(rules) => Some(directory_plan(rules, imports::departures(&mut *tx, batch_id).await?)),
        None => None,
    };
    let stored = StoredPreview {
        counts: decisions.counts,
        new_groups,
        matched: decisions.matched,
        groups,
        managers_outside_file: summary.managers_outside_file,
        directory,
    };
    imports::save_preview(&mut tx, batch_id, json!(stored)).await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    steps.lap("commit");
    steps.log(summary.rows);
    Ok(batch_id)
}

/// What a preview found, kept with the batch so that neither the preview
/// page nor the apply reads 100,000 rows again to know it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct StoredPreview {
    counts: ActionCounts,
    new_groups: Vec<String>,
    /// Rows that matched someone already in Embark: only those are looked
    /// at again when applying.
    matched: i64,
    /// Every group the rows to apply name, existing or not.
    groups: Vec<NamedGroup>,
    managers_outside_file: Vec<String>,
    /// A directory sync's departures and rules.
    #[serde(default)]
    directory: Option<DirectorySyncView>,
}

/// What applying a directory sync does beyond the import: who leaves, and
/// whether they are deactivated. People with an admin role are only ever
/// reported: a sync does not take the admin panel away from anyone.
fn directory_plan(rules: SyncRules, departures: Vec<imports::Departure>) -> DirectorySyncView {
    let deactivates = rules.departures == DirectoryDeparture::Deactivate;
    let deactivated = |person: &imports::Departure| deactivates && person.role == Role::Employee;
    DirectorySyncView {
        deactivates,
        invites_new: rules.invite_automatically,
        leaving: i64::try_from(departures.len()).unwrap_or(i64::MAX),
        deactivating: i64::try_from(departures.iter().filter(|p| deactivated(p)).count()).unwrap_or(i64::MAX),
        leaving_shown: departures
            .iter()
            .take(LEAVING_SHOWN)
            .map(|person| LeavingPerson { name: person.full_name.clone(), email: person.email.clone(), deactivated: deactivated(person) })
            .collect(),
    }
}

impl StoredPreview {
    /// A preview saved by another version of Embark is uploaded again.
    fn read(value: serde_json::Value) -> Result<Self, ImportError> {
        serde_json::from_value(value).map_err(|_| ImportError::Gone)
    }
}

/// A staged batch's preview, or what applying it did.
pub async fn load(state: &AppState, batch_id: Uuid) -> Result<ImportView, ImportError> {
    let batch = imports::find_batch(&state.pool, batch_id).await?.ok_or(ImportError::Gone)?;
    let StoredPreview { counts, new_groups, directory, .. } = StoredPreview::read(batch.preview)?;
    let invalid_lines = imports::invalid_rows(&state.pool, batch_id, Some(INVALID_ROWS_SHOWN))
        .await?
        .into_iter()
        .map(|r| InvalidLine { line: r.line, label: r.label, problem: r.problem })
        .collect();
    let applied = (batch.state == ImportState::Applied).then(|| serde_json::from_value(batch.result).ok()).flatten();
    Ok(ImportView {
        id: batch_id,
        file_name: batch.file_name,
        new: counts.create,
        updated: counts.update,
        unchanged: counts.unchanged,
        invalid: counts.invalid,
        new_groups,
        invalid_lines,
        applied,
        directory,
    })
}

/// Every invalid row of a batch as CSV: line, identifier, problem; for a
/// directory sync, the entry's DN and the problem.
pub async fn error_report(state: &AppState, batch_id: Uuid) -> Result<(String, Vec<u8>), ImportError> {
    let batch = imports::find_batch(&state.pool, batch_id).await?.ok_or(ImportError::Gone)?;
    let is_sync = StoredPreview::read(batch.preview)?.directory.is_some();
    let rows = imports::invalid_rows(&state.pool, batch_id, None).await?;
    let mut writer = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let write = |writer: &mut csv::Writer<Vec<u8>>, record: &[&str]| writer.write_record(record.iter().map(|cell| spreadsheet::formula_safe(cell)));
    // A sync's entries are named by their DN; the line of the sheet Embark
    // built from them would mean nothing to the admin.
    let header: &[&str] = if is_sync { &[DIRECTORY_ENTRY_COLUMN, "Problem"] } else { &["Line", "Email or External ID", "Problem"] };
    write(&mut writer, header).map_err(anyhow::Error::from)?;
    for row in &rows {
        let line = row.line.to_string();
        let record: &[&str] = if is_sync { &[&row.label, &row.problem] } else { &[&line, &row.label, &row.problem] };
        write(&mut writer, record).map_err(anyhow::Error::from)?;
    }
    let bytes = writer.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
    let stem = batch.file_name.rsplit_once('.').map_or(batch.file_name.as_str(), |(stem, _)| stem).to_owned();
    Ok((format!("{stem}-problems.csv"), bytes))
}

/// Applies a previewed batch in one transaction: creates and updates people,
/// groups and managers, and with an invitation invites every uninvited
/// person the file names. If the directory changed so that the preview no
/// longer holds, nothing is applied.
pub async fn apply(state: &AppState, batch_id: Uuid, invitation: Option<&Invitation>, actor: &Actor, now: OffsetDateTime) -> Result<Applied, ImportError> {
    let mut steps = crate::server::timing::Steps::start("import apply");
    let mut tx = state.pool.begin().await?;
    let (file_name, previewed) = imports::lock_previewed(&mut tx, batch_id).await?.ok_or(ImportError::Gone)?;
    let previewed = StoredPreview::read(previewed)?;
    // Staged rows are not crash-safe (an unlogged table, emptied when
    // PostgreSQL recovers from a crash): a preview that lost them is gone,
    // never applied as an empty file.
    if !imports::has_rows(&mut *tx, batch_id).await? {
        return Err(ImportError::Gone);
    }
    // Rows that will create people need no second look: what could have
    // changed for them is guarded by constraints (see `imports::Rows`).
    let counts = if previewed.matched > 0 {
        imports::classify(&mut tx, batch_id, imports::Rows::Matched, &previewed.managers_outside_file).await?;
        imports::decisions(&mut *tx, batch_id).await?.counts
    } else {
        previewed.counts
    };
    steps.lap("classify matched rows again");
    let groups = previewed.groups;
    let directory = previewed.directory;
    let previewed = previewed.counts;
    if counts.invalid > previewed.invalid || counts.create > previewed.create {
        return Err(ImportError::Changed(format!(
            "{} rows can no longer be applied and {} people are now new",
            counts.invalid.saturating_sub(previewed.invalid).max(0),
            counts.create.saturating_sub(previewed.create).max(0)
        )));
    }
    // Who left is known before the new people exist.
    let leaving = match &directory {
        Some(plan) if plan.deactivates => {
            let leaving: Vec<uuid::Uuid> =
                imports::departures(&mut *tx, batch_id).await?.into_iter().filter(|p| p.role == Role::Employee).map(|p| p.id.0).collect();
            if i64::try_from(leaving.len()).unwrap_or(i64::MAX) > plan.deactivating {
                return Err(ImportError::Changed(format!("{} people would now be deactivated, not {}", leaving.len(), plan.deactivating)));
            }
            leaving
        }
        _ => Vec::new(),
    };
    imports::apply_people(&mut tx, batch_id, directory.is_some(), now).await?;
    steps.lap("people");
    imports::apply_groups(&mut tx, batch_id, &groups, now).await?;
    steps.lap("groups");
    imports::audit_rows(&mut tx, batch_id, actor, now).await?;
    steps.lap("audit");
    let mut deactivated = 0;
    if directory.is_some() {
        imports::link_to_directory(&mut tx, batch_id).await?;
        // Anyone deactivated by someone else meanwhile is skipped.
        let count = lifecycle::deactivate_employees_in(&mut tx, &leaving, actor, now).await.map_err(|e| anyhow::anyhow!(e))?;
        deactivated = i64::try_from(count).unwrap_or(i64::MAX);
        directory::mark_applied(&mut tx, now).await?;
        steps.lap("directory links and departures");
    }
    let invited = match (invitation, &directory) {
        (Some(invitation), _) => {
            let ids = imports::account_ids(&mut tx, batch_id).await?;
            let scope = InviteScope::Selected { source: BulkSource::Import(batch_id), ids: &ids };
            lifecycle::invite_many_in(state, &mut tx, scope, invitation, actor, now).await.map_err(|e| anyhow::anyhow!(e))?
        }
        // A directory that invites automatically invites the people it adds.
        (None, Some(plan)) if plan.invites_new => {
            let ids = imports::created_account_ids(&mut tx, batch_id).await?;
            let scope = InviteScope::Selected { source: BulkSource::Import(batch_id), ids: &ids };
            lifecycle::invite_many_in(state, &mut tx, scope, &Invitation::default(), actor, now).await.map_err(|e| anyhow::anyhow!(e))?
        }
        _ => 0,
    };
    let applied = Applied { created: counts.create, updated: counts.update, invited: i64::try_from(invited).unwrap_or(i64::MAX), deactivated };
    let mut details = json!({ "created": applied.created, "updated": applied.updated, "invited": applied.invited, "skipped": counts.invalid });
    let action = match &directory {
        Some(plan) => {
            details["unchanged"] = json!(counts.unchanged);
            details["left_directory"] = json!(plan.leaving);
            details["deactivated"] = json!(deactivated);
            AuditAction::DirectorySynced
        }
        None => AuditAction::ImportApplied,
    };
    let target = AuditTarget::import(batch_id, &file_name);
    audit::record(&mut *tx, AuditEvent { actor, action, target: &target, details, now }).await?;
    imports::mark_applied(&mut tx, batch_id, json!(applied), now).await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    steps.lap("invite and commit");
    steps.log(usize::try_from(applied.created + applied.updated).unwrap_or(0));
    search_index::catch_up_in_background(&state.pool);
    Ok(applied)
}

/// Reads a whole file into staged rows: file-level problems stop it; row
/// problems (bad cells, repeats of an earlier row) are kept with their line.
pub fn parse_file(file_name: &str, bytes: &[u8]) -> Result<Vec<StagedRow>, ImportError> {
    let mut all = Vec::new();
    parse_file_in_chunks(file_name, bytes, |mut chunk| {
        all.append(&mut chunk);
        true
    })?;
    Ok(all)
}

/// Rows handed over at a time by [`parse_file_in_chunks`].
const PARSE_CHUNK: usize = 10_000;

/// What the parser learns about a whole file besides its rows, so that
/// PostgreSQL need not work it out again from 100,000 staged rows. Only rows
/// without a problem of their own count.
#[derive(Debug, Default)]
pub struct FileSummary {
    pub rows: usize,
    /// Manager emails the rows name that no row introduces.
    pub managers_outside_file: Vec<String>,
    /// Every group the rows name, in the order the file first names them.
    pub groups: Vec<NamedGroup>,
    /// How many rows name each group, by key.
    rows_naming_group: HashMap<String, usize>,
}

impl FileSummary {
    /// The groups without those that only rows refused by classification
    /// name (`refused_rows_group_keys`: such rows' keys, joined): applying
    /// would create those for nobody.
    pub fn groups_of_applied_rows(&self, refused_rows_group_keys: &[String]) -> Vec<NamedGroup> {
        let mut refusals: HashMap<&str, usize> = HashMap::new();
        for key in refused_rows_group_keys.iter().flat_map(|keys| keys.split(GROUP_SEPARATOR)) {
            *refusals.entry(key).or_default() += 1;
        }
        self.groups
            .iter()
            .filter(|group| {
                let naming = self.rows_naming_group.get(&group.key).copied().unwrap_or_default();
                refusals.get(group.key.as_str()).is_none_or(|refused| *refused < naming)
            })
            .cloned()
            .collect()
    }
}

/// [`parse_file`], handing the rows to `sink` [`PARSE_CHUNK`] at a time as
/// they are read, so they can be staged while the rest of the file is
/// parsed. `sink` returns false to stop. After an error, the chunks already
/// handed over are not a whole file.
pub fn parse_file_in_chunks(file_name: &str, bytes: &[u8], mut sink: impl FnMut(Vec<StagedRow>) -> bool) -> Result<FileSummary, ImportError> {
    let format = Format::detect(file_name, bytes, PEOPLE_FILE_TYPES)?;
    let mut columns: Option<Vec<Option<Column>>> = None;
    let mut header_problem: Option<ImportError> = None;
    let mut rows = Vec::with_capacity(PARSE_CHUNK);
    let mut total = 0;
    let mut stopped = false;
    let mut seen_emails: HashMap<String, usize> = HashMap::new();
    let mut seen_external_ids: HashMap<String, usize> = HashMap::new();
    let mut seen_usernames: HashMap<String, usize> = HashMap::new();
    let mut summary = FileSummary::default();
    let mut managers: HashSet<String> = HashSet::new();
    spreadsheet::for_each_row(format, bytes, |line, cells| {
        if header_problem.is_some() || stopped {
            return;
        }
        let Some(columns) = &columns else {
            match map_header(&cells) {
                Ok(mapped) => columns = Some(mapped),
                Err(problem) => header_problem = Some(problem),
            }
            return;
        };
        let row = parse_row(columns, &cells);
        let mut problem = row.problem.clone();
        if problem.is_none() {
            if let Some(email) = &row.email_normalized {
                if let Some(first) = seen_emails.get(email) {
                    problem = Some(format!("Repeats the email address of line {first}."));
                }
            }
        }
        if problem.is_none() {
            if let Some(external_id) = &row.external_id {
                if let Some(first) = seen_external_ids.get(external_id) {
                    problem = Some(format!("Repeats the external ID of line {first}."));
                }
            }
        }
        if problem.is_none() {
            if let Some(username) = row.username.as_ref().filter(|_| !row.username_suggested) {
                if let Some(first) = seen_usernames.get(&username.normalized()) {
                    problem = Some(format!("Repeats the username of line {first}."));
                }
            }
        }
        if problem.is_none() {
            if let Some(email) = &row.email_normalized {
                seen_emails.insert(email.clone(), line);
            }
            if let Some(username) = row.username.as_ref().filter(|_| !row.username_suggested) {
                seen_usernames.insert(username.normalized(), line);
            }
            if let Some(external_id) = &row.external_id {
                seen_external_ids.insert(external_id.clone(), line);
            }
            if let Some(manager) = &row.manager {
                if !managers.contains(manager) {
                    managers.insert(manager.clone());
                }
            }
            for (key, name) in row.group_keys.iter().zip(&row.group_names) {
                match summary.rows_naming_group.get_mut(key) {
                    Some(rows) => *rows += 1,
                    None => {
                        summary.rows_naming_group.insert(key.clone(), 1);
                        summary.groups.push(NamedGroup { key: key.clone(), name: name.clone() });
                    }
                }
            }
        }
        rows.push(StagedRow {
            line: i32::try_from(line).unwrap_or(i32::MAX),
            label: row.label,
            email: row.email,
            email_normalized: row.email_normalized,
            external_id: row.external_id,
            full_name: row.full_name,
            title: row.title,
            department: row.department,
            location: row.location,
            phone: row.phone,
            manager_normalized: row.manager,
            sign_in_method: row.sign_in_method,
            username_normalized: row.username.as_ref().map(Username::normalized),
            username: row.username.map(|u| u.as_ref().to_owned()),
            username_suggested: row.username_suggested,
            group_names: row.group_names.join(&GROUP_SEPARATOR.to_string()),
            group_keys: row.group_keys.join(&GROUP_SEPARATOR.to_string()),
            new_id: AccountId::new().0,
            parse_problem: problem,
        });
        total += 1;
        if rows.len() == PARSE_CHUNK {
            stopped = !sink(std::mem::replace(&mut rows, Vec::with_capacity(PARSE_CHUNK)));
        }
    })?;
    if let Some(problem) = header_problem {
        return Err(problem);
    }
    if columns.is_none() {
        return Err(SheetError::Empty.into());
    }
    if total == 0 {
        return Err(ImportError::NoRows);
    }
    if !rows.is_empty() && !stopped {
        sink(rows);
    }
    summary.rows = total;
    summary.managers_outside_file = managers.into_iter().filter(|manager| !seen_emails.contains_key(manager)).collect();
    summary.managers_outside_file.sort_unstable();
    Ok(summary)
}

fn map_header(cells: &[String]) -> Result<Vec<Option<Column>>, ImportError> {
    let mut mapped = Vec::with_capacity(cells.len());
    for cell in cells {
        let cell = cell.trim();
        if cell.is_empty() || EXPORT_COLUMNS.iter().any(|exported| exported.eq_ignore_ascii_case(cell)) {
            mapped.push(None);
            continue;
        }
        let column = Column::from_header(cell).ok_or_else(|| ImportError::UnknownColumn(cell.to_owned()))?;
        if mapped.contains(&Some(column)) {
            return Err(ImportError::RepeatedColumn(cell.to_owned()));
        }
        mapped.push(Some(column));
    }
    if !mapped.iter().any(|c| matches!(c, Some(Column::Email | Column::ExternalId | Column::Username))) {
        return Err(ImportError::NoIdentifierColumn);
    }
    Ok(mapped)
}

#[derive(Debug, Default)]
struct ParsedRow {
    label: String,
    email: Option<String>,
    email_normalized: Option<String>,
    external_id: Option<String>,
    full_name: String,
    title: String,
    department: String,
    location: String,
    phone: String,
    manager: Option<String>,
    group_names: Vec<String>,
    group_keys: Vec<String>,
    sign_in_method: Option<SignInMethod>,
    username: Option<Username>,
    /// Made from the name: someone new without email whose row gave only
    /// an external ID.
    username_suggested: bool,
    problem: Option<String>,
}

fn parse_row(columns: &[Option<Column>], cells: &[String]) -> ParsedRow {
    let mut row = ParsedRow::default();
    let cell = |wanted: Column| columns.iter().position(|c| *c == Some(wanted)).and_then(|i| cells.get(i)).map_or("", |s| s.trim());
    let email = cell(Column::Email);
    let external_id = cell(Column::ExternalId);
    let username = cell(Column::Username);
    let entry = cell(Column::DirectoryEntry);
    row.label = [entry, email, external_id, username].into_iter().find(|c| !c.is_empty()).unwrap_or_default().chars().take(254).collect();
    let mut problems: Vec<String> = Vec::new();
    if cells.len() > columns.len() && cells[columns.len()..].iter().any(|c| !c.trim().is_empty()) {
        problems.push("The row has more cells than the header row has columns.".to_owned());
    }
    if email.is_empty() && external_id.is_empty() && username.is_empty() {
        problems.push("The row needs an email address, an external ID or a username.".to_owned());
    }
    if !username.is_empty() {
        match Username::parse(username) {
            Ok(username) => row.username = Some(username),
            Err(e) => problems.push(format!("Username: {}", e.message)),
        }
    }
    if !email.is_empty() {
        match EmailAddress::parse(email) {
            Ok(parsed) => {
                row.email_normalized = Some(parsed.normalized());
                row.email = Some(parsed.as_ref().to_owned());
            }
            Err(e) => problems.push(format!("Email: {}", e.message)),
        }
    }
    if !external_id.is_empty() {
        match optional_line("external_id", external_id) {
            Ok(id) => row.external_id = Some(id),
            Err(e) => problems.push(format!("External ID: {}", e.message)),
        }
    }
    let full_name = cell(Column::FullName);
    let mut person_name = None;
    if !full_name.is_empty() {
        match PersonName::parse(full_name) {
            Ok(name) => {
                row.full_name = name.as_ref().to_owned();
                person_name = Some(name);
            }
            Err(e) => problems.push(format!("Full name: {}", e.message)),
        }
    }
    for (column, label, target) in [
        (Column::Title, "Title", &mut row.title),
        (Column::Department, "Department", &mut row.department),
        (Column::Location, "Location", &mut row.location),
        (Column::Phone, "Phone", &mut row.phone),
    ] {
        match optional_line(label, cell(column)) {
            Ok(value) => *target = value,
            Err(e) => problems.push(format!("{label}: {}", e.message)),
        }
    }
    let manager = cell(Column::ManagerEmail);
    if !manager.is_empty() {
        match EmailAddress::parse(manager) {
            Ok(parsed) => row.manager = Some(parsed.normalized()),
            Err(e) => problems.push(format!("Manager email: {}", e.message)),
        }
    }
    for name in cell(Column::Groups).split([';', ',']).map(str::trim).filter(|n| !n.is_empty()) {
        match optional_line("groups", name) {
            Ok(name) if name.chars().count() <= 100 => {
                let key = normalize_identifier(&name);
                if !row.group_keys.contains(&key) {
                    row.group_keys.push(key);
                    row.group_names.push(name);
                }
            }
            Ok(_) => problems.push("Groups: a group name can be at most 100 characters long.".to_owned()),
            Err(e) => problems.push(format!("Groups: {}", e.message)),
        }
    }
    let method = cell(Column::SignInMethod);
    if !method.is_empty() {
        match SignInMethod::parse(method) {
            Some(method) => row.sign_in_method = Some(method),
            None => problems.push(format!("Sign-in method: write password or sso, not “{}”.", method.chars().take(40).collect::<String>())),
        }
    }
    // Someone without email signs in with a username: one is made from the
    // name when the row has none (it is made unique when applied).
    if let Some(name) = person_name.filter(|_| email.is_empty() && row.username.is_none()) {
        row.username = Some(Username::suggest(&name));
        row.username_suggested = true;
    }
    if !problems.is_empty() {
        row.problem = Some(problems.join(" "));
    }
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_loosely_but_unknown_columns_are_named() {
        let mapped = map_header(&["E-mail".into(), "external_id".into(), " Full Name ".into(), String::new()]).unwrap();
        assert_eq!(mapped, vec![Some(Column::Email), Some(Column::ExternalId), Some(Column::FullName), None]);
        let mapped = map_header(&["Email".into(), "Sign-in method".into(), "sign_in_method".into()]);
        assert!(matches!(mapped, Err(ImportError::RepeatedColumn(c)) if c == "sign_in_method"), "both spellings name one column");
        assert!(matches!(map_header(&["Emial".into()]), Err(ImportError::UnknownColumn(c)) if c == "Emial"));
        // A People export's own columns are read past.
        assert_eq!(map_header(&["Email".into(), "Status".into(), "Claim link".into()]).unwrap(), [Some(Column::Email), None, None]);
        assert!(matches!(map_header(&["Full name".into()]), Err(ImportError::NoIdentifierColumn)));
        assert!(matches!(map_header(&["Email".into(), "email".into()]), Err(ImportError::RepeatedColumn(_))));
    }

    #[test]
    fn a_directory_entry_labels_its_row_but_identifies_no_one() {
        assert!(matches!(map_header(&["Directory entry".into()]), Err(ImportError::NoIdentifierColumn)));
        let columns = map_header(&["Email".into(), "directory_entry".into()]).unwrap();
        let row = parse_row(&columns, &["not an email".into(), "uid=p4,ou=people,dc=example".into()]);
        assert_eq!(row.label, "uid=p4,ou=people,dc=example");
        assert!(row.problem.is_some_and(|p| p.starts_with("Email")));
        let row = parse_row(&columns, &["a@example.com".into(), String::new()]);
        assert_eq!(row.label, "a@example.com", "a spreadsheet without entries labels rows as before");
    }

    #[test]
    fn rows_repeating_an_earlier_email_or_external_id_are_reported_with_that_line() {
        let file = "Email,External ID,Full name\nada@example.com,E1,Ada\nADA@example.com,E2,Ada again\nbob@example.com,E1,Bob\nnot-an-email,,X\n";
        let rows = parse_file("people.csv", file.as_bytes()).unwrap();
        assert_eq!(rows[0].parse_problem, None);
        assert_eq!(rows[1].parse_problem.as_deref(), Some("Repeats the email address of line 2."));
        assert_eq!(rows[2].parse_problem.as_deref(), Some("Repeats the external ID of line 2."));
        assert!(rows[3].parse_problem.as_deref().unwrap().starts_with("Email:"));
    }

    #[test]
    fn groups_split_on_semicolons_or_commas_once_each() {
        let file = "Email;Groups\nada@example.com;\"Engineering, Berlin; engineering\"\n";
        let rows = parse_file("people.csv", file.as_bytes()).unwrap();
        assert_eq!(rows[0].group_names, format!("Engineering{GROUP_SEPARATOR}Berlin"));
    }

    #[test]
    fn a_file_with_only_a_header_has_nothing_to_import() {
        assert!(matches!(parse_file("people.csv", b"Email,Full name\n\n"), Err(ImportError::NoRows)));
        assert!(matches!(parse_file("people.csv", b"\n\n"), Err(ImportError::Sheet(SheetError::Empty))));
    }
}
