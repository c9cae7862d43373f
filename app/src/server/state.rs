use super::crypto::{PasswordHasher, SecretSealer};
use super::services::setup::SetupGate;
use sqlx::PgPool;

/// What every request handler and server function may reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub hasher: PasswordHasher,
    pub sealer: SecretSealer,
    /// Seals the single sign-on client secret (its own key).
    pub sso_sealer: SecretSealer,
    /// Seals the LDAP directory's bind password (its own key).
    pub directory_sealer: SecretSealer,
    /// The organisation's OpenID provider: HTTP client and cached keys.
    pub oidc: super::oidc::OidcClient,
    /// The configured public base URL without a trailing slash: the only
    /// source of links Embark hands out (SECURITY.md rule 6).
    pub public_url: String,
    pub setup: SetupGate,
    /// None when SMTP is not configured: mail then waits in the outbox.
    pub mailer: Option<super::mail::Mailer>,
    /// Proxies whose `X-Forwarded-For` is believed (`EMBARK_TRUSTED_PROXIES`).
    pub trusted_proxies: std::sync::Arc<[ipnet::IpNet]>,
    /// Requests per second each SCIM integration may make, on each server
    /// (`EMBARK_SCIM_RATE`); bursts of twice as many pass.
    pub scim_requests_per_second: u32,
}
