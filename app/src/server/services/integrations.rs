//! Integrations: identity providers (Okta, Entra ID, a script) that manage
//! people through the SCIM API with a bearer token of their own. Tokens are
//! shown once and kept as a SHA-256 digest; every change is audited.

use crate::api::integrations::{IntegrationView, IntegrationsPage, IssuedToken};
use crate::domain::{normalize_identifier, timestamp_label, Actor, AuditAction, AuditTarget, FieldError, IntegrationId, IntegrationSettings};
use crate::error::AppError;
use crate::server::crypto::{generate_secret, secret_digest, secrets_equal};
use crate::server::db::audit::{self, AuditEvent};
use crate::server::db::{self, integrations};
use crate::server::services::throttle::{self, Limit, Subject, Throttled};
use crate::server::{context, AppState};
use serde_json::json;
use time::{Duration, OffsetDateTime};

/// The start every Embark SCIM token has, so secret scanners can spot one.
const TOKEN_START: &str = "embark_scim_";
/// The longest overlap a rotation may give the old token.
pub const MAX_OVERLAP_HOURS: u32 = 24 * 7;

#[derive(Debug, thiserror::Error)]
pub enum IntegrationError {
    #[error("there is no such integration, or it was revoked")]
    NotFound,
    #[error("an integration with this name already exists")]
    DuplicateName,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for IntegrationError {
    fn from(error: sqlx::Error) -> Self {
        match db::unique_violation(&error).as_deref() {
            Some("integration_name_normalized_key") => Self::DuplicateName,
            _ => Self::Unexpected(error.into()),
        }
    }
}

impl From<IntegrationError> for AppError {
    fn from(error: IntegrationError) -> Self {
        match error {
            IntegrationError::NotFound => context::not_found(),
            IntegrationError::DuplicateName => context::invalid(FieldError::new("name", "An integration with this name already exists. Choose another name.")),
            IntegrationError::Unexpected(e) => context::internal(e),
        }
    }
}

/// The integration a SCIM request acts as.
#[derive(Debug, Clone)]
pub struct ScimCaller {
    pub id: IntegrationId,
    pub name: String,
    pub invite_automatically: bool,
}

impl ScimCaller {
    pub fn actor(&self) -> Actor {
        Actor::integration(self.id, &self.name)
    }
}

/// A new token: a public prefix to find it by, then 256 random bits.
fn new_token() -> (String, String) {
    let prefix = format!("{TOKEN_START}{}", &generate_secret()[..10]);
    let token = format!("{prefix}.{}", generate_secret());
    (prefix, token)
}

/// How many audit entries each integration's card lists.
const RECENT_SHOWN: i64 = 5;

fn view(row: integrations::IntegrationRow, activity: &[integrations::ActivityRow], now: OffsetDateTime) -> IntegrationView {
    let recent = activity
        .iter()
        .filter(|entry| entry.integration_id == row.id)
        .map(|entry| {
            if entry.by_integration {
                format!("{}: {}: {}", timestamp_label(entry.occurred_at), entry.action.describe(), entry.target_label)
            } else {
                format!("{}: {} by {}", timestamp_label(entry.occurred_at), entry.action.describe(), entry.actor_label)
            }
        })
        .collect();
    IntegrationView {
        id: row.id,
        name: row.name,
        description: row.description,
        token_prefix: row.token_prefix,
        invite_automatically: row.invite_automatically,
        created: timestamp_label(row.created_at),
        revoked: row.revoked_at.map(timestamp_label),
        last_used: row.last_used_at.map(|at| match &row.last_used_address {
            Some(address) => format!("{} from {address}", timestamp_label(at)),
            None => timestamp_label(at),
        }),
        previous_token_until: row.previous_token_valid_until.filter(|until| *until > now).map(timestamp_label),
        recent,
    }
}

pub async fn page(state: &AppState, now: OffsetDateTime) -> Result<IntegrationsPage, IntegrationError> {
    let rows = integrations::list(&state.pool).await?;
    let ids: Vec<IntegrationId> = rows.iter().map(|row| row.id).collect();
    let activity = integrations::recent_activity(&state.pool, &ids, RECENT_SHOWN).await?;
    let integrations = rows.into_iter().map(|row| view(row, &activity, now)).collect();
    Ok(IntegrationsPage { integrations, scim_url: format!("{}/scim/v2", state.public_url) })
}

pub async fn create(state: &AppState, settings: &IntegrationSettings, actor: &Actor, now: OffsetDateTime) -> Result<IssuedToken, IntegrationError> {
    let id = IntegrationId::new();
    let (prefix, token) = new_token();
    let mut tx = state.pool.begin().await.map_err(anyhow::Error::from)?;
    integrations::insert(
        &mut tx,
        &integrations::NewIntegrationRow {
            id,
            name: &settings.name,
            name_normalized: normalize_identifier(&settings.name),
            description: &settings.description,
            token_prefix: &prefix,
            token_digest: &secret_digest(&token),
            now,
        },
    )
    .await?;
    let target = AuditTarget::integration(id.0, &settings.name);
    audit::record(&mut *tx, AuditEvent { actor, action: AuditAction::IntegrationCreated, target: &target, details: json!({ "token_prefix": prefix }), now })
        .await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    Ok(IssuedToken { integration: id, name: settings.name.clone(), token })
}

/// A new token for the integration. The old one stops at once, or after
/// `overlap_hours` so the provider can be switched over without a gap.
pub async fn rotate(state: &AppState, id: IntegrationId, overlap_hours: u32, actor: &Actor, now: OffsetDateTime) -> Result<IssuedToken, IntegrationError> {
    let (prefix, token) = new_token();
    let old_valid_until = (overlap_hours > 0).then(|| now + Duration::hours(i64::from(overlap_hours.min(MAX_OVERLAP_HOURS))));
    let mut tx = state.pool.begin().await.map_err(anyhow::Error::from)?;
    let row = integrations::find(&mut *tx, id).await?.filter(|row| row.revoked_at.is_none()).ok_or(IntegrationError::NotFound)?;
    if !integrations::replace_token(&mut tx, id, &prefix, &secret_digest(&token), old_valid_until, now).await? {
        return Err(IntegrationError::NotFound);
    }
    let target = AuditTarget::integration(id.0, &row.name);
    audit::record(
        &mut *tx,
        AuditEvent {
            actor,
            action: AuditAction::IntegrationTokenRotated,
            target: &target,
            details: json!({ "token_prefix": prefix, "old_token_valid_until": old_valid_until }),
            now,
        },
    )
    .await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    Ok(IssuedToken { integration: id, name: row.name, token })
}

pub async fn revoke(state: &AppState, id: IntegrationId, actor: &Actor, now: OffsetDateTime) -> Result<(), IntegrationError> {
    let mut tx = state.pool.begin().await.map_err(anyhow::Error::from)?;
    let name = integrations::revoke(&mut tx, id, now).await?.ok_or(IntegrationError::NotFound)?;
    let target = AuditTarget::integration(id.0, &name);
    audit::record(&mut *tx, AuditEvent { actor, action: AuditAction::IntegrationRevoked, target: &target, details: json!({}), now }).await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    Ok(())
}

pub async fn set_invite_automatically(state: &AppState, id: IntegrationId, on: bool, actor: &Actor, now: OffsetDateTime) -> Result<(), IntegrationError> {
    let mut tx = state.pool.begin().await.map_err(anyhow::Error::from)?;
    let name = integrations::set_invite_automatically(&mut tx, id, on, now).await?.ok_or(IntegrationError::NotFound)?;
    let target = AuditTarget::integration(id.0, &name);
    audit::record(
        &mut *tx,
        AuditEvent { actor, action: AuditAction::IntegrationChanged, target: &target, details: json!({ "invite_automatically": on }), now },
    )
    .await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    Ok(())
}

/// What a bearer token turned out to be.
#[derive(Debug)]
pub enum TokenCheck {
    Valid(ScimCaller),
    /// Mistyped, replaced or revoked.
    Invalid,
    /// Too many invalid tokens from this address lately.
    Throttled(Throttled),
}

/// The integration a bearer token belongs to, if it is live. The row is
/// found by the token's public prefix, then the digests are compared in
/// constant time. Invalid tokens count against the client address, and
/// once too many came from it, tokens from it are not even looked up.
pub async fn authenticate(state: &AppState, token: &str, address: std::net::IpAddr, now: OffsetDateTime) -> Result<TokenCheck, IntegrationError> {
    let subject = Subject::Address(address);
    let limit = [(Limit::ScimTokenFromAddress, &subject)];
    if let Err(throttled) = throttle::check(&state.pool, limit, now).await.map_err(anyhow::Error::from)? {
        return Ok(TokenCheck::Throttled(throttled));
    }
    match live_owner(state, token, now).await? {
        Some(caller) => {
            integrations::note_use(&state.pool, caller.id, &address.to_string(), now).await?;
            Ok(TokenCheck::Valid(caller))
        }
        None => {
            throttle::record_failures(&state.pool, limit, address, None, now).await.map_err(anyhow::Error::from)?;
            Ok(TokenCheck::Invalid)
        }
    }
}

async fn live_owner(state: &AppState, token: &str, now: OffsetDateTime) -> Result<Option<ScimCaller>, IntegrationError> {
    let Some((prefix, _)) = token.split_once('.') else {
        return Ok(None);
    };
    if !prefix.starts_with(TOKEN_START) || prefix.len() > 64 || token.len() > 256 {
        return Ok(None);
    }
    let Some(owner) = integrations::token_owner(&state.pool, prefix, now).await? else {
        return Ok(None);
    };
    if !secrets_equal(&secret_digest(token), &owner.digest) {
        return Ok(None);
    }
    Ok(Some(ScimCaller { id: owner.id, name: owner.name, invite_automatically: owner.invite_automatically }))
}
