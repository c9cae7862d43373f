//! The audit log's vocabulary: who acted, what they did, and what kind of
//! thing they did it to. The enums are mirrored by the PostgreSQL enums
//! `audit_action` and `audit_target_kind` (a test holds them equal), and
//! this is the one place that puts an action into words.

use super::{AccountId, IntegrationId, Role};
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
    /// The role of the person acting from the admin panel, for the rules
    /// that only owners may break (acting on an owner).
    #[serde(default)]
    pub role: Option<Role>,
}

impl Actor {
    pub fn account(id: AccountId, label: impl Into<String>) -> Self {
        Self { id: Some(id), label: label.into(), integration: None, role: None }
    }

    /// The same person, acting with `role`.
    pub fn with_role(self, role: Role) -> Self {
        Self { role: Some(role), ..self }
    }

    /// Embark itself (first-run setup, background work).
    pub fn system() -> Self {
        Self { id: None, label: "Embark".to_owned(), integration: None, role: None }
    }

    /// An identity provider acting through its SCIM integration, named so
    /// the log reads "Okta integration deactivated Sam Lee".
    pub fn integration(id: IntegrationId, name: &str) -> Self {
        let label = if name.to_lowercase().ends_with("integration") { name.to_owned() } else { format!("{name} integration") };
        Self { id: None, label, integration: Some(id), role: None }
    }

    /// An anonymous visitor, known only by their address.
    pub fn visitor(client: std::net::IpAddr) -> Self {
        Self { id: None, label: format!("Visitor at {client}"), integration: None, role: None }
    }

    /// A scheduled directory sync, which no person started.
    pub fn directory_sync() -> Self {
        Self { id: None, label: "Directory sync".to_owned(), integration: None, role: None }
    }

    /// The command line, run by whoever operates the server.
    pub fn command_line() -> Self {
        Self { id: None, label: "command line".to_owned(), integration: None, role: None }
    }
}

macro_rules! audit_actions {
    ($($variant:ident = $value:literal, $words:literal, $phrase:literal;)*) => {
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

            /// What the actor did, to follow their name in a sentence;
            /// `{target}` stands for what it was done to.
            pub fn phrase(self) -> &'static str {
                match self {
                    $(Self::$variant => $phrase,)*
                }
            }

            pub fn parse(raw: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|action| action.as_str() == raw)
            }
        }
    };
}

audit_actions! {
    AccountCreated = "account.created", "Account created", "added {target}";
    AccountUpdated = "account.updated", "Details updated", "changed the details of {target}";
    AccountInvited = "account.invited", "Invitation sent", "invited {target}";
    InvitationResent = "account.invitation_resent", "Invitation sent again", "sent {target} a new invitation";
    AccountClaimed = "account.claimed", "Account claimed", "claimed their account";
    AccountDeactivated = "account.deactivated", "Deactivated", "deactivated {target}";
    AccountReactivated = "account.reactivated", "Reactivated", "reactivated {target}";
    AccountDeleted = "account.deleted", "Deleted", "deleted {target}";
    SignedIn = "session.signed_in", "Signed in", "signed in";
    SignedOut = "session.signed_out", "Signed out", "signed out";
    PasswordChanged = "password.changed", "Password changed", "changed their password";
    ProfileUpdated = "profile.updated", "Profile updated", "updated their profile";
    PictureChanged = "profile.picture_changed", "Picture changed", "changed their picture";
    InvitationsSent = "invitations.sent", "Invitations sent", "sent invitations: {target}";
    InvitationLinkViewed = "invitation.link_viewed", "Claim link shown to an admin", "looked at the claim link of {target}";
    ImportApplied = "import.applied", "Import applied", "applied the import {target}";
    GroupCreated = "group.created", "Group created", "created the group {target}";
    GroupUpdated = "group.updated", "Group changed", "changed the group {target}";
    GroupDeleted = "group.deleted", "Group deleted", "deleted the group {target}";
    GroupMemberAdded = "group.member_added", "Added to a group", "added {target} to a group";
    GroupMemberRemoved = "group.member_removed", "Removed from a group", "removed {target} from a group";
    SettingsUpdated = "settings.updated", "Settings changed", "changed the settings";
    SetupCompleted = "setup.completed", "Embark set up", "set up Embark";
    Throttled = "security.throttled", "Attempts slowed down (too many failures)", "was slowed down after too many failed attempts";
    SsoIdentityBound = "sso.identity_bound", "Single sign-on identity linked", "linked a single sign-on identity to {target}";
    SsoIdentityUnlinked = "sso.identity_unlinked", "Single sign-on identity unlinked", "unlinked the single sign-on identity of {target}";
    SsoRefused = "sso.refused", "Single sign-on refused", "was refused single sign-on";
    SsoSettingsChanged = "sso.settings_changed", "Single sign-on settings changed", "changed the single sign-on settings";
    SignInMethodChanged = "account.sign_in_method_changed", "Sign-in method changed", "changed how {target} signs in";
    AccessCodeShown = "access_code.shown", "Access code shown to an admin", "looked at the access code of {target}";
    AccessCodesExported = "access_codes.exported", "Access codes printed or downloaded", "printed or downloaded access codes";
    IntegrationCreated = "integration.created", "Integration created", "created the integration {target}";
    IntegrationChanged = "integration.changed", "Integration changed", "changed the integration {target}";
    IntegrationTokenRotated = "integration.token_rotated", "Integration token replaced", "made a new token for the integration {target}";
    IntegrationRevoked = "integration.revoked", "Integration revoked", "revoked the integration {target}";
    RoleChanged = "account.role_changed", "Role changed", "changed the role of {target}";
    PeopleExported = "people.exported", "People exported", "exported people";
    AuditLogExported = "audit.exported", "Audit log exported", "exported the audit log";
    DirectorySettingsChanged = "directory.settings_changed", "Directory sync settings changed", "changed the directory sync settings";
    DirectorySynced = "directory.synced", "Directory synced", "applied a directory sync: {target}";
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

/// Whose entries the audit log page shows: a person's id (from a link) or
/// their email address (typed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonKey {
    Id(AccountId),
    Email(super::EmailAddress),
}

/// The audit log page's filters and position, parsed from its address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogQuery {
    pub person: Option<PersonKey>,
    pub action: Option<AuditAction>,
    /// First and last day shown, inclusive, in UTC.
    pub from: Option<time::Date>,
    pub to: Option<time::Date>,
    /// Show entries older than this position (the "Older entries" link).
    pub before: Option<(time::OffsetDateTime, i64)>,
}

const DATE_FORMAT: &[time::format_description::BorrowedFormatItem<'_>] = time::macros::format_description!("[year]-[month]-[day]");

impl LogQuery {
    /// Each field as the address carries it; empty means "not filtered".
    pub fn parse(person: &str, action: &str, from: &str, to: &str, before: &str) -> Result<Self, super::FieldErrors> {
        let mut errors = super::FieldErrors::default();
        let person = person.trim();
        let person = if person.is_empty() {
            None
        } else if let Ok(id) = person.parse::<AccountId>() {
            Some(PersonKey::Id(id))
        } else {
            match super::EmailAddress::parse_field("person", person) {
                Ok(email) => Some(PersonKey::Email(email)),
                Err(_) => {
                    errors.push(super::FieldError::new("person", "Type the person's email address."));
                    None
                }
            }
        };
        let action = match action.trim() {
            "" => None,
            raw => AuditAction::parse(raw).or_else(|| {
                errors.push(super::FieldError::new("action", "Choose a kind of entry from the list."));
                None
            }),
        };
        let mut date = |field: &str, raw: &str| match raw.trim() {
            "" => None,
            raw => time::Date::parse(raw, DATE_FORMAT).ok().or_else(|| {
                errors.push(super::FieldError::new(field, "Give a date as year-month-day, like 2026-11-28."));
                None
            }),
        };
        let (from, to) = (date("from", from), date("to", to));
        if let (Some(from), Some(to)) = (from, to) {
            if from > to {
                errors.push(super::FieldError::new("to", "The last day comes before the first day."));
            }
        }
        let before = match before.trim() {
            "" => None,
            raw => parse_cursor(raw).or_else(|| {
                errors.push(super::FieldError::new("before", "This page of the log no longer exists; start again from the newest entries."));
                None
            }),
        };
        if errors.0.is_empty() {
            Ok(Self { person, action, from, to, before })
        } else {
            Err(errors)
        }
    }
}

/// A position in the log, for the address of the next page.
pub fn log_cursor(at: time::OffsetDateTime, id: i64) -> String {
    format!("{}_{id}", at.unix_timestamp_nanos())
}

fn parse_cursor(raw: &str) -> Option<(time::OffsetDateTime, i64)> {
    let (nanos, id) = raw.split_once('_')?;
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(nanos.parse().ok()?).ok()?;
    Some((at, id.parse().ok()?))
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
    fn the_log_query_parses_what_its_form_sends_and_refuses_the_rest() {
        let query = LogQuery::parse(" ada@example.com ", "account.invited", "2026-11-01", "2026-11-28", "").unwrap();
        assert!(matches!(query.person, Some(PersonKey::Email(_))));
        assert_eq!(query.action, Some(AuditAction::AccountInvited));
        assert_eq!(query.from, Some(time::macros::date!(2026 - 11 - 01)));
        let at = time::macros::datetime!(2026-11-28 10:00:00.123456789 UTC);
        assert_eq!(LogQuery::parse("", "", "", "", &log_cursor(at, 42)).unwrap().before, Some((at, 42)));
        let errors = LogQuery::parse("not an email", "account.nonsense", "28/11/2026", "", "x").unwrap_err();
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["person", "action", "from", "before"]);
        assert_eq!(LogQuery::parse("", "", "2026-11-28", "2026-11-01", "").unwrap_err().0[0].field, "to");
    }

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
