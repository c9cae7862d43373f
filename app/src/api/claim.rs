//! The claim wizard as its pages see it.

use crate::domain::GroupId;
use serde::{Deserialize, Serialize};

/// One step of the wizard, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Step {
    Terms,
    Profile,
    Password,
    /// Signing in at the organisation's identity provider, in place of a
    /// password, for people who sign in with single sign-on.
    SingleSignOn,
    Groups,
}

impl Step {
    pub fn title(self) -> &'static str {
        match self {
            Self::Terms => "Terms of use",
            Self::Profile => "Your profile",
            Self::Password => "Your password",
            Self::SingleSignOn => "Single sign-on",
            Self::Groups => "Your groups",
        }
    }
}

/// Why a claim could not start or go on, told honestly before any form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkProblem {
    Unknown,
    Expired,
    AlreadyUsed,
    Revoked,
    NotClaimable,
    SignedInAsSomeoneElse,
    /// The identity the provider gave is already linked to another account.
    IdentityInUse,
}

/// A group the person may join.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupChoice {
    pub id: GroupId,
    pub name: String,
    pub description: String,
    pub joined: bool,
}

/// What the current step shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepView {
    pub step: Step,
    /// Every step of this claim, in order (which depends on how the claim
    /// is proven and on the settings).
    pub steps: Vec<Step>,
    pub organization_name: String,
    pub email: Option<String>,
    /// The sign-in name of someone without email (chosen on the password
    /// step).
    pub username: Option<String>,
    pub terms_text: String,
    pub full_name: String,
    pub title: String,
    pub department: String,
    pub location: String,
    pub phone: String,
    pub joined_groups: Vec<String>,
    pub suggested_groups: Vec<GroupChoice>,
    pub search: String,
    pub search_results: Vec<GroupChoice>,
    /// A picture was chosen (shown from `/claim/picture`).
    pub has_picture: bool,
    /// The single sign-on button's words ("Sign in with Acme SSO"), shown
    /// for the single sign-on step and in the progress list.
    pub sso_button_label: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClaimView {
    /// This browser has not opened a claim link.
    NoClaim,
    Problem(LinkProblem),
    Step(Box<StepView>),
}
