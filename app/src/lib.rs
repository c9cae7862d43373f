//! Embark's web app: components, routes, server functions and wire types.
//! Server-only code sits in [`server`], behind the `ssr` feature.

pub mod admin;
pub mod api;
pub mod auth;
pub mod claim;
pub mod components;
pub mod domain;
pub mod error;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;

use api::auth::Viewer;
use auth::{current_viewer, CompleteSetup, SignIn, SignOut};
use claim::FinishClaim;
use error::AppError;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{path, SsrMode};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    set_content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="data:,"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// SECURITY: the page's Content-Security-Policy. Scripts run only with this
/// response's nonce (which Leptos puts on its hydration and streaming
/// scripts) or when loaded by one of them; the wasm may be compiled; styles,
/// pictures and requests stay on Embark's own origin; no site may frame it.
#[cfg(feature = "ssr")]
fn set_content_security_policy() {
    use axum::http::{header, HeaderValue};
    let (Some(nonce), Some(response)) = (leptos::nonce::use_nonce(), use_context::<leptos_axum::ResponseOptions>()) else {
        return;
    };
    let policy = format!(
        "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data: blob:; \
         connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// Who is signed in, and the actions that change it. Provided at the root so
/// every page reads the same resource, refetched after sign-in and sign-out.
#[derive(Clone, Copy)]
pub struct AuthContext {
    pub viewer: Resource<Result<Option<Viewer>, AppError>>,
    pub sign_in: ServerAction<SignIn>,
    pub sign_out: ServerAction<SignOut>,
    /// First-run setup signs the new administrator in.
    pub complete_setup: ServerAction<CompleteSetup>,
    /// Completing a claim signs the person in.
    pub finish_claim: ServerAction<FinishClaim>,
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/embark.css"/>
        <Title formatter=|text: String| if text.is_empty() { "Embark".to_owned() } else { format!("{text} · Embark") }/>
        // Pages render whole on the server (SsrMode::Async): they work before
        // and without the script, and their status code is known up front.
        <Router>
            <Routes fallback=pages::errors::NotFound>
                <ParentRoute path=path!("") ssr=SsrMode::Async view=AuthRoot>
                    <Route path=path!("") ssr=SsrMode::Async view=pages::home::HomePage/>
                    <Route path=path!("sign-in") ssr=SsrMode::Async view=pages::sign_in::SignInPage/>
                    <Route path=path!("profile") ssr=SsrMode::Async view=pages::profile::ProfilePage/>
                    <Route path=path!("setup") ssr=SsrMode::Async view=pages::setup::SetupPage/>
                    <Route path=path!("claim") ssr=SsrMode::Async view=claim::ClaimPage/>
                    <Route path=path!("claim/code") ssr=SsrMode::Async view=claim::ClaimWithCodePage/>
                    <ParentRoute path=path!("admin") ssr=SsrMode::Async view=admin::AdminLayout>
                        <Route path=path!("") ssr=SsrMode::Async view=admin::AdminOverviewPage/>
                        <Route path=path!("people") ssr=SsrMode::Async view=admin::PeoplePage/>
                        <Route path=path!("people/new") ssr=SsrMode::Async view=admin::AddPersonPage/>
                        <Route path=path!("people/export") ssr=SsrMode::Async view=admin::PeopleExportPage/>
                        <Route path=path!("people/:id") ssr=SsrMode::Async view=admin::PersonPage/>
                        <Route path=path!("invitations") ssr=SsrMode::Async view=admin::UnsentInvitationsPage/>
                        <Route path=path!("invitations/selected/:id") ssr=SsrMode::Async view=admin::InviteSelectionPage/>
                        <Route path=path!("import") ssr=SsrMode::Async view=admin::ImportPage/>
                        <Route path=path!("import/:id") ssr=SsrMode::Async view=admin::ImportPreviewPage/>
                        <Route path=path!("groups") ssr=SsrMode::Async view=admin::GroupsPage/>
                        <Route path=path!("groups/:id") ssr=SsrMode::Async view=admin::GroupPage/>
                        <Route path=path!("integrations") ssr=SsrMode::Async view=admin::IntegrationsPage/>
                        <Route path=path!("integrations/directory") ssr=SsrMode::Async view=admin::DirectorySettingsPage/>
                        // A directory sync's preview is an import's preview, under
                        // Integrations so that the menu shows where the admin is.
                        <Route path=path!("integrations/directory/sync/:id") ssr=SsrMode::Async view=admin::ImportPreviewPage/>
                        <Route path=path!("audit") ssr=SsrMode::Async view=admin::AuditLogPage/>
                        <Route path=path!("settings") ssr=SsrMode::Async view=admin::SettingsPage/>
                        <Route path=path!("settings/sso") ssr=SsrMode::Async view=admin::SsoSettingsPage/>
                        <Route path=path!("mail") ssr=SsrMode::Async view=admin::OutgoingMailPage/>
                    </ParentRoute>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// Holds who is signed in for every page. It sits inside `<Routes>` because
/// only there do server actions see the errors a plain (script-less) form
/// post brings back in the URL.
#[component]
fn AuthRoot() -> impl IntoView {
    let sign_in = ServerAction::<SignIn>::new();
    let sign_out = ServerAction::<SignOut>::new();
    let complete_setup = ServerAction::<CompleteSetup>::new();
    let finish_claim = ServerAction::<FinishClaim>::new();
    let viewer = Resource::new(
        move || (sign_in.version().get(), sign_out.version().get(), complete_setup.version().get(), finish_claim.version().get()),
        |_| current_viewer(),
    );
    provide_context(AuthContext { viewer, sign_in, sign_out, complete_setup, finish_claim });
    view! { <leptos_router::components::Outlet/> }
}
