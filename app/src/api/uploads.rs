//! File uploads: the forms that post files to the server's upload routes.

use serde::{Deserialize, Serialize};

/// An upload form whose refusals the server keeps for the page to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UploadKind {
    /// A spreadsheet of people to import.
    PeopleImport,
    /// A list of people to invite (Invite Selected).
    InviteSelection,
}

impl UploadKind {
    /// The page the upload route sends the browser back to when it refuses
    /// a file; the page then shows why.
    pub fn refused_location(self) -> &'static str {
        match self {
            Self::PeopleImport => "/admin/import?refused=1",
            Self::InviteSelection => "/admin/invitations?refused=1",
        }
    }
}
