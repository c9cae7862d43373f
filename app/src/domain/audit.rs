//! The audit log's vocabulary: who acted, what they did, and what kind of
//! thing they did it to. The enums are mirrored by the PostgreSQL enums
//! `audit_action` and `audit_target_kind` (a test holds them equal), and
//! this is the one place that puts an action into words.

use super::{AccountId, IntegrationId};
use serde::{Deserialize, Serialize};

/// Who caused a change: a person (with the name they had then), or Embark
/// itself, or whoever runs its command line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub id: Option<AccountId>,
    pub label: String,
    /// The integration that acted through the SCIM API, if one did.
    #[serde(default)]
    pub integration: Option<IntegrationId>,
}

impl Actor {
    pub fn account(id: AccountId, label: impl Into<String>) -> Self {
        Self { id: Some(id), label: label.into(), integration: None }
    }

    /// Embark itself (first-run setup, background work).
    pub fn system() -> Self {
        Self { id: None, label: "Embark".to_owned(), integration: None }
    }

    /// An identity provider acting through its SCIM integration, named so
    /// the log reads "Okta integration deactivated Sam Lee".
    pub fn integration(id: IntegrationId, name: &str) -> Self {
        let label = if name.to_lowercase().ends_with("integration") { name.to_owned() } else { format!("{name} integration") };
        Self { id: None, label, integration: Some(id) }
    }

    /// The command line, run by whoever operates the server.
    pub fn command_line() -> Self {
        Self { id: None, label: "command line".to_owned(), integration: None }
    }
}

macro_rules! audit_actions {
    ($($variant:ident = $value:literal, $words:literal;)*) => {
        /// What happened. Each value is a label of the PostgreSQL enum
        /// `audit_action`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "ssr", derive(sqlx::Type))]
        #[cfg_attr(feature = "ssr", sqlx(type_name = "audit_action"))]
        pub enum AuditAction {
            $(
                #[serde(rename = $value)]
                #[cfg_attr(feature = "ssr", sqlx(rename = $value))]
                $variant,
            )*
        }

        impl AuditAction {
            pub const ALL: &'static [AuditAction] = &[$(Self::$variant),*];

            /// The value stored in the database.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $value,)*
                }
            }

            /// How the admin panel says it.
            pub fn describe(self) -> &'static str {
                match self {
                    $(Self::$variant => $words,)*
                }
            }
        }
    };
}

audit_actions! {
    AccountCreated = "account.created", "Account created";
    AccountUpdated = "account.updated", "Details updated";
    AccountInvited = "account.invited", "Invitation sent";
    InvitationResent = "account.invitation_resent", "Invitation sent again";
    AccountClaimed = "account.claimed", "Account claimed";
    AccountDeactivated = "account.deactivated", "Deactivated";
    AccountReactivated = "account.reactivated", "Reactivated";
    AccountDeleted = "account.deleted", "Deleted";
    SignedIn = "session.signed_in", "Signed in";
    SignedOut = "session.signed_out", "Signed out";
    PasswordChanged = "password.changed", "Password changed";
    ProfileUpdated = "profile.updated", "Profile updated";
    PictureChanged = "profile.picture_changed", "Picture changed";
    InvitationsSent = "invitations.sent", "Invitations sent";
    InvitationLinkViewed = "invitation.link_viewed", "Claim link shown to an admin";
    ImportApplied = "import.applied", "Import applied";
    GroupCreated = "group.created", "Group created";
    GroupUpdated = "group.updated", "Group changed";
    GroupDeleted = "group.deleted", "Group deleted";
    GroupMemberAdded = "group.member_added", "Added to a group";
    GroupMemberRemoved = "group.member_removed", "Removed from a group";
    SettingsUpdated = "settings.updated", "Settings changed";
    SetupCompleted = "setup.completed", "Embark set up";
    Throttled = "security.throttled", "Attempts slowed down (too many failures)";
    SsoIdentityBound = "sso.identity_bound", "Single sign-on identity linked";
    SsoIdentityUnlinked = "sso.identity_unlinked", "Single sign-on identity unlinked";
    SsoRefused = "sso.refused", "Single sign-on refused";
    SsoSettingsChanged = "sso.settings_changed", "Single sign-on settings changed";
    SignInMethodChanged = "account.sign_in_method_changed", "Sign-in method changed";
    AccessCodeShown = "access_code.shown", "Access code shown to an admin";
    AccessCodesExported = "access_codes.exported", "Access codes printed or downloaded";
    IntegrationCreated = "integration.created", "Integration created";
    IntegrationChanged = "integration.changed", "Integration changed";
    IntegrationTokenRotated = "integration.token_rotated", "Integration token replaced";
    IntegrationRevoked = "integration.revoked", "Integration revoked";
}

/// What kind of thing an audit entry is about. Each value is a label of the
/// PostgreSQL enum `audit_target_kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(type_name = "audit_target_kind", rename_all = "snake_case"))]
#[serde(rename_all = "snake_case")]
pub enum AuditTargetKind {
    Account,
    Group,
    /// A spreadsheet import (`import_batch`).
    Import,
    /// One bulk invitation: Invite All, Invite Selected, or an import's
    /// "Invite now". Its people's own entries name it in their details.
    InvitationBatch,
    /// The organisation's settings (one of a kind: no id).
    Settings,
    /// A client address that was throttled (no id: the label is the address).
    ClientAddress,
    /// An identity provider's SCIM integration.
    Integration,
}

impl AuditTargetKind {
    pub const ALL: &'static [AuditTargetKind] =
        &[Self::Account, Self::Group, Self::Import, Self::InvitationBatch, Self::Settings, Self::ClientAddress, Self::Integration];

    /// The value stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::Group => "group",
            Self::Import => "import",
            Self::InvitationBatch => "invitation_batch",
            Self::Settings => "settings",
            Self::ClientAddress => "client_address",
            Self::Integration => "integration",
        }
    }
}

/// What an audit entry is about: its kind, its id (none for the settings)
/// and how it was named at the time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditTarget {
    pub kind: AuditTargetKind,
    pub id: Option<uuid::Uuid>,
    pub label: String,
}

impl AuditTarget {
    /// A person, named as the audit log names people: "Name <email>".
    pub fn account(id: AccountId, full_name: &str, email: Option<&str>) -> Self {
        Self { kind: AuditTargetKind::Account, id: Some(id.0), label: account_label(full_name, email) }
    }

    pub fn group(id: super::GroupId, name: &str) -> Self {
        Self { kind: AuditTargetKind::Group, id: Some(id.0), label: name.to_owned() }
    }

    pub fn import(id: uuid::Uuid, file_name: &str) -> Self {
        Self { kind: AuditTargetKind::Import, id: Some(id), label: file_name.to_owned() }
    }

    pub fn invitation_batch(id: uuid::Uuid, label: &str) -> Self {
        Self { kind: AuditTargetKind::InvitationBatch, id: Some(id), label: label.to_owned() }
    }

    pub fn settings(organization_name: &str) -> Self {
        Self { kind: AuditTargetKind::Settings, id: None, label: organization_name.to_owned() }
    }

    pub fn integration(id: uuid::Uuid, name: &str) -> Self {
        Self { kind: AuditTargetKind::Integration, id: Some(id), label: name.to_owned() }
    }

    pub fn client_address(address: std::net::IpAddr) -> Self {
        Self { kind: AuditTargetKind::ClientAddress, id: None, label: address.to_string() }
    }
}

/// How the audit log names a person.
pub fn account_label(full_name: &str, email: Option<&str>) -> String {
    match email {
        Some(email) => format!("{full_name} <{email}>"),
        None => full_name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_its_own_stored_value_and_words() {
        let mut values: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        values.sort_unstable();
        values.dedup();
        assert_eq!(values.len(), AuditAction::ALL.len());
        assert!(AuditAction::ALL.iter().all(|a| !a.describe().is_empty()));
    }

    #[test]
    fn people_are_named_with_their_email_when_they_have_one() {
        assert_eq!(account_label("Ada Lovelace", Some("ada@example.com")), "Ada Lovelace <ada@example.com>");
        assert_eq!(account_label("Ada Lovelace", None), "Ada Lovelace");
    }
}
