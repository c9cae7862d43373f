use super::{normalize_identifier, FieldError};
use serde::{Deserialize, Serialize};

/// An email address as the person typed it (trimmed), known to be plausible:
/// one `@`, a non-empty local part, a dotted domain, no spaces or control
/// characters, at most 254 characters. Deliverability is proven by mail, not
/// by syntax, so the check is deliberately permissive.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::parse_field("email", raw)
    }

    /// Like [`EmailAddress::parse`], reporting problems against `field`.
    pub fn parse_field(field: &str, raw: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        let problem = |message: &str| Err(FieldError::new(field, message));
        if trimmed.is_empty() {
            return problem("Enter an email address.");
        }
        if trimmed.chars().count() > Self::MAX_LEN {
            return problem("An email address can be at most 254 characters long.");
        }
        if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return problem("An email address cannot contain spaces.");
        }
        let Some((local, domain)) = trimmed.rsplit_once('@') else {
            return problem("An email address needs an @, like name@example.com.");
        };
        if local.is_empty() || local.contains('@') {
            return problem("Enter an email address like name@example.com.");
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 || labels.iter().any(|l| l.is_empty() || l.starts_with('-') || l.ends_with('-')) {
            return problem("The part after the @ should be a domain, like example.com.");
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The form addresses are compared and kept unique on.
    pub fn normalized(&self) -> String {
        normalize_identifier(&self.0)
    }

    /// The part before the `@`.
    pub fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map_or(&self.0, |(local, _)| local)
    }
}

impl AsRef<str> for EmailAddress {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = FieldError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<EmailAddress> for String {
    fn from(value: EmailAddress) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses_and_keeps_what_was_typed() {
        let email = EmailAddress::parse("  Ada.Lovelace+hr@Example.COM ").unwrap();
        assert_eq!(email.as_ref(), "Ada.Lovelace+hr@Example.COM");
        assert_eq!(email.normalized(), "ada.lovelace+hr@example.com");
        assert_eq!(email.local_part(), "Ada.Lovelace+hr");
    }

    #[test]
    fn compares_on_nfkc_lowercase() {
        let full_width = EmailAddress::parse("ＡＤＡ@example.com").unwrap();
        assert_eq!(full_width.normalized(), "ada@example.com");
    }

    #[test]
    fn rejects_what_cannot_be_an_address() {
        for raw in [
            "",
            "   ",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada@@example.com",
            "ada lovelace@example.com",
            "ada@example..com",
            "ada@-example.com",
            "ada@example.com\r\nBcc: x@y.z",
        ] {
            assert!(EmailAddress::parse(raw).is_err(), "{raw:?} should be rejected");
        }
    }

    #[test]
    fn rejects_overlong_addresses() {
        let raw = format!("{}@example.com", "a".repeat(250));
        assert!(EmailAddress::parse(&raw).is_err());
    }

    #[test]
    fn reports_the_named_field() {
        let err = EmailAddress::parse_field("manager_email", "nope").unwrap_err();
        assert_eq!(err.field, "manager_email");
    }
}
