//! First run: the one-time setup link, and creating admins.

use crate::domain::{AccountId, AccountStatus, EmailAddress, OrganizationName, Password, PersonName, Role};
use crate::server::crypto::{generate_secret, secret_digest, secrets_equal};
use crate::server::db::audit::{Actor, AuditEvent};
use crate::server::db::{self, accounts, audit, settings};
use crate::server::AppState;
use serde_json::json;
use std::sync::Arc;
use time::OffsetDateTime;

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

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("Embark is already set up: an administrator exists")]
    AlreadyDone,
    #[error("an account with this email address already exists")]
    DuplicateEmail,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
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

/// Names the organisation and creates its first administrator, who can sign
/// in at once. Refused once any administrator exists; concurrent attempts are
/// serialised on the settings row, so exactly one succeeds.
pub async fn complete_first_run(state: &AppState, organization: &OrganizationName, admin: &NewAdmin, now: OffsetDateTime) -> Result<AccountId, SetupError> {
    let password_hash = state.hasher.hash(admin.password.expose()).await?;
    let mut tx = state.pool.begin().await?;
    settings::lock(&mut tx).await?;
    if accounts::admin_exists(&mut *tx).await? {
        return Err(SetupError::AlreadyDone);
    }
    settings::set_organization_name(&mut tx, organization.as_ref(), now).await?;
    let id = insert_admin(&mut tx, admin, &password_hash, &Actor::system(), now).await?;
    audit::record(
        &mut tx,
        AuditEvent {
            actor: &Actor::account(id, admin.full_name.as_ref()),
            action: "setup.completed",
            target_id: None,
            target_label: organization.as_ref(),
            details: json!({}),
            now,
        },
    )
    .await?;
    tx.commit().await?;
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
            role: Role::Admin,
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
    audit::record(
        tx,
        AuditEvent {
            actor,
            action: "account.created",
            target_id: Some(id),
            target_label: &super::lifecycle::target_label(admin.full_name.as_ref(), Some(admin.email.as_ref())),
            details: json!({ "role": Role::Admin }),
            now,
        },
    )
    .await?;
    Ok(id)
}
