//! Step: choose a password, with feedback while it is typed.

use crate::api::claim::StepView;
use crate::claim::ChoosePassword;
use crate::components::{action_error, field_error, field_message, FormError, TextField};
use crate::domain::{Password, PasswordProblem, PASSWORD_MIN_CHARS, PASSWORD_RECOMMENDED_CHARS};
use leptos::prelude::*;

pub fn view(step: StepView, password: ServerAction<ChoosePassword>) -> impl IntoView {
    let error = action_error(password);
    let personal = vec![step.full_name.clone(), step.email.clone().unwrap_or_default(), step.username.clone().unwrap_or_default()];
    let (typed, set_typed) = signal(String::new());
    let feedback = move || password_feedback(&typed.get(), &personal);
    view! {
        <h1>{if step.username.is_some() { "Choose your username and password" } else { "Choose a password" }}</h1>
        {match step.email.clone() {
            Some(email) => view! { <p>"You'll use it with your email address, " {email} ", to sign in."</p> }.into_any(),
            None => view! { <p>"You'll sign in with your username and this password. We suggest a username; you may change it."</p> }.into_any(),
        }}
        <FormError error/>
        <ActionForm action=password>
            {step.username.clone().map(|username| view! {
                <TextField label="Username" name="username" autocomplete="username" required=true value=username
                    hint="3 to 40 letters, digits, dots, dashes or underscores." error=field_error(error, "username")/>
            })}
            <div class="field">
                <label for="field-password">"Password"</label>
                <p class="hint" id="field-password-hint">{format!("At least {PASSWORD_MIN_CHARS} characters; {PASSWORD_RECOMMENDED_CHARS} or more is better. A few unrelated words make a strong, memorable password.")}</p>
                <input id="field-password" name="password" type="password" autocomplete="new-password" required=true
                    aria-describedby="field-password-hint field-password-feedback"
                    aria-invalid=move || field_error(error, "password").get().is_some().then_some("true")
                    on:input=move |ev| set_typed.set(event_target_value(&ev))/>
                <p class="password-feedback" id="field-password-feedback" aria-live="polite">{feedback}</p>
                {field_message(error, "password")}
            </div>
            <TextField label="Repeat the password" name="password_confirmation" input_type="password" autocomplete="new-password" required=true error=field_error(error, "password_confirmation")/>
            <button type="submit" class="button">"Set password"</button>
        </ActionForm>
    }
}

/// Plain-language feedback while a password is typed. The common-password
/// check needs the server's dictionary and happens on submit.
fn password_feedback(typed: &str, personal: &[String]) -> String {
    if typed.is_empty() {
        return String::new();
    }
    let personal: Vec<&str> = personal.iter().map(String::as_str).collect();
    let length = typed.chars().count();
    match Password::parse(typed, &personal) {
        Err(PasswordProblem::TooShort) => format!("{length} characters so far: use at least {PASSWORD_MIN_CHARS}."),
        Err(problem) => problem.message(),
        Ok(_) if length < PASSWORD_RECOMMENDED_CHARS => format!("{length} characters: acceptable; {PASSWORD_RECOMMENDED_CHARS} or more is stronger."),
        Ok(_) => format!("{length} characters: good length."),
    }
}
