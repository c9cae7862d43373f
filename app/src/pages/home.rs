use crate::api::home::HomeData;
use crate::components::SiteHeader;
use crate::error::AppError;
use crate::pages::errors::LoadError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Any signed-in person.
#[server(endpoint = "home")]
pub async fn fetch_home(search: Option<String>) -> Result<HomeData, AppError> {
    use crate::server::{context, services::directory};
    let viewer = context::require_signed_in()?;
    let state = context::state()?;
    Ok(directory::home(&state, &viewer, search.as_deref()).await?)
}

/// Where a signed-in person lands: a welcome, their groups, and a directory
/// of colleagues (including those who haven't joined yet). Only signed-in
/// people reach it (the server sends others to sign in).
#[component]
pub fn HomePage() -> impl IntoView {
    let search = move || use_query_map().with(|q| q.get("q"));
    let home = Resource::new(search, fetch_home);
    view! {
        <Title text="Home"/>
        <SiteHeader/>
        <main class="page">
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match home.await {
                        Ok(home) => home_view(home).into_any(),
                        Err(error) => view! { <LoadError error/> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

fn home_view(home: HomeData) -> impl IntoView {
    let searched = !home.search.is_empty();
    view! {
        <h1>"Welcome, " {home.first_name.clone()}</h1>
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
