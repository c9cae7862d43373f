//! Settings → Single sign-on: the organisation's OpenID Connect provider,
//! who signs in with it, and a test sign-in that shows what the provider
//! asserted (or exactly why it failed).

use crate::api::sso::{SsoSettingsView, SsoTestResult};
use crate::components::{action_error, field_message, radio_options, FormError};
use crate::domain::SsoPolicy;
use crate::error::AppError;
use crate::pages::errors::LoadError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Admins only. Shows the last test sign-in's result once.
#[server(endpoint = "admin_sso_settings")]
pub async fn fetch_sso_settings() -> Result<SsoSettingsView, AppError> {
    use crate::server::{context, services::sso};
    context::require_owner()?;
    let state = context::state()?;
    let browser = context::session().await?;
    Ok(sso::settings_view(&state, &browser).await?)
}

/// Admins only.
#[server(endpoint = "admin_save_sso_settings")]
pub async fn save_sso_settings(
    issuer_url: String,
    client_id: String,
    client_secret: String,
    button_label: String,
    trusted_domains: String,
    policy: String,
) -> Result<(), AppError> {
    use crate::domain::{SsoFields, SsoSettings};
    use crate::server::{context, services::sso};
    let admin = context::require_owner()?;
    let state = context::state()?;
    let settings = SsoSettings::parse(&SsoFields {
        issuer_url: &issuer_url,
        client_id: &client_id,
        client_secret: &client_secret,
        button_label: &button_label,
        trusted_domains: &trusted_domains,
        policy: &policy,
    })
    .map_err(context::invalid)?;
    sso::save_settings(&state, &admin.actor(), &settings, time::OffsetDateTime::now_utc()).await?;
    leptos_axum::redirect("/admin/settings/sso?done=saved");
    Ok(())
}

#[component]
pub fn SsoSettingsPage() -> impl IntoView {
    let save = ServerAction::<SaveSsoSettings>::new();
    let settings = Resource::new(move || save.version().get(), |_| fetch_sso_settings());
    let done = move || use_query_map().with(|q| q.get("done")).is_some();
    view! {
        <Title text="Single sign-on"/>
        <p class="breadcrumb"><a href="/admin/settings">"Settings"</a> " › Single sign-on"</p>
        <h1>"Single sign-on"</h1>
        <p>"Let people claim their account and sign in with your organisation's identity provider (Microsoft Entra ID, Okta, Google, Keycloak or any OpenID Connect provider) instead of a password."</p>
        <Show when=done>
            <div class="notice notice-ok" role="status"><strong>"Saved: "</strong>"single sign-on settings are in force."</div>
        </Show>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(settings) => sso_form(settings, save).into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn sso_form(settings: SsoSettingsView, save: ServerAction<SaveSsoSettings>) -> impl IntoView {
    let error = action_error(save);
    let test_result = settings.test_result.clone().map(test_result_view);
    let secret_hint = if settings.has_client_secret {
        "A secret is saved and is never shown again. Leave this empty to keep it, or type a new one to replace it."
    } else {
        "The secret the provider gave Embark. It is stored encrypted."
    };
    let policy = settings.policy;
    view! {
        {test_result}
        <section aria-labelledby="provider-side-heading" class="actions">
            <h2 id="provider-side-heading">"At your identity provider"</h2>
            <p>"Register Embark as a web application (a confidential OpenID Connect client) with:"</p>
            <dl class="facts">
                <dt>"Redirect URI"</dt><dd><code>{settings.redirect_uri.clone()}</code></dd>
                <dt>"Scopes"</dt><dd><code>"openid email profile"</code></dd>
                <dt>"Grant"</dt><dd>"Authorization code, with PKCE (S256)"</dd>
            </dl>
        </section>
        <FormError error/>
        <ActionForm action=save attr:class="form-narrow settings-form">
            <h2>"Provider"</h2>
            <div class="field">
                <label for="field-issuer_url">"Issuer URL"</label>
                <p class="hint" id="field-issuer_url-hint">"Embark reads the provider's settings from this address + /.well-known/openid-configuration. It must start with https://."</p>
                <input id="field-issuer_url" name="issuer_url" type="url" required=true value=settings.issuer_url.clone() aria-describedby="field-issuer_url-hint"
                    placeholder="https://login.example.com/realms/staff"/>
                {field_message(error, "issuer_url")}
            </div>
            <div class="field">
                <label for="field-client_id">"Client ID"</label>
                <input id="field-client_id" name="client_id" type="text" required=true autocomplete="off" value=settings.client_id.clone()/>
                {field_message(error, "client_id")}
            </div>
            <div class="field">
                <label for="field-client_secret">"Client secret"</label>
                <p class="hint" id="field-client_secret-hint">{secret_hint}</p>
                <input id="field-client_secret" name="client_secret" type="password" autocomplete="new-password" required=!settings.has_client_secret
                    aria-describedby="field-client_secret-hint"/>
                {field_message(error, "client_secret")}
            </div>
            <div class="field">
                <label for="field-button_label">"Button text"</label>
                <input id="field-button_label" name="button_label" type="text" required=true value=settings.button_label.clone() placeholder="Sign in with Acme SSO"/>
                {field_message(error, "button_label")}
            </div>
            <div class="field">
                <label for="field-trusted_domains">"Trusted email domains"</label>
                <p class="hint" id="field-trusted_domains-hint">
                    "Separated by commas. An invited person whose verified email at the provider is in one of these domains can claim their account \
                     straight from the sign-in page. Leave empty to allow claiming only from invitation links."
                </p>
                <input id="field-trusted_domains" name="trusted_domains" type="text" value=settings.trusted_domains.clone()
                    aria-describedby="field-trusted_domains-hint" placeholder="acme.com, acme.co.uk"/>
                {field_message(error, "trusted_domains")}
            </div>
            <fieldset class="field">
                <legend>"Who signs in with single sign-on"</legend>
                {radio_options("policy", SsoPolicy::ALL.map(|option| (option.as_str(), option.label())), policy.as_str())}
                <p class="hint">"Each person's own sign-in method is on their page in People."</p>
                {field_message(error, "policy")}
            </fieldset>
            <button type="submit" class="button">"Save single sign-on settings"</button>
        </ActionForm>
        <section aria-labelledby="test-heading" class="actions">
            <h2 id="test-heading">"Test sign-in"</h2>
            {if settings.configured {
                view! {
                    <p>"Signs you in at the provider (with any account there) and shows what it asserted, without signing anyone in to Embark. Save your changes first."</p>
                    <a class="button button-quiet" href="/sso/start?purpose=test" rel="external">"Run a test sign-in"</a>
                }.into_any()
            } else {
                view! { <p>"Save the provider's settings first; then you can test them here."</p> }.into_any()
            }}
        </section>
    }
}

fn test_result_view(result: SsoTestResult) -> impl IntoView {
    match result {
        SsoTestResult::Asserted { issuer, subject, email, email_verified, name } => view! {
            <div class="notice notice-ok" role="status" id="test-result">
                <strong>"Test sign-in worked. "</strong>"The provider asserted:"
                <dl class="facts">
                    <dt>"Issuer"</dt><dd><code>{issuer}</code></dd>
                    <dt>"Subject"</dt><dd><code>{subject}</code></dd>
                    <dt>"Email"</dt><dd>{email.unwrap_or_else(|| "(none)".to_owned())}</dd>
                    <dt>"Email verified"</dt><dd>{if email_verified { "Yes" } else { "No: this person can't claim from the sign-in page" }}</dd>
                    <dt>"Name"</dt><dd>{name.unwrap_or_else(|| "(none)".to_owned())}</dd>
                </dl>
            </div>
        }
        .into_any(),
        SsoTestResult::Failed(reason) => view! {
            <div class="notice notice-error" role="alert" id="test-result">
                <strong>"Test sign-in failed: "</strong>{reason}
            </div>
        }
        .into_any(),
    }
}
