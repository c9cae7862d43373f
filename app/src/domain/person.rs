use super::FieldError;
use serde::{Deserialize, Serialize};

fn bounded_text(field: &str, raw: &str, what: &str, max: usize) -> Result<String, FieldError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(FieldError::new(field, format!("Enter {what}.")));
    }
    if trimmed.chars().count() > max {
        return Err(FieldError::new(field, format!("This can be at most {max} characters long.")));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(FieldError::new(field, "This cannot contain line breaks or control characters."));
    }
    Ok(trimmed.to_owned())
}

/// A person's full name as they want it shown: 1–200 characters, one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::parse_field("full_name", raw)
    }

    pub fn parse_field(field: &str, raw: &str) -> Result<Self, FieldError> {
        bounded_text(field, raw, "a full name", 200).map(Self)
    }

    /// What a greeting uses: the first word of the name.
    pub fn first_name(&self) -> &str {
        self.0.split_whitespace().next().unwrap_or(&self.0)
    }
}

impl AsRef<str> for PersonName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The organisation's display name: 1–120 characters, one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationName(String);

impl OrganizationName {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        bounded_text("organization_name", raw, "your organisation's name", 120).map(Self)
    }
}

impl AsRef<str> for OrganizationName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_greeted_by_first_word() {
        let name = PersonName::parse("  Grace Brewster Hopper ").unwrap();
        assert_eq!(name.as_ref(), "Grace Brewster Hopper");
        assert_eq!(name.first_name(), "Grace");
    }

    #[test]
    fn empty_overlong_and_multiline_names_are_refused() {
        assert!(PersonName::parse("   ").is_err());
        assert!(PersonName::parse(&"x".repeat(201)).is_err());
        assert!(PersonName::parse("Ada\nLovelace").is_err());
        assert!(OrganizationName::parse("").is_err());
        assert_eq!(OrganizationName::parse(" Acme ").unwrap().as_ref(), "Acme");
    }
}

/// Optional one-line profile text (title, department, …): trimmed, at most
/// 200 characters, no line breaks. Empty means "not given".
pub fn optional_line(field: &str, raw: &str) -> Result<String, FieldError> {
    let trimmed = raw.trim();
    if trimmed.chars().count() > 200 {
        return Err(FieldError::new(field, "This can be at most 200 characters long."));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(FieldError::new(field, "This cannot contain line breaks or control characters."));
    }
    Ok(trimmed.to_owned())
}

/// The details a person confirms or amends when they claim their account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileDetails {
    pub full_name: PersonName,
    pub title: String,
    pub department: String,
    pub location: String,
    pub phone: String,
}

impl ProfileDetails {
    pub fn parse(full_name: &str, title: &str, department: &str, location: &str, phone: &str) -> Result<Self, super::FieldErrors> {
        let mut errors = super::FieldErrors::default();
        let full_name = errors.take(PersonName::parse(full_name));
        let title = errors.take(optional_line("title", title));
        let department = errors.take(optional_line("department", department));
        let location = errors.take(optional_line("location", location));
        let phone = errors.take(optional_line("phone", phone));
        match (full_name, title, department, location, phone) {
            (Some(full_name), Some(title), Some(department), Some(location), Some(phone)) if errors.is_empty() => {
                Ok(Self { full_name, title, department, location, phone })
            }
            _ => Err(errors),
        }
    }
}
