//! Your profile: details and password.

use crate::api::home::MyProfile;
use crate::components::{action_error, field_error, FormError, PictureForm, SiteHeader, TextField};
use crate::domain::{PASSWORD_MIN_CHARS, PASSWORD_RECOMMENDED_CHARS};
use crate::error::AppError;
use crate::pages::errors::LoadError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Any signed-in person, for themselves.
#[server(endpoint = "my_profile")]
pub async fn fetch_my_profile() -> Result<MyProfile, AppError> {
    use crate::server::{context, services::profile};
    let viewer = context::require_signed_in()?;
    let state = context::state()?;
    Ok(profile::mine(&state, viewer.account_id).await?)
}

/// Any signed-in person, for themselves.
#[server(endpoint = "my_profile_save")]
pub async fn save_my_profile(full_name: String, title: String, department: String, location: String, phone: String) -> Result<(), AppError> {
    use crate::domain::ProfileDetails;
    use crate::server::{context, services::profile};
    let viewer = context::require_signed_in()?;
    let state = context::state()?;
    let details = ProfileDetails::parse(&full_name, &title, &department, &location, &phone).map_err(context::invalid)?;
    profile::update(&state, &viewer, &details, time::OffsetDateTime::now_utc()).await?;
    leptos_axum::redirect("/profile?done=saved");
    Ok(())
}

/// Any signed-in person, for themselves; the current password is required.
#[server(endpoint = "my_password")]
pub async fn change_my_password(current_password: String, new_password: String, new_password_confirmation: String) -> Result<(), AppError> {
    use crate::domain::{FieldError, Password};
    use crate::server::{context, services::profile};
    let viewer = context::require_signed_in()?;
    let state = context::state()?;
    let personal = [viewer.full_name.as_str(), viewer.email.as_deref().unwrap_or_default()];
    let new = Password::parse(&new_password, &personal).map_err(|p| context::invalid(FieldError::new("new_password", p.message())))?;
    if new.expose() != new_password_confirmation {
        return Err(context::invalid(FieldError::new("new_password_confirmation", "The two new passwords are not the same.")));
    }
    let browser = context::session().await?;
    profile::change_password(&state, &browser, &viewer, &current_password, &new, time::OffsetDateTime::now_utc()).await?;
    leptos_axum::redirect("/profile?done=password");
    Ok(())
}

/// A signed-in person's own details, picture and password. Only signed-in
/// people reach it (the server sends others to sign in).
#[component]
pub fn ProfilePage() -> impl IntoView {
    let save = ServerAction::<SaveMyProfile>::new();
    let password = ServerAction::<ChangeMyPassword>::new();
    let profile = Resource::new(move || save.version().get(), |_| fetch_my_profile());
    let done = move || use_query_map().with(|q| q.get("done"));
    let picture_error = move || use_query_map().with(|q| q.get("picture_error")).and_then(|c| crate::domain::PictureProblem::from_code(&c));
    view! {
        <Title text="Your profile"/>
        <SiteHeader/>
        <main class="page">
            <h1>"Your profile"</h1>
            {move || done().map(|d| view! {
                <div class="notice notice-ok" role="status"><strong>"Saved: "</strong>
                    {match d.as_str() {
                        "password" => "your new password is in force, and you were signed out everywhere else.",
                        "picture" => "your new picture is in place.",
                        _ => "your profile is up to date.",
                    }}
                </div>
            })}
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match profile.await {
                        Ok(me) => profile_forms(me, picture_error(), save, password).into_any(),
                        Err(error) => view! { <LoadError error/> }.into_any(),
                    }
                })}
            </Transition>
        </main>
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
            <PictureForm action="/profile/picture" current=picture_src problem=picture_error/>
        </section>
        <section aria-labelledby="details-heading" class="actions">
            <h2 id="details-heading">"Details"</h2>
            <p class="hint">{format!("You sign in with {}.", me.signs_in_with)}</p>
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
