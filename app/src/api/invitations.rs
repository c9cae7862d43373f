//! Unsent Invitations, Invite All and Invite Selected.

use super::people::EmailPreview;
use crate::domain::AccountId;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitingPerson {
    pub id: AccountId,
    pub full_name: String,
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnsentInvitations {
    /// Uninvited accounts, and how many of them have no email address.
    pub waiting: i64,
    pub without_email: i64,
    /// The first few waiting, by name.
    pub first: Vec<WaitingPerson>,
    pub preview: Option<EmailPreview>,
    /// Integrations that Invite All will set to invite people automatically.
    pub integrations_to_switch_on: Vec<String>,
}

/// One line of an uploaded list the report names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedLine {
    pub line: usize,
    pub text: String,
    pub reason: String,
}

/// What an uploaded list matched.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectionReport {
    pub file_name: String,
    pub listed: usize,
    /// Uninvited people with an email address: the ones Send invites.
    pub ready: usize,
    pub already_invited: usize,
    /// Claimed, deactivated, or without an email address.
    pub not_eligible: usize,
    pub unmatched: usize,
    /// Lines naming someone an earlier line already named.
    pub repeated: usize,
    pub unmatched_lines: Vec<ListedLine>,
    pub not_eligible_people: Vec<ListedLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectionView {
    pub id: Uuid,
    pub report: SelectionReport,
    /// Whether its invitations went out (they go once).
    pub sent: bool,
    pub preview: Option<EmailPreview>,
}
