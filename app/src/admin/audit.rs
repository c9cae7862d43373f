//! The audit log: every recorded event in words, newest first, filtered by
//! person, kind and dates, and downloadable as CSV.

use crate::api::audit::{AuditEntryView, AuditLogView};
use crate::domain::AuditAction;
use crate::error::AppError;
use crate::pages::errors::LoadError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// People admins and owners. Empty fields are not filtered on.
#[server(endpoint = "admin_audit_log")]
pub async fn fetch_audit_log(person: String, action: String, from: String, to: String, before: String) -> Result<AuditLogView, AppError> {
    use crate::domain::LogQuery;
    use crate::server::{context, services::audit_log};
    context::require_people_admin()?;
    let state = context::state()?;
    let query = LogQuery::parse(&person, &action, &from, &to, &before).map_err(context::invalid)?;
    Ok(audit_log::page(&state, &query).await?)
}

/// The page's filters as its address carries them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Filters {
    person: String,
    action: String,
    from: String,
    to: String,
}

impl Filters {
    /// The address's query for these filters (and a position in the log).
    fn query(&self, before: Option<&str>) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in [("person", &self.person), ("action", &self.action), ("from", &self.from), ("to", &self.to)] {
            if !value.is_empty() {
                query.append_pair(name, value);
            }
        }
        if let Some(before) = before {
            query.append_pair("before", before);
        }
        query.finish()
    }

    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

#[component]
pub fn AuditLogPage() -> impl IntoView {
    let query = use_query_map();
    let get = move |name: &str| query.with(|q| q.get(name)).unwrap_or_default();
    let filters = move || Filters { person: get("person"), action: get("action"), from: get("from"), to: get("to") };
    let log = Resource::new(move || (filters(), get("before")), |(f, before)| fetch_audit_log(f.person, f.action, f.from, f.to, before));
    view! {
        <Title text="Audit log"/>
        <div class="page-heading">
            <h1>"Audit log"</h1>
            <a class="button button-quiet" href=move || format!("/admin/audit.csv?{}", filters().query(None)) rel="external" download="">
                "Download as CSV"
            </a>
        </div>
        <p>"Everything people, integrations and Embark itself did, newest first. The download holds every entry these filters match."</p>
        <form method="get" action="/admin/audit" class="filters" role="search">
            <div class="field">
                <label for="audit-person">"Person (email address)"</label>
                <input id="audit-person" name="person" type="text" value=move || get("person") autocomplete="off"/>
            </div>
            <div class="field">
                <label for="audit-action">"Kind"</label>
                <select id="audit-action" name="action">
                    <option value="" selected=move || get("action").is_empty()>"Every kind"</option>
                    {AuditAction::ALL.iter().map(|action| view! {
                        <option value=action.as_str() selected=move || get("action") == action.as_str()>{action.describe()}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="audit-from">"From"</label>
                <input id="audit-from" name="from" type="date" value=move || get("from")/>
            </div>
            <div class="field">
                <label for="audit-to">"To"</label>
                <input id="audit-to" name="to" type="date" value=move || get("to")/>
            </div>
            <button type="submit" class="button-quiet">"Apply"</button>
            <Show when=move || !filters().is_empty()>
                <a class="button button-quiet" href="/admin/audit">"Clear filters"</a>
            </Show>
        </form>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match log.await {
                    Ok(page) => log_view(page, filters()).into_any(),
                    Err(AppError::Invalid(errors)) => view! {
                        <div class="notice notice-error" role="alert">
                            <strong>"Nothing shown: "</strong>
                            {errors.0.into_iter().map(|e| e.message).collect::<Vec<_>>().join(" ")}
                        </div>
                    }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn log_view(page: AuditLogView, filters: Filters) -> impl IntoView {
    let narrowed = page.person.clone().map(|person| {
        view! {
            <div class="notice notice-info" role="status">
                "Showing what " <strong>{person.label}</strong> " did and what was done to them. "
                <a href=format!("/admin/people/{}", person.id)>"Open their page"</a>
            </div>
        }
    });
    let older = page.older.clone().map(|cursor| format!("/admin/audit?{}", filters.query(Some(&cursor))));
    if page.entries.is_empty() {
        return view! {
            {narrowed}
            <div class="empty-state">
                <h2>"Nothing recorded"</h2>
                <p>{if filters.is_empty() { "Nothing has been recorded yet." } else { "No entry matches these filters. Widen the dates or clear the filters." }}</p>
            </div>
        }
        .into_any();
    }
    view! {
        {narrowed}
        <table class="data-table">
            <caption class="visually-hidden">"Audit log entries, newest first"</caption>
            <thead><tr><th scope="col">"When"</th><th scope="col">"What happened"</th><th scope="col">"Kind"</th><th scope="col">"Narrow to"</th></tr></thead>
            <tbody>
                {page.entries.into_iter().map(entry_row).collect_view()}
            </tbody>
        </table>
        {older.map(|href| view! { <p><a class="button button-quiet" href=href>"Older entries"</a></p> })}
    }
    .into_any()
}

fn entry_row(entry: AuditEntryView) -> impl IntoView {
    // Links narrow the log to a person in the entry (each person once).
    let mut people = Vec::new();
    for person in [entry.actor, entry.target].into_iter().flatten() {
        if !people.iter().any(|p: &crate::api::audit::PersonRef| p.id == person.id) {
            people.push(person);
        }
    }
    view! {
        <tr>
            <td>{entry.at}</td>
            <td>{entry.sentence}</td>
            <td>{entry.kind}</td>
            <td class="row-actions">
                {people.into_iter().map(|person| view! {
                    <a href=format!("/admin/audit?person={}", person.id) aria-label=format!("Only entries about {}", person.label)>
                        {short_name(&person.label)}
                    </a>
                }).collect_view()}
            </td>
        </tr>
    }
}

/// "Ada Lovelace <ada@example.com>" → "Ada Lovelace".
fn short_name(label: &str) -> String {
    label.split(" <").next().unwrap_or(label).to_owned()
}
