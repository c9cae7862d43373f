//! What admins fill in, parsed: each type here is valid by construction, and
//! its `parse` reports every problem against the form field that has it.

use super::{optional_line, EmailAddress, FieldError, FieldErrors, GroupId, OrganizationName, ProfileDetails, Username};
use serde::{Deserialize, Serialize};

/// The words an admin adds to an invitation: trimmed, at most 2,000
/// characters. Empty means none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonalMessage(Option<String>);

impl PersonalMessage {
    pub const MAX_CHARS: usize = 2_000;

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let message = raw.trim();
        if message.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::new("personal_message", "A personal message can be at most 2,000 characters long."));
        }
        Ok(Self((!message.is_empty()).then(|| message.to_owned())))
    }

    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

/// A group's editable settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSettings {
    /// One line of at most 100 characters.
    pub name: String,
    pub description: String,
    /// Anyone can find and join it when they claim their account.
    pub is_open: bool,
    /// Offered to everyone in the claim wizard.
    pub suggested_at_claim: bool,
}

impl GroupSettings {
    pub fn parse(name: &str, description: &str, is_open: bool, suggested_at_claim: bool) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = name.trim();
        if name.is_empty() {
            errors.push(FieldError::new("name", "Enter the group's name."));
        } else if name.chars().count() > 100 || name.chars().any(char::is_control) {
            errors.push(FieldError::new("name", "A group name is one line of at most 100 characters."));
        }
        let description = errors.take(optional_line("description", description));
        match description {
            Some(description) if errors.is_empty() => Ok(Self { name: name.to_owned(), description, is_open, suggested_at_claim }),
            _ => Err(errors),
        }
    }
}

/// A new integration's name and what it is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationSettings {
    /// One line of at most 100 characters ("Okta", "Entra ID").
    pub name: String,
    pub description: String,
}

impl IntegrationSettings {
    pub fn parse(name: &str, description: &str) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = name.trim();
        if name.is_empty() {
            errors.push(FieldError::new("name", "Name the integration, for example after the identity provider (Okta, Entra ID)."));
        } else if name.chars().count() > 100 || name.chars().any(char::is_control) {
            errors.push(FieldError::new("name", "An integration's name is one line of at most 100 characters."));
        }
        let description = errors.take(optional_line("description", description));
        match description {
            Some(description) if errors.is_empty() => Ok(Self { name: name.to_owned(), description }),
            _ => Err(errors),
        }
    }
}

/// Everything the Settings page edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationSettings {
    pub organization_name: OrganizationName,
    pub require_terms: bool,
    pub terms_text: String,
    /// How long a claim link works: 1 to 365 days.
    pub claim_link_lifetime_days: i32,
    /// How long an access code works: 1 to 365 days (None: unchanged).
    pub access_code_lifetime_days: Option<i32>,
    /// Wrong access codes allowed per client address in 15 minutes, 3 to
    /// 1,000, and from everyone together, 100 to 1,000,000 (None:
    /// unchanged).
    pub access_code_attempts_per_address: Option<i32>,
    pub access_code_attempts_overall: Option<i32>,
    /// One line of 1 to 200 characters.
    pub claim_email_subject: String,
    /// 1 to 10,000 characters, with `\n` line ends.
    pub claim_email_body: String,
}

/// The Settings form as typed.
pub struct SettingsFields<'a> {
    pub organization_name: &'a str,
    pub require_terms: bool,
    pub terms_text: &'a str,
    pub link_lifetime_days: &'a str,
    /// Absent from forms that do not show it.
    pub code_lifetime_days: Option<&'a str>,
    pub code_attempts_per_address: Option<&'a str>,
    pub code_attempts_overall: Option<&'a str>,
    pub claim_email_subject: &'a str,
    pub claim_email_body: &'a str,
}

impl OrganizationSettings {
    pub fn parse(fields: &SettingsFields<'_>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let organization_name = errors.take(OrganizationName::parse(fields.organization_name));
        let terms_text = fields.terms_text.trim().to_owned();
        if fields.require_terms && terms_text.is_empty() {
            errors.push(FieldError::new("terms_text", "Write the terms people must accept, or untick \"Require terms\"."));
        }
        if terms_text.chars().count() > 50_000 {
            errors.push(FieldError::new("terms_text", "The terms can be at most 50,000 characters long."));
        }
        let lifetime = match fields.link_lifetime_days.trim().parse::<i32>() {
            Ok(days @ 1..=365) => Some(days),
            _ => {
                errors.push(FieldError::new("link_lifetime_days", "Enter a whole number of days from 1 to 365."));
                None
            }
        };
        let mut optional_number = |field: &str, typed: Option<&str>, range: std::ops::RangeInclusive<i32>, message: &str| match typed
            .map(|n| n.trim().replace([',', ' '], "").parse::<i32>())
        {
            None => Some(None),
            Some(Ok(n)) if range.contains(&n) => Some(Some(n)),
            Some(_) => {
                errors.push(FieldError::new(field, message));
                None
            }
        };
        let code_lifetime = optional_number("code_lifetime_days", fields.code_lifetime_days, 1..=365, "Enter a whole number of days from 1 to 365.");
        let per_address = optional_number("code_attempts_per_address", fields.code_attempts_per_address, 3..=1_000, "Enter a whole number from 3 to 1,000.");
        let overall = optional_number("code_attempts_overall", fields.code_attempts_overall, 100..=1_000_000, "Enter a whole number from 100 to 1,000,000.");
        let subject = fields.claim_email_subject.trim().to_owned();
        if subject.is_empty() || subject.chars().count() > 200 || subject.contains(['\r', '\n']) {
            errors.push(FieldError::new("claim_email_subject", "The subject is one line of 1 to 200 characters."));
        }
        let body = fields.claim_email_body.replace("\r\n", "\n").trim().to_owned();
        if body.is_empty() || body.chars().count() > 10_000 {
            errors.push(FieldError::new("claim_email_body", "The message is 1 to 10,000 characters long."));
        }
        match (organization_name, lifetime, code_lifetime, per_address, overall) {
            (
                Some(organization_name),
                Some(claim_link_lifetime_days),
                Some(access_code_lifetime_days),
                Some(access_code_attempts_per_address),
                Some(access_code_attempts_overall),
            ) if errors.is_empty() => Ok(Self {
                organization_name,
                require_terms: fields.require_terms,
                terms_text,
                claim_link_lifetime_days,
                access_code_lifetime_days,
                access_code_attempts_per_address,
                access_code_attempts_overall,
                claim_email_subject: subject,
                claim_email_body: body,
            }),
            _ => Err(errors),
        }
    }
}

/// A person an admin adds on the Add person page. The manager is named by
/// email; the service finds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonToAdd {
    /// None for someone who gets an access code instead of an email.
    pub email: Option<EmailAddress>,
    /// Their sign-in name when they have no email (made from the name when
    /// left empty).
    pub username: Option<Username>,
    pub external_id: Option<String>,
    pub profile: ProfileDetails,
    pub manager_email: Option<EmailAddress>,
    pub groups: Vec<GroupId>,
    pub personal_message: PersonalMessage,
}

/// The Add person form as typed.
pub struct PersonFields<'a> {
    pub email: &'a str,
    pub username: &'a str,
    pub full_name: &'a str,
    pub title: &'a str,
    pub department: &'a str,
    pub location: &'a str,
    pub phone: &'a str,
    pub external_id: &'a str,
    pub manager_email: &'a str,
    pub groups: Vec<GroupId>,
    pub personal_message: &'a str,
}

impl PersonToAdd {
    pub fn parse(fields: PersonFields<'_>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        // Someone without email gets an access code; a username is theirs
        // only then (with email, they sign in with the email).
        let email = if fields.email.trim().is_empty() { Some(None) } else { errors.take(EmailAddress::parse(fields.email).map(Some)) };
        let username = match (fields.email.trim().is_empty(), fields.username.trim().is_empty()) {
            (true, false) => errors.take(Username::parse(fields.username).map(Some)),
            (false, false) => {
                errors.push(FieldError::new("username", "Leave the username empty for someone with an email address: they sign in with the email."));
                None
            }
            _ => Some(None),
        };
        let profile = match ProfileDetails::parse(fields.full_name, fields.title, fields.department, fields.location, fields.phone) {
            Ok(profile) => Some(profile),
            Err(profile_errors) => {
                errors.0.extend(profile_errors.0);
                None
            }
        };
        let external_id = errors.take(optional_line("external_id", fields.external_id));
        let manager_email = if fields.manager_email.trim().is_empty() {
            Some(None)
        } else {
            errors.take(EmailAddress::parse_field("manager_email", fields.manager_email).map(Some))
        };
        let personal_message = errors.take(PersonalMessage::parse(fields.personal_message));
        match (email, username, profile, external_id, manager_email, personal_message) {
            (Some(email), Some(username), Some(profile), Some(external_id), Some(manager_email), Some(personal_message)) if errors.is_empty() => Ok(Self {
                email,
                username,
                external_id: (!external_id.is_empty()).then_some(external_id),
                profile,
                manager_email,
                groups: fields.groups,
                personal_message,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_messages_are_trimmed_and_bounded() {
        assert_eq!(PersonalMessage::parse("  Welcome!  ").unwrap().as_deref(), Some("Welcome!"));
        assert_eq!(PersonalMessage::parse("   ").unwrap().as_deref(), None);
        assert_eq!(PersonalMessage::parse(&"x".repeat(2_001)).unwrap_err().field, "personal_message");
    }

    #[test]
    fn a_person_form_reports_every_bad_field() {
        let errors = PersonToAdd::parse(PersonFields {
            email: "not-an-email",
            username: "x",
            full_name: " ",
            title: "",
            department: "",
            location: "",
            phone: "",
            external_id: "",
            manager_email: "nobody",
            groups: Vec::new(),
            personal_message: "",
        })
        .unwrap_err();
        for field in ["email", "username", "full_name", "manager_email"] {
            assert!(errors.for_field(field).is_some(), "{field}");
        }
    }

    #[test]
    fn group_names_are_one_short_line() {
        assert!(GroupSettings::parse("Chess", "", true, false).is_ok());
        assert!(GroupSettings::parse(" ", "", true, false).unwrap_err().for_field("name").is_some());
        assert!(GroupSettings::parse(&"g".repeat(101), "", true, false).is_err());
    }

    #[test]
    fn settings_need_terms_when_required_and_a_lifetime_in_range() {
        let fields = SettingsFields {
            organization_name: "Acme",
            require_terms: true,
            terms_text: " ",
            link_lifetime_days: "400",
            code_lifetime_days: Some("0"),
            code_attempts_per_address: Some("2"),
            code_attempts_overall: Some("1,000"),
            claim_email_subject: "Hi",
            claim_email_body: "Body",
        };
        let errors = OrganizationSettings::parse(&fields).unwrap_err();
        assert!(errors.for_field("terms_text").is_some());
        assert!(errors.for_field("link_lifetime_days").is_some());
        assert!(errors.for_field("code_lifetime_days").is_some());
        assert!(errors.for_field("code_attempts_per_address").is_some());
        assert!(errors.for_field("code_attempts_overall").is_none(), "1,000 is a number");
        let kept = SettingsFields {
            require_terms: false,
            link_lifetime_days: "30",
            code_lifetime_days: None,
            code_attempts_per_address: None,
            code_attempts_overall: None,
            ..fields
        };
        assert_eq!(OrganizationSettings::parse(&kept).unwrap().access_code_lifetime_days, None, "a form without the field keeps the lifetime");
    }
}
