//! Value types that parse. Shared by the UI (wasm) and the server: a value of
//! one of these types is valid by construction, so services accept only them.

pub mod claim_email;
mod email;
mod field;
mod ids;
mod password;
mod person;
mod picture;
mod status;

pub use email::EmailAddress;
pub use field::{FieldError, FieldErrors};
pub use ids::{AccountId, CredentialId, GroupId, OutboxId};
pub use password::{Password, PasswordProblem, PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS, PASSWORD_RECOMMENDED_CHARS};
pub use person::{optional_line, OrganizationName, PersonName, ProfileDetails};
pub use picture::PictureProblem;
pub use status::{AccountStatus, Role};

use unicode_normalization::UnicodeNormalization;

/// The form two identifiers are compared on: NFKC, then lowercase, trimmed.
pub fn normalize_identifier(raw: &str) -> String {
    raw.trim().nfkc().collect::<String>().to_lowercase()
}

/// "22 November 2026, 07:05 UTC": how the admin panel shows a moment.
pub fn timestamp_label(at: time::OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!("{} {} {}, {:02}:{:02} UTC", at.day(), at.month(), at.year(), at.hour(), at.minute())
}
