use super::crypto::{PasswordHasher, SecretSealer};
use super::services::setup::SetupGate;
use sqlx::PgPool;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

/// What every request handler and server function may reach. One shared
/// allocation: a request copies it several times (extension, context, each
/// server function), and each copy costs one reference count.
#[derive(Clone)]
pub struct AppState(Arc<SharedState>);

impl AppState {
    pub fn new(shared: SharedState) -> Self {
        Self(Arc::new(shared))
    }
}

impl Deref for AppState {
    type Target = SharedState;
    fn deref(&self) -> &SharedState {
        &self.0
    }
}

/// Changing a field gives this handle a copy of its own (tests set a
/// public URL, a sealer or a rate before or after starting a server).
impl DerefMut for AppState {
    fn deref_mut(&mut self) -> &mut SharedState {
        Arc::make_mut(&mut self.0)
    }
}

/// The fields of [`AppState`].
#[derive(Clone)]
pub struct SharedState {
    pub pool: PgPool,
    pub hasher: PasswordHasher,
    pub sealer: SecretSealer,
    /// Seals the single sign-on client secret (its own key).
    pub sso_sealer: SecretSealer,
    /// Seals the LDAP directory's bind password (its own key).
    pub directory_sealer: SecretSealer,
    /// What the sign-in page shows, kept for a second (shared by copies).
    pub sign_in_page: Arc<super::services::auth::SignInPageCache>,
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
