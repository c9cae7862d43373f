//! Access codes as admins handle them: a person's code shown again, and the
//! codes of many people for printing or download. Issuing a code is an
//! invitation (`lifecycle::invite`); typing one starts the wizard
//! (`services::claim::enter_code`).

use crate::api::people::AccessCodeState;
use crate::domain::{group_code, timestamp_label, AccountId, Actor, AuditAction, AuditTarget};
use crate::error::AppError;
use crate::server::db::audit::{self, AuditEvent};
use crate::server::db::credentials::{self, AccessCodeRow, CredentialState};
use crate::server::db::{accounts, settings};
use crate::server::{context, AppState};
use serde_json::json;
use time::OffsetDateTime;

/// At most this many codes go on one sheet or into one file.
pub const PRINT_LIMIT: i64 = 5_000;

#[derive(Debug, thiserror::Error)]
pub enum AccessCodeError {
    #[error("there is no such person")]
    NotFound,
    #[error("this person has no code that works now")]
    NoLiveCode,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for AccessCodeError {
    fn from(error: sqlx::Error) -> Self {
        Self::Unexpected(error.into())
    }
}

impl From<AccessCodeError> for AppError {
    fn from(error: AccessCodeError) -> Self {
        match error {
            AccessCodeError::NotFound => context::not_found(),
            AccessCodeError::NoLiveCode => context::refused("This person has no code that works now. Give them a new code first."),
            AccessCodeError::Unexpected(e) => context::internal(e),
        }
    }
}

/// A code's state in words, for the person page.
pub fn describe(code: &AccessCodeRow, now: OffsetDateTime) -> AccessCodeState {
    let (live, description) = match code.state {
        CredentialState::Active if code.expires_at > now => (true, format!("Works until {}", timestamp_label(code.expires_at))),
        CredentialState::Active => (false, format!("Expired on {}", timestamp_label(code.expires_at))),
        CredentialState::Used => (false, code.used_at.map_or_else(|| "Used".to_owned(), |at| format!("Used on {}", timestamp_label(at)))),
        CredentialState::Revoked => (false, "No longer works (replaced, or the person was deactivated)".to_owned()),
    };
    AccessCodeState { live, description }
}

/// The person's live code, grouped for reading out ("ABCD-EFGH-…"). Each
/// look is audited.
pub async fn show(state: &AppState, actor: &Actor, id: AccountId, now: OffsetDateTime) -> Result<String, AccessCodeError> {
    let account = accounts::find(&state.pool, id).await?.ok_or(AccessCodeError::NotFound)?;
    let code = credentials::newest_access_code(&state.pool, id).await?.filter(|c| describe(c, now).live).ok_or(AccessCodeError::NoLiveCode)?;
    let opened = state.sealer.open(&code.secret_sealed).map_err(|e| anyhow::anyhow!("an access code could not be opened: {e}"))?;
    let target = AuditTarget::account(id, &account.full_name, None);
    audit::record(&state.pool, AuditEvent { actor, action: AuditAction::AccessCodeShown, target: &target, details: json!({}), now }).await?;
    Ok(group_code(&opened))
}

/// Whose codes to print or download.
#[derive(Debug, Clone, Default)]
pub struct CodeSelection {
    /// These people, or everyone invited without email.
    pub ids: Option<Vec<uuid::Uuid>>,
    /// Only people in this department (compared without case).
    pub department: Option<String>,
}

/// One person's card.
#[derive(Debug, Clone)]
pub struct CodeCard {
    pub full_name: String,
    pub department: String,
    pub username: Option<String>,
    /// Grouped: "ABCD-EFGH-JKLM-NPQR".
    pub code: String,
    /// The code-entry address with the code filled in (for a QR code).
    pub entry_url_with_code: String,
    pub expires: String,
}

/// Everything a print sheet or a download shows.
#[derive(Debug, Clone)]
pub struct CodeSheet {
    pub organization_name: String,
    /// Where people type their code.
    pub entry_url: String,
    pub cards: Vec<CodeCard>,
    /// More matched than [`PRINT_LIMIT`]: narrow the selection.
    pub truncated: bool,
}

/// How the codes leave Embark, for the audit log.
#[derive(Debug, Clone, Copy)]
pub enum CodeExport {
    PrintSheet,
    Csv,
}

/// The live codes of the selection, opened for printing or download; the
/// export is audited with how many codes it holds.
pub async fn sheet(state: &AppState, actor: &Actor, selection: &CodeSelection, export: CodeExport, now: OffsetDateTime) -> Result<CodeSheet, AccessCodeError> {
    let rows = credentials::printable_codes(&state.pool, selection.ids.as_deref(), selection.department.as_deref(), now, PRINT_LIMIT + 1).await?;
    let truncated = rows.len() as i64 > PRINT_LIMIT;
    let entry_url = format!("{}/claim/code", state.public_url.trim_end_matches('/'));
    let mut cards = Vec::with_capacity(rows.len());
    for row in rows.into_iter().take(PRINT_LIMIT as usize) {
        let code = state.sealer.open(&row.secret_sealed).map_err(|e| anyhow::anyhow!("an access code could not be opened: {e}"))?;
        let code = group_code(&code);
        cards.push(CodeCard {
            entry_url_with_code: format!("{entry_url}?code={code}"),
            full_name: row.full_name,
            department: row.department,
            username: row.username,
            code,
            expires: timestamp_label(row.expires_at),
        });
    }
    let organization_name = settings::get(&state.pool).await?.organization_name;
    let format = match export {
        CodeExport::PrintSheet => "print",
        CodeExport::Csv => "csv",
    };
    let target = AuditTarget::settings(&organization_name);
    let details = json!({ "format": format, "count": cards.len(), "department": selection.department, "selected": selection.ids.as_ref().map(Vec::len) });
    audit::record(&state.pool, AuditEvent { actor, action: AuditAction::AccessCodesExported, target: &target, details, now }).await?;
    Ok(CodeSheet { organization_name, entry_url, cards, truncated })
}
