//! Invite Selected: an admin uploads a list of people (CSV, XLSX, vCard,
//! LDIF or plain text, by email or external ID), sees who it matches, then invites
//! those who are waiting for an invitation.

use crate::api::invitations::{ListedLine, SelectionReport, SelectionView};
use crate::domain::{normalize_identifier, AccountStatus, Actor, EmailAddress};
use crate::error::AppError;
use crate::server::db::selections;
use crate::server::services::import::Column;
use crate::server::services::invitations;
use crate::server::services::lifecycle::{self, BulkSource, Invitation, InviteScope, LifecycleError};
use crate::server::spreadsheet::{self, Format, SheetError, SELECTION_FILE_TYPES};
use crate::server::{context, AppState};
use std::collections::HashSet;
use time::OffsetDateTime;
use uuid::Uuid;

/// Lines of each kind the report lists by name.
const LISTED: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum SelectionError {
    #[error(transparent)]
    Sheet(#[from] SheetError),
    #[error("The first row must be a header naming an “Email” or an “External ID” column. Download the template to see the layout.")]
    NoIdentifierColumn,
    #[error("The file lists nobody.")]
    Empty,
    #[error("This list is no longer available (more than a day has passed). Upload it again.")]
    Gone,
    #[error("These invitations were already sent.")]
    AlreadySent,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for SelectionError {
    fn from(error: sqlx::Error) -> Self {
        Self::Unexpected(error.into())
    }
}

impl From<SelectionError> for AppError {
    fn from(error: SelectionError) -> Self {
        match error {
            SelectionError::Gone => context::not_found(),
            SelectionError::Unexpected(e) => context::internal(e),
            refused => context::refused(refused.to_string()),
        }
    }
}

/// One listed identifier, as read. A line naming someone without either
/// identifier (a contact without email) has neither, and is reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub line: usize,
    pub text: String,
    pub email_normalized: Option<String>,
    pub external_id: Option<String>,
}

/// Reads the identifiers a file lists. CSV and XLSX need a header with an
/// Email or External ID column (other columns are ignored, so an import
/// file works too); a text file may start with such a header, and otherwise
/// each line is an email when it has an `@`, else an external ID.
pub fn parse_list(file_name: &str, bytes: &[u8]) -> Result<Vec<Listed>, SelectionError> {
    let format = Format::detect(file_name, bytes, SELECTION_FILE_TYPES)?;
    // The Email, External ID and Full name columns.
    let mut header: Option<(Option<usize>, Option<usize>, Option<usize>)> = None;
    let mut missing_header = false;
    let mut listed = Vec::new();
    spreadsheet::for_each_row(format, bytes, |line, cells| {
        if missing_header {
            return;
        }
        let Some((email_column, external_column, name_column)) = header else {
            // Header cells are read exactly as the import reads them.
            let find = |wanted: Column| cells.iter().position(|c| Column::from_header(c.trim()) == Some(wanted));
            let found = (find(Column::Email), find(Column::ExternalId), find(Column::FullName));
            if found.0.is_none() && found.1.is_none() {
                if format == Format::Text {
                    header = Some((None, None, None));
                    listed.push(read_free_line(line, &cells[0]));
                } else {
                    missing_header = true;
                }
            } else {
                header = Some(found);
            }
            return;
        };
        if email_column.is_none() && external_column.is_none() {
            listed.push(read_free_line(line, &cells[0]));
            return;
        }
        let cell = |column: Option<usize>| column.and_then(|i| cells.get(i)).map_or("", |c| c.trim());
        let email = cell(email_column);
        if !email.is_empty() {
            listed.push(Listed {
                line,
                text: email.to_owned(),
                email_normalized: Some(EmailAddress::parse(email).map_or_else(|_| normalize_identifier(email), |e| e.normalized())),
                external_id: None,
            });
        } else if !cell(external_column).is_empty() {
            listed.push(Listed { line, text: cell(external_column).to_owned(), email_normalized: None, external_id: Some(cell(external_column).to_owned()) });
        } else if !cell(name_column).is_empty() {
            listed.push(Listed { line, text: cell(name_column).to_owned(), email_normalized: None, external_id: None });
        }
    })?;
    if missing_header {
        return Err(SelectionError::NoIdentifierColumn);
    }
    if listed.is_empty() {
        return Err(SelectionError::Empty);
    }
    Ok(listed)
}

fn read_free_line(line: usize, text: &str) -> Listed {
    let text = text.trim().to_owned();
    if text.contains('@') {
        Listed { line, email_normalized: Some(normalize_identifier(&text)), external_id: None, text }
    } else {
        Listed { line, email_normalized: None, external_id: Some(text.clone()), text }
    }
}

/// Matches an uploaded list against the directory and keeps the result for
/// [`send`]. Changes no account.
pub async fn select(state: &AppState, file_name: &str, bytes: Vec<u8>, actor: &Actor, now: OffsetDateTime) -> Result<Uuid, SelectionError> {
    let name = file_name.to_owned();
    let listed = tokio::task::spawn_blocking(move || parse_list(&name, &bytes)).await.map_err(anyhow::Error::from)??;
    let lines: Vec<i32> = listed.iter().map(|l| i32::try_from(l.line).unwrap_or(i32::MAX)).collect();
    let emails: Vec<Option<String>> = listed.iter().map(|l| l.email_normalized.clone()).collect();
    let external_ids: Vec<Option<String>> = listed.iter().map(|l| l.external_id.clone()).collect();
    let usernames: Vec<Option<String>> = listed.iter().map(|l| l.external_id.as_deref().map(normalize_identifier)).collect();
    let found = selections::look_up(&state.pool, &lines, &emails, &external_ids, &usernames).await?;

    let mut report = SelectionReport { file_name: file_name.to_owned(), listed: listed.len(), ..SelectionReport::default() };
    let mut seen = HashSet::new();
    let mut ready = Vec::new();
    for (entry, account) in listed.iter().zip(&found) {
        let mention = |reason: &str, name: Option<&String>| ListedLine {
            line: entry.line,
            text: name.map_or_else(|| entry.text.clone(), |n| format!("{n} ({})", entry.text)),
            reason: reason.to_owned(),
        };
        let (Some(id), Some(status)) = (account.id, account.status) else {
            report.unmatched += 1;
            if report.unmatched_lines.len() < LISTED {
                let reason = if entry.email_normalized.is_none() && entry.external_id.is_none() {
                    "Has no email address or external ID in the file, which is how Embark finds people."
                } else {
                    "Nobody in Embark has this email address, external ID or username."
                };
                report.unmatched_lines.push(mention(reason, None));
            }
            continue;
        };
        if !seen.insert(id) {
            report.repeated += 1;
            continue;
        }
        let not_eligible = match status {
            // Someone without email gets an access code instead.
            AccountStatus::Uninvited => {
                ready.push(id.0);
                continue;
            }
            AccountStatus::Invited => {
                report.already_invited += 1;
                continue;
            }
            AccountStatus::Claimed => "Has already joined.",
            AccountStatus::Deactivated => "Is deactivated.",
        };
        report.not_eligible += 1;
        if report.not_eligible_people.len() < LISTED {
            report.not_eligible_people.push(mention(not_eligible, account.full_name.as_ref()));
        }
    }
    report.ready = ready.len();
    let id = Uuid::now_v7();
    selections::delete_stale(&state.pool, now).await?;
    let report = serde_json::to_value(&report).map_err(anyhow::Error::from)?;
    selections::insert(&state.pool, id, file_name, actor.id, &ready, report, now).await?;
    Ok(id)
}

/// A kept selection: what its file matched, whether it was sent, and with
/// `preview_message`, the email Send would send.
pub async fn view(state: &AppState, id: Uuid, preview_message: Option<&str>, now: OffsetDateTime) -> Result<SelectionView, SelectionError> {
    let row = selections::find(&state.pool, id).await?.ok_or(SelectionError::Gone)?;
    let report = serde_json::from_value(row.report).map_err(anyhow::Error::from)?;
    let preview = match preview_message {
        Some(message) => Some(invitations::sample_preview(state, None, message, now).await?),
        None => None,
    };
    Ok(SelectionView { id, report, sent: row.sent_at.is_some(), preview })
}

/// Invites the selection's people who are still uninvited, once.
pub async fn send(state: &AppState, id: Uuid, invitation: &Invitation, actor: &Actor, now: OffsetDateTime) -> Result<usize, SelectionError> {
    let mut tx = state.pool.begin().await?;
    let Some(ids) = selections::take_for_sending(&mut tx, id, now).await? else {
        return Err(if selections::find(&state.pool, id).await?.is_some() { SelectionError::AlreadySent } else { SelectionError::Gone });
    };
    let scope = InviteScope::Selected { source: BulkSource::Selection(id), ids: &ids };
    let invited = lifecycle::invite_many_in(state, &mut tx, scope, invitation, actor, now).await.map_err(|e: LifecycleError| anyhow::anyhow!(e))?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    Ok(invited)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_lists_take_emails_and_external_ids_with_or_without_a_header() {
        let listed = parse_list("list.txt", b"\xEF\xBB\xBFada@example.com\r\n\r\nE-1042\n").unwrap();
        assert_eq!(listed[0].email_normalized.as_deref(), Some("ada@example.com"));
        assert_eq!(listed[1].external_id.as_deref(), Some("E-1042"));
        assert_eq!(listed[1].line, 3);
        let listed = parse_list("list.txt", b"External ID\nE-7\n").unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].external_id.as_deref(), Some("E-7"));
    }

    #[test]
    fn csv_lists_need_an_identifier_header() {
        assert!(matches!(parse_list("list.csv", b"Name\nAda\n"), Err(SelectionError::NoIdentifierColumn)));
        let listed = parse_list("list.csv", b"Full name;Email\nAda;Ada@Example.com\n").unwrap();
        assert_eq!(listed[0].email_normalized.as_deref(), Some("ada@example.com"));
    }
}
