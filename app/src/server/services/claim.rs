//! The claim wizard's server side: what one browser has collected so far
//! (kept in its session), which step comes next, and finishing.
//!
//! The session holds the link's SHA-256, never the link, so a copy of the
//! session store reveals no usable secret either.

use crate::auth::Viewer;
use crate::claim::{LinkProblem, Step};
use crate::domain::{AccountId, ProfileDetails};
use crate::server::crypto::secret_digest;
use crate::server::db::audit::Actor;
use crate::server::db::{accounts, credentials};
use crate::server::services::lifecycle::{self, ClaimError, ClaimFailure, Invitation};
use crate::server::AppState;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use tower_sessions::Session;

const CLAIM_KEY: &str = "claim";

/// How soon after the last link a person may ask for another.
pub const NEW_LINK_INTERVAL: Duration = Duration::minutes(10);

/// What a browser's session says about its claim.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum ClaimSession {
    InProgress(ClaimProgress),
    /// The link could not start a claim; `digest` lets an expired link ask
    /// for a new one.
    Problem {
        problem: LinkProblem,
        digest: String,
    },
}

/// The wizard's answers so far.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClaimProgress {
    pub digest: String,
    pub account_id: AccountId,
    pub terms_version: Option<i32>,
    pub profile: Option<ProfileDetails>,
    pub password_hash: Option<String>,
    /// The normalised picture (JPEG), if the person chose one.
    #[serde(default)]
    pub picture: Option<Vec<u8>>,
}

impl ClaimProgress {
    pub fn digest_bytes(&self) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(&self.digest).unwrap_or_default()
    }

    /// The first step not yet done, in the wizard's fixed order.
    pub fn next_step(&self, require_terms: bool) -> Step {
        if require_terms && self.terms_version.is_none() {
            Step::Terms
        } else if self.profile.is_none() {
            Step::Profile
        } else if self.password_hash.is_none() {
            Step::Password
        } else {
            Step::Groups
        }
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
        }
    }
}

/// Opening a claim link: looks at the link without spending it and records
/// the outcome in a fresh session, so the link can leave the address bar.
pub async fn open_link(state: &AppState, session: &Session, secret: &str, viewer: Option<&Viewer>, now: OffsetDateTime) -> anyhow::Result<()> {
    let digest = secret_digest(secret);
    let encoded = URL_SAFE_NO_PAD.encode(&digest);
    let outcome = match lifecycle::inspect_claim_digest(state, &digest, now).await {
        Ok(_) if viewer.is_some() => ClaimSession::Problem { problem: LinkProblem::SignedInAsSomeoneElse, digest: encoded },
        Ok(account_id) => {
            ClaimSession::InProgress(ClaimProgress { digest: encoded, account_id, terms_version: None, profile: None, password_hash: None, picture: None })
        }
        Err(ClaimFailure::Refused(error)) => ClaimSession::Problem { problem: error.into(), digest: encoded },
        Err(ClaimFailure::Unexpected(error)) => return Err(error),
    };
    session.cycle_id().await?;
    session.insert(CLAIM_KEY, outcome).await?;
    Ok(())
}

pub async fn load(session: &Session) -> anyhow::Result<Option<ClaimSession>> {
    Ok(session.get(CLAIM_KEY).await?)
}

pub async fn save(session: &Session, progress: ClaimProgress) -> anyhow::Result<()> {
    Ok(session.insert(CLAIM_KEY, ClaimSession::InProgress(progress)).await?)
}

pub async fn forget(session: &Session) -> anyhow::Result<()> {
    session.remove_value(CLAIM_KEY).await?;
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum NewLinkError {
    #[error("only an expired link can ask for a new one")]
    NotExpired,
    #[error("a new link was sent a few minutes ago")]
    TooSoon,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Mails a fresh link for an expired one, only to the address on file, at
/// most once per [`NEW_LINK_INTERVAL`].
pub async fn request_new_link(state: &AppState, digest: &[u8], now: OffsetDateTime) -> Result<(), NewLinkError> {
    let credential = credentials::find_by_hash(&state.pool, digest).await.map_err(anyhow::Error::from)?.ok_or(NewLinkError::NotExpired)?;
    // The rate limit first: once a new link went out, the old one is revoked,
    // and a second click must hear "too soon", not "cannot be renewed".
    let newest = credentials::newest_created_at(&state.pool, credential.account_id).await.map_err(anyhow::Error::from)?;
    if newest.is_some_and(|at| now - at < NEW_LINK_INTERVAL) {
        return Err(NewLinkError::TooSoon);
    }
    let expired = credential.state == credentials::CredentialState::Active && credential.expires_at <= now;
    if !expired {
        return Err(NewLinkError::NotExpired);
    }
    let account = accounts::find(&state.pool, credential.account_id).await.map_err(anyhow::Error::from)?.ok_or(NewLinkError::NotExpired)?;
    let actor = Actor::account(account.id, account.full_name.clone());
    lifecycle::invite(state, account.id, &Invitation::default(), &actor, now).await.map_err(|e| match e {
        lifecycle::LifecycleError::WrongState(_) | lifecycle::LifecycleError::NoEmail | lifecycle::LifecycleError::NotFound => NewLinkError::NotExpired,
        other => NewLinkError::Unexpected(other.into()),
    })?;
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum AttachPictureError {
    #[error("this browser is not in the middle of a claim")]
    NoClaim,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Keeps a normalised picture with the claim in progress; it is saved with
/// the account when the claim completes.
pub async fn attach_picture(session: &Session, jpeg: Vec<u8>) -> Result<(), AttachPictureError> {
    match load(session).await? {
        Some(ClaimSession::InProgress(mut progress)) => {
            progress.picture = Some(jpeg);
            save(session, progress).await?;
            Ok(())
        }
        _ => Err(AttachPictureError::NoClaim),
    }
}
