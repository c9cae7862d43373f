//! A spreadsheet import's preview, and what applying it did.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvalidLine {
    pub line: i32,
    pub label: String,
    pub problem: String,
}

/// What applying a file did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    pub created: i64,
    pub updated: i64,
    pub invited: i64,
    /// People a directory sync deactivated because they left the directory.
    #[serde(default)]
    pub deactivated: i64,
}

/// Someone a directory sync no longer finds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeavingPerson {
    pub name: String,
    pub email: Option<String>,
    /// Whether applying deactivates them (or only reports them).
    pub deactivated: bool,
}

/// What a directory sync's preview adds to an import's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectorySyncView {
    /// The directory deactivates people who leave it (else only reports).
    pub deactivates: bool,
    /// New people are invited when the sync is applied.
    pub invites_new: bool,
    /// How many people the directory no longer lists.
    pub leaving: i64,
    /// Of those, how many applying deactivates.
    pub deactivating: i64,
    /// The first of them, by name.
    pub leaving_shown: Vec<LeavingPerson>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportView {
    pub id: Uuid,
    pub file_name: String,
    pub new: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub invalid: i64,
    pub new_groups: Vec<String>,
    /// The first invalid rows; the error report has all of them.
    pub invalid_lines: Vec<InvalidLine>,
    /// Set once applied.
    pub applied: Option<Applied>,
    /// Set for a directory sync.
    pub directory: Option<DirectorySyncView>,
}
