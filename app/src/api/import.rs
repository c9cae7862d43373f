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
}
