//! Reading the audit log: the admin page (in words, newest first, keyset
//! paged, filtered) and its CSV export.

use crate::api::audit::{AuditEntryView, AuditLogView, PersonRef};
use crate::domain::{account_label, log_cursor, timestamp_label, AccountId, Actor, AuditAction, AuditTarget, AuditTargetKind, LogQuery, PersonKey, Role};
use crate::error::AppError;
use crate::server::context;
use crate::server::db::accounts;
use crate::server::db::audit::{self, AuditEvent, LogFilter, LogRow};
use crate::server::spreadsheet::{formula_safe, take_written, ChunkSender};
use crate::server::AppState;
use serde_json::json;
use time::{OffsetDateTime, Time};

/// Entries on one page.
pub const PAGE_SIZE: i64 = 50;
/// Entries read per statement while exporting.
const EXPORT_BATCH: i64 = 2_000;

#[derive(Debug, thiserror::Error)]
pub enum AuditLogError {
    #[error("No one in Embark has the email address {0}.")]
    UnknownPerson(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for AuditLogError {
    fn from(error: sqlx::Error) -> Self {
        Self::Unexpected(error.into())
    }
}

impl From<AuditLogError> for AppError {
    fn from(error: AuditLogError) -> Self {
        match error {
            AuditLogError::UnknownPerson(_) => context::invalid(crate::domain::FieldError::new("person", error.to_string())),
            AuditLogError::Unexpected(e) => context::internal(e),
        }
    }
}

/// The filter the database runs, and the person it narrows to.
struct Resolved {
    filter: LogFilter,
    person: Option<PersonRef>,
}

async fn resolve(state: &AppState, query: &LogQuery) -> Result<Resolved, AuditLogError> {
    let person = match &query.person {
        None => None,
        Some(PersonKey::Id(id)) => Some(*id),
        Some(PersonKey::Email(email)) => {
            Some(accounts::id_by_email(&state.pool, &email.normalized()).await?.ok_or_else(|| AuditLogError::UnknownPerson(email.to_string()))?)
        }
    };
    let person = match person {
        // Someone deleted is still in the log under their id.
        Some(id) => Some(PersonRef {
            id,
            label: accounts::find(&state.pool, id)
                .await?
                .map_or_else(|| "someone since deleted".to_owned(), |account| account_label(&account.full_name, account.email.as_deref())),
        }),
        None => None,
    };
    // The last day is included: entries before the next day's midnight.
    let end_of_range = query.to.and_then(|to| to.next_day()).map(|day| day.with_time(Time::MIDNIGHT).assume_utc());
    let before = match (query.before, end_of_range) {
        (Some(cursor), Some(end)) if end <= cursor.0 => (end, i64::MIN),
        (Some(cursor), _) => cursor,
        (None, Some(end)) => (end, i64::MIN),
        (None, None) => (time::macros::datetime!(9999-12-31 0:00 UTC), i64::MAX),
    };
    let since = query.from.map_or(OffsetDateTime::UNIX_EPOCH, |from| from.with_time(Time::MIDNIGHT).assume_utc());
    Ok(Resolved { filter: LogFilter { person: person.as_ref().map(|p| p.id.0), action: query.action, before, since }, person })
}

/// One page of the log.
pub async fn page(state: &AppState, query: &LogQuery) -> Result<AuditLogView, AuditLogError> {
    let Resolved { filter, person } = resolve(state, query).await?;
    let mut rows = audit::log_page(&state.pool, filter, PAGE_SIZE + 1).await?;
    let older = (rows.len() as i64 > PAGE_SIZE).then(|| {
        rows.truncate(PAGE_SIZE as usize);
        rows.last().map(|row| log_cursor(row.occurred_at, row.id))
    });
    Ok(AuditLogView { entries: rows.iter().map(entry_view).collect(), older: older.flatten(), person })
}

fn entry_view(row: &LogRow) -> AuditEntryView {
    let person = |id: Option<uuid::Uuid>, label: &str| id.map(|id| PersonRef { id: AccountId(id), label: label.to_owned() });
    AuditEntryView {
        id: row.id,
        at: timestamp_label(row.occurred_at),
        sentence: sentence(row),
        kind: row.action.describe().to_owned(),
        actor: person(row.actor_id, &row.actor_label),
        target: if row.target_kind == AuditTargetKind::Account { person(row.target_id, &row.target_label) } else { None },
    }
}

/// An entry in words: "Ada Lovelace invited Grace Hopper <grace@example.com>".
pub fn sentence(row: &LogRow) -> String {
    let details = &row.details;
    match row.action {
        AuditAction::Throttled => {
            let failures = details.get("failures").and_then(serde_json::Value::as_i64).unwrap_or(0);
            let limit = details.get("limit").and_then(serde_json::Value::as_str).unwrap_or("");
            let tries = match limit {
                l if l.starts_with("sign_in") => "wrong passwords",
                l if l.starts_with("access_code") => "wrong access codes",
                l if l.starts_with("claim_link") => "claim links that do not exist",
                l if l.starts_with("scim_token") => "wrong SCIM tokens",
                _ => "things that failed",
            };
            let from = details.get("client_address").and_then(serde_json::Value::as_str).unwrap_or(&row.target_label);
            return format!("Someone tried {failures} {tries} from {from} and was slowed down");
        }
        AuditAction::RoleChanged => {
            if let Some(role) = details.get("to").and_then(|to| serde_json::from_value::<Role>(to.clone()).ok()) {
                let role = match role {
                    Role::Employee => "an employee",
                    Role::PeopleAdmin => "a people admin",
                    Role::Owner => "an owner",
                };
                return format!("{} made {} {role}", row.actor_label, row.target_label);
            }
        }
        _ => {}
    }
    let phrase = row.action.phrase();
    let acted_on_self = row.actor_id.is_some() && row.actor_id == row.target_id;
    if phrase.contains("{target}") {
        format!("{} {}", row.actor_label, phrase.replace("{target}", &row.target_label))
    } else if !acted_on_self && row.target_kind == AuditTargetKind::Account && !row.target_label.is_empty() {
        format!("{} {} ({})", row.actor_label, phrase, row.target_label)
    } else {
        format!("{} {}", row.actor_label, phrase)
    }
}

/// An export of the filtered log, its filters checked.
pub struct LogExport {
    query: LogQuery,
    resolved: Resolved,
}

/// Checks the filters (an unknown person is refused before any byte is
/// sent), for [`LogExport::write_csv`].
pub async fn start_export(state: &AppState, query: LogQuery) -> Result<LogExport, AuditLogError> {
    let resolved = resolve(state, &query).await?;
    Ok(LogExport { query, resolved })
}

impl LogExport {
    /// The log as CSV, newest first, in batches sent as they
    /// are read (memory stays flat however long the log), until the reader
    /// goes. Audited with the filters and the
    /// number of entries written.
    pub async fn write_csv(self, state: &AppState, actor: &Actor, now: OffsetDateTime, chunks: &ChunkSender) -> Result<u64, AuditLogError> {
        let Self { query, resolved: Resolved { mut filter, person } } = self;
        let mut writer = csv::Writer::from_writer(Vec::new());
        let header = ["When (UTC)", "What happened", "Kind", "Actor", "Actor id", "Target", "Target id", "Details"];
        writer.write_record(header).map_err(anyhow::Error::from)?;
        let mut written = 0_u64;
        let mut complete = true;
        loop {
            let rows = audit::log_page(&state.pool, filter, EXPORT_BATCH).await?;
            for row in &rows {
                let at = row.occurred_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
                let record = [
                    at,
                    sentence(row),
                    row.action.as_str().to_owned(),
                    row.actor_label.clone(),
                    row.actor_id.map(|id| id.to_string()).unwrap_or_default(),
                    row.target_label.clone(),
                    row.target_id.map(|id| id.to_string()).unwrap_or_default(),
                    row.details.to_string(),
                ];
                writer.write_record(record.iter().map(|cell| formula_safe(cell))).map_err(anyhow::Error::from)?;
            }
            written += rows.len() as u64;
            if chunks.send(Ok(take_written(&mut writer)?)).await.is_err() {
                complete = false;
                break;
            }
            match rows.last() {
                Some(last) if rows.len() as i64 == EXPORT_BATCH => filter.before = (last.occurred_at, last.id),
                _ => break,
            }
        }
        let details = json!({
            "person": person.map(|p| p.id),
            "action": query.action.map(AuditAction::as_str),
            "from": query.from.map(|d| d.to_string()),
            "to": query.to.map(|d| d.to_string()),
            "rows": written,
            "complete": complete,
        });
        let target = AuditTarget::settings("audit log");
        audit::record(&state.pool, AuditEvent { actor, action: AuditAction::AuditLogExported, target: &target, details, now }).await?;
        Ok(written)
    }
}
