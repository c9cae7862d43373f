//! Integrations: identity providers (Okta, Entra ID, Google, a script) that
//! create, update and deactivate people through Embark's SCIM 2.0 API. Each
//! has its own token, shown once; it can be replaced (with an overlap, so
//! the provider can be switched over without a gap) and revoked.

use crate::api::integrations::{IntegrationView, IntegrationsPage as IntegrationsData, IssuedToken};
use crate::components::{action_error, field_error, FormError, TextField};
use crate::domain::IntegrationId;
use crate::error::AppError;
use crate::pages::errors::LoadError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Admins only.
#[server(endpoint = "admin_integrations")]
pub async fn fetch_integrations() -> Result<IntegrationsData, AppError> {
    use crate::server::{context, services::integrations};
    context::require_owner()?;
    let state = context::state()?;
    Ok(integrations::page(&state, time::OffsetDateTime::now_utc()).await?)
}

/// Admins only. Answers with the new token, which is shown once.
#[server(endpoint = "admin_create_integration")]
pub async fn create_integration(name: String, description: String) -> Result<IssuedToken, AppError> {
    use crate::domain::IntegrationSettings;
    use crate::server::{context, services::integrations};
    let admin = context::require_owner()?;
    let state = context::state()?;
    let settings = IntegrationSettings::parse(&name, &description).map_err(context::invalid)?;
    Ok(integrations::create(&state, &settings, &admin.actor(), time::OffsetDateTime::now_utc()).await?)
}

/// Admins only. Answers with the new token, which is shown once.
#[server(endpoint = "admin_rotate_integration_token")]
pub async fn rotate_token(id: IntegrationId, overlap_hours: u32) -> Result<IssuedToken, AppError> {
    use crate::server::{context, services::integrations};
    let admin = context::require_owner()?;
    let state = context::state()?;
    if overlap_hours > integrations::MAX_OVERLAP_HOURS {
        return Err(context::refused("The old token can keep working for at most 7 days."));
    }
    Ok(integrations::rotate(&state, id, overlap_hours, &admin.actor(), time::OffsetDateTime::now_utc()).await?)
}

/// Admins only.
#[server(endpoint = "admin_revoke_integration")]
pub async fn revoke_integration(id: IntegrationId) -> Result<(), AppError> {
    use crate::server::{context, services::integrations};
    let admin = context::require_owner()?;
    let state = context::state()?;
    integrations::revoke(&state, id, &admin.actor(), time::OffsetDateTime::now_utc()).await?;
    leptos_axum::redirect("/admin/integrations?done=revoked");
    Ok(())
}

/// Admins only.
#[server(endpoint = "admin_integration_invites")]
pub async fn set_automatic_invitations(id: IntegrationId, on: bool) -> Result<(), AppError> {
    use crate::server::{context, services::integrations};
    let admin = context::require_owner()?;
    let state = context::state()?;
    integrations::set_invite_automatically(&state, id, on, &admin.actor(), time::OffsetDateTime::now_utc()).await?;
    leptos_axum::redirect(&format!("/admin/integrations?done={}", if on { "inviting" } else { "not-inviting" }));
    Ok(())
}

/// The token just made, with what to do with it.
fn token_notice(issued: IssuedToken) -> impl IntoView {
    view! {
        <div class="notice notice-ok token-notice" role="status">
            <h2>{format!("Token for {}", issued.name)}</h2>
            <p><strong>"Copy it now: Embark shows it only this once."</strong>" Anyone with it can add and deactivate people, so keep it in your identity provider's settings only."</p>
            <div class="field">
                <label for="new-token">"Token (Authorization: Bearer)"</label>
                <input id="new-token" type="text" readonly=true value=issued.token class="token" spellcheck="false" autocomplete="off"/>
            </div>
            <p>"Paste it, with the SCIM base URL below, into your identity provider's provisioning settings."</p>
        </div>
    }
}

fn row(
    integration: IntegrationView,
    rotate: ServerAction<RotateToken>,
    revoke: ServerAction<RevokeIntegration>,
    switch: ServerAction<SetAutomaticInvitations>,
    confirm: Option<String>,
) -> impl IntoView {
    let id = integration.id;
    let confirming = confirm.as_deref() == Some(id.to_string().as_str());
    let live = integration.revoked.is_none();
    let name = integration.name.clone();
    view! {
        <li class="card integration">
            <h3>{integration.name.clone()}</h3>
            {(!integration.description.is_empty()).then(|| view! { <p>{integration.description.clone()}</p> })}
            <dl class="facts">
                <dt>"Status"</dt>
                <dd>{match &integration.revoked {
                    Some(at) => format!("Revoked on {at}: its tokens no longer work"),
                    None => "Active".to_owned(),
                }}</dd>
                <dt>"Token starts with"</dt>
                <dd><code>{integration.token_prefix.clone()}</code>{integration.previous_token_until.clone().map(|until| format!(" (the previous token also works until {until})"))}</dd>
                <dt>"Invites people it adds"</dt>
                <dd>{if integration.invite_automatically { "Yes, as soon as they are added" } else { "No: they wait in Unsent Invitations" }}</dd>
                <dt>"Last used"</dt>
                <dd>{integration.last_used.clone().unwrap_or_else(|| "Never".to_owned())}</dd>
                <dt>"Created"</dt>
                <dd>{integration.created.clone()}</dd>
            </dl>
            {(!integration.recent.is_empty()).then(|| view! {
                <h4>"Recent activity"</h4>
                <ul class="activity">
                    {integration.recent.clone().into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
                </ul>
            })}
            {live.then(|| view! {
                <div class="row-actions">
                    <ActionForm action=switch>
                        <input type="hidden" name="id" value=id.to_string()/>
                        <input type="hidden" name="on" value=(!integration.invite_automatically).to_string()/>
                        <button type="submit" class="button button-quiet">
                            {if integration.invite_automatically { "Stop inviting automatically" } else { "Invite people automatically as soon as this integration adds them" }}
                        </button>
                    </ActionForm>
                    <ActionForm action=rotate attr:class="inline-form">
                        <input type="hidden" name="id" value=id.to_string()/>
                        <div class="field">
                            <label for=format!("overlap-{id}")>"The old token keeps working for"</label>
                            <select id=format!("overlap-{id}") name="overlap_hours">
                                <option value="0" selected=true>"No time: it stops now"</option>
                                <option value="1">"1 hour"</option>
                                <option value="24">"1 day"</option>
                                <option value="168">"7 days"</option>
                            </select>
                        </div>
                        <button type="submit" class="button button-quiet">"Make a new token"</button>
                    </ActionForm>
                    {if confirming {
                        view! {
                            <div class="confirm" role="alertdialog" aria-labelledby=format!("revoke-{id}")>
                                <p id=format!("revoke-{id}")><strong>{format!("Revoke {name}?")}</strong>" Its tokens stop working at once and it can no longer change anyone. People it added stay. This cannot be undone."</p>
                                <ActionForm action=revoke>
                                    <input type="hidden" name="id" value=id.to_string()/>
                                    <button type="submit" class="button button-danger">{format!("Revoke {name}")}</button>
                                    " "
                                    <a href="/admin/integrations" class="button button-quiet">"Keep it"</a>
                                </ActionForm>
                            </div>
                        }.into_any()
                    } else {
                        view! { <a class="button button-quiet" href=format!("/admin/integrations?confirm={id}")>"Revoke…"</a> }.into_any()
                    }}
                </div>
            })}
        </li>
    }
}

#[component]
pub fn IntegrationsPage() -> impl IntoView {
    let create = ServerAction::<CreateIntegration>::new();
    let rotate = ServerAction::<RotateToken>::new();
    let revoke = ServerAction::<RevokeIntegration>::new();
    let switch = ServerAction::<SetAutomaticInvitations>::new();
    let query = use_query_map();
    let data =
        Resource::new(move || (create.version().get(), rotate.version().get(), switch.version().get(), revoke.version().get()), |_| fetch_integrations());
    let create_error = action_error(create);
    let other_error = Signal::derive(move || action_error(rotate).get().or(action_error(revoke).get()).or(action_error(switch).get()));
    let created = Memo::new(move |_| create.value().get().and_then(Result::ok).map(|issued| issued.token));
    // Once an integration is created (not after a refusal, which keeps what
    // was typed), the form starts empty again.
    let new_form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if created.get().is_some() {
            if let Some(form) = new_form.get_untracked() {
                form.reset();
            }
        }
    });
    let issued = move || create.value().get().and_then(Result::ok).or_else(|| rotate.value().get().and_then(Result::ok));
    view! {
        <Title text="Integrations"/>
        <h1>"Integrations"</h1>
        <p>"Connect your identity provider (Okta, Microsoft Entra ID, Google, or your own tool) so it creates, updates and deactivates people in Embark through SCIM 2.0. Each integration has its own token."</p>
        {move || query.with(|q| q.get("done")).map(|done| {
            let message = match done.as_str() {
                "revoked" => "The integration was revoked. Its tokens no longer work.",
                "inviting" => "People this integration adds will be invited as soon as they arrive.",
                _ => "People this integration adds will wait in Unsent Invitations.",
            };
            view! { <div class="notice notice-ok" role="status"><strong>"Done: "</strong>{message}</div> }
        })}
        <FormError error=other_error/>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let confirm = query.with(|q| q.get("confirm"));
                match data.await {
                    Ok(page) => view! {
                        {issued().map(token_notice)}
                        <div class="field">
                            <label for="scim-url">"SCIM base URL (give it to your identity provider with the token)"</label>
                            <input id="scim-url" type="text" readonly=true value=page.scim_url.clone() class="token"/>
                        </div>
                        {if page.integrations.is_empty() {
                            view! { <div class="empty-state"><h2>"No integrations yet"</h2><p>"Create one below, then paste its token and the SCIM base URL into your identity provider's provisioning settings."</p></div> }.into_any()
                        } else {
                            view! {
                                <ul class="card-list" aria-label="Integrations">
                                    {page.integrations.into_iter().map(|integration| row(integration, rotate, revoke, switch, confirm.clone())).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                    }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Transition>
        <section aria-labelledby="directory-heading" class="actions">
            <h2 id="directory-heading">"Active Directory or LDAP"</h2>
            <p>"If your people are in an on-premises directory rather than a cloud identity provider, Embark can read them from it."</p>
            <a class="button button-quiet" href="/admin/integrations/directory">"Set up directory sync"</a>
        </section>
        <section aria-labelledby="new-integration-heading" class="actions">
            <h2 id="new-integration-heading">"New integration"</h2>
            <p>"People it adds wait in Unsent Invitations until you invite them, unless you turn on automatic invitations (Invite All does that for every integration)."</p>
            <FormError error=create_error/>
            <ActionForm action=create node_ref=new_form attr:class="form-narrow">
                <TextField label="Name" name="name" required=true hint="For example the identity provider: Okta, Entra ID." error=field_error(create_error, "name")/>
                <TextField label="Description" name="description" error=field_error(create_error, "description")/>
                <button type="submit" class="button">"Create integration"</button>
            </ActionForm>
        </section>
    }
}
