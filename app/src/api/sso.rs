//! Single sign-on as the Settings page, the sign-in page and the person page
//! see it.

use crate::domain::{SignInMethod, SsoPolicy};
use serde::{Deserialize, Serialize};

/// The Settings page's single sign-on section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoSettingsView {
    /// Nothing saved yet.
    pub configured: bool,
    pub issuer_url: String,
    pub client_id: String,
    /// A secret is saved (it is never shown again).
    pub has_client_secret: bool,
    pub button_label: String,
    /// As typed back into the form: comma-separated.
    pub trusted_domains: String,
    pub policy: SsoPolicy,
    /// What to register at the provider, from the public URL.
    pub redirect_uri: String,
    /// What the admin's last test sign-in showed, once.
    pub test_result: Option<SsoTestResult>,
}

/// What a test sign-in showed the admin: what the provider asserted, or the
/// precise reason it failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SsoTestResult {
    Asserted { issuer: String, subject: String, email: Option<String>, email_verified: bool, name: Option<String> },
    Failed(String),
}

/// An identity bound to a person, as their page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoundIdentity {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    /// "22 November 2026, 07:05 UTC".
    pub bound_at: String,
}

/// A person's sign-in, as their page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonSignIn {
    /// Their own method (used when the policy is "chosen").
    pub method: SignInMethod,
    /// How they sign in now, after the organisation's policy.
    pub effective_method: SignInMethod,
    pub policy: SsoPolicy,
    pub identity: Option<BoundIdentity>,
}
