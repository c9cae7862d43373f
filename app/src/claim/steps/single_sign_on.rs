//! Step: sign in at the organisation's identity provider, in place of a
//! password. The provider sends the browser back to the wizard.

use crate::api::claim::StepView;
use leptos::prelude::*;

pub fn view(step: StepView) -> impl IntoView {
    let label = step.sso_button_label.clone().unwrap_or_else(|| "Continue to single sign-on".to_owned());
    view! {
        <h1>"Sign in with your work account"</h1>
        <p>
            {step.organization_name.clone()}
            " signs you in with its identity provider, so you don't need a password for Embark. \
             Sign in there once now to link your account; you'll come straight back here."
        </p>
        {step.email.clone().map(|email| view! {
            <p>"Use the account for " <strong>{email}</strong> "."</p>
        })}
        <a class="button" href="/sso/start?purpose=claim" rel="external">{label}</a>
    }
}
