use crate::components::SiteHeader;
use crate::AuthContext;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

/// Where a signed-in person lands.
#[component]
pub fn HomePage() -> impl IntoView {
    let auth = expect_context::<AuthContext>();
    view! {
        <Title text="Home"/>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match auth.viewer.await {
                    Ok(Some(viewer)) => Either::Left(view! {
                        <SiteHeader viewer=viewer.clone()/>
                        <main class="page">
                            <h1>"Welcome, " {first_word(&viewer.full_name)}</h1>
                            <p>"You're signed in to Embark."</p>
                            {viewer.is_admin().then(|| view! {
                                <p><a class="button" href="/admin">"Open the admin panel"</a></p>
                            })}
                        </main>
                    }),
                    _ => Either::Right(view! { <Redirect path="/sign-in"/> }),
                }
            })}
        </Transition>
    }
}

fn first_word(name: &str) -> String {
    name.split_whitespace().next().unwrap_or(name).to_owned()
}
