//! Integrations → Directory sync: the organisation's LDAP directory (Active
//! Directory or OpenLDAP), and "Test connection", which shows how many
//! people the filter finds and how Embark reads the first, or exactly why it
//! could not connect.

// A server function takes the form's fields one by one.
#![allow(clippy::too_many_arguments)]

use crate::api::directory::{ConnectionTest, DirectorySettingsView, SyncStatus};
use crate::components::{action_error, field_error, field_message, radio_options, FormError, TextField};
use crate::domain::{DirectoryDeparture, DirectoryKind, DirectorySecurity, SyncRules, SYNC_INTERVALS};
use crate::error::AppError;
use crate::pages::errors::LoadError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

const PAGE_PATH: &str = "/admin/integrations/directory";

/// Owners only. Shows the last connection test's result once.
#[server(endpoint = "admin_directory_settings")]
pub async fn fetch_directory_settings() -> Result<(DirectorySettingsView, Option<ConnectionTest>), AppError> {
    use crate::server::{context, services::directory_sync};
    context::require_owner()?;
    let state = context::state()?;
    let browser = context::session().await?;
    Ok(directory_sync::settings_view(&state, &browser).await?)
}

/// Owners only.
#[server(endpoint = "admin_save_directory_settings")]
pub async fn save_directory_settings(
    kind: String,
    url: String,
    security: String,
    plain_understood: Option<String>,
    ca_certificate: String,
    bind_dn: String,
    bind_password: String,
    base_dn: String,
    filter: String,
    group_filter: Option<String>,
    attr_email: String,
    attr_external_id: String,
    attr_full_name: String,
    attr_title: String,
    attr_department: String,
    attr_location: String,
    attr_phone: String,
    attr_manager: String,
    attr_groups: String,
) -> Result<(), AppError> {
    use crate::domain::{DirectoryFields, DirectorySettings};
    use crate::server::{context, services::directory_sync};
    let owner = context::require_owner()?;
    let state = context::state()?;
    let settings = DirectorySettings::parse(&DirectoryFields {
        kind: &kind,
        url: &url,
        security: &security,
        plain_understood: plain_understood.is_some(),
        ca_certificate: &ca_certificate,
        bind_dn: &bind_dn,
        bind_password: &bind_password,
        base_dn: &base_dn,
        filter: &filter,
        group_filter: group_filter.as_deref().unwrap_or_default(),
        attributes: [&attr_email, &attr_external_id, &attr_full_name, &attr_title, &attr_department, &attr_location, &attr_phone, &attr_manager, &attr_groups],
    })
    .map_err(context::invalid)?;
    directory_sync::save_settings(&state, &owner.actor(), &settings, time::OffsetDateTime::now_utc()).await?;
    leptos_axum::redirect(&format!("{PAGE_PATH}?done=saved"));
    Ok(())
}

/// Owners only. What a sync does: `departures` is deactivate or report,
/// `every` minutes between scheduled syncs (empty: none).
#[server(endpoint = "admin_save_directory_rules")]
pub async fn save_directory_rules(departures: String, invite_automatically: Option<String>, every: String) -> Result<(), AppError> {
    use crate::server::{context, services::directory_sync};
    let owner = context::require_owner()?;
    let state = context::state()?;
    let rules = SyncRules::parse(&departures, invite_automatically.is_some(), &every).map_err(context::invalid)?;
    directory_sync::save_rules(&state, &owner.actor(), &rules, time::OffsetDateTime::now_utc()).await?;
    leptos_axum::redirect(&format!("{PAGE_PATH}?done=rules#rules-heading"));
    Ok(())
}

/// Owners only. Tests the saved settings; the page shows the result.
#[server(endpoint = "admin_test_directory_connection")]
pub async fn test_directory_connection() -> Result<(), AppError> {
    use crate::server::{context, services::directory_sync};
    context::require_owner()?;
    let state = context::state()?;
    let browser = context::session().await?;
    directory_sync::test_connection(&state, &browser).await?;
    leptos_axum::redirect(&format!("{PAGE_PATH}#test-result"));
    Ok(())
}

/// Owners only. Reads the directory into an import preview and opens it.
#[server(endpoint = "admin_preview_directory_sync")]
pub async fn preview_directory_sync() -> Result<(), AppError> {
    use crate::server::{context, services::directory_sync};
    let owner = context::require_owner()?;
    let state = context::state()?;
    let batch = directory_sync::preview_sync(&state, &owner.actor(), time::OffsetDateTime::now_utc()).await?;
    leptos_axum::redirect(&format!("/admin/integrations/directory/sync/{batch}"));
    Ok(())
}

#[component]
pub fn DirectorySettingsPage() -> impl IntoView {
    let save = ServerAction::<SaveDirectorySettings>::new();
    let rules = ServerAction::<SaveDirectoryRules>::new();
    let test = ServerAction::<TestDirectoryConnection>::new();
    let sync = ServerAction::<PreviewDirectorySync>::new();
    let settings = Resource::new(move || (save.version().get(), rules.version().get(), test.version().get()), |_| fetch_directory_settings());
    let query = use_query_map();
    let done = move || query.with(|q| q.get("done"));
    let saved = move || done().as_deref() == Some("saved");
    let rules_saved = move || done().as_deref() == Some("rules");
    // "Fill in the suggestions for …": shown in the form, saved only with it.
    let suggested = move || query.with(|q| q.get("suggest")).and_then(|kind| DirectoryKind::parse(&kind));
    view! {
        <Title text="Directory sync"/>
        <p class="breadcrumb"><a href="/admin/integrations">"Integrations"</a> " › Directory sync"</p>
        <h1>"Directory sync"</h1>
        <p>"Read the people of your organisation's directory (Active Directory or OpenLDAP): Embark connects to it, reads who the filter finds, \
            and keeps their details here. Embark only reads the directory; it never changes it."</p>
        <Show when=saved>
            <div class="notice notice-ok" role="status"><strong>"Saved: "</strong>"the directory's settings are stored. Test the connection below."</div>
        </Show>
        <Show when=rules_saved>
            <div class="notice notice-ok" role="status"><strong>"Saved: "</strong>"what a sync does is stored."</div>
        </Show>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                let suggest = suggested();
                Suspend::new(async move {
                    match settings.await {
                        Ok((mut settings, tested)) => {
                            if let Some(kind) = suggest {
                                settings.kind = kind;
                                settings.filter = kind.suggested_filter().to_owned();
                                settings.attributes = kind.suggested_attributes();
                            }
                            let configured = settings.configured;
                            let (sync_rules, status) = (settings.rules, settings.status.clone());
                            view! {
                                {tested.map(test_result_view)}
                                {settings_form(settings, save)}
                                {test_section(configured, test)}
                                {configured.then(|| rules_form(sync_rules, rules))}
                                {sync_section(configured, status, sync)}
                            }
                            .into_any()
                        }
                        Err(error) => view! { <LoadError error/> }.into_any(),
                    }
                })
            }}
        </Transition>
    }
}

fn settings_form(settings: DirectorySettingsView, save: ServerAction<SaveDirectorySettings>) -> impl IntoView {
    let error = action_error(save);
    let password_hint = if settings.has_bind_password {
        "A password is saved and is never shown again. Leave this empty to keep it, or type a new one to replace it."
    } else {
        "The bind account's password. It is stored encrypted."
    };
    let (kind, security) = (settings.kind, settings.security);
    view! {
        <FormError error/>
        <ActionForm action=save attr:class="form-narrow settings-form">
            <h2>"Connection"</h2>
            <fieldset class="field">
                <legend>"Kind of directory"</legend>
                {radio_options("kind", DirectoryKind::ALL.map(|option| (option.as_str(), option.label())), kind.as_str())}
                <p class="hint">"Fill in the suggested filter and attributes for "
                    <a href=format!("{PAGE_PATH}?suggest=active_directory")>"Active Directory"</a>" (leaves out disabled accounts) or "
                    <a href=format!("{PAGE_PATH}?suggest=open_ldap")>"OpenLDAP"</a>" (leaves out locked accounts). Nothing is saved until you press Save."</p>
            </fieldset>
            <TextField label="Server address" name="url" required=true autocomplete="off" value=settings.url.clone() error=field_error(error, "url")
                hint="ldaps://host (port 636 unless you add one) for TLS, e.g. ldaps://dc1.example.com; ldap://host (port 389) for StartTLS."/>
            <fieldset class="field">
                <legend>"Protection"</legend>
                {radio_options("security", DirectorySecurity::ALL.map(|option| (option.as_str(), option.label())), security.as_str())}
                {field_message(error, "security")}
                <div class="field checkbox">
                    <input type="checkbox" id="field-plain_understood" name="plain_understood" value="on"
                        checked=security == DirectorySecurity::Plain aria-describedby="field-plain_understood-hint"/>
                    <div>
                        <label for="field-plain_understood">"I understand that without encryption the bind password and everyone's details cross the network readable"</label>
                        <p class="hint" id="field-plain_understood-hint">"Needed only for “No encryption”: for a directory on the same machine or a network you trust."</p>
                    </div>
                </div>
                {field_message(error, "plain_understood")}
            </fieldset>
            <div class="field">
                <label for="field-ca_certificate">"CA certificate (optional)"</label>
                <p class="hint" id="field-ca_certificate-hint">"If your directory's certificate is issued by your own certificate authority, paste that authority's certificate (PEM). \
                    Embark then trusts only it for this connection; left empty, the server's usual authorities are trusted."</p>
                // The text is what the page shows before the script loads;
                // `prop:value` is what it shows once the form is drawn again
                // in the browser (a suggestion link), where a textarea's text
                // is not updated.
                <textarea id="field-ca_certificate" name="ca_certificate" rows="4" aria-describedby="field-ca_certificate-hint"
                    placeholder="-----BEGIN CERTIFICATE-----" prop:value=settings.ca_certificate.clone()>{settings.ca_certificate.clone()}</textarea>
                {field_message(error, "ca_certificate")}
            </div>
            <TextField label="Bind DN" name="bind_dn" required=true autocomplete="off" value=settings.bind_dn.clone() error=field_error(error, "bind_dn")
                hint="The account Embark reads the directory as: a service account that may read people, nothing more (e.g. CN=Embark,OU=Service Accounts,DC=example,DC=com)."/>
            <TextField label="Bind password" name="bind_password" input_type="password" autocomplete="new-password" required=!settings.has_bind_password
                hint=password_hint error=field_error(error, "bind_password")/>
            <h2>"Who is read"</h2>
            <TextField label="Base DN" name="base_dn" required=true autocomplete="off" value=settings.base_dn.clone() error=field_error(error, "base_dn")
                hint="Where people are found, e.g. DC=example,DC=com."/>
            <div class="field">
                <label for="field-filter">"Search filter"</label>
                <textarea id="field-filter" name="filter" rows="2" required=true prop:value=settings.filter.clone()>{settings.filter.clone()}</textarea>
                {field_message(error, "filter")}
            </div>
            <div class="field">
                <label for="field-group_filter">"Group filter (optional)"</label>
                <p class="hint" id="field-group_filter-hint">"For a directory whose people carry no memberOf: the group entries to read under the base DN, \
                    whose member (or uniqueMember) values name their people, e.g. (objectClass=groupOfNames). Each becomes an Embark group of that name."</p>
                <textarea id="field-group_filter" name="group_filter" rows="2" aria-describedby="field-group_filter-hint" prop:value=settings.group_filter.clone()>{settings.group_filter.clone()}</textarea>
                {field_message(error, "group_filter")}
            </div>
            <fieldset class="field">
                <legend>"Attributes"</legend>
                <p class="hint">"Which attribute holds each detail. Name several separated by commas and the first one present is used."</p>
                {settings.attributes.fields().into_iter().map(|(name, label, value)| view! {
                    <TextField label name autocomplete="off" value=value.to_owned() error=field_error(error, name)/>
                }).collect_view()}
            </fieldset>
            <button type="submit" class="button">"Save directory settings"</button>
        </ActionForm>
    }
}

fn test_section(configured: bool, test: ServerAction<TestDirectoryConnection>) -> impl IntoView {
    let error = action_error(test);
    view! {
        <section aria-labelledby="test-heading" class="actions">
            <h2 id="test-heading">"Test connection"</h2>
            {if configured {
                view! {
                    <p>"Connects with the saved settings, binds, and counts the people the filter finds. Changes nothing. Save your changes first."</p>
                    <FormError error/>
                    <ActionForm action=test>
                        <button type="submit" class="button button-quiet">"Test connection"</button>
                    </ActionForm>
                }.into_any()
            } else {
                view! { <p>"Save the directory's settings first; then you can test them here."</p> }.into_any()
            }}
        </section>
    }
}

fn rules_form(rules: SyncRules, save: ServerAction<SaveDirectoryRules>) -> impl IntoView {
    let error = action_error(save);
    view! {
        <section aria-labelledby="rules-heading">
            <h2 id="rules-heading">"What a sync does"</h2>
            <FormError error/>
            <ActionForm action=save attr:class="form-narrow settings-form">
                <fieldset class="field">
                    <legend>"People the directory no longer lists (disabled, deleted, or outside the filter)"</legend>
                    {radio_options("departures", DirectoryDeparture::ALL.map(|option| (option.as_str(), option.label())), rules.departures.as_str())}
                    <p class="hint">"Only people who came from the directory are concerned; people with an admin role are always only reported."</p>
                    {field_message(error, "departures")}
                </fieldset>
                <div class="field checkbox">
                    <input type="checkbox" id="field-invite_automatically" name="invite_automatically" value="on"
                        checked=rules.invite_automatically aria-describedby="field-invite_automatically-hint"/>
                    <div>
                        <label for="field-invite_automatically">"Invite people automatically as soon as a sync adds them"</label>
                        <p class="hint" id="field-invite_automatically-hint">"Off: they are added uninvited and wait in Unsent Invitations. \
                            Invite All turns this on."</p>
                    </div>
                </div>
                <div class="field">
                    <label for="field-every">"Sync automatically"</label>
                    <select id="field-every" name="every" aria-describedby="field-every-hint">
                        {SYNC_INTERVALS.into_iter().map(|(minutes, label)| {
                            let value = minutes.map(|m| m.to_string()).unwrap_or_default();
                            view! { <option value=value selected=minutes == rules.every_minutes>{label}</option> }
                        }).collect_view()}
                    </select>
                    <p class="hint" id="field-every-hint">"Scheduled syncs start after you have applied a first sync yourself, and apply what they find. \
                        One that would deactivate more than 10 people and more than a tenth of the directory waits for you instead."</p>
                    {field_message(error, "every")}
                </div>
                <button type="submit" class="button">"Save what a sync does"</button>
            </ActionForm>
        </section>
    }
}

fn sync_section(configured: bool, status: SyncStatus, sync: ServerAction<PreviewDirectorySync>) -> impl IntoView {
    let error = action_error(sync);
    configured.then(|| {
        view! {
            <section aria-labelledby="sync-heading" class="actions">
                <h2 id="sync-heading">"Sync now"</h2>
                <dl class="facts" aria-label="Sync status">
                    <dt>"Last applied"</dt><dd>{status.last_applied.unwrap_or_else(|| "Never".to_owned())}</dd>
                    <dt>"Next scheduled sync"</dt><dd>{status.next_scheduled.unwrap_or_else(|| "None".to_owned())}</dd>
                    {status.last_run.map(|(at, outcome)| view! { <dt>"Last scheduled sync"</dt><dd>{format!("{at}: {outcome}")}</dd> })}
                </dl>
                <p>"Reads everyone the filter finds and shows what would change in Embark: who is new, whose details changed, who left the \
                    directory, and which entries cannot be used and why. Nothing changes until you apply it."</p>
                <FormError error/>
                <ActionForm action=sync>
                    <button type="submit" class="button">"Sync now: preview the changes"</button>
                </ActionForm>
            </section>
        }
    })
}

fn test_result_view(result: ConnectionTest) -> impl IntoView {
    match result {
        ConnectionTest::Connected { found, example } => view! {
            <div class="notice notice-ok" role="status" id="test-result">
                <strong>"Connected. "</strong>
                {match found {
                    0 => "The filter finds nobody under the base DN: check both.".to_owned(),
                    1 => "The filter finds 1 person.".to_owned(),
                    n => format!("The filter finds {n} people."),
                }}
                {example.map(|example| view! {
                    <p>"The first, as Embark reads it: "<code>{example.dn}</code></p>
                    <dl class="facts" aria-label="Example person">
                        {example.details.into_iter().map(|(label, value)| view! { <dt>{label}</dt><dd>{value}</dd> }).collect_view()}
                    </dl>
                })}
            </div>
        }
        .into_any(),
        ConnectionTest::Failed(reason) => view! {
            <div class="notice notice-error" role="alert" id="test-result">
                <strong>"The connection failed: "</strong>{reason}
            </div>
        }
        .into_any(),
    }
}
