//! Who is signed in, and where first-run setup stands.

use crate::domain::{AccountId, Actor, Role};
use serde::{Deserialize, Serialize};

/// The signed-in person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub account_id: AccountId,
    pub full_name: String,
    pub email: Option<String>,
    pub role: Role,
}

impl Viewer {
    /// May open the admin panel (people admins and owners).
    pub fn manages_people(&self) -> bool {
        self.role.manages_people()
    }

    pub fn is_owner(&self) -> bool {
        self.role.is_owner()
    }

    /// The signed-in person as the audit log names whoever acts.
    pub fn actor(&self) -> Actor {
        Actor::account(self.account_id, self.full_name.clone()).with_role(self.role)
    }
}

/// Where first-run setup stands for this browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SetupStatus {
    /// An administrator exists: setup is over.
    Done,
    /// No administrator yet, and this browser opened the setup link.
    Ready,
    /// No administrator yet; the setup link is needed.
    NeedsLink,
}

/// What the sign-in page offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInOptions {
    pub setup: SetupStatus,
    /// The single sign-on button's words, while single sign-on is on.
    pub sso_button_label: Option<String>,
}
