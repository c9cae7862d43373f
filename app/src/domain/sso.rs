//! Single sign-on with the organisation's OpenID Connect provider: who signs
//! in with it, and its settings as an admin types them, parsed.

use super::{FieldError, FieldErrors};
use serde::{Deserialize, Serialize};

/// How one person signs in, when the organisation lets admins choose per
/// person ([`SsoPolicy::Chosen`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(type_name = "sign_in_method", rename_all = "lowercase"))]
#[serde(rename_all = "lowercase")]
pub enum SignInMethod {
    #[default]
    Password,
    Sso,
}

impl SignInMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::Sso => "sso",
        }
    }

    /// Accepts the form and import values ("password", "sso", "SSO", "Single sign-on").
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "password" => Some(Self::Password),
            "sso" | "single sign-on" => Some(Self::Sso),
            _ => None,
        }
    }
}

/// Who signs in with the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(type_name = "sso_policy", rename_all = "lowercase"))]
#[serde(rename_all = "lowercase")]
pub enum SsoPolicy {
    /// Single sign-on is off.
    #[default]
    Nobody,
    Everyone,
    /// The people whose sign-in method is [`SignInMethod::Sso`].
    Chosen,
}

impl SsoPolicy {
    pub const ALL: [SsoPolicy; 3] = [Self::Nobody, Self::Everyone, Self::Chosen];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nobody => "nobody",
            Self::Everyone => "everyone",
            Self::Chosen => "chosen",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Nobody => "Nobody (single sign-on is off)",
            Self::Everyone => "Everyone",
            Self::Chosen => "Only the people whose sign-in method is single sign-on",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == raw)
    }

    /// How a person whose own method is `method` signs in.
    pub fn method_for(self, method: SignInMethod) -> SignInMethod {
        match self {
            Self::Nobody => SignInMethod::Password,
            Self::Everyone => SignInMethod::Sso,
            Self::Chosen => method,
        }
    }
}

/// The single sign-on settings as typed on the Settings page.
pub struct SsoFields<'a> {
    pub issuer_url: &'a str,
    pub client_id: &'a str,
    /// Empty keeps the secret already saved.
    pub client_secret: &'a str,
    pub button_label: &'a str,
    pub trusted_domains: &'a str,
    pub policy: &'a str,
}

/// The single sign-on settings, valid by construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoSettings {
    /// The issuer, without a trailing slash: https, or http on the loopback
    /// (a provider on the same machine, as in tests).
    pub issuer_url: String,
    pub client_id: String,
    /// None keeps the secret already saved.
    pub client_secret: Option<String>,
    pub button_label: String,
    /// Lowercased, without duplicates.
    pub trusted_domains: Vec<String>,
    pub policy: SsoPolicy,
}

impl SsoSettings {
    pub fn parse(fields: &SsoFields<'_>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let issuer_url = errors.take(parse_issuer(fields.issuer_url));
        let client_id = fields.client_id.trim();
        if client_id.is_empty() || client_id.chars().count() > 500 || client_id.chars().any(char::is_control) {
            errors.push(FieldError::new("client_id", "Enter the client ID the provider gave Embark (one line)."));
        }
        let client_secret = fields.client_secret.trim();
        if client_secret.chars().count() > 2_000 || client_secret.chars().any(char::is_control) {
            errors.push(FieldError::new("client_secret", "The client secret is one line of at most 2,000 characters."));
        }
        let button_label = fields.button_label.trim();
        if button_label.is_empty() || button_label.chars().count() > 60 || button_label.chars().any(char::is_control) {
            errors.push(FieldError::new("button_label", "Enter the button's words, one line of at most 60 characters (e.g. \"Sign in with Acme SSO\")."));
        }
        let trusted_domains = errors.take(parse_domains(fields.trusted_domains));
        let policy = SsoPolicy::parse(fields.policy);
        if policy.is_none() {
            errors.push(FieldError::new("policy", "Choose who signs in with single sign-on."));
        }
        match (issuer_url, trusted_domains, policy) {
            (Some(issuer_url), Some(trusted_domains), Some(policy)) if errors.is_empty() => Ok(Self {
                issuer_url,
                client_id: client_id.to_owned(),
                client_secret: (!client_secret.is_empty()).then(|| client_secret.to_owned()),
                button_label: button_label.to_owned(),
                trusted_domains,
                policy,
            }),
            _ => Err(errors),
        }
    }

    /// Whether `email`'s domain is one the admin trusts the provider for.
    pub fn trusts(domains: &[String], email: &str) -> bool {
        email.rsplit_once('@').is_some_and(|(_, domain)| domains.iter().any(|d| d.eq_ignore_ascii_case(domain)))
    }
}

/// SECURITY: the provider is reached over https, except on the loopback (a
/// provider on this machine), so nobody on the network can answer for it.
fn parse_issuer(raw: &str) -> Result<String, FieldError> {
    let problem = || FieldError::new("issuer_url", "Enter the provider's issuer URL, starting with https:// (e.g. https://login.acme.com/realms/staff).");
    let trimmed = raw.trim().trim_end_matches('/');
    let url = url::Url::parse(trimmed).map_err(|_| problem())?;
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    let secure = url.scheme() == "https" || (url.scheme() == "http" && loopback);
    if !secure || url.host().is_none() || url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(problem());
    }
    Ok(trimmed.to_owned())
}

fn parse_domains(raw: &str) -> Result<Vec<String>, FieldError> {
    let mut domains: Vec<String> = Vec::new();
    for part in raw.split(|c: char| c == ',' || c.is_whitespace()).filter(|p| !p.is_empty()) {
        let domain = part.trim_start_matches('@').to_ascii_lowercase();
        let valid = domain.len() <= 253
            && domain.contains('.')
            && domain.split('.').all(|label| !label.is_empty() && label.len() <= 63 && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        if !valid {
            return Err(FieldError::new("trusted_domains", format!("\"{part}\" is not a domain. Write domains like acme.com, separated by commas.")));
        }
        if !domains.contains(&domain) {
            domains.push(domain);
        }
    }
    if domains.len() > 50 {
        return Err(FieldError::new("trusted_domains", "Trust at most 50 domains."));
    }
    Ok(domains)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields<'a>(issuer: &'a str, domains: &'a str) -> SsoFields<'a> {
        SsoFields {
            issuer_url: issuer,
            client_id: "embark",
            client_secret: "s3cret",
            button_label: "Sign in with Acme SSO",
            trusted_domains: domains,
            policy: "everyone",
        }
    }

    #[test]
    fn issuers_are_https_or_on_the_loopback() {
        assert_eq!(SsoSettings::parse(&fields("https://login.acme.com/", "")).unwrap().issuer_url, "https://login.acme.com");
        assert!(SsoSettings::parse(&fields("http://127.0.0.1:4300", "")).is_ok());
        assert!(SsoSettings::parse(&fields("http://localhost:4300", "")).is_ok());
        for bad in ["http://login.acme.com", "ftp://login.acme.com", "login.acme.com", "https://user@login.acme.com", "https://login.acme.com?x=1", ""] {
            let errors = SsoSettings::parse(&fields(bad, "")).unwrap_err();
            assert!(errors.for_field("issuer_url").is_some(), "{bad} was accepted");
        }
    }

    #[test]
    fn trusted_domains_are_lowercased_deduplicated_and_checked() {
        let settings = SsoSettings::parse(&fields("https://login.acme.com", "Acme.com, @acme.co.uk\nacme.com")).unwrap();
        assert_eq!(settings.trusted_domains, ["acme.com", "acme.co.uk"]);
        assert!(SsoSettings::trusts(&settings.trusted_domains, "ada@ACME.com"));
        assert!(!SsoSettings::trusts(&settings.trusted_domains, "ada@evil-acme.com"));
        assert!(!SsoSettings::trusts(&settings.trusted_domains, "ada@sub.acme.com"));
        let errors = SsoSettings::parse(&fields("https://login.acme.com", "acme.com, not a domain!")).unwrap_err();
        assert!(errors.for_field("trusted_domains").unwrap().contains("not"));
    }

    #[test]
    fn the_policy_decides_over_the_person_s_own_method() {
        assert_eq!(SsoPolicy::Nobody.method_for(SignInMethod::Sso), SignInMethod::Password);
        assert_eq!(SsoPolicy::Everyone.method_for(SignInMethod::Password), SignInMethod::Sso);
        assert_eq!(SsoPolicy::Chosen.method_for(SignInMethod::Sso), SignInMethod::Sso);
        assert_eq!(SsoPolicy::Chosen.method_for(SignInMethod::Password), SignInMethod::Password);
    }
}
