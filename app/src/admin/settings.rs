//! Settings: organisation, terms, claim links, access codes and the claim
//! email.

// Server functions take one argument per form field.
#![allow(clippy::too_many_arguments)]

use crate::api::settings::SettingsView;
use crate::components::{action_error, field_error, FormError, TextField};
use crate::domain::claim_email::{self, ClaimEmailInput, PLACEHOLDERS};
use crate::error::AppError;
use crate::pages::errors::LoadError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Admins only.
#[server(endpoint = "admin_settings")]
pub async fn fetch_settings() -> Result<SettingsView, AppError> {
    use crate::server::{context, services::settings};
    let admin = context::require_owner()?;
    let state = context::state()?;
    Ok(settings::view(&state, &admin, time::OffsetDateTime::now_utc()).await?)
}

/// Admins only.
#[server(endpoint = "admin_save_settings")]
pub async fn save_settings(
    organization_name: String,
    require_terms: Option<String>,
    terms_text: String,
    link_lifetime_days: String,
    code_lifetime_days: Option<String>,
    code_attempts_per_address: Option<String>,
    code_attempts_overall: Option<String>,
    claim_email_subject: String,
    claim_email_body: String,
) -> Result<(), AppError> {
    use crate::domain::{OrganizationSettings, SettingsFields};
    use crate::server::{context, services::settings};
    let admin = context::require_owner()?;
    let state = context::state()?;
    let new = OrganizationSettings::parse(&SettingsFields {
        organization_name: &organization_name,
        require_terms: require_terms.is_some(),
        terms_text: &terms_text,
        link_lifetime_days: &link_lifetime_days,
        code_lifetime_days: code_lifetime_days.as_deref(),
        code_attempts_per_address: code_attempts_per_address.as_deref(),
        code_attempts_overall: code_attempts_overall.as_deref(),
        claim_email_subject: &claim_email_subject,
        claim_email_body: &claim_email_body,
    })
    .map_err(context::invalid)?;
    settings::save(&state, &new, &admin.actor(), time::OffsetDateTime::now_utc()).await?;
    leptos_axum::redirect("/admin/settings?done=saved");
    Ok(())
}

/// Admins only: sends a test message to the admin's own address, now.
#[server(endpoint = "admin_test_email")]
pub async fn send_test_email() -> Result<String, AppError> {
    use crate::server::{context, services::settings};
    let admin = context::require_owner()?;
    let state = context::state()?;
    Ok(settings::send_test_email(&state, &admin).await?)
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

            <h2>"Claim links and access codes"</h2>
            <div class="field">
                <label for="field-link_lifetime_days">"Links work for (days)"</label>
                <input id="field-link_lifetime_days" name="link_lifetime_days" type="number" min="1" max="365" required=true prop:value=lifetime
                    on:input=move |ev| lifetime.set(event_target_value(&ev))/>
                {crate::components::field_message(error, "link_lifetime_days")}
            </div>
            <TextField label="Access codes work for (days)" name="code_lifetime_days" input_type="number" required=true
                value=settings.code_lifetime_days.to_string() error=field_error(error, "code_lifetime_days")
                hint="For people without an email address. A new code gets this lifetime; codes already given keep theirs."/>
            <TextField label="Wrong access codes allowed per address (in 15 minutes)" name="code_attempts_per_address" input_type="number" required=true
                value=settings.code_attempts_per_address.to_string() error=field_error(error, "code_attempts_per_address")
                hint="After that many, that address must wait; people elsewhere are not affected. 3 to 1,000."/>
            <TextField label="Wrong access codes allowed from everyone (in 15 minutes)" name="code_attempts_overall" input_type="number" required=true
                value=settings.code_attempts_overall.to_string() error=field_error(error, "code_attempts_overall")
                hint="A ceiling for guessing spread over many addresses. 100 to 1,000,000."/>

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

        <section aria-labelledby="sso-heading" class="actions">
            <h2 id="sso-heading">"Single sign-on"</h2>
            <p>"Let people claim and sign in with your organisation's identity provider instead of a password."</p>
            <a class="button button-quiet" href="/admin/settings/sso">"Set up single sign-on"</a>
        </section>

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
