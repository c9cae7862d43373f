//! Settings: organisation, terms, claim links and the claim email.

use crate::components::{action_error, FormError};
use crate::domain::claim_email::{self, ClaimEmailInput, PLACEHOLDERS};
use crate::error::AppError;
use crate::pages::errors::LoadError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsView {
    pub organization_name: String,
    pub require_terms: bool,
    pub terms_text: String,
    pub terms_version: i32,
    pub link_lifetime_days: i32,
    pub claim_email_subject: String,
    pub claim_email_body: String,
    pub smtp_configured: bool,
    pub admin_email: Option<String>,
    /// The server's clock, so the preview states a real expiry date.
    pub now_unix: i64,
}

/// Admins only.
#[server(endpoint = "admin_settings")]
pub async fn fetch_settings() -> Result<SettingsView, AppError> {
    use crate::server::{context, db};
    let admin = context::require_admin()?;
    let state = context::state()?;
    let s = db::settings::editable(&state.pool).await.map_err(context::internal)?;
    Ok(SettingsView {
        organization_name: s.organization_name,
        require_terms: s.require_terms,
        terms_text: s.terms_text,
        terms_version: s.terms_version,
        link_lifetime_days: s.claim_link_lifetime_days,
        claim_email_subject: s.claim_email_subject,
        claim_email_body: s.claim_email_body,
        smtp_configured: state.mailer.is_some(),
        admin_email: admin.email,
        now_unix: time::OffsetDateTime::now_utc().unix_timestamp(),
    })
}

/// Admins only.
#[server(endpoint = "admin_save_settings")]
pub async fn save_settings(
    organization_name: String,
    require_terms: Option<String>,
    terms_text: String,
    link_lifetime_days: String,
    claim_email_subject: String,
    claim_email_body: String,
) -> Result<(), AppError> {
    use crate::domain::{FieldError, FieldErrors, OrganizationName};
    use crate::server::db::audit::Actor;
    use crate::server::db::settings::EditableSettings;
    use crate::server::{context, services};
    let admin = context::require_admin()?;
    let state = context::state()?;
    let mut errors = FieldErrors::default();
    let organization = errors.take(OrganizationName::parse(&organization_name));
    let require_terms = require_terms.is_some();
    let terms_text = terms_text.trim().to_owned();
    if require_terms && terms_text.is_empty() {
        errors.push(FieldError::new("terms_text", "Write the terms people must accept, or untick \"Require terms\"."));
    }
    if terms_text.chars().count() > 50_000 {
        errors.push(FieldError::new("terms_text", "The terms can be at most 50,000 characters long."));
    }
    let lifetime = match link_lifetime_days.trim().parse::<i32>() {
        Ok(days @ 1..=365) => Some(days),
        _ => {
            errors.push(FieldError::new("link_lifetime_days", "Enter a whole number of days from 1 to 365."));
            None
        }
    };
    let subject = claim_email_subject.trim().to_owned();
    if subject.is_empty() || subject.chars().count() > 200 || subject.contains(['\r', '\n']) {
        errors.push(FieldError::new("claim_email_subject", "The subject is one line of 1 to 200 characters."));
    }
    let body = claim_email_body.replace("\r\n", "\n").trim().to_owned();
    if body.is_empty() || body.chars().count() > 10_000 {
        errors.push(FieldError::new("claim_email_body", "The message is 1 to 10,000 characters long."));
    }
    let (Some(organization), Some(lifetime), true) = (organization, lifetime, errors.is_empty()) else {
        return Err(context::fail(errors.into()));
    };
    let settings = EditableSettings {
        organization_name: organization.as_ref().to_owned(),
        require_terms,
        terms_text,
        terms_version: 0,
        claim_link_lifetime_days: lifetime,
        claim_email_subject: subject,
        claim_email_body: body,
    };
    let actor = Actor::viewer(&admin);
    services::settings::save(&state, &settings, &actor, time::OffsetDateTime::now_utc()).await.map_err(context::internal)?;
    leptos_axum::redirect("/admin/settings?done=saved");
    Ok(())
}

/// Admins only: sends a test message to the admin's own address, now.
#[server(endpoint = "admin_test_email")]
pub async fn send_test_email() -> Result<String, AppError> {
    use crate::server::context;
    use crate::server::mail::templates::RenderedEmail;
    let admin = context::require_admin()?;
    let state = context::state()?;
    let Some(mailer) = state.mailer.as_ref() else {
        return Err(context::fail(AppError::Refused("SMTP is not configured: set EMBARK_SMTP_URL and EMBARK_MAIL_FROM and restart Embark.".into())));
    };
    let Some(to) = admin.email else {
        return Err(context::fail(AppError::Refused("Your account has no email address to send to.".into())));
    };
    let text = "This is a test message from Embark. If you can read it, invitations will reach people too.".to_owned();
    let email = RenderedEmail { subject: "Embark test email".into(), html: format!("<p>{text}</p>"), text };
    mailer
        .send(&format!("test-{}", uuid::Uuid::now_v7()), &to, &email)
        .await
        .map_err(|e| context::fail(AppError::Refused(format!("The SMTP server did not accept the message: {e}"))))?;
    Ok(to)
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let save = ServerAction::<SaveSettings>::new();
    let test = ServerAction::<SendTestEmail>::new();
    let settings = Resource::new(move || save.version().get(), |_| fetch_settings());
    let done = move || use_query_map().with(|q| q.get("done")).is_some();
    view! {
        <Title text="Settings"/>
        <h1>"Settings"</h1>
        <Show when=done>
            <div class="notice notice-ok" role="status"><strong>"Saved: "</strong>"your settings are in force."</div>
        </Show>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(settings) => settings_form(settings, save, test).into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn settings_form(settings: SettingsView, save: ServerAction<SaveSettings>, test: ServerAction<SendTestEmail>) -> impl IntoView {
    let error = action_error(save);
    let test_error = action_error(test);
    let subject = RwSignal::new(settings.claim_email_subject.clone());
    let body = RwSignal::new(settings.claim_email_body.clone());
    let organization = RwSignal::new(settings.organization_name.clone());
    let lifetime = RwSignal::new(settings.link_lifetime_days.to_string());
    let now = time::OffsetDateTime::from_unix_timestamp(settings.now_unix).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let preview = move || {
        let days = lifetime.get().trim().parse::<i64>().unwrap_or(30).clamp(1, 365);
        let expires_at = now + time::Duration::days(days);
        claim_email::render(&ClaimEmailInput {
            subject_template: &subject.get(),
            body_template: &body.get(),
            first_name: "Grace",
            organization: &organization.get(),
            link: "https://…/claim/(personal link)",
            expires_at,
            personal_message: None,
        })
    };
    let smtp_configured = settings.smtp_configured;
    view! {
        <FormError error/>
        <ActionForm action=save attr:class="form-narrow settings-form">
            <h2>"Organisation"</h2>
            <div class="field">
                <label for="field-organization_name">"Organisation name"</label>
                <input id="field-organization_name" name="organization_name" type="text" required=true prop:value=organization
                    on:input=move |ev| organization.set(event_target_value(&ev))/>
                {crate::components::field_message(error, "organization_name")}
            </div>

            <h2>"Terms of use"</h2>
            <div class="field checkbox">
                <input type="checkbox" id="field-require_terms" name="require_terms" checked=settings.require_terms/>
                <label for="field-require_terms">"Require terms: people accept them before they claim their account"</label>
            </div>
            <div class="field">
                <label for="field-terms_text">"Terms text"</label>
                <p class="hint" id="field-terms_text-hint">{format!("Version {}. Changing the text makes a new version; acceptances record the version.", settings.terms_version)}</p>
                <textarea id="field-terms_text" name="terms_text" rows="6" aria-describedby="field-terms_text-hint">{settings.terms_text.clone()}</textarea>
                {crate::components::field_message(error, "terms_text")}
            </div>

            <h2>"Claim links"</h2>
            <div class="field">
                <label for="field-link_lifetime_days">"Links work for (days)"</label>
                <input id="field-link_lifetime_days" name="link_lifetime_days" type="number" min="1" max="365" required=true prop:value=lifetime
                    on:input=move |ev| lifetime.set(event_target_value(&ev))/>
                {crate::components::field_message(error, "link_lifetime_days")}
            </div>

            <h2>"Claim email"</h2>
            <p class="hint">"Placeholders: " {PLACEHOLDERS.join(", ")} ". The link is added at the end if the message leaves it out."</p>
            <div class="field">
                <label for="field-claim_email_subject">"Subject"</label>
                <input id="field-claim_email_subject" name="claim_email_subject" type="text" required=true prop:value=subject
                    on:input=move |ev| subject.set(event_target_value(&ev))/>
                {crate::components::field_message(error, "claim_email_subject")}
            </div>
            <div class="field">
                <label for="field-claim_email_body">"Message"</label>
                <textarea id="field-claim_email_body" name="claim_email_body" rows="8" required=true
                    on:input=move |ev| body.set(event_target_value(&ev))>{settings.claim_email_body.clone()}</textarea>
                {crate::components::field_message(error, "claim_email_body")}
            </div>
            <div class="email-preview" role="region" aria-label="Claim email preview" aria-live="polite">
                <p class="eyebrow">"Preview"</p>
                <p><strong>"Subject: "</strong>{move || preview().subject}</p>
                <pre>{move || preview().text}</pre>
            </div>
            <button type="submit" class="button">"Save settings"</button>
        </ActionForm>

        <section aria-labelledby="smtp-heading" class="actions">
            <h2 id="smtp-heading">"Outgoing email"</h2>
            {if smtp_configured {
                view! { <p><strong>"Status: configured. "</strong>"Invitations are sent as soon as they are queued."</p> }.into_any()
            } else {
                view! { <p><strong>"Status: not configured. "</strong>"Invitations wait in the outbox until EMBARK_SMTP_URL and EMBARK_MAIL_FROM are set."</p> }.into_any()
            }}
            <FormError error=test_error/>
            {move || test.value().get().and_then(Result::ok).map(|to| view! {
                <div class="notice notice-ok" role="status"><strong>"Sent: "</strong>{format!("a test email is on its way to {to}.")}</div>
            })}
            <ActionForm action=test>
                <button type="submit" class="button-quiet">"Send a test email to myself"</button>
            </ActionForm>
        </section>
    }
}
