//! Exporting people as CSV with each invited person's live claim link (or
//! access code), for printed letters, an SMS gateway or a mail merge.

use crate::api::people::ExportSummary;
use crate::domain::{group_code, Actor, AuditAction, AuditTarget};
use crate::server::db::accounts::export::{self, ExportFilter, ExportRow};
use crate::server::db::audit::{self, AuditEvent};
use crate::server::db::credentials::CredentialKind;
use crate::server::services::import::{COLUMNS, EXPORT_COLUMNS};
use crate::server::services::people::PeopleQuery;
use crate::server::spreadsheet::{formula_safe, take_written, ChunkSender};
use crate::server::AppState;
use futures::TryStreamExt;
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Rows written between two hand-overs to the reader.
const ROWS_PER_CHUNK: u64 = 1_000;

/// The export page's filter: the People page's search and status.
pub fn filter(search: Option<String>, status: Option<String>) -> ExportFilter {
    let query = PeopleQuery::parse(search, status, None);
    ExportFilter { status: query.status, search: query.search }
}

/// How many people an export would hold, and how many invited people's
/// cells would be empty because their link or code has expired.
pub async fn summary(state: &AppState, filter: &ExportFilter, now: OffsetDateTime) -> anyhow::Result<ExportSummary> {
    let counts = export::counts(&state.pool, filter, now).await?;
    Ok(ExportSummary { people: counts.people, invited_live: counts.invited_live, invited_expired: counts.invited_expired })
}

/// Everyone `filter` matches as CSV, in name order, sent a chunk at a time
/// as the database streams them (memory stays flat at a million people).
/// The columns are the import template's (so the file can be edited and
/// imported back), then where each person stands and their live claim link
/// or access code. Audited with the filter and the rows written.
pub async fn write_csv(state: &AppState, filter: &ExportFilter, actor: &Actor, now: OffsetDateTime, chunks: &ChunkSender) -> anyhow::Result<u64> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(COLUMNS.iter().chain(EXPORT_COLUMNS.iter()))?;
    let claim_base = format!("{}/claim/", state.public_url.trim_end_matches('/'));
    let (mut written, mut complete) = (0_u64, true);
    let mut rows = export::rows(&state.pool, filter);
    while let Some(row) = rows.try_next().await? {
        write_row(&mut writer, state, &claim_base, &row, now)?;
        written += 1;
        if written % ROWS_PER_CHUNK == 0 && chunks.send(Ok(take_written(&mut writer)?)).await.is_err() {
            complete = false;
            break;
        }
    }
    drop(rows);
    if complete {
        complete = chunks.send(Ok(take_written(&mut writer)?)).await.is_ok();
    }
    let details = json!({ "status": filter.status, "search": filter.search, "rows": written, "complete": complete });
    let target = AuditTarget::settings("people");
    audit::record(&state.pool, AuditEvent { actor, action: AuditAction::PeopleExported, target: &target, details, now }).await?;
    Ok(written)
}

fn write_row(writer: &mut csv::Writer<Vec<u8>>, state: &AppState, claim_base: &str, row: &ExportRow, now: OffsetDateTime) -> anyhow::Result<()> {
    let at = |time: Option<OffsetDateTime>| time.and_then(|t| t.format(&Rfc3339).ok()).unwrap_or_default();
    // Only a credential that still works is written out: an expired one
    // leaves its cells empty (the export page counts them).
    let live = match (&row.credential_sealed, row.credential_expires_at) {
        (Some(sealed), Some(expires)) if expires > now => Some((state.sealer.open(sealed)?, expires)),
        _ => None,
    };
    let (link, expires, code) = match (live, row.credential_kind) {
        (Some((secret, expires)), Some(CredentialKind::Link)) => (format!("{claim_base}{secret}"), at(Some(expires)), String::new()),
        (Some((secret, expires)), Some(CredentialKind::AccessCode)) => (String::new(), at(Some(expires)), group_code(&secret)),
        _ => (String::new(), String::new(), String::new()),
    };
    let status = row.status.label();
    let record: [&str; 17] = [
        row.email.as_deref().unwrap_or(""),
        row.external_id.as_deref().unwrap_or(""),
        &row.full_name,
        &row.title,
        &row.department,
        &row.location,
        &row.phone,
        row.manager_email.as_deref().unwrap_or(""),
        row.groups.as_deref().unwrap_or(""),
        row.sign_in_method.as_str(),
        row.username.as_deref().unwrap_or(""),
        status,
        &at(row.invited_at),
        &at(row.claimed_at),
        &link,
        &expires,
        &code,
    ];
    writer.write_record(record.iter().map(|cell| formula_safe(cell)))?;
    Ok(())
}
