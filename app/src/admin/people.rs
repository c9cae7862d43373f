//! People: the list, and adding one person (invited at once).

// Server functions take one argument per form field, and the Add person form
// has more fields than clippy's default allows.
#![allow(clippy::too_many_arguments)]

use crate::components::{action_error, field_error, FormError, TextField};
use crate::domain::{AccountId, AccountStatus};
use crate::error::AppError;
use crate::pages::errors::LoadError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

pub const PAGE_SIZE: i64 = 50;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonListItem {
    pub id: AccountId,
    pub full_name: String,
    pub email: Option<String>,
    pub external_id: Option<String>,
    pub title: String,
    pub department: String,
    pub status: AccountStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeoplePage {
    pub people: Vec<PersonListItem>,
    /// The cursor for the next page, when there is one.
    pub next: Option<String>,
    /// When more people matched the search than this many, the page comes
    /// from the first this many matches only.
    pub capped_at: Option<i64>,
}

/// Admins only.
#[server(endpoint = "admin_people")]
pub async fn list_people(search: Option<String>, status: Option<String>, after: Option<String>) -> Result<PeoplePage, AppError> {
    use crate::server::{context, db};
    context::require_admin()?;
    let state = context::state()?;
    let search = search.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let status = status.as_deref().and_then(AccountStatus::from_str_opt);
    // The cursor is "<id>:<name>"; a malformed one starts from the top.
    let cursor = after.as_deref().and_then(|raw| {
        let (id, name) = raw.split_once(':')?;
        Some((name.to_owned(), id.parse::<AccountId>().ok()?))
    });
    let after = cursor.as_ref().map(|(name, id)| (name.as_str(), *id));
    let (rows, capped) = match search.as_deref() {
        Some(search) => db::accounts::search_people(&state.pool, search, status, after, PAGE_SIZE + 1).await,
        None => db::accounts::list_people(&state.pool, status, after, PAGE_SIZE + 1).await.map(|rows| (rows, false)),
    }
    .map_err(context::internal)?;
    let has_more = rows.len() as i64 > PAGE_SIZE;
    let people: Vec<PersonListItem> = rows
        .into_iter()
        .take(PAGE_SIZE as usize)
        .map(|r| PersonListItem {
            id: r.id,
            full_name: r.full_name,
            email: r.email,
            external_id: r.external_id,
            title: r.title,
            department: r.department,
            status: r.status,
        })
        .collect();
    let next = has_more.then(|| people.last().map(|p| format!("{}:{}", p.id, p.full_name))).flatten();
    let capped_at = capped.then_some(db::accounts::SEARCH_CANDIDATES);
    Ok(PeoplePage { people, next, capped_at })
}

/// Admins only. Creates the person and sends their invitation at once.
#[server(endpoint = "admin_add_person")]
pub async fn add_person(
    email: String,
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
    use crate::domain::{optional_line, EmailAddress, FieldError, FieldErrors, ProfileDetails, Role};
    use crate::server::context;
    use crate::server::db::audit::Actor;
    use crate::server::services::lifecycle::{self, Invitation, LifecycleError, NewPerson};

    let admin = context::require_admin()?;
    let state = context::state()?;
    let mut errors = FieldErrors::default();
    let email = errors.take(EmailAddress::parse(&email));
    let profile = match ProfileDetails::parse(&full_name, &title, &department, &location, &phone) {
        Ok(profile) => Some(profile),
        Err(profile_errors) => {
            errors.0.extend(profile_errors.0);
            None
        }
    };
    let external_id = errors.take(optional_line("external_id", &external_id));
    let manager_id = if manager_email.trim().is_empty() {
        None
    } else {
        match EmailAddress::parse_field("manager_email", &manager_email) {
            Ok(email) => match crate::server::db::accounts::find_by_email(&state.pool, &email.normalized()).await.map_err(context::internal)? {
                Some(manager) => Some(manager.id),
                None => {
                    errors.push(FieldError::new("manager_email", "No one has this email address. Add the manager first."));
                    None
                }
            },
            Err(error) => {
                errors.push(error);
                None
            }
        }
    };
    let message = personal_message.trim();
    if message.chars().count() > 2000 {
        errors.push(FieldError::new("personal_message", "A personal message can be at most 2,000 characters long."));
    }
    let (Some(email), Some(profile), Some(external_id), true) = (email, profile, external_id, errors.is_empty()) else {
        return Err(context::fail(errors.into()));
    };
    let person = NewPerson {
        email: Some(email),
        external_id: (!external_id.is_empty()).then_some(external_id),
        full_name: profile.full_name,
        title: profile.title,
        department: profile.department,
        location: profile.location,
        phone: profile.phone,
        manager_id,
        role: Role::Employee,
        groups: groups.unwrap_or_default(),
    };
    let invitation = Invitation { personal_message: (!message.is_empty()).then(|| message.to_owned()) };
    let actor = Actor::viewer(&admin);
    match lifecycle::create(&state, &person, Some(&invitation), &actor, time::OffsetDateTime::now_utc()).await {
        Ok(_) => {
            leptos_axum::redirect("/admin/people?added=1");
            Ok(())
        }
        Err(LifecycleError::DuplicateEmail) => Err(context::fail(FieldError::new("email", "Someone already has this email address.").into())),
        Err(LifecycleError::DuplicateExternalId) => Err(context::fail(FieldError::new("external_id", "Someone already has this external ID.").into())),
        Err(other) => Err(context::internal(other)),
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
                <a class="button button-quiet" href="/admin/import">"Import from a spreadsheet"</a>
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
        AccountStatus::Invited => Some(("Resend", format!("{base}?preview=1&message="))),
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
        <p>"They get an invitation email with their own link straight away."</p>
        <FormError error/>
        <ActionForm action=add attr:class="form-narrow">
            <TextField label="Email address" name="email" input_type="email" required=true error=field_error(error, "email")/>
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
