use crate::components::SiteHeader;
use crate::error::AppError;
use crate::pages::errors::LoadError;
use crate::AuthContext;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Colleague {
    pub full_name: String,
    pub title: String,
    pub department: String,
    pub location: String,
    pub email: Option<String>,
    /// Not yet claimed: they exist but haven't joined.
    pub pending: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HomeData {
    pub organization_name: String,
    pub groups: Vec<String>,
    pub colleagues: Vec<Colleague>,
    pub search: String,
}

/// Any signed-in person.
#[server(endpoint = "home")]
pub async fn fetch_home(search: Option<String>) -> Result<HomeData, AppError> {
    use crate::server::{context, db};
    let viewer = context::require_signed_in()?;
    let state = context::state()?;
    let search = search.map(|s| s.trim().chars().take(100).collect::<String>()).filter(|s| !s.is_empty());
    let settings = db::settings::get(&state.pool).await.map_err(context::internal)?;
    let groups = db::groups::of_account(&state.pool, viewer.account_id).await.map_err(context::internal)?;
    let colleagues = db::accounts::directory(&state.pool, search.as_deref(), 50).await.map_err(context::internal)?;
    Ok(HomeData {
        organization_name: settings.organization_name,
        groups: groups.into_iter().map(|g| g.name).collect(),
        colleagues: colleagues
            .into_iter()
            .filter(|c| c.id != viewer.account_id)
            .map(|c| Colleague {
                full_name: c.full_name,
                title: c.title,
                department: c.department,
                location: c.location,
                email: c.email,
                pending: c.status != crate::domain::AccountStatus::Claimed,
            })
            .collect(),
        search: search.unwrap_or_default(),
    })
}

/// Where a signed-in person lands: a welcome, their groups, and a directory
/// of colleagues (including those who haven't joined yet).
#[component]
pub fn HomePage() -> impl IntoView {
    let auth = expect_context::<AuthContext>();
    let search = move || use_query_map().with(|q| q.get("q"));
    let home = Resource::new(search, fetch_home);
    view! {
        <Title text="Home"/>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match auth.viewer.await {
                    Ok(Some(viewer)) => Either::Left(view! {
                        <SiteHeader viewer=viewer.clone()/>
                        <main class="page">
                            {match home.await {
                                Ok(home) => home_view(&viewer.full_name, home).into_any(),
                                Err(error) => view! { <LoadError error/> }.into_any(),
                            }}
                        </main>
                    }),
                    _ => Either::Right(view! { <Redirect path="/sign-in"/> }),
                }
            })}
        </Transition>
    }
}

fn home_view(full_name: &str, home: HomeData) -> impl IntoView {
    let first_name = full_name.split_whitespace().next().unwrap_or(full_name).to_owned();
    let searched = !home.search.is_empty();
    view! {
        <h1>"Welcome, " {first_name}</h1>
        <p>"You're part of " {home.organization_name.clone()} " on Embark."</p>
        <section aria-labelledby="groups-heading" class="home-section">
            <h2 id="groups-heading">"Your groups"</h2>
            {if home.groups.is_empty() {
                view! { <p class="hint">"You're not in any groups yet."</p> }.into_any()
            } else {
                view! { <ul class="tag-list">{home.groups.into_iter().map(|g| view! { <li>{g}</li> }).collect_view()}</ul> }.into_any()
            }}
        </section>
        <section aria-labelledby="directory-heading" class="home-section">
            <h2 id="directory-heading">"People"</h2>
            <form method="get" action="/" class="inline-field" role="search">
                <label for="directory-q" class="visually-hidden">"Search people by name, title or department"</label>
                <input id="directory-q" name="q" type="search" placeholder="Name, title or department" value=home.search.clone()/>
                <button type="submit" class="button-quiet">"Search"</button>
            </form>
            {if home.colleagues.is_empty() {
                let message = if searched { "No one matches that search." } else { "No colleagues yet." };
                view! { <p role="status">{message}</p> }.into_any()
            } else {
                view! {
                    <ul class="directory">
                        {home.colleagues.into_iter().map(|c| view! {
                            <li>
                                <strong>{c.full_name}</strong>
                                {c.pending.then(|| view! { <span class="status status-invited">"Not joined yet"</span> })}
                                <span class="directory-detail">{[c.title, c.department, c.location].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" · ")}</span>
                                {c.email.map(|e| view! { <a href=format!("mailto:{e}")>{e.clone()}</a> })}
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}
