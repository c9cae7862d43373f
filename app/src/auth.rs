//! Signing in and out, first-run setup, and who is signed in: the server
//! functions behind the sign-in and setup pages and the site header.

use crate::api::auth::{SetupStatus, SignInOptions, Viewer};
use crate::error::AppError;
use leptos::prelude::*;

/// Anyone may ask who they are.
#[server(endpoint = "viewer")]
pub async fn current_viewer() -> Result<Option<Viewer>, AppError> {
    Ok(crate::server::context::viewer())
}

/// Anyone may try to sign in. On success the session gets a new id and the
/// browser goes to `next` (a local path) or the person's home.
#[server(endpoint = "sign_in")]
pub async fn sign_in(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    use crate::server::{context, services::auth};
    let state = context::state()?;
    let browser = context::session().await?;
    let signed_in = auth::sign_in(&state, &browser, context::client_address(), &email, &password, time::OffsetDateTime::now_utc()).await?;
    let home = if signed_in.role.manages_people() { "/admin" } else { "/" };
    leptos_axum::redirect(&context::safe_local_path(&state.public_url, next.as_deref()).unwrap_or_else(|| home.to_owned()));
    Ok(())
}

/// Anyone may sign out; it ends the session wherever it stands.
#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::server::{context, services::auth};
    let state = context::state()?;
    let browser = context::session().await?;
    auth::sign_out(&state, &browser, context::viewer().as_ref(), time::OffsetDateTime::now_utc()).await?;
    leptos_axum::redirect("/sign-in");
    Ok(())
}

/// Anyone may ask; it reveals only whether setup is over.
#[server(endpoint = "setup_status")]
pub async fn fetch_setup_status() -> Result<SetupStatus, AppError> {
    use crate::server::{context, services::auth};
    let state = context::state()?;
    let browser = context::session().await?;
    Ok(auth::setup_status(&state, &browser).await?)
}

/// Anyone: what the sign-in page offers (reveals only whether setup is over
/// and the single sign-on button).
#[server(endpoint = "sign_in_options")]
pub async fn fetch_sign_in_options() -> Result<SignInOptions, AppError> {
    use crate::server::{context, services::auth};
    let state = context::state()?;
    let browser = context::session().await?;
    Ok(auth::sign_in_options(&state, &browser).await?)
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
    use crate::server::services::setup::{self, NewAdmin};
    use crate::server::{context, session};

    let state = context::state()?;
    let browser = context::session().await?;
    if !session::setup_granted(&browser).await.map_err(context::internal)? {
        return Err(context::refused("Open the setup link from the server's log to set up Embark."));
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
        return Err(context::invalid(errors));
    };

    let admin = NewAdmin { full_name, email, password };
    setup::complete_first_run(&state, &browser, &organization, &admin, time::OffsetDateTime::now_utc()).await?;
    leptos_axum::redirect("/admin");
    Ok(())
}
