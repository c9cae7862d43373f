//! People: the admin overview, the People list, one person.

use crate::domain::{AccountId, AccountStatus, Role};
use serde::{Deserialize, Serialize};

/// What the admin panel's front page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminOverview {
    pub organization_name: String,
    /// How many accounts are in each status, in lifecycle order.
    pub counts: Vec<(AccountStatus, i64)>,
}

impl AdminOverview {
    pub fn count(&self, status: AccountStatus) -> i64 {
        self.counts.iter().find(|(s, _)| *s == status).map_or(0, |(_, n)| *n)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonListItem {
    pub id: AccountId,
    pub full_name: String,
    pub email: Option<String>,
    pub external_id: Option<String>,
    pub title: String,
    pub department: String,
    pub status: AccountStatus,
}

/// One page of the People list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeopleList {
    pub people: Vec<PersonListItem>,
    /// The cursor for the next page, when there is one.
    pub next: Option<String>,
    /// When more people matched the search than this many, the page comes
    /// from the first this many matches only.
    pub capped_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub at: String,
    pub actor: String,
    pub what: String,
}

/// Exactly what an invitation email will say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailPreview {
    pub to: String,
    pub subject: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonDetail {
    pub id: AccountId,
    pub full_name: String,
    pub email: Option<String>,
    pub external_id: Option<String>,
    pub title: String,
    pub department: String,
    pub location: String,
    pub phone: String,
    pub status: AccountStatus,
    pub role: Role,
    /// The sign-in name of someone without email.
    pub username: Option<String>,
    /// Someone without email: their newest access code's state.
    pub access_code: Option<AccessCodeState>,
    pub invitation_expires: Option<String>,
    pub history: Vec<HistoryEntry>,
    pub preview: Option<EmailPreview>,
}

/// Where a person's access code stands, in words ("Works until …").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessCodeState {
    /// Only a live code can be shown or printed.
    pub live: bool,
    pub description: String,
}

/// What a People export would hold (the export page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportSummary {
    pub people: i64,
    /// Invited people whose link or code works: the file carries it.
    pub invited_live: i64,
    /// Invited people whose link or code has expired: their cells are empty.
    pub invited_expired: i64,
}
