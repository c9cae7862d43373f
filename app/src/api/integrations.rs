//! Integrations (identity providers using the SCIM API) as the admin panel
//! shows them.

use crate::domain::IntegrationId;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationView {
    pub id: IntegrationId,
    pub name: String,
    pub description: String,
    /// The token's public start, to tell tokens apart ("esc_k3J9…").
    pub token_prefix: String,
    pub invite_automatically: bool,
    pub created: String,
    /// When revoked, and so no longer usable.
    pub revoked: Option<String>,
    /// "28 Nov 2026, 14:02 UTC from 203.0.113.9", or None if never used.
    pub last_used: Option<String>,
    /// Until when the token replaced last still works, if it does.
    pub previous_token_until: Option<String>,
    /// The newest entries of the audit log about it or by it, in words.
    pub recent: Vec<String>,
}

/// A token just made: shown once, never stored in the clear.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedToken {
    pub integration: IntegrationId,
    pub name: String,
    pub token: String,
}

/// The Integrations page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationsPage {
    pub integrations: Vec<IntegrationView>,
    /// The SCIM base URL to give the identity provider.
    pub scim_url: String,
}
