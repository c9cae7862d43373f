//! Talking to the organisation's OpenID Connect provider, through the
//! `openidconnect` crate: discovery, the authorization request (code flow
//! with PKCE S256, a fresh `state` and `nonce`), the code exchange, and the
//! ID token checks of OIDC Core 3.1.3.7 (signature under an allow-list of
//! asymmetric algorithms, `iss`, `aud`, `exp`, `nonce`). SECURITY.md rule 13.

use openidconnect::core::{CoreClient, CoreIdToken, CoreIdTokenClaims, CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreResponseType, CoreUserInfoClaims};
use openidconnect::{
    AuthenticationFlow, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, SignatureVerificationError, SubjectIdentifier, TokenResponse,
};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// How long the provider's configuration and keys are kept before they are
/// read again (a token naming an unknown key reads them at once).
const METADATA_LIFETIME: Duration = Duration::from_secs(3600);

/// The provider as Embark is registered at it.
pub struct ProviderSettings<'a> {
    pub issuer_url: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a str,
    /// Exact, and built from the public URL (SECURITY.md rule 6).
    pub redirect_uri: String,
}

/// What one sign-in attempt must remember, in the browser's server-side
/// session, until the provider sends the browser back. Used once.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Attempt {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// What the provider asserted about the person, from a verified ID token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asserted {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
}

/// Why the provider's answer was not accepted; each is said to the person
/// (and the admin testing the set-up) in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OidcError {
    #[error("Embark could not read the provider's configuration at {issuer}/.well-known/openid-configuration: {reason}")]
    Discovery { issuer: String, reason: String },
    #[error("the provider refused: {0}")]
    Refused(String),
    #[error("the provider did not accept the sign-in code: {0}")]
    Exchange(String),
    #[error("the provider sent no ID token")]
    NoIdToken,
    #[error("the ID token is not valid: {0}")]
    InvalidToken(String),
    #[error("the provider's UserInfo endpoint did not answer: {0}")]
    UserInfo(String),
}

/// The HTTP client and the provider's configuration and keys, shared by
/// every request.
#[derive(Clone)]
pub struct OidcClient {
    http: openidconnect::reqwest::Client,
    cached: Arc<Mutex<Option<Cached>>>,
}

struct Cached {
    issuer: String,
    metadata: CoreProviderMetadata,
    read_at: Instant,
}

impl Default for OidcClient {
    fn default() -> Self {
        Self::new()
    }
}

impl OidcClient {
    pub fn new() -> Self {
        // SECURITY: no redirects (a provider's answer is never followed
        // elsewhere), and bounded time for a provider that hangs.
        let http = openidconnect::reqwest::Client::builder()
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .build()
            .expect("the HTTP client's settings are valid");
        Self { http, cached: Arc::new(Mutex::new(None)) }
    }

    /// The provider's configuration and keys: kept for an hour, or read
    /// again now (`fresh`).
    async fn metadata(&self, issuer: &str, fresh: bool) -> Result<CoreProviderMetadata, OidcError> {
        if !fresh {
            let cached = self.cached.lock().expect("the provider cache is never poisoned");
            if let Some(cached) = cached.as_ref().filter(|c| c.issuer == issuer && c.read_at.elapsed() < METADATA_LIFETIME) {
                return Ok(cached.metadata.clone());
            }
        }
        let discovery_failed = |reason: String| OidcError::Discovery { issuer: issuer.to_owned(), reason };
        let issuer_url = IssuerUrl::new(issuer.to_owned()).map_err(|e| discovery_failed(e.to_string()))?;
        let metadata = CoreProviderMetadata::discover_async(issuer_url, &self.http).await.map_err(|e| discovery_failed(error_chain(&e)))?;
        *self.cached.lock().expect("the provider cache is never poisoned") =
            Some(Cached { issuer: issuer.to_owned(), metadata: metadata.clone(), read_at: Instant::now() });
        Ok(metadata)
    }

    /// Forgets the provider's configuration (its settings changed).
    pub fn forget(&self) {
        *self.cached.lock().expect("the provider cache is never poisoned") = None;
    }

    fn client(
        metadata: CoreProviderMetadata,
        settings: &ProviderSettings<'_>,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        OidcError,
    > {
        let redirect = RedirectUrl::new(settings.redirect_uri.clone())
            .map_err(|e| OidcError::Discovery { issuer: settings.issuer_url.to_owned(), reason: format!("the redirect URI is not a URL: {e}") })?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(settings.client_id.to_owned()),
            Some(ClientSecret::new(settings.client_secret.to_owned())),
        )
        .set_redirect_uri(redirect))
    }

    /// Where to send the browser, and what to remember until it returns.
    pub async fn begin(&self, settings: &ProviderSettings<'_>) -> Result<(String, Attempt), OidcError> {
        let client = Self::client(self.metadata(settings.issuer_url, false).await?, settings)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(AuthenticationFlow::<CoreResponseType>::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .add_scope(Scope::new("email".to_owned()))
            .add_scope(Scope::new("profile".to_owned()))
            .set_pkce_challenge(challenge)
            .url();
        Ok((url.to_string(), Attempt { state: state.secret().clone(), nonce: nonce.secret().clone(), pkce_verifier: verifier.secret().clone() }))
    }

    /// Exchanges the code for tokens and verifies the ID token.
    pub async fn finish(&self, settings: &ProviderSettings<'_>, attempt: &Attempt, code: &str, now: OffsetDateTime) -> Result<Asserted, OidcError> {
        let client = Self::client(self.metadata(settings.issuer_url, false).await?, settings)?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| OidcError::Exchange(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(attempt.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| OidcError::Exchange(error_chain(&e)))?;
        let id_token = tokens.id_token().ok_or(OidcError::NoIdToken)?;
        let mut asserted = self.verify(settings, id_token, &attempt.nonce, now).await?;
        // Many providers put the email and name only in the UserInfo
        // answer for the code flow (OIDC Core 5.4): ask it, for the same
        // subject (the crate checks it), when the ID token has no email.
        if asserted.email.is_none() {
            if let Ok(request) = client.user_info(tokens.access_token().clone(), Some(SubjectIdentifier::new(asserted.subject.clone()))) {
                let info: CoreUserInfoClaims = request.request_async(&self.http).await.map_err(|e| OidcError::UserInfo(error_chain(&e)))?;
                asserted.email = info.email().map(|e| e.to_string());
                asserted.email_verified = info.email_verified().unwrap_or(false);
                asserted.name = asserted.name.or_else(|| info.name().and_then(|n| n.get(None)).map(|n| n.to_string()));
            }
        }
        Ok(asserted)
    }

    /// Checks an ID token as [`finish`](Self::finish) does (tests present
    /// real tokens changed in one way each).
    pub async fn verify_id_token(&self, settings: &ProviderSettings<'_>, raw: &str, nonce: &str, now: OffsetDateTime) -> Result<Asserted, OidcError> {
        let token: CoreIdToken = raw.parse().map_err(|e: serde_json::Error| OidcError::InvalidToken(e.to_string()))?;
        self.verify(settings, &token, nonce, now).await
    }

    async fn verify(&self, settings: &ProviderSettings<'_>, token: &CoreIdToken, nonce: &str, now: OffsetDateTime) -> Result<Asserted, OidcError> {
        let metadata = self.metadata(settings.issuer_url, false).await?;
        match Self::check(metadata, settings, token, nonce, now) {
            // The provider rotated its keys: read them again, once.
            Err(ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoMatchingKey)) => {
                let metadata = self.metadata(settings.issuer_url, true).await?;
                Self::check(metadata, settings, token, nonce, now).map_err(|e| OidcError::InvalidToken(e.to_string()))
            }
            other => other.map_err(|e| OidcError::InvalidToken(e.to_string())),
        }
    }

    fn check(
        metadata: CoreProviderMetadata,
        settings: &ProviderSettings<'_>,
        token: &CoreIdToken,
        nonce: &str,
        now: OffsetDateTime,
    ) -> Result<Asserted, ClaimsVerificationError> {
        let client = Self::client(metadata, settings).map_err(|e| ClaimsVerificationError::Other(e.to_string()))?;
        let now = chrono::DateTime::from_timestamp(now.unix_timestamp(), 0).unwrap_or_default();
        // SECURITY: asymmetric signatures only: never `none`, never an HMAC
        // keyed with the client secret.
        let verifier = client.id_token_verifier().set_time_fn(move || now).set_allowed_algs([
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
            CoreJwsSigningAlgorithm::RsaSsaPssSha256,
            CoreJwsSigningAlgorithm::RsaSsaPssSha384,
            CoreJwsSigningAlgorithm::RsaSsaPssSha512,
            CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            CoreJwsSigningAlgorithm::EcdsaP384Sha384,
            CoreJwsSigningAlgorithm::EdDsa,
        ]);
        let claims: &CoreIdTokenClaims = token.claims(&verifier, &Nonce::new(nonce.to_owned()))?;
        Ok(Asserted {
            issuer: claims.issuer().to_string(),
            subject: claims.subject().to_string(),
            email: claims.email().map(|e| e.to_string()),
            email_verified: claims.email_verified().unwrap_or(false),
            name: claims.name().and_then(|n| n.get(None)).map(|n| n.to_string()),
        })
    }
}

/// An error with its causes, for the admin's test sign-in.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut words = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        words.push_str(": ");
        words.push_str(&cause.to_string());
        source = cause.source();
    }
    words
}
