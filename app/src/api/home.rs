//! A signed-in person's own pages: home and profile.

use crate::domain::AccountId;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Colleague {
    pub full_name: String,
    pub title: String,
    pub department: String,
    pub location: String,
    pub email: Option<String>,
    /// Not yet claimed: they exist but haven't joined.
    pub pending: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HomeData {
    /// How the page greets the person.
    pub first_name: String,
    pub organization_name: String,
    pub groups: Vec<String>,
    pub colleagues: Vec<Colleague>,
    pub search: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyProfile {
    pub account_id: AccountId,
    pub has_picture: bool,
    pub full_name: String,
    pub email: Option<String>,
    /// "ada@example.com", or "the username rosa.p" for someone without email.
    pub signs_in_with: String,
    pub title: String,
    pub department: String,
    pub location: String,
    pub phone: String,
}
