//! Error pages in the app's look.

use leptos::prelude::*;
use leptos_meta::Title;

/// Sets the response status while rendering on the server.
fn set_status(_status: u16) {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(status) = axum::http::StatusCode::from_u16(_status) {
            response.set_status(status);
        }
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    set_status(404);
    view! {
        <Title text="Page not found"/>
        <main class="centered-page">
            <div class="card">
                <p class="eyebrow">"Error 404"</p>
                <h1>"We can't find that page"</h1>
                <p>"The address may be mistyped, or the page may have moved."</p>
                <p><a class="button" href="/">"Go to your home page"</a></p>
            </div>
        </main>
    }
}

/// Shown when loading a page's data failed.
#[component]
pub fn LoadError(error: crate::error::AppError) -> impl IntoView {
    view! {
        <div class="notice notice-error" role="alert">
            <strong>"Error: "</strong>{error.to_string()}
        </div>
    }
}
