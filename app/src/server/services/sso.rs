//! Single sign-on with the organisation's OpenID Connect provider: its
//! settings, the round trip to the provider (started here, finished at the
//! callback), and what the asserted identity leads to — signing in, claiming
//! (from the sign-in page or the wizard's single sign-on step), or the
//! admin's test — or an honest refusal, each audited.
//!
//! SECURITY.md rules 10, 13 and 14: a fresh `state`, `nonce` and PKCE
//! verifier per attempt, kept in the browser's server-side session and used
//! once; a new session id when someone signs in; an identity binds to an
//! account only through a valid claim link or a verified email in a trusted
//! domain, and never to an account that has one already.

use crate::api::auth::Viewer;
use crate::api::sso::{BoundIdentity, PersonSignIn, SsoSettingsView, SsoTestResult};
use crate::domain::{normalize_identifier, timestamp_label, AccountId, AccountStatus, Actor, AuditAction, AuditTarget, SignInMethod, SsoPolicy, SsoSettings};
use crate::error::AppError;
use crate::server::crypto::secrets_equal;
use crate::server::db::sso::{self, AccountKey};
use crate::server::db::{self, accounts};
use crate::server::oidc::{Asserted, Attempt, OidcError, ProviderSettings};
use crate::server::services::auth::SignedIn;
use crate::server::services::claim::{self, WizardError};
use crate::server::services::lifecycle::SsoIdentity;
use crate::server::services::roles;
use crate::server::services::throttle::{self, Limit, Subject, Throttled};
use crate::server::{context, session as auth_session, AppState};
use db::audit::{self, AuditEvent};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::net::IpAddr;
use time::{Duration, OffsetDateTime};
use tower_sessions::Session;

const ATTEMPT_KEY: &str = "sso_attempt";
const TEST_RESULT_KEY: &str = "sso_test_result";

/// How long a person may take at the provider.
const ATTEMPT_LIFETIME: Duration = Duration::minutes(15);

/// What a round trip to the provider is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Purpose {
    /// The sign-in page's button: sign in, or claim an invited account.
    SignIn,
    /// The claim wizard's single sign-on step.
    Claim,
    /// An admin trying the settings out.
    Test,
}

impl Purpose {
    pub fn parse(raw: Option<&str>) -> Self {
        match raw {
            Some("claim") => Self::Claim,
            Some("test") => Self::Test,
            _ => Self::SignIn,
        }
    }
}

/// One attempt, as the session keeps it until the provider sends the
/// browser back.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct PendingAttempt {
    purpose: Purpose,
    attempt: Attempt,
    started_at: i64,
}

/// Why single sign-on did not go ahead; each has its own page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SsoRefusal {
    #[error("single sign-on is not set up")]
    NotConfigured,
    #[error("no sign-in was started in this browser, or it was already used")]
    NoAttempt,
    #[error("{0}")]
    Provider(OidcError),
    #[error("the provider gave no email address")]
    NoEmail,
    #[error("the provider has not verified the email address")]
    EmailUnverified { email: String },
    #[error("the email address is not in a domain the organisation trusts")]
    UntrustedDomain { email: String },
    #[error("no account has this email address")]
    NoAccount { email: String },
    #[error("the account has not been invited yet")]
    NotInvitedYet,
    #[error("the account is deactivated")]
    Deactivated,
    #[error("the account is already linked to another identity")]
    IdentityInUse,
    #[error("the account signs in with a password")]
    UsesPassword,
    #[error("the provider's email address is not the invitation's")]
    EmailMismatch { given: String },
    #[error("the browser is not in the middle of a claim")]
    NoClaim,
    #[error("only administrators can test single sign-on")]
    NotAdmin,
    #[error(transparent)]
    Throttled(Throttled),
}

impl SsoRefusal {
    /// A short code for the audit log.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotConfigured => "not_configured",
            Self::NoAttempt => "no_attempt",
            Self::Provider(OidcError::InvalidToken(_)) => "invalid_token",
            Self::Provider(_) => "provider_error",
            Self::NoEmail => "no_email",
            Self::EmailUnverified { .. } => "email_unverified",
            Self::UntrustedDomain { .. } => "untrusted_domain",
            Self::NoAccount { .. } => "no_account",
            Self::NotInvitedYet => "not_invited_yet",
            Self::Deactivated => "deactivated",
            Self::IdentityInUse => "identity_in_use",
            Self::UsesPassword => "uses_password",
            Self::EmailMismatch { .. } => "email_mismatch",
            Self::NoClaim => "no_claim",
            Self::NotAdmin => "not_admin",
            Self::Throttled(_) => "throttled",
        }
    }

    /// The page's heading and its one sentence of what to do next.
    pub fn page(&self) -> (&'static str, String) {
        match self {
            Self::NotConfigured => ("Single sign-on is not set up", "Sign in with your email address and password instead.".to_owned()),
            Self::NoAttempt => (
                "This sign-in has expired",
                "The page you came back from was already used or is too old. Start again from the sign-in page.".to_owned(),
            ),
            Self::Provider(error) => ("Your identity provider's answer didn't work", format!("Start again from the sign-in page; if it keeps happening, tell your administrator ({error}).")),
            Self::NoEmail => ("Your identity provider gave no email address", "Please ask your administrator to look at your account at the identity provider.".to_owned()),
            Self::EmailUnverified { email } => (
                "Your email address isn't verified",
                format!("Your identity provider hasn't verified {email}. Please ask your administrator to verify it there, then try again."),
            ),
            Self::UntrustedDomain { email } => (
                "This email address can't be used here",
                format!("{email} is not in a domain your organisation uses with Embark. Sign in at your identity provider with your work account."),
            ),
            Self::NoAccount { email } => (
                "There's no Embark account for you yet",
                format!("Nobody at your organisation has added {email} to Embark. Please ask your administrator to add you."),
            ),
            Self::NotInvitedYet => (
                "Your account isn't ready yet",
                "Your administrator has added you but not invited you yet. You'll get an invitation when they do.".to_owned(),
            ),
            Self::Deactivated => ("Your account is deactivated", "Please contact your administrator if you think this is a mistake.".to_owned()),
            Self::IdentityInUse => (
                "Your sign-in is linked to another account",
                "This account is linked to a different identity at the provider. Please ask your administrator to look at it.".to_owned(),
            ),
            Self::UsesPassword => ("Your account signs in with a password", "Sign in with your email address and password on the sign-in page.".to_owned()),
            Self::EmailMismatch { given } => (
                "That's a different email address",
                format!("Your identity provider signed you in as {given}, which is not the address you were invited at. Please ask your administrator to look at it; nothing was changed."),
            ),
            Self::NoClaim => ("Open your invitation link first", "Open the link in your invitation email, then continue from there.".to_owned()),
            Self::NotAdmin => ("Only owners can test single sign-on", "Sign in as an owner of this Embark to test it.".to_owned()),
            Self::Throttled(throttled) => ("Too many sign-ins started", throttled.message("start single sign-on")),
        }
    }
}

/// The outcome of [`start`] or [`finish`], when something unexpected failed
/// (the database), not the person.
#[derive(Debug, thiserror::Error)]
pub enum SsoFailure {
    #[error(transparent)]
    Refused(#[from] SsoRefusal),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for SsoFailure {
    fn from(error: sqlx::Error) -> Self {
        Self::Unexpected(error.into())
    }
}

impl From<tower_sessions::session::Error> for SsoFailure {
    fn from(error: tower_sessions::session::Error) -> Self {
        Self::Unexpected(error.into())
    }
}

/// The provider as saved, with its secret opened.
struct Provider {
    configuration: sso::ConfigurationRow,
    client_secret: String,
}

impl Provider {
    fn settings(&self, state: &AppState) -> ProviderSettings<'_> {
        ProviderSettings {
            issuer_url: &self.configuration.issuer_url,
            client_id: &self.configuration.client_id,
            client_secret: &self.client_secret,
            redirect_uri: redirect_uri(state),
        }
    }
}

async fn provider(state: &AppState) -> Result<Option<Provider>, SsoFailure> {
    let Some(configuration) = sso::configuration(&state.pool).await? else {
        return Ok(None);
    };
    let client_secret = state.sso_sealer.open(&configuration.client_secret_sealed)?;
    Ok(Some(Provider { configuration, client_secret }))
}

/// What to register at the provider as the redirect URI.
pub fn redirect_uri(state: &AppState) -> String {
    format!("{}/sso/callback", state.public_url)
}

/// Starts a round trip to the provider: returns where to send the browser.
/// The sign-in page's button works only while single sign-on is on; an
/// admin may test it before turning it on.
pub async fn start(
    state: &AppState,
    session: &Session,
    viewer: Option<&Viewer>,
    client: IpAddr,
    purpose: Purpose,
    now: OffsetDateTime,
) -> Result<String, SsoFailure> {
    let from_address = Subject::Address(client);
    let limit = [(Limit::SsoStartFromAddress, &from_address)];
    if let Err(throttled) = throttle::check(&state.pool, limit, now).await? {
        return Err(SsoRefusal::Throttled(throttled).into());
    }
    let provider = provider(state).await?.ok_or(SsoRefusal::NotConfigured)?;
    match purpose {
        Purpose::Test if !viewer.is_some_and(Viewer::is_owner) => return Err(SsoRefusal::NotAdmin.into()),
        Purpose::Test => {}
        _ if provider.configuration.policy == SsoPolicy::Nobody => return Err(SsoRefusal::NotConfigured.into()),
        Purpose::Claim if !claim::is_claiming(session).await.map_err(wizard_failure)? => return Err(SsoRefusal::NoClaim.into()),
        _ => {}
    }
    let (url, attempt) = state.oidc.begin(&provider.settings(state)).await.map_err(SsoRefusal::Provider)?;
    throttle::record_failures(&state.pool, limit, client, None, now).await?;
    session.insert(ATTEMPT_KEY, PendingAttempt { purpose, attempt, started_at: now.unix_timestamp() }).await?;
    Ok(url)
}

/// What the provider sent back to `/sso/callback`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// Where the browser goes after the callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finished {
    /// Signed in: the home page.
    SignedIn,
    /// The claim wizard goes on (or starts): `/claim`.
    Claim,
    /// The admin's test result is on the Settings page.
    Tested,
}

/// The provider sent the browser back: checks the answer against the
/// attempt this browser started (used up whatever happens), then acts on
/// it for the attempt's purpose. Refusals are audited.
pub async fn finish(
    state: &AppState,
    session: &Session,
    viewer: Option<&Viewer>,
    client: IpAddr,
    params: CallbackParams,
    now: OffsetDateTime,
) -> Result<Finished, SsoFailure> {
    let pending: Option<PendingAttempt> = session.remove(ATTEMPT_KEY).await?;
    let outcome = answer(state, pending.as_ref(), &params, now).await;
    let purpose = pending.as_ref().map(|p| p.purpose);
    if purpose == Some(Purpose::Test) {
        let result = match outcome {
            Ok((asserted, _)) => SsoTestResult::Asserted {
                issuer: asserted.issuer,
                subject: asserted.subject,
                email: asserted.email,
                email_verified: asserted.email_verified,
                name: asserted.name,
            },
            Err(SsoFailure::Refused(refusal)) => SsoTestResult::Failed(refusal.to_string()),
            Err(failure) => return Err(failure),
        };
        session.insert(TEST_RESULT_KEY, result).await?;
        return Ok(Finished::Tested);
    }
    let result = match outcome {
        Ok((asserted, provider)) => match purpose {
            Some(Purpose::Claim) => claim_step(state, session, asserted).await,
            _ => sign_in(state, session, viewer, &provider.configuration, asserted, now).await,
        },
        Err(failure) => Err(failure),
    };
    match &result {
        Err(SsoFailure::Refused(refusal)) => record_refusal(state, refusal, client, now).await?,
        Err(SsoFailure::Unexpected(_)) => {}
        Ok(_) => throttle::forget(&state.pool, Limit::SsoStartFromAddress, &Subject::Address(client)).await?,
    }
    result
}

/// The provider's answer, checked against the attempt.
async fn answer(state: &AppState, pending: Option<&PendingAttempt>, params: &CallbackParams, now: OffsetDateTime) -> Result<(Asserted, Provider), SsoFailure> {
    let pending = pending.ok_or(SsoRefusal::NoAttempt)?;
    let returned = params.state.as_deref().unwrap_or_default();
    // SECURITY: the state must be this browser's, from this attempt, and recent.
    let fresh = now.unix_timestamp() - pending.started_at <= ATTEMPT_LIFETIME.whole_seconds();
    if !fresh || !secrets_equal(returned.as_bytes(), pending.attempt.state.as_bytes()) {
        return Err(SsoRefusal::NoAttempt.into());
    }
    if let Some(error) = &params.error {
        let description = params.error_description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default();
        return Err(SsoRefusal::Provider(OidcError::Refused(format!("{error}{description}"))).into());
    }
    let code = params.code.as_deref().filter(|c| !c.is_empty()).ok_or(SsoRefusal::Provider(OidcError::Refused("no code was sent back".to_owned())))?;
    let provider = provider(state).await?.ok_or(SsoRefusal::NotConfigured)?;
    let asserted = state.oidc.finish(&provider.settings(state), &pending.attempt, code, now).await.map_err(SsoRefusal::Provider)?;
    Ok((asserted, provider))
}

fn identity_of(asserted: &Asserted) -> SsoIdentity {
    SsoIdentity { issuer: asserted.issuer.clone(), subject: asserted.subject.clone(), email: asserted.email.clone() }
}

fn wizard_failure(error: WizardError) -> SsoFailure {
    match error {
        WizardError::NoClaim | WizardError::SignedIn | WizardError::EarlierStepsFirst => SsoRefusal::NoClaim.into(),
        WizardError::EmailMismatch { given } => SsoRefusal::EmailMismatch { given }.into(),
        WizardError::IdentityInUse => SsoRefusal::IdentityInUse.into(),
        WizardError::Unexpected(error) => SsoFailure::Unexpected(error),
        other => SsoFailure::Unexpected(anyhow::anyhow!("{other}")),
    }
}

/// The wizard's single sign-on step.
async fn claim_step(state: &AppState, session: &Session, asserted: Asserted) -> Result<Finished, SsoFailure> {
    claim::attach_identity(state, session, identity_of(&asserted)).await.map_err(wizard_failure)?;
    Ok(Finished::Claim)
}

/// The sign-in page's button: a bound identity signs its person in; an
/// unbound one may claim an invited account (or link a claimed one that
/// signs in with single sign-on) by a verified email in a trusted domain.
async fn sign_in(
    state: &AppState,
    session: &Session,
    viewer: Option<&Viewer>,
    configuration: &sso::ConfigurationRow,
    asserted: Asserted,
    now: OffsetDateTime,
) -> Result<Finished, SsoFailure> {
    let account = match sso::identity_by_subject(&state.pool, &asserted.issuer, &asserted.subject).await? {
        Some(bound) => sso::account(&state.pool, AccountKey::Id(bound.account_id)).await?.ok_or(SsoRefusal::NoAttempt)?,
        None => {
            let email = asserted.email.clone().ok_or(SsoRefusal::NoEmail)?;
            if !asserted.email_verified {
                return Err(SsoRefusal::EmailUnverified { email }.into());
            }
            if !SsoSettings::trusts(&configuration.trusted_domains, &email) {
                return Err(SsoRefusal::UntrustedDomain { email }.into());
            }
            let account = sso::account(&state.pool, AccountKey::Email(&normalize_identifier(&email))).await?.ok_or(SsoRefusal::NoAccount { email })?;
            // SECURITY: never a second identity for an account.
            if account.has_identity {
                return Err(SsoRefusal::IdentityInUse.into());
            }
            match account.status {
                AccountStatus::Invited => {
                    if viewer.is_some() {
                        auth_session::end(session).await?;
                    }
                    claim::begin_with_identity(session, account.id, identity_of(&asserted)).await.map_err(wizard_failure)?;
                    return Ok(Finished::Claim);
                }
                AccountStatus::Claimed if account.signs_in_with() == SignInMethod::Sso => {
                    bind_claimed(state, &account, &asserted, now).await?;
                    account
                }
                _ => account,
            }
        }
    };
    match account.status {
        AccountStatus::Claimed if account.signs_in_with() == SignInMethod::Sso => {}
        AccountStatus::Claimed => return Err(SsoRefusal::UsesPassword.into()),
        AccountStatus::Deactivated => return Err(SsoRefusal::Deactivated.into()),
        AccountStatus::Uninvited => return Err(SsoRefusal::NotInvitedYet.into()),
        AccountStatus::Invited => return Err(SsoRefusal::NotInvitedYet.into()),
    }
    let target = AuditTarget::account(account.id, &account.full_name, account.email.as_deref());
    let actor = Actor::account(account.id, account.full_name.clone());
    audit::record(&state.pool, AuditEvent { actor: &actor, action: AuditAction::SignedIn, target: &target, details: json!({ "method": "sso" }), now }).await?;
    let signed_in = SignedIn { account_id: account.id, role: account.role, session_epoch: account.session_epoch };
    // SECURITY: a new session id at the callback (SECURITY.md rule 10).
    auth_session::establish(session, &signed_in, now).await?;
    Ok(Finished::SignedIn)
}

/// Links the provider's identity to a claimed person who signs in with
/// single sign-on and has none yet (a company turning it on).
async fn bind_claimed(state: &AppState, account: &sso::SsoAccountRow, asserted: &Asserted, now: OffsetDateTime) -> Result<(), SsoFailure> {
    let mut tx = state.pool.begin().await?;
    if let Err(error) = sso::bind(&mut tx, account.id, &asserted.issuer, &asserted.subject, asserted.email.as_deref(), now).await {
        return Err(match db::unique_violation(&error) {
            Some(_) => SsoRefusal::IdentityInUse.into(),
            None => error.into(),
        });
    }
    let target = AuditTarget::account(account.id, &account.full_name, account.email.as_deref());
    let actor = Actor::account(account.id, account.full_name.clone());
    let details = json!({ "issuer": asserted.issuer, "subject": asserted.subject, "email": asserted.email });
    audit::record(&mut *tx, AuditEvent { actor: &actor, action: AuditAction::SsoIdentityBound, target: &target, details, now }).await?;
    tx.commit().await?;
    Ok(())
}

async fn record_refusal(state: &AppState, refusal: &SsoRefusal, client: IpAddr, now: OffsetDateTime) -> Result<(), SsoFailure> {
    tracing::info!(reason = refusal.code(), "single sign-on refused");
    let actor = Actor::visitor(client);
    let details = json!({ "reason": refusal.code(), "detail": refusal.to_string(), "client_address": client.to_string() });
    audit::record(&state.pool, AuditEvent { actor: &actor, action: AuditAction::SsoRefused, target: &AuditTarget::client_address(client), details, now })
        .await?;
    Ok(())
}

/// The Settings page's section, with the last test result (shown once).
pub async fn settings_view(state: &AppState, session: &Session) -> anyhow::Result<SsoSettingsView> {
    let test_result: Option<SsoTestResult> = session.remove(TEST_RESULT_KEY).await?;
    let saved = sso::configuration(&state.pool).await?;
    Ok(match saved {
        Some(c) => SsoSettingsView {
            configured: true,
            issuer_url: c.issuer_url,
            client_id: c.client_id,
            has_client_secret: true,
            button_label: c.button_label,
            trusted_domains: c.trusted_domains.join(", "),
            policy: c.policy,
            redirect_uri: redirect_uri(state),
            test_result,
        },
        None => SsoSettingsView {
            configured: false,
            issuer_url: String::new(),
            client_id: String::new(),
            has_client_secret: false,
            button_label: "Sign in with single sign-on".to_owned(),
            trusted_domains: String::new(),
            policy: SsoPolicy::Nobody,
            redirect_uri: redirect_uri(state),
            test_result,
        },
    })
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("enter the client secret the provider gave Embark")]
    SecretNeeded,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for SettingsError {
    fn from(error: sqlx::Error) -> Self {
        Self::Unexpected(error.into())
    }
}

impl From<SettingsError> for AppError {
    fn from(error: SettingsError) -> Self {
        match error {
            SettingsError::SecretNeeded => {
                context::invalid(crate::domain::FieldError::new("client_secret", "Enter the client secret the provider gave Embark."))
            }
            SettingsError::Unexpected(error) => AppError::from(error),
        }
    }
}

/// Saves the single sign-on settings (the secret sealed; kept when none is
/// typed), audited without the secret.
pub async fn save_settings(state: &AppState, actor: &Actor, settings: &SsoSettings, now: OffsetDateTime) -> Result<(), SettingsError> {
    let sealed = settings.client_secret.as_deref().map(|secret| state.sso_sealer.seal(secret));
    let mut tx = state.pool.begin().await?;
    if !sso::save_configuration(&mut tx, settings, sealed.as_deref(), now).await? {
        return Err(SettingsError::SecretNeeded);
    }
    let details = json!({
        "issuer_url": settings.issuer_url,
        "client_id": settings.client_id,
        "client_secret_replaced": settings.client_secret.is_some(),
        "button_label": settings.button_label,
        "trusted_domains": settings.trusted_domains,
        "policy": settings.policy,
    });
    audit::record(&mut *tx, AuditEvent { actor, action: AuditAction::SsoSettingsChanged, target: &AuditTarget::settings("Single sign-on"), details, now })
        .await?;
    tx.commit().await?;
    state.oidc.forget();
    state.sign_in_page.forget();
    Ok(())
}

/// How a person signs in, for their page.
pub async fn person_sign_in(state: &AppState, account: AccountId) -> anyhow::Result<Option<PersonSignIn>> {
    let Some(found) = sso::account(&state.pool, AccountKey::Id(account)).await? else {
        return Ok(None);
    };
    let identity = sso::identity_of(&state.pool, account).await?.map(|i| BoundIdentity {
        issuer: i.issuer,
        subject: i.subject,
        email: i.email,
        bound_at: timestamp_label(i.bound_at),
    });
    Ok(Some(PersonSignIn { method: found.sign_in_method, effective_method: found.signs_in_with(), policy: found.policy, identity }))
}

#[derive(Debug, thiserror::Error)]
pub enum PersonSsoError {
    #[error("there is no such account")]
    NotFound,
    #[error("this person has no linked identity")]
    NoIdentity,
    #[error("only an owner can change how an owner signs in")]
    OwnersOnly,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for PersonSsoError {
    fn from(error: sqlx::Error) -> Self {
        Self::Unexpected(error.into())
    }
}

impl From<PersonSsoError> for AppError {
    fn from(error: PersonSsoError) -> Self {
        match error {
            PersonSsoError::NotFound => context::not_found(),
            PersonSsoError::NoIdentity => context::refused("Not done: this person has no linked identity."),
            PersonSsoError::OwnersOnly => context::refused("Not done: only an owner can change how an owner signs in."),
            PersonSsoError::Unexpected(error) => AppError::from(error),
        }
    }
}

/// Unlinks a person's identity (audited); they can then claim again from a
/// new invitation, or link another identity.
pub async fn unlink(state: &AppState, actor: &Actor, account: AccountId, now: OffsetDateTime) -> Result<(), PersonSsoError> {
    let mut tx = state.pool.begin().await?;
    let person = accounts::find_for_update(&mut tx, account).await?.ok_or(PersonSsoError::NotFound)?;
    if !roles::may_act_on(actor, person.role) {
        return Err(PersonSsoError::OwnersOnly);
    }
    let removed = sso::unlink(&mut tx, account).await?.ok_or(PersonSsoError::NoIdentity)?;
    let target = AuditTarget::account(person.id, &person.full_name, person.email.as_deref());
    let details = json!({ "issuer": removed.issuer, "subject": removed.subject });
    audit::record(&mut *tx, AuditEvent { actor, action: AuditAction::SsoIdentityUnlinked, target: &target, details, now }).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets a person's own sign-in method (audited).
pub async fn set_method(state: &AppState, actor: &Actor, account: AccountId, method: SignInMethod, now: OffsetDateTime) -> Result<(), PersonSsoError> {
    let mut tx = state.pool.begin().await?;
    let person = accounts::find_for_update(&mut tx, account).await?.ok_or(PersonSsoError::NotFound)?;
    if !roles::may_act_on(actor, person.role) {
        return Err(PersonSsoError::OwnersOnly);
    }
    sso::set_sign_in_method(&mut tx, account, method, now).await?;
    let target = AuditTarget::account(person.id, &person.full_name, person.email.as_deref());
    audit::record(&mut *tx, AuditEvent { actor, action: AuditAction::SignInMethodChanged, target: &target, details: json!({ "method": method }), now }).await?;
    tx.commit().await?;
    Ok(())
}
