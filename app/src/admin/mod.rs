//! The admin panel: its shell and pages.

pub mod audit;
pub mod directory;
pub mod groups;
pub mod import;
pub mod integrations;
pub mod invitations;
pub mod mail;
pub mod people;
pub mod person;
pub mod settings;
pub mod sso;

pub use audit::AuditLogPage;
pub use directory::DirectorySettingsPage;
pub use groups::{GroupPage, GroupsPage};
pub use import::{ImportPage, ImportPreviewPage};
pub use integrations::IntegrationsPage;
pub use invitations::{InviteSelectionPage, UnsentInvitationsPage};
pub use mail::OutgoingMailPage;
pub use people::{AddPersonPage, PeopleExportPage, PeoplePage};
pub use person::PersonPage;
pub use settings::SettingsPage;
pub use sso::SsoSettingsPage;

use crate::api::people::AdminOverview;
use crate::components::SiteHeader;
use crate::domain::AccountStatus;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Outlet, A};

/// People admins and owners.
#[server(endpoint = "admin_overview")]
pub async fn fetch_admin_overview() -> Result<AdminOverview, AppError> {
    use crate::server::{context, services::people};
    context::require_people_admin()?;
    let state = context::state()?;
    Ok(people::overview(&state).await?)
}

/// The admin panel's frame: navigation and the current page. Only people
/// admins and owners reach it: the server answers everyone else with the sign-in page or a 403
/// page before anything renders (`server/src/middleware.rs`), and every
/// server function checks again. The page renders outside any suspense, so
/// its resources are made once per render (and get the ids hydration
/// expects).
#[component]
pub fn AdminLayout() -> impl IntoView {
    let auth = expect_context::<crate::AuthContext>();
    view! {
        <SiteHeader/>
        <div class="admin">
            <nav class="admin-nav" aria-label="Admin panel">
                <p class="admin-nav-title">"Admin panel"</p>
                <ul>
                    <li><A href="/admin" exact=true>"Overview"</A></li>
                    <li><A href="/admin/people">"People"</A></li>
                    <li><A href="/admin/import">"Import"</A></li>
                    <li><A href="/admin/invitations">"Unsent Invitations"</A></li>
                    <li><A href="/admin/groups">"Groups"</A></li>
                    <li><A href="/admin/mail">"Outgoing mail"</A></li>
                    <li><A href="/admin/audit">"Audit log"</A></li>
                    // Owners' pages: people admins never see a link they
                    // could not open.
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            auth.viewer.await.ok().flatten().filter(|viewer| viewer.is_owner()).map(|_| view! {
                                <li><A href="/admin/integrations">"Integrations"</A></li>
                                <li><A href="/admin/settings">"Settings"</A></li>
                            })
                        })}
                    </Transition>
                </ul>
            </nav>
            <main class="admin-main">
                <Outlet/>
            </main>
        </div>
    }
}

#[component]
pub fn AdminOverviewPage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| fetch_admin_overview());
    view! {
        <Title text="Admin panel"/>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                overview.await.map(|overview| view! {
                    <h1>{overview.organization_name.clone()}</h1>
                    <p>"Everyone in your organisation, by where they are in joining Embark."</p>
                    <ul class="stat-grid" aria-label="Accounts by status">
                        {AccountStatus::ALL.into_iter().map(|status| view! {
                            <li class="stat">
                                <span class="stat-figure">{overview.count(status)}</span>
                                <span class="stat-label">{status.label()}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                })
            })}
        </Transition>
    }
}
