//! First run: the one-time setup link, and creating admins.

use crate::domain::{AccountId, AccountStatus, Actor, AuditAction, AuditTarget, EmailAddress, FieldError, OrganizationName, Password, PersonName, Role};
use crate::error::AppError;
use crate::server::crypto::{generate_secret, secret_digest, secrets_equal};
use crate::server::db::audit::{self, AuditEvent};
use crate::server::db::{self, accounts, settings};
use crate::server::services::auth::SignedIn;
use crate::server::{context, session, AppState};
use serde_json::json;
use std::sync::Arc;
use time::OffsetDateTime;
use tower_sessions::Session;

/// The one-time setup link's secret, known only to this process (it is
/// printed to the log at start-up while no admin exists) and useless once an
/// admin exists.
#[derive(Clone)]
pub struct SetupGate {
    digest: Arc<Vec<u8>>,
}

impl SetupGate {
    /// A new gate and the secret that opens it.
    pub fn generate() -> (Self, String) {
        let secret = generate_secret();
        (Self { digest: Arc::new(secret_digest(&secret)) }, secret)
    }

    pub fn opens_with(&self, secret: &str) -> bool {
        secrets_equal(&secret_digest(secret), &self.digest)
    }
}

/// Whether an administrator who can sign in exists (setup is over).
pub async fn admin_exists(state: &AppState) -> anyhow::Result<bool> {
    Ok(accounts::admin_exists(&state.pool).await?)
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("Embark is already set up: an administrator exists")]
    AlreadyDone,
    #[error("an account with this email address already exists")]
    DuplicateEmail,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<SetupError> for AppError {
    fn from(error: SetupError) -> Self {
        match error {
            SetupError::AlreadyDone => context::refused("Embark is already set up. Sign in instead."),
            SetupError::DuplicateEmail => context::invalid(FieldError::new("email", "An account with this email address already exists.")),
            SetupError::Unexpected(e) => AppError::from(e),
        }
    }
}

impl From<sqlx::Error> for SetupError {
    fn from(error: sqlx::Error) -> Self {
        match db::unique_violation(&error).as_deref() {
            Some("account_email_normalized_key") => Self::DuplicateEmail,
            _ => Self::Unexpected(error.into()),
        }
    }
}

/// A new administrator, already parsed.
pub struct NewAdmin {
    pub full_name: PersonName,
    pub email: EmailAddress,
    pub password: Password,
}

/// Names the organisation and creates its first administrator, and signs
/// `browser` in as them. Refused once any administrator exists; concurrent
/// attempts are serialised on the settings row, so exactly one succeeds.
pub async fn complete_first_run(
    state: &AppState,
    browser: &Session,
    organization: &OrganizationName,
    admin: &NewAdmin,
    now: OffsetDateTime,
) -> Result<AccountId, SetupError> {
    let password_hash = state.hasher.hash(admin.password.expose()).await?;
    let mut tx = state.pool.begin().await?;
    settings::lock(&mut tx).await?;
    if accounts::admin_exists(&mut *tx).await? {
        return Err(SetupError::AlreadyDone);
    }
    settings::set_organization_name(&mut tx, organization.as_ref(), now).await?;
    let id = insert_admin(&mut tx, admin, &password_hash, &Actor::system(), now).await?;
    let target = AuditTarget::settings(organization.as_ref());
    let actor = Actor::account(id, admin.full_name.as_ref());
    audit::record(&mut *tx, AuditEvent { actor: &actor, action: AuditAction::SetupCompleted, target: &target, details: json!({}), now }).await?;
    tx.commit().await?;
    state.sign_in_page.forget();
    let signed_in = SignedIn { account_id: id, role: Role::Owner, session_epoch: 0 };
    session::establish(browser, &signed_in, now).await.map_err(anyhow::Error::from)?;
    Ok(id)
}

/// Creates an administrator who can sign in at once (the `create-admin`
/// command). Names the organisation too when it has no name yet.
pub async fn create_admin(state: &AppState, admin: &NewAdmin, organization: Option<&OrganizationName>, now: OffsetDateTime) -> Result<AccountId, SetupError> {
    let password_hash = state.hasher.hash(admin.password.expose()).await?;
    let mut tx = state.pool.begin().await?;
    if let Some(organization) = organization {
        settings::lock(&mut tx).await?;
        if settings::get(&mut *tx).await?.organization_name.is_empty() {
            settings::set_organization_name(&mut tx, organization.as_ref(), now).await?;
        }
    }
    let id = insert_admin(&mut tx, admin, &password_hash, &Actor::command_line(), now).await?;
    tx.commit().await?;
    state.sign_in_page.forget();
    Ok(id)
}

async fn insert_admin(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    admin: &NewAdmin,
    password_hash: &str,
    actor: &Actor,
    now: OffsetDateTime,
) -> Result<AccountId, SetupError> {
    let id = AccountId::new();
    accounts::insert(
        tx,
        &accounts::NewAccountRow {
            id,
            status: AccountStatus::Claimed,
            role: Role::Owner,
            email: Some(admin.email.as_ref()),
            email_normalized: Some(admin.email.normalized()),
            external_id: None,
            username: None,
            username_normalized: None,
            full_name: admin.full_name.as_ref(),
            title: "",
            department: "",
            location: "",
            phone: "",
            manager_id: None,
            password_hash: Some(password_hash),
            now,
        },
    )
    .await?;
    let target = AuditTarget::account(id, admin.full_name.as_ref(), Some(admin.email.as_ref()));
    audit::record(&mut **tx, AuditEvent { actor, action: AuditAction::AccountCreated, target: &target, details: json!({ "role": Role::Owner }), now }).await?;
    Ok(id)
}
