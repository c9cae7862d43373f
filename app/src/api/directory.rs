//! Directory sync as its settings page shows it.

use crate::domain::{AttributeMap, DirectoryKind, DirectorySecurity, SyncRules};
use serde::{Deserialize, Serialize};

/// The directory's settings, for the form (the bind password is never sent
/// back, only whether one is saved).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectorySettingsView {
    /// Nothing saved yet: the form shows suggestions.
    pub configured: bool,
    pub kind: DirectoryKind,
    pub url: String,
    pub security: DirectorySecurity,
    pub ca_certificate: String,
    pub bind_dn: String,
    pub has_bind_password: bool,
    pub base_dn: String,
    pub filter: String,
    pub group_filter: String,
    pub attributes: AttributeMap,
    pub rules: SyncRules,
    pub status: SyncStatus,
}

/// When the directory was last synced and what the schedule did, as the
/// page shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    pub last_applied: Option<String>,
    pub next_scheduled: Option<String>,
    /// (when, what it came to).
    pub last_run: Option<(String, String)>,
}

/// What "Test connection" found: how many people the filter finds and the
/// first one as Embark would read them, or exactly why it failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConnectionTest {
    Connected { found: usize, example: Option<ExamplePerson> },
    Failed(String),
}

/// One entry as Embark maps it, each detail in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExamplePerson {
    pub dn: String,
    /// (label, value) in the attribute map's order; missing ones say so.
    pub details: Vec<(String, String)>,
}
