use crate::api::auth::SetupStatus;
use crate::auth::fetch_setup_status;
use crate::components::{action_error, field_error, FormError, TextField};
use crate::domain::{PASSWORD_MIN_CHARS, PASSWORD_RECOMMENDED_CHARS};
use crate::AuthContext;
use leptos::either::EitherOf3;
use leptos::prelude::*;
use leptos_meta::Title;

/// First run: name the organisation and create the first administrator.
#[component]
pub fn SetupPage() -> impl IntoView {
    let complete = expect_context::<AuthContext>().complete_setup;
    let error = action_error(complete);
    let status = Resource::new(|| (), |_| fetch_setup_status());
    let password_hint =
        format!("At least {PASSWORD_MIN_CHARS} characters; {PASSWORD_RECOMMENDED_CHARS} or more is better. A few unrelated words make a strong password.");

    view! {
        <Title text="Set up Embark"/>
        <main class="centered-page">
            <div class="card">
                <h1>"Set up Embark"</h1>
                <Transition fallback=|| view! { <p>"Loading…"</p> }>
                    {move || {
                        let password_hint = password_hint.clone();
                        Suspend::new(async move {
                        match status.await {
                            Ok(SetupStatus::Ready) => EitherOf3::A(view! {
                                <p>"Name your organisation and create the first administrator account. You will be signed in straight away."</p>
                                <FormError error/>
                                <ActionForm action=complete>
                                    <TextField label="Organisation name" name="organization_name" autocomplete="organization" required=true error=field_error(error, "organization_name")/>
                                    <TextField label="Your full name" name="full_name" autocomplete="name" required=true error=field_error(error, "full_name")/>
                                    <TextField label="Your email address" name="email" input_type="email" autocomplete="email" required=true error=field_error(error, "email")/>
                                    <TextField label="Password" name="password" input_type="password" autocomplete="new-password" required=true hint=password_hint.clone() error=field_error(error, "password")/>
                                    <TextField label="Repeat the password" name="password_confirmation" input_type="password" autocomplete="new-password" required=true error=field_error(error, "password_confirmation")/>
                                    <button type="submit" class="button">"Create administrator"</button>
                                </ActionForm>
                            }),
                            Ok(SetupStatus::Done) => EitherOf3::B(view! {
                                <p>"Embark is already set up."</p>
                                <p><a class="button" href="/sign-in">"Sign in"</a></p>
                            }),
                            _ => EitherOf3::C(view! {
                                <div class="notice notice-info" role="status">
                                    "To set up Embark, open the one-time setup link that the server printed in its log when it started. \
                                     Restarting the server prints a new one."
                                </div>
                            }),
                        }
                    })}}
                </Transition>
            </div>
        </main>
    }
}
