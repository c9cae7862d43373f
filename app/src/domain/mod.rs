//! Value types that parse. Shared by the UI (wasm) and the server: a value of
//! one of these types is valid by construction, so services accept only them.

mod access_code;
mod audit;
pub mod claim_email;
mod directory;
mod email;
mod field;
mod forms;
mod ids;
mod password;
mod person;
mod picture;
mod sso;
mod status;

pub use access_code::{group_code, AccessCode, Username, ACCESS_CODE_ALPHABET, ACCESS_CODE_CHARS, USERNAME_MAX_CHARS, USERNAME_TAKEN};
pub use audit::{account_label, log_cursor, Actor, AuditAction, AuditTarget, AuditTargetKind, LogQuery, PersonKey};
pub use directory::{
    AttributeMap, DirectoryDeparture, DirectoryFields, DirectoryKind, DirectorySecurity, DirectorySettings, SyncRules, ACTIVE_DIRECTORY_FILTER,
    OPENLDAP_FILTER, SYNC_INTERVALS,
};
pub use email::EmailAddress;
pub use field::{FieldError, FieldErrors};
pub use forms::{GroupSettings, IntegrationSettings, OrganizationSettings, PersonFields, PersonToAdd, PersonalMessage, SettingsFields};
pub use ids::{AccountId, CredentialId, GroupId, IntegrationId, OutboxId};
pub use password::{Password, PasswordProblem, PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS, PASSWORD_RECOMMENDED_CHARS};
pub use person::{optional_line, OrganizationName, PersonName, ProfileDetails};
pub use picture::PictureProblem;
pub use sso::{SignInMethod, SsoFields, SsoPolicy, SsoSettings};
pub use status::{AccountStatus, EmailState, Role};

use unicode_normalization::UnicodeNormalization;

/// The form two identifiers are compared on: NFKC, then lowercase, trimmed.
pub fn normalize_identifier(raw: &str) -> String {
    let trimmed = raw.trim();
    // ASCII is its own NFKC form; skipping the decomposition is most of the
    // cost of reading an import's emails and group names.
    if trimmed.is_ascii() {
        return trimmed.to_ascii_lowercase();
    }
    trimmed.nfkc().collect::<String>().to_lowercase()
}

/// "22 November 2026, 07:05 UTC": how the admin panel shows a moment.
pub fn timestamp_label(at: time::OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!("{} {} {}, {:02}:{:02} UTC", at.day(), at.month(), at.year(), at.hour(), at.minute())
}

#[cfg(test)]
mod normalize_tests {
    use super::normalize_identifier;

    #[test]
    fn identifiers_compare_on_trimmed_nfkc_lowercase_with_or_without_non_ascii() {
        assert_eq!(normalize_identifier("  Ada@Example.COM "), "ada@example.com");
        assert_eq!(normalize_identifier("ＡＤＡ@example.com"), "ada@example.com");
        assert_eq!(normalize_identifier("Émile@Example.com"), "émile@example.com");
        assert_eq!(normalize_identifier("ﬁnance"), "finance");
    }
}
