//! The Outgoing mail page.

use crate::domain::{EmailState, OutboxId};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailItem {
    pub id: OutboxId,
    pub what: String,
    pub recipient: String,
    pub state: EmailState,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub queued_at: String,
    pub sent_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailPage {
    pub items: Vec<MailItem>,
    /// The cursor for the next (older) page, when there is one.
    pub next: Option<String>,
    pub smtp_configured: bool,
}
