//! People: the list, and adding one person (invited at once).

// Server functions take one argument per form field, and the Add person form
// has more fields than clippy's default allows.
#![allow(clippy::too_many_arguments)]

use crate::api::people::{ExportSummary, PeopleList};
use crate::components::{action_error, field_error, FormError, TextField};
use crate::domain::AccountStatus;
use crate::error::AppError;
use crate::pages::errors::LoadError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Admins only.
#[server(endpoint = "admin_people")]
pub async fn list_people(search: Option<String>, status: Option<String>, after: Option<String>) -> Result<PeopleList, AppError> {
    use crate::server::{context, services::people};
    context::require_people_admin()?;
    let state = context::state()?;
    Ok(people::list(&state, &people::PeopleQuery::parse(search, status, after)).await?)
}

/// Admins only. Creates the person and sends their invitation at once: an
/// email, or for someone without email an access code (shown on their page).
#[server(endpoint = "admin_add_person")]
pub async fn add_person(
    email: String,
    username: Option<String>,
    full_name: String,
    title: String,
    department: String,
    location: String,
    phone: String,
    external_id: String,
    manager_email: String,
    groups: Option<Vec<crate::domain::GroupId>>,
    personal_message: String,
) -> Result<(), AppError> {
    use crate::domain::{PersonFields, PersonToAdd};
    use crate::server::{context, services::people};
    let admin = context::require_people_admin()?;
    let state = context::state()?;
    let person = PersonToAdd::parse(PersonFields {
        email: &email,
        username: username.as_deref().unwrap_or_default(),
        full_name: &full_name,
        title: &title,
        department: &department,
        location: &location,
        phone: &phone,
        external_id: &external_id,
        manager_email: &manager_email,
        groups: groups.unwrap_or_default(),
        personal_message: &personal_message,
    })
    .map_err(context::invalid)?;
    let with_email = person.email.is_some();
    let id = people::add(&state, person, &admin.actor(), time::OffsetDateTime::now_utc()).await?;
    leptos_axum::redirect(&if with_email { "/admin/people?added=1".to_owned() } else { format!("/admin/people/{id}?done=code") });
    Ok(())
}

/// People admins and owners: what an export of these people would hold.
#[server(endpoint = "admin_people_export_summary")]
pub async fn people_export_summary(search: Option<String>, status: Option<String>) -> Result<ExportSummary, AppError> {
    use crate::server::{context, services::people_export};
    context::require_people_admin()?;
    let state = context::state()?;
    let filter = people_export::filter(search, status);
    people_export::summary(&state, &filter, time::OffsetDateTime::now_utc()).await.map_err(context::internal)
}

/// People admins and owners: new links (or codes) for the invited people
/// these filters match whose link has expired, before exporting them.
/// Nothing is emailed; the export is how they reach people.
#[server(endpoint = "admin_renew_export_links")]
pub async fn renew_export_links(search: Option<String>, status: Option<String>, understood: Option<String>) -> Result<u64, AppError> {
    use crate::server::{context, services::lifecycle, services::people_export};
    let admin = context::require_people_admin()?;
    if understood.is_none() {
        return Err(context::invalid(crate::domain::FieldError::new("understood", "Tick the box to confirm you will hand the new links over yourself.")));
    }
    let state = context::state()?;
    let filter = people_export::filter(search, status);
    Ok(lifecycle::renew_expired_for_export(&state, &filter, &admin.actor(), time::OffsetDateTime::now_utc()).await?)
}

/// The People export: what the file will hold, then the download.
#[component]
pub fn PeopleExportPage() -> impl IntoView {
    let query = use_query_map();
    let search = move || query.with(|q| q.get("q")).filter(|q| !q.trim().is_empty());
    let status = move || query.with(|q| q.get("status")).filter(|s| !s.is_empty());
    let renew = ServerAction::<RenewExportLinks>::new();
    let renew_error = action_error(renew);
    let summary = Resource::new(move || (search(), status(), renew.version().get()), |(search, status, _)| people_export_summary(search, status));
    let filter_query = move || {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if let Some(q) = search() {
            query.append_pair("q", &q);
        }
        if let Some(s) = status() {
            query.append_pair("status", &s);
        }
        query.finish()
    };
    let described = move || {
        let status = status().and_then(|s| AccountStatus::from_str_opt(&s)).map(|s| format!("whose status is {}", s.label().to_lowercase()));
        let search = search().map(|q| format!("matching “{q}”"));
        match (status, search) {
            (None, None) => "Everyone in Embark".to_owned(),
            (Some(s), None) => format!("Everyone {s}"),
            (None, Some(q)) => format!("Everyone {q}"),
            (Some(s), Some(q)) => format!("Everyone {q} {s}"),
        }
    };
    view! {
        <Title text="Export people"/>
        <p><a href=move || format!("/admin/people?{}", filter_query())>"← Back to People"</a></p>
        <h1>"Export people"</h1>
        <p>{described}", as a CSV file: the import template's columns (edit it and import it back), then each person's status, when they were invited and claimed, and for invited people their own claim link (or access code) and when it expires."</p>
        <div class="notice notice-warning" role="note">
            <strong>"Claim links are keys: "</strong>"whoever holds someone's link can claim their account. Hand each link only to its person, and delete the file when you are done. Each export is recorded in the audit log."
        </div>
        <FormError error=renew_error/>
        {move || renew.value().get().and_then(Result::ok).map(|renewed| view! {
            <div class="notice notice-ok" role="status">
                <strong>"Done: "</strong>{format!("{renewed} people have new links. Download the file now to hand them over.")}
            </div>
        })}
        <Transition fallback=|| view! { <p>"Counting…"</p> }>
            {move || Suspend::new(async move {
                match summary.await {
                    Ok(summary) => view! {
                        <dl class="facts">
                            <dt>"People in the file"</dt><dd>{summary.people}</dd>
                            <dt>"Invited, with a working link or code"</dt><dd>{summary.invited_live}</dd>
                            <dt>"Invited, but their link or code has expired"</dt>
                            <dd>{summary.invited_expired}{(summary.invited_expired > 0).then_some(" — their link cells will be empty.")}</dd>
                        </dl>
                        {(summary.invited_expired > 0).then(|| view! {
                            <section class="actions" aria-labelledby="renew-heading">
                                <h2 id="renew-heading">"Give them new links now"</h2>
                                <div class="notice notice-warning" role="note">
                                    <strong>"Nothing is emailed: "</strong>
                                    {format!(
                                        "{} people get a new link (or access code) at once, valid for the usual lifetime, and the file you download next carries it. Their old links already stopped working; you hand the new ones over yourself.",
                                        summary.invited_expired
                                    )}
                                </div>
                                <ActionForm action=renew>
                                    <input type="hidden" name="search" value=search().unwrap_or_default()/>
                                    <input type="hidden" name="status" value=status().unwrap_or_default()/>
                                    <div class="field checkbox">
                                        <input type="checkbox" id="renew-understood" name="understood" value="on"/>
                                        <label for="renew-understood">"I will hand the new links over myself"</label>
                                    </div>
                                    <button type="submit" class="button button-quiet">"Give them new links now"</button>
                                </ActionForm>
                            </section>
                        })}
                    }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Transition>
        <p><a class="button" href=move || format!("/admin/people/export.csv?{}", filter_query()) rel="external" download="">"Download CSV"</a></p>
    }
}

#[component]
pub fn PeoplePage() -> impl IntoView {
    let query = use_query_map();
    let search = move || query.with(|q| q.get("q"));
    let status = move || query.with(|q| q.get("status"));
    let after = move || query.with(|q| q.get("after"));
    let added = move || query.with(|q| q.get("added")).is_some();
    let deleted = move || query.with(|q| q.get("deleted")).is_some();
    let people = Resource::new(move || (search(), status(), after()), |(search, status, after)| list_people(search, status, after));
    view! {
        <Title text="People"/>
        <div class="page-heading">
            <h1>"People"</h1>
            <span>
                <a class="button button-quiet" href=move || {
                    let mut query = form_urlencoded::Serializer::new(String::new());
                    if let Some(q) = search() { query.append_pair("q", &q); }
                    if let Some(s) = status() { query.append_pair("status", &s); }
                    format!("/admin/people/export?{}", query.finish())
                }>"Export…"</a>
                " "<a class="button button-quiet" href="/admin/import">"Import from a spreadsheet"</a>
                " "<a class="button" href="/admin/people/new">"Add person"</a>
            </span>
        </div>
        <Show when=added>
            <div class="notice notice-ok" role="status"><strong>"Added: "</strong>"the person was created and their invitation is on its way."</div>
        </Show>
        <Show when=deleted>
            <div class="notice notice-ok" role="status"><strong>"Deleted: "</strong>"the account is gone; the audit log keeps the record."</div>
        </Show>
        <form method="get" action="/admin/people" class="filters" role="search">
            <div class="field">
                <label for="people-q">"Search by name, email or external ID"</label>
                <input id="people-q" name="q" type="search" value=search/>
            </div>
            <div class="field">
                <label for="people-status">"Account status"</label>
                <select id="people-status" name="status">
                    <option value="" selected=move || status().is_none()>"Any status"</option>
                    {AccountStatus::ALL.into_iter().map(|s| view! {
                        <option value=s.as_str() selected=move || status().as_deref() == Some(s.as_str())>{s.label()}</option>
                    }).collect_view()}
                </select>
            </div>
            <button type="submit" class="button-quiet">"Apply"</button>
        </form>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match people.await {
                    Ok(page) if page.people.is_empty() => view! {
                        <div class="empty-state">
                            <h2>"No one matches"</h2>
                            <p>"Nobody matches this search and filter. Clear them, or add a person."</p>
                        </div>
                    }.into_any(),
                    Ok(page) => {
                        let next = page.next.clone().map(|cursor| {
                            let mut href = format!("/admin/people?after={}", urlencode(&cursor));
                            if let Some(q) = search() { href.push_str(&format!("&q={}", urlencode(&q))); }
                            if let Some(s) = status() { href.push_str(&format!("&status={}", urlencode(&s))); }
                            href
                        });
                        let capped = page.capped_at.map(|cap| view! {
                            <div class="notice notice-info" role="status">
                                {format!(
                                    "More than {} people match this search. These are some of them, in name order; add more of the name, the email address or the external ID to narrow it.",
                                    cap
                                )}
                            </div>
                        });
                        view! {
                            {capped}
                            <table class="data-table">
                                <caption class="visually-hidden">"People, by name"</caption>
                                <thead><tr><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Title"</th><th scope="col">"Department"</th><th scope="col">"Status"</th><th scope="col">"Actions"</th></tr></thead>
                                <tbody>
                                    {page.people.into_iter().map(|person| {
                                        let actions = row_actions(&person.id.to_string(), &person.full_name, person.status, person.email.is_some());
                                        view! {
                                        <tr>
                                            <th scope="row"><a href=format!("/admin/people/{}", person.id)>{person.full_name}</a></th>
                                            <td>{person.email.unwrap_or_default()}</td>
                                            <td>{person.title}</td>
                                            <td>{person.department}</td>
                                            <td><span class=format!("status status-{}", person.status.as_str())>{person.status.label()}</span></td>
                                            <td class="row-actions">{actions}</td>
                                        </tr>
                                    }}).collect_view()}
                                </tbody>
                            </table>
                            {next.map(|href| view! { <p><a class="button-quiet button" href=href>"Next page"</a></p> })}
                        }.into_any()
                    }
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// Links to the person page's confirmation steps; nothing happens until the
/// admin confirms there. Names are in the link text for screen readers.
fn row_actions(id: &str, name: &str, status: AccountStatus, has_email: bool) -> impl IntoView {
    let base = format!("/admin/people/{id}");
    let invite = match status {
        AccountStatus::Uninvited if has_email => Some(("Invite", format!("{base}?preview=1&message="))),
        AccountStatus::Invited if has_email => Some(("Resend", format!("{base}?preview=1&message="))),
        // Someone without email: their page has the access code.
        AccountStatus::Uninvited | AccountStatus::Invited => Some(("Access code", base.clone())),
        _ => None,
    };
    let deactivate = (status != AccountStatus::Deactivated).then(|| format!("{base}?confirm=deactivate"));
    view! {
        {invite.map(|(label, href)| view! { <a href=href aria-label=format!("{label} {name}")>{label}</a> })}
        {deactivate.map(|href| view! { <a href=href aria-label=format!("Deactivate {name}")>"Deactivate…"</a> })}
    }
}

fn urlencode(raw: &str) -> String {
    form_urlencoded::byte_serialize(raw.as_bytes()).collect()
}

#[component]
pub fn AddPersonPage() -> impl IntoView {
    let add = ServerAction::<AddPerson>::new();
    let error = action_error(add);
    let groups = Resource::new(|| (), |_| super::groups::list_groups());
    view! {
        <Title text="Add person"/>
        <h1>"Add a person"</h1>
        <p>"They get an invitation email with their own link straight away. Someone without an email address gets an access code instead, which you print or hand over."</p>
        <FormError error/>
        <ActionForm action=add attr:class="form-narrow">
            <TextField label="Email address" name="email" input_type="email" hint="Leave empty for someone without email." error=field_error(error, "email")/>
            <TextField label="Username" name="username" autocomplete="off"
                hint="Only for someone without email: what they sign in with. Leave empty to make one from their name; they can change it when they set up their account."
                error=field_error(error, "username")/>
            <TextField label="Full name" name="full_name" required=true error=field_error(error, "full_name")/>
            <TextField label="Job title" name="title" error=field_error(error, "title")/>
            <TextField label="Department" name="department" error=field_error(error, "department")/>
            <TextField label="Location" name="location" error=field_error(error, "location")/>
            <TextField label="Phone" name="phone" input_type="tel" error=field_error(error, "phone")/>
            <TextField label="External ID" name="external_id" hint="Optional: the person's id in your HR or identity system." error=field_error(error, "external_id")/>
            <TextField label="Manager's email address" name="manager_email" input_type="email" hint="Optional: someone already in Embark." error=field_error(error, "manager_email")/>
            <Transition>
                {move || Suspend::new(async move {
                    groups.await.ok().filter(|groups| !groups.is_empty()).map(|groups| view! {
                        <fieldset class="group-choices">
                            <legend>"Groups (optional)"</legend>
                            {groups.into_iter().enumerate().map(|(index, group)| {
                                let id = format!("add-group-{}", group.id);
                                view! {
                                    <div class="field checkbox">
                                        <input type="checkbox" id=id.clone() name=format!("groups[{index}]") value=group.id.to_string()/>
                                        <label for=id>{group.name}</label>
                                    </div>
                                }
                            }).collect_view()}
                        </fieldset>
                    })
                })}
            </Transition>
            <div class="field">
                <label for="field-personal_message">"Personal message (optional)"</label>
                <p class="hint" id="field-personal_message-hint">"Shown above the standard invitation text."</p>
                <textarea id="field-personal_message" name="personal_message" rows="3" aria-describedby="field-personal_message-hint"></textarea>
                {crate::components::field_message(error, "personal_message")}
            </div>
            <button type="submit" class="button">"Add and send invitation"</button>
        </ActionForm>
    }
}
