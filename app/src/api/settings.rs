//! The Settings page.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsView {
    pub organization_name: String,
    pub require_terms: bool,
    pub terms_text: String,
    pub terms_version: i32,
    pub link_lifetime_days: i32,
    pub code_lifetime_days: i32,
    pub code_attempts_per_address: i32,
    pub code_attempts_overall: i32,
    pub claim_email_subject: String,
    pub claim_email_body: String,
    pub smtp_configured: bool,
    pub admin_email: Option<String>,
    /// The server's clock, so the preview states a real expiry date.
    pub now_unix: i64,
}
