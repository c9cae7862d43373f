//! Your profile: details and password.

use crate::components::{action_error, field_error, FormError, SiteHeader, TextField};
use crate::domain::{PASSWORD_MIN_CHARS, PASSWORD_RECOMMENDED_CHARS};
use crate::error::AppError;
use crate::pages::errors::LoadError;
use crate::AuthContext;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyProfile {
    pub account_id: crate::domain::AccountId,
    pub has_picture: bool,
    pub full_name: String,
    pub email: Option<String>,
    pub title: String,
    pub department: String,
    pub location: String,
    pub phone: String,
}

/// Any signed-in person, for themselves.
#[server(endpoint = "my_profile")]
pub async fn fetch_my_profile() -> Result<MyProfile, AppError> {
    use crate::server::{context, db};
    let viewer = context::require_signed_in()?;
    let state = context::state()?;
    let a = db::accounts::find(&state.pool, viewer.account_id).await.map_err(context::internal)?.ok_or(AppError::NotFound)?;
    let has_picture = db::accounts::picture(&state.pool, a.id).await.map_err(context::internal)?.is_some();
    Ok(MyProfile {
        account_id: a.id,
        has_picture,
        full_name: a.full_name,
        email: a.email,
        title: a.title,
        department: a.department,
        location: a.location,
        phone: a.phone,
    })
}

/// Any signed-in person, for themselves.
#[server(endpoint = "my_profile_save")]
pub async fn save_my_profile(full_name: String, title: String, department: String, location: String, phone: String) -> Result<(), AppError> {
    use crate::domain::ProfileDetails;
    use crate::server::{context, services};
    let viewer = context::require_signed_in()?;
    let state = context::state()?;
    let profile = ProfileDetails::parse(&full_name, &title, &department, &location, &phone).map_err(|e| context::fail(e.into()))?;
    services::profile::update(&state, viewer.account_id, &profile, time::OffsetDateTime::now_utc()).await.map_err(context::internal)?;
    leptos_axum::redirect("/profile?done=saved");
    Ok(())
}

/// Any signed-in person, for themselves; the current password is required.
#[server(endpoint = "my_password")]
pub async fn change_my_password(current_password: String, new_password: String, new_password_confirmation: String) -> Result<(), AppError> {
    use crate::domain::{FieldError, Password};
    use crate::server::services::auth::SignedIn;
    use crate::server::services::profile::{self, PasswordChangeError};
    use crate::server::{context, session};
    let viewer = context::require_signed_in()?;
    let state = context::state()?;
    let personal = [viewer.full_name.as_str(), viewer.email.as_deref().unwrap_or_default()];
    let new = Password::parse(&new_password, &personal).map_err(|p| context::fail(FieldError::new("new_password", p.message()).into()))?;
    if new.expose() != new_password_confirmation {
        return Err(context::fail(FieldError::new("new_password_confirmation", "The two new passwords are not the same.").into()));
    }
    let now = time::OffsetDateTime::now_utc();
    let epoch = match profile::change_password(&state, viewer.account_id, &current_password, &new, now).await {
        Ok(epoch) => epoch,
        Err(PasswordChangeError::WrongCurrentPassword) => {
            return Err(context::fail(FieldError::new("current_password", "That is not your current password.").into()))
        }
        Err(PasswordChangeError::Unexpected(e)) => return Err(context::internal(e)),
    };
    // Other sessions ended with the epoch; this browser continues under a new id.
    let browser = context::session().await?;
    session::establish(&browser, &SignedIn { account_id: viewer.account_id, role: viewer.role, session_epoch: epoch }, now).await.map_err(context::internal)?;
    leptos_axum::redirect("/profile?done=password");
    Ok(())
}

#[component]
pub fn ProfilePage() -> impl IntoView {
    let auth = expect_context::<AuthContext>();
    let save = ServerAction::<SaveMyProfile>::new();
    let password = ServerAction::<ChangeMyPassword>::new();
    let profile = Resource::new(move || save.version().get(), |_| fetch_my_profile());
    let done = move || use_query_map().with(|q| q.get("done"));
    let picture_error = move || use_query_map().with(|q| q.get("picture_error")).and_then(|c| crate::domain::PictureProblem::from_code(&c));
    view! {
        <Title text="Your profile"/>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match auth.viewer.await {
                    Ok(Some(viewer)) => Either::Left(view! {
                        <SiteHeader viewer/>
                        <main class="page">
                            <h1>"Your profile"</h1>
                            {done().map(|d| view! {
                                <div class="notice notice-ok" role="status"><strong>"Saved: "</strong>
                                    {match d.as_str() {
                                        "password" => "your new password is in force, and you were signed out everywhere else.",
                                        "picture" => "your new picture is in place.",
                                        _ => "your profile is up to date.",
                                    }}
                                </div>
                            })}
                            {match profile.await {
                                Ok(me) => profile_forms(me, picture_error(), save, password).into_any(),
                                Err(error) => view! { <LoadError error/> }.into_any(),
                            }}
                        </main>
                    }),
                    _ => Either::Right(view! { <Redirect path="/sign-in?next=/profile"/> }),
                }
            })}
        </Transition>
    }
}

fn profile_forms(
    me: MyProfile,
    picture_error: Option<crate::domain::PictureProblem>,
    save: ServerAction<SaveMyProfile>,
    password: ServerAction<ChangeMyPassword>,
) -> impl IntoView {
    let error = action_error(save);
    let password_error = action_error(password);
    let picture_src = me.has_picture.then(|| format!("/people/{}/picture", me.account_id));
    view! {
        <section aria-labelledby="picture-heading" class="actions">
            <h2 id="picture-heading">"Picture"</h2>
            {crate::components::picture_form("/profile/picture", picture_src.as_deref(), picture_error)}
        </section>
        <section aria-labelledby="details-heading" class="actions">
            <h2 id="details-heading">"Details"</h2>
            <p class="hint">{format!("You sign in with {}.", me.email.clone().unwrap_or_default())}</p>
            <FormError error/>
            <ActionForm action=save attr:class="form-narrow">
                <TextField label="Full name" name="full_name" autocomplete="name" required=true value=me.full_name.clone() error=field_error(error, "full_name")/>
                <TextField label="Job title" name="title" value=me.title.clone() error=field_error(error, "title")/>
                <TextField label="Department" name="department" value=me.department.clone() error=field_error(error, "department")/>
                <TextField label="Location" name="location" value=me.location.clone() error=field_error(error, "location")/>
                <TextField label="Phone" name="phone" input_type="tel" value=me.phone.clone() error=field_error(error, "phone")/>
                <button type="submit" class="button">"Save profile"</button>
            </ActionForm>
        </section>
        <section aria-labelledby="password-heading" class="actions">
            <h2 id="password-heading">"Change password"</h2>
            <FormError error=password_error/>
            <ActionForm action=password attr:class="form-narrow">
                <TextField label="Current password" name="current_password" input_type="password" autocomplete="current-password" required=true error=field_error(password_error, "current_password")/>
                <TextField label="New password" name="new_password" input_type="password" autocomplete="new-password" required=true
                    hint=format!("At least {PASSWORD_MIN_CHARS} characters; {PASSWORD_RECOMMENDED_CHARS} or more is better.") error=field_error(password_error, "new_password")/>
                <TextField label="Repeat the new password" name="new_password_confirmation" input_type="password" autocomplete="new-password" required=true error=field_error(password_error, "new_password_confirmation")/>
                <button type="submit" class="button">"Change password"</button>
            </ActionForm>
        </section>
    }
}
