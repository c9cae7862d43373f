//! Signing in and out, first-run setup, and who is signed in.

use crate::domain::{AccountId, Role};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The signed-in person, as the UI knows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub account_id: AccountId,
    pub full_name: String,
    pub email: Option<String>,
    pub role: Role,
}

impl Viewer {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// Anyone may ask who they are.
#[server(endpoint = "viewer")]
pub async fn current_viewer() -> Result<Option<Viewer>, AppError> {
    Ok(crate::server::context::viewer())
}

/// Anyone may try to sign in. On success the session gets a new id and the
/// browser goes to `next` (a local path) or the person's home.
#[server(endpoint = "sign_in")]
pub async fn sign_in(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    use crate::server::services::auth::SignInError;
    use crate::server::{context, services::auth, session};

    let state = context::state()?;
    let now = time::OffsetDateTime::now_utc();
    let signed_in = match auth::sign_in(&state, &email, &password, now).await {
        Ok(signed_in) => signed_in,
        Err(SignInError::InvalidCredentials) => {
            return Err(context::fail(AppError::Refused("That email address and password don't match an active account. Check them and try again.".into())))
        }
        Err(SignInError::Unexpected(e)) => return Err(context::internal(e)),
    };
    let session = context::session().await?;
    session::establish(&session, &signed_in, now).await.map_err(context::internal)?;
    let home = if signed_in.role == Role::Admin { "/admin" } else { "/" };
    leptos_axum::redirect(&context::safe_local_path(next.as_deref()).unwrap_or_else(|| home.to_owned()));
    Ok(())
}

/// Anyone may sign out; it ends the session wherever it stands.
#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::server::{context, session};
    let session = context::session().await?;
    session::end(&session).await.map_err(context::internal)?;
    leptos_axum::redirect("/sign-in");
    Ok(())
}

/// Where first-run setup stands for this browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SetupStatus {
    /// An administrator exists: setup is over.
    Done,
    /// No administrator yet, and this browser opened the setup link.
    Ready,
    /// No administrator yet; the setup link is needed.
    NeedsLink,
}

/// Anyone may ask; it reveals only whether setup is over.
#[server(endpoint = "setup_status")]
pub async fn fetch_setup_status() -> Result<SetupStatus, AppError> {
    use crate::server::{context, db, session};
    let state = context::state()?;
    if db::accounts::admin_exists(&state.pool).await.map_err(context::internal)? {
        return Ok(SetupStatus::Done);
    }
    let session = context::session().await?;
    Ok(if session::setup_granted(&session).await.map_err(context::internal)? { SetupStatus::Ready } else { SetupStatus::NeedsLink })
}

/// Only a browser that opened the one-time setup link may call this, and
/// only while no administrator exists.
#[server(endpoint = "complete_setup")]
pub async fn complete_setup(
    organization_name: String,
    full_name: String,
    email: String,
    password: String,
    password_confirmation: String,
) -> Result<(), AppError> {
    use crate::domain::{EmailAddress, FieldError, FieldErrors, OrganizationName, Password, PersonName};
    use crate::server::services::auth::SignedIn;
    use crate::server::services::setup::{self, NewAdmin, SetupError};
    use crate::server::{context, session};

    let state = context::state()?;
    let session = context::session().await?;
    if !session::setup_granted(&session).await.map_err(context::internal)? {
        return Err(context::fail(AppError::Refused("Open the setup link from the server's log to set up Embark.".into())));
    }

    let mut errors = FieldErrors::default();
    let organization = errors.take(OrganizationName::parse(&organization_name));
    let full_name = errors.take(PersonName::parse(&full_name));
    let email = errors.take(EmailAddress::parse(&email));
    let personal = [full_name.as_ref().map_or("", |n| n.as_ref()), email.as_ref().map_or("", |e| e.as_ref())];
    let password = errors.take(Password::parse(&password, &personal).map_err(|p| FieldError::new("password", p.message())));
    if password.is_some() && password.as_ref().map(|p| p.expose()) != Some(password_confirmation.as_str()) {
        errors.push(FieldError::new("password_confirmation", "The two passwords are not the same."));
    }
    let (Some(organization), Some(full_name), Some(email), Some(password), true) = (organization, full_name, email, password, errors.is_empty()) else {
        return Err(context::fail(errors.into()));
    };

    let now = time::OffsetDateTime::now_utc();
    let admin = NewAdmin { full_name, email, password };
    let account_id = match setup::complete_first_run(&state, &organization, &admin, now).await {
        Ok(id) => id,
        Err(SetupError::AlreadyDone) => return Err(context::fail(AppError::Refused("Embark is already set up. Sign in instead.".into()))),
        Err(SetupError::DuplicateEmail) => return Err(context::fail(FieldError::new("email", "An account with this email address already exists.").into())),
        Err(SetupError::Unexpected(e)) => return Err(context::internal(e)),
    };
    let signed_in = SignedIn { account_id, role: Role::Admin, session_epoch: 0 };
    session::establish(&session, &signed_in, now).await.map_err(context::internal)?;
    leptos_axum::redirect("/admin");
    Ok(())
}
