//! The audit log page.

use crate::domain::AccountId;
use serde::{Deserialize, Serialize};

/// One page of the audit log, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLogView {
    pub entries: Vec<AuditEntryView>,
    /// The position of the next (older) page, when there is one.
    pub older: Option<String>,
    /// The person the log is narrowed to, as the log names them.
    pub person: Option<PersonRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonRef {
    pub id: AccountId,
    pub label: String,
}

/// One entry, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntryView {
    pub id: i64,
    pub at: String,
    /// "Ada Lovelace invited Grace Hopper <grace@example.com>".
    pub sentence: String,
    /// What kind of entry it is ("Invitation sent").
    pub kind: String,
    /// The people in the entry, to narrow the log to one of them.
    pub actor: Option<PersonRef>,
    pub target: Option<PersonRef>,
}
