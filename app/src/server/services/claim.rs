//! The claim wizard's server side: what one browser has proven and chosen so
//! far (kept in its session), which steps its claim has and which comes
//! next, and finishing through the one claim transition
//! ([`lifecycle::complete_claim`]).
//!
//! The session holds the claim's [`ClaimProof`] (a link's SHA-256, never the
//! link), so a copy of the session store reveals no usable secret either.

use crate::api::auth::Viewer;
use crate::api::claim::{ClaimView, GroupChoice, LinkProblem, Step, StepView};
use crate::domain::{
    normalize_identifier, AccessCode, AccountId, FieldError, FieldErrors, GroupId, Password, ProfileDetails, SignInMethod, Username, USERNAME_TAKEN,
};
use crate::error::AppError;
use crate::server::crypto::secret_digest;
use crate::server::db::credentials::{self, CredentialKind};
use crate::server::db::wizard::SignInRules;
use crate::server::db::{accounts, groups, settings, sso, wizard};
use crate::server::services::auth::SignedIn;
use crate::server::services::lifecycle::{self, ClaimDetails, ClaimError, ClaimFailure, ClaimProof, SsoIdentity};
use crate::server::services::throttle::{self, Limit, Subject, Throttled};
use crate::server::{context, session as auth_session, AppState};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use time::{Duration, OffsetDateTime};
use tower_sessions::Session;

const CLAIM_KEY: &str = "claim";
/// The picture chosen in the claim in progress (see [`ChosenPicture`]).
const CLAIM_PICTURE_KEY: &str = "claim_picture";

/// How soon after the last link a person may ask for another.
pub const NEW_LINK_INTERVAL: Duration = Duration::minutes(10);

/// What a browser's session says about its claim.
#[derive(Debug, Clone, Serialize, Deserialize)]
enum ClaimSession {
    InProgress(Box<ClaimProgress>),
    /// The proof could not start (or go on with) a claim; an expired link
    /// can still ask for a new one.
    Problem {
        problem: LinkProblem,
        proof: ClaimProof,
    },
}

/// The wizard's answers so far.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ClaimProgress {
    proof: ClaimProof,
    account_id: AccountId,
    terms_version: Option<i32>,
    profile: Option<ProfileDetails>,
    password_hash: Option<String>,
    /// Whether the person chose a picture, kept under its own key.
    #[serde(default)]
    has_picture: bool,
    /// The identity the provider asserted at the single sign-on step.
    #[serde(default)]
    sso_identity: Option<SsoIdentity>,
    /// The username chosen on the password step, by someone without email.
    #[serde(default)]
    username: Option<Username>,
}

impl ClaimProgress {
    fn new(proof: ClaimProof, account_id: AccountId) -> Self {
        Self { proof, account_id, terms_version: None, profile: None, password_hash: None, has_picture: false, sso_identity: None, username: None }
    }

    /// Every step of this claim, in order: the terms when the organisation
    /// requires them; then, unless the proof already signed the person in,
    /// a password or single sign-on, as the person will sign in.
    fn steps(&self, rules: &SignInRules) -> Vec<Step> {
        let mut steps = Vec::with_capacity(4);
        if rules.require_terms {
            steps.push(Step::Terms);
        }
        steps.push(Step::Profile);
        if !self.proof.signs_in() {
            steps.push(match rules.method {
                SignInMethod::Password => Step::Password,
                SignInMethod::Sso => Step::SingleSignOn,
            });
        }
        steps.push(Step::Groups);
        steps
    }

    fn done(&self, step: Step) -> bool {
        match step {
            Step::Terms => self.terms_version.is_some(),
            Step::Profile => self.profile.is_some(),
            Step::Password => self.password_hash.is_some(),
            Step::SingleSignOn => self.sso_identity.is_some(),
            Step::Groups => false,
        }
    }

    /// The first step not yet done.
    fn next_step(&self, rules: &SignInRules) -> Step {
        self.steps(rules).into_iter().find(|step| !self.done(*step)).unwrap_or(Step::Groups)
    }
}

impl From<ClaimError> for LinkProblem {
    fn from(error: ClaimError) -> Self {
        match error {
            ClaimError::Unknown => Self::Unknown,
            ClaimError::Expired => Self::Expired,
            ClaimError::AlreadyUsed => Self::AlreadyUsed,
            ClaimError::Revoked => Self::Revoked,
            ClaimError::NotClaimable => Self::NotClaimable,
            ClaimError::IdentityInUse => Self::IdentityInUse,
            // Said on the step that chose the username.
            ClaimError::UsernameTaken => Self::NotClaimable,
        }
    }
}

/// Why a step of the wizard was not taken.
#[derive(Debug, thiserror::Error)]
pub enum WizardError {
    #[error("this browser is not in the middle of a claim")]
    NoClaim,
    #[error("someone is signed in in this browser")]
    SignedIn,
    #[error("an earlier step is not done yet")]
    EarlierStepsFirst,
    #[error("some answers need correcting")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Refused(#[from] ClaimError),
    #[error("only an expired link can ask for a new one")]
    NotExpired,
    #[error("a new link was sent a few minutes ago")]
    TooSoon,
    #[error("the provider gave the email address {given}, which is not this account's")]
    EmailMismatch { given: String },
    #[error("this identity at the provider is already linked to another account")]
    IdentityInUse,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<ClaimFailure> for WizardError {
    fn from(failure: ClaimFailure) -> Self {
        match failure {
            ClaimFailure::Refused(error) => Self::Refused(error),
            ClaimFailure::Unexpected(error) => Self::Unexpected(error),
        }
    }
}

impl From<tower_sessions::session::Error> for WizardError {
    fn from(error: tower_sessions::session::Error) -> Self {
        Self::Unexpected(error.into())
    }
}

impl From<sqlx::Error> for WizardError {
    fn from(error: sqlx::Error) -> Self {
        Self::Unexpected(error.into())
    }
}

impl From<FieldError> for WizardError {
    fn from(error: FieldError) -> Self {
        Self::Invalid(error.into())
    }
}

impl From<WizardError> for AppError {
    fn from(error: WizardError) -> Self {
        match error {
            WizardError::NoClaim => context::refused("Open the link in your invitation email, or enter your access code, to claim your account."),
            WizardError::SignedIn => context::refused("You're signed in, so this browser can't claim another account. Sign out first."),
            WizardError::EarlierStepsFirst => context::refused("Please complete the earlier steps first."),
            WizardError::Invalid(errors) => context::invalid(errors),
            WizardError::Refused(error) => context::refused(format!("Your account could not be claimed: {error}.")),
            WizardError::NotExpired => context::refused("This link can't be renewed. Please ask your administrator for a new invitation."),
            WizardError::EmailMismatch { given } => context::refused(format!(
                "Your identity provider signed you in as {given}, which is not the address this invitation was sent to. Please ask your administrator to look at it."
            )),
            WizardError::IdentityInUse => context::refused("Your sign-in at the identity provider is already linked to another account. Please ask your administrator to look at it."),
            WizardError::TooSoon => context::refused("We sent a new link a few minutes ago. Please check your inbox (and spam folder) before asking again."),
            WizardError::Unexpected(error) => AppError::from(error),
        }
    }
}

async fn load(session: &Session) -> Result<Option<ClaimSession>, WizardError> {
    Ok(session.get(CLAIM_KEY).await?)
}

/// Keeps the progress of the claim this browser is in the middle of.
async fn save(session: &Session, progress: ClaimProgress) -> Result<(), WizardError> {
    Ok(session.insert(CLAIM_KEY, ClaimSession::InProgress(Box::new(progress))).await?)
}

/// Starts another claim in this browser, or ends the one in progress with a
/// problem: a picture chosen before goes with the claim it was chosen for.
async fn replace(session: &Session, claim: ClaimSession) -> Result<(), WizardError> {
    session.remove_value(CLAIM_PICTURE_KEY).await?;
    Ok(session.insert(CLAIM_KEY, claim).await?)
}

/// The normalised picture (JPEG) chosen in the claim in progress, under a
/// key of its own so that the wizard's pages, which only ask whether there
/// is one, never decode it; as base64, so that the session holds one string
/// and not a number per byte (which made each page after the upload cost
/// three times as much, measured).
#[derive(Serialize, Deserialize)]
struct ChosenPicture {
    jpeg_base64: String,
}

impl ChosenPicture {
    fn new(jpeg: &[u8]) -> Self {
        use base64::Engine as _;
        Self { jpeg_base64: base64::engine::general_purpose::STANDARD.encode(jpeg) }
    }

    /// `None` only for a value this type did not write.
    fn jpeg(&self) -> Option<Vec<u8>> {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.decode(&self.jpeg_base64).ok()
    }
}

async fn load_picture(session: &Session, progress: &ClaimProgress) -> Result<Option<Vec<u8>>, WizardError> {
    if !progress.has_picture {
        return Ok(None);
    }
    let chosen: Option<ChosenPicture> = session.get(CLAIM_PICTURE_KEY).await?;
    Ok(chosen.as_ref().and_then(ChosenPicture::jpeg))
}

/// What opening a claim link led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkOpened {
    /// The outcome (the wizard, or why the link cannot be used) is in the
    /// session: go to `/claim`.
    Recorded,
    /// The link matches nothing: nothing was stored (no session for a
    /// guessed token), and the failure counts against the address.
    Unknown,
    /// This address opened too many unknown links lately.
    Throttled(Throttled),
}

/// Opening a claim link: looks at the link without spending it and records
/// the outcome in a fresh session, so the link can leave the address bar.
/// A link that matches nothing writes no session, and an address that
/// opens many of them is throttled ([`Limit::ClaimLinkFromAddress`]).
pub async fn open_link(
    state: &AppState,
    session: &Session,
    client: IpAddr,
    secret: &str,
    viewer: Option<&Viewer>,
    now: OffsetDateTime,
) -> anyhow::Result<LinkOpened> {
    let from_address = Subject::Address(client);
    let digest = secret_digest(secret);
    // The address's throttle and the link, read in one statement; an address
    // over its limit is refused before the link is looked at.
    let counted = throttle::counted_under(Limit::ClaimLinkFromAddress, &from_address, now);
    let (count, found) =
        credentials::find_by_hash_counting_failures(&state.pool, &digest, CredentialKind::Link, counted.bucket, &counted.subject, counted.since).await?;
    if let Err(throttled) = throttle::verdict(Limit::ClaimLinkFromAddress, count.failures, count.oldest, now) {
        return Ok(LinkOpened::Throttled(throttled));
    }
    let proof = ClaimProof::Link { digest };
    let outcome = match lifecycle::claimable_credential(found, now) {
        Ok(_) if viewer.is_some() => ClaimSession::Problem { problem: LinkProblem::SignedInAsSomeoneElse, proof },
        Ok(account_id) => ClaimSession::InProgress(Box::new(ClaimProgress::new(proof, account_id))),
        Err(ClaimError::Unknown) => {
            throttle::record_failures(&state.pool, [(Limit::ClaimLinkFromAddress, &from_address)], client, None, now).await?;
            return Ok(LinkOpened::Unknown);
        }
        Err(error) => ClaimSession::Problem { problem: error.into(), proof },
    };
    auth_session::renew_id(session).await?;
    replace(session, outcome).await?;
    Ok(LinkOpened::Recorded)
}

/// The claim this browser is in the middle of, refusing a browser where
/// someone is signed in (SECURITY.md rule 8).
async fn in_progress(session: &Session, viewer: Option<&Viewer>) -> Result<ClaimProgress, WizardError> {
    if viewer.is_some() {
        return Err(WizardError::SignedIn);
    }
    match load(session).await? {
        Some(ClaimSession::InProgress(progress)) => Ok(*progress),
        _ => Err(WizardError::NoClaim),
    }
}

/// Refuses a step whose earlier steps are not done yet.
fn ensure_reached(progress: &ClaimProgress, rules: &SignInRules, step: Step) -> Result<(), WizardError> {
    if progress.steps(rules).contains(&step) && step <= progress.next_step(rules) {
        Ok(())
    } else {
        Err(WizardError::EarlierStepsFirst)
    }
}

/// What this browser's claim shows now. `search` looks for open groups to
/// join.
pub async fn view(state: &AppState, session: &Session, viewer: Option<&Viewer>, search: Option<&str>, now: OffsetDateTime) -> Result<ClaimView, WizardError> {
    let progress = match load(session).await? {
        None => return Ok(ClaimView::NoClaim),
        Some(ClaimSession::Problem { problem, .. }) => return Ok(ClaimView::Problem(problem)),
        Some(ClaimSession::InProgress(progress)) => *progress,
    };
    if viewer.is_some() {
        return Ok(ClaimView::Problem(LinkProblem::SignedInAsSomeoneElse));
    }
    // One statement reads all the page shows (SECURITY: and whether the
    // link was replaced, or the account deactivated, since the wizard
    // began).
    let page = wizard::page(&state.pool, progress.account_id, lifecycle::credential_of(&progress.proof)).await?;
    let status = page.account.as_ref().map(|a| a.status);
    if let Err(error) = lifecycle::still_claimable(&progress.proof, progress.account_id, page.credential, status, now) {
        let problem = LinkProblem::from(error);
        replace(session, ClaimSession::Problem { problem, proof: progress.proof }).await?;
        return Ok(ClaimView::Problem(problem));
    }
    let account = page.account.ok_or(WizardError::NoClaim)?;
    let shown = page.groups;
    let joined: Vec<&groups::ClaimantGroup> = shown.iter().filter(|g| g.joined).collect();
    let choice = |g: groups::GroupSummary| GroupChoice { joined: joined.iter().any(|j| j.id == g.id), id: g.id, name: g.name, description: g.description };
    let search = search.unwrap_or_default().trim().chars().take(100).collect::<String>();
    let search_results = if search.is_empty() { Vec::new() } else { groups::search_open(&state.pool, &search, 20).await?.into_iter().map(choice).collect() };
    let suggested_groups = shown
        .iter()
        .filter(|g| g.suggested)
        .map(|g| GroupChoice { id: g.id, name: g.name.clone(), description: g.description.clone(), joined: g.joined })
        .collect();
    let joined_groups = joined.iter().map(|g| g.name.clone()).collect();
    let profile = progress.profile.as_ref();
    Ok(ClaimView::Step(Box::new(StepView {
        step: progress.next_step(&page.rules),
        steps: progress.steps(&page.rules),
        organization_name: page.organization_name,
        username: progress.username.as_ref().map(|u| u.as_ref().to_owned()).or(account.username).filter(|_| account.email.is_none()),
        email: account.email,
        terms_text: page.terms_text,
        full_name: profile.map_or(account.full_name, |p| p.full_name.as_ref().to_owned()),
        title: profile.map_or(account.title, |p| p.title.clone()),
        department: profile.map_or(account.department, |p| p.department.clone()),
        location: profile.map_or(account.location, |p| p.location.clone()),
        phone: profile.map_or(account.phone, |p| p.phone.clone()),
        joined_groups,
        suggested_groups,
        search,
        search_results,
        has_picture: progress.has_picture,
        sso_button_label: page.rules.sso_button_label,
    })))
}

/// The terms step, when the organisation requires terms.
pub async fn accept_terms(state: &AppState, session: &Session, viewer: Option<&Viewer>, accepted: bool) -> Result<(), WizardError> {
    let mut progress = in_progress(session, viewer).await?;
    let rules = wizard::rules(&state.pool, progress.account_id).await?;
    ensure_reached(&progress, &rules, Step::Terms)?;
    if !accepted {
        return Err(FieldError::new("accepted", "To use Embark, tick the box to accept the terms.").into());
    }
    progress.terms_version = Some(rules.terms_version);
    save(session, progress).await
}

/// The profile step.
pub async fn save_profile(state: &AppState, session: &Session, viewer: Option<&Viewer>, profile: ProfileDetails) -> Result<(), WizardError> {
    let mut progress = in_progress(session, viewer).await?;
    let rules = wizard::rules(&state.pool, progress.account_id).await?;
    ensure_reached(&progress, &rules, Step::Profile)?;
    progress.profile = Some(profile);
    save(session, progress).await
}

/// The password step: the password must meet the policy and not contain the
/// person's name, email or username; only its hash is kept. Someone without
/// email also chooses the username they will sign in with (`username`).
pub async fn choose_password(
    state: &AppState,
    session: &Session,
    viewer: Option<&Viewer>,
    username: Option<&str>,
    password: &str,
    confirmation: &str,
) -> Result<(), WizardError> {
    let mut progress = in_progress(session, viewer).await?;
    let rules = wizard::rules(&state.pool, progress.account_id).await?;
    ensure_reached(&progress, &rules, Step::Password)?;
    let account = accounts::find(&state.pool, progress.account_id).await?.ok_or(WizardError::NoClaim)?;
    if account.email.is_none() {
        let chosen = Username::parse(username.unwrap_or_default())?;
        if accounts::find_by_username(&state.pool, &chosen.normalized()).await?.is_some_and(|other| other.id != account.id) {
            return Err(FieldError::new("username", USERNAME_TAKEN).into());
        }
        progress.username = Some(chosen);
    }
    let name = progress.profile.as_ref().map_or(account.full_name, |p| p.full_name.as_ref().to_owned());
    let email = account.email.unwrap_or_default();
    let chosen_username = progress.username.as_ref().map_or("", |u| u.as_ref()).to_owned();
    let password = Password::parse(password, &[&name, &email, &chosen_username]).map_err(|p| FieldError::new("password", p.message()))?;
    if password.expose() != confirmation {
        return Err(FieldError::new("password_confirmation", "The two passwords are not the same.").into());
    }
    progress.password_hash = Some(state.hasher.hash(password.expose()).await?);
    save(session, progress).await
}

/// The last step: claims the account with everything chosen (in one
/// transaction) and signs the person in under a new session id.
pub async fn finish(state: &AppState, session: &Session, viewer: Option<&Viewer>, groups: Vec<GroupId>, now: OffsetDateTime) -> Result<(), WizardError> {
    let progress = in_progress(session, viewer).await?;
    let rules = wizard::rules(&state.pool, progress.account_id).await?;
    if progress.next_step(&rules) != Step::Groups {
        return Err(WizardError::EarlierStepsFirst);
    }
    // Only what this claim's steps asked for is applied (SECURITY.md rule 8).
    let steps = progress.steps(&rules);
    let picture = load_picture(session, &progress).await?;
    let details = ClaimDetails {
        password_hash: progress.password_hash.filter(|_| steps.contains(&Step::Password)),
        sso_identity: progress.sso_identity.filter(|_| steps.contains(&Step::SingleSignOn)),
        profile: progress.profile,
        terms_version: progress.terms_version,
        groups,
        picture,
        username: progress.username.filter(|_| steps.contains(&Step::Password)),
    };
    let account_id = lifecycle::complete_claim(state, &progress.proof, &details, now).await?;
    let account = accounts::find(&state.pool, account_id).await?.ok_or(WizardError::NoClaim)?;
    session.remove_value(CLAIM_KEY).await?;
    session.remove_value(CLAIM_PICTURE_KEY).await?;
    let signed_in = SignedIn { account_id, role: account.role, session_epoch: account.session_epoch };
    auth_session::establish(session, &signed_in, now).await?;
    Ok(())
}

/// What typing an access code led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeEntered {
    /// The wizard starts (kept in a fresh session): go to `/claim`.
    Started,
    /// The code cannot start a claim, and why; nothing was stored.
    Refused(ClaimError),
    /// This address (or everyone together) typed too many unknown codes.
    Throttled(Throttled),
}

/// Typing an access code at `/claim/code`. Codes are short, so unknown
/// ones count against the client address and against everyone together
/// (SECURITY.md rule 5), checked before the code is looked at: an address
/// over its limit is refused even with a right code, while the same code
/// from another address still works.
pub async fn enter_code(
    state: &AppState,
    session: &Session,
    client: IpAddr,
    code: &AccessCode,
    viewer: Option<&Viewer>,
    now: OffsetDateTime,
) -> Result<CodeEntered, WizardError> {
    if viewer.is_some() {
        return Err(WizardError::SignedIn);
    }
    let (from_address, anywhere) = (Subject::Address(client), Subject::Anywhere);
    let allowed = settings::access_code_attempts(&state.pool).await?;
    let limits = [
        (Limit::AccessCodeFromAddress { allowed: i64::from(allowed.per_address) }, &from_address),
        (Limit::AccessCodeAnywhere { allowed: i64::from(allowed.overall) }, &anywhere),
    ];
    if let Err(throttled) = throttle::check(&state.pool, limits, now).await? {
        return Ok(CodeEntered::Throttled(throttled));
    }
    let proof = ClaimProof::code(code);
    match lifecycle::inspect_claim(state, &proof, now).await {
        Ok(account_id) => {
            auth_session::renew_id(session).await?;
            replace(session, ClaimSession::InProgress(Box::new(ClaimProgress::new(proof, account_id)))).await?;
            Ok(CodeEntered::Started)
        }
        Err(ClaimFailure::Refused(ClaimError::Unknown)) => {
            throttle::record_failures(&state.pool, limits, client, None, now).await?;
            Ok(CodeEntered::Refused(ClaimError::Unknown))
        }
        Err(ClaimFailure::Refused(error)) => Ok(CodeEntered::Refused(error)),
        Err(ClaimFailure::Unexpected(error)) => Err(error.into()),
    }
}

/// Mails a fresh link for an expired one, only to the address on file, at
/// most once per [`NEW_LINK_INTERVAL`] (checked in the sending transaction).
pub async fn request_new_link(state: &AppState, session: &Session, now: OffsetDateTime) -> Result<(), WizardError> {
    let Some(ClaimSession::Problem { problem: LinkProblem::Expired, proof }) = load(session).await? else {
        return Err(WizardError::NotExpired);
    };
    let ClaimProof::Link { digest } = &proof else {
        return Err(WizardError::NotExpired);
    };
    lifecycle::renew_expired_link(state, digest, NEW_LINK_INTERVAL, now).await.map_err(|error| match error {
        lifecycle::RenewError::NotExpired => WizardError::NotExpired,
        lifecycle::RenewError::TooSoon => WizardError::TooSoon,
        lifecycle::RenewError::Unexpected(error) => WizardError::Unexpected(error),
    })
}

/// Starts the wizard for an invited person who signed in at the provider
/// from the sign-in page (the caller checked the identity against SECURITY.md
/// rule 14), under a new session id.
pub async fn begin_with_identity(session: &Session, account_id: AccountId, identity: SsoIdentity) -> Result<(), WizardError> {
    let progress = ClaimProgress::new(ClaimProof::Identity { account_id, identity }, account_id);
    auth_session::renew_id(session).await?;
    replace(session, ClaimSession::InProgress(Box::new(progress))).await
}

/// The single sign-on step: keeps the identity the provider asserted, to be
/// bound when the claim completes. When the provider asserts an email, it
/// must be the account's; an identity already linked elsewhere is refused.
pub async fn attach_identity(state: &AppState, session: &Session, identity: SsoIdentity) -> Result<(), WizardError> {
    let mut progress = in_progress(session, None).await?;
    let rules = wizard::rules(&state.pool, progress.account_id).await?;
    ensure_reached(&progress, &rules, Step::SingleSignOn)?;
    let account = accounts::find(&state.pool, progress.account_id).await?.ok_or(WizardError::NoClaim)?;
    if let Some(given) = &identity.email {
        if account.email.as_deref().map(normalize_identifier) != Some(normalize_identifier(given)) {
            return Err(WizardError::EmailMismatch { given: given.clone() });
        }
    }
    if let Some(bound) = sso::identity_by_subject(&state.pool, &identity.issuer, &identity.subject).await? {
        if bound.account_id != progress.account_id {
            return Err(WizardError::IdentityInUse);
        }
    }
    progress.sso_identity = Some(identity);
    save(session, progress).await
}

/// Whether this browser is in the middle of a claim (checked before an
/// uploaded picture is decoded).
pub async fn is_claiming(session: &Session) -> Result<bool, WizardError> {
    Ok(matches!(load(session).await?, Some(ClaimSession::InProgress(_))))
}

/// Keeps a normalised picture with the claim in progress; it is saved with
/// the account when the claim completes.
pub async fn attach_picture(session: &Session, jpeg: Vec<u8>) -> Result<(), WizardError> {
    match load(session).await? {
        Some(ClaimSession::InProgress(mut progress)) => {
            session.insert(CLAIM_PICTURE_KEY, ChosenPicture::new(&jpeg)).await?;
            progress.has_picture = true;
            save(session, *progress).await
        }
        _ => Err(WizardError::NoClaim),
    }
}

/// The picture chosen in the claim in progress, if any.
pub async fn chosen_picture(session: &Session) -> Result<Option<Vec<u8>>, WizardError> {
    match load(session).await? {
        Some(ClaimSession::InProgress(progress)) => load_picture(session, &progress).await,
        _ => Ok(None),
    }
}
