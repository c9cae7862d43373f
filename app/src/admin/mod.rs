//! The admin panel: its shell and pages.

pub mod groups;
pub mod import;
pub mod invitations;
pub mod mail;
pub mod people;
pub mod person;
pub mod settings;

pub use groups::{GroupPage, GroupsPage};
pub use import::{ImportPage, ImportPreviewPage};
pub use invitations::{InviteSelectionPage, UnsentInvitationsPage};
pub use mail::OutgoingMailPage;
pub use people::{AddPersonPage, PeoplePage};
pub use person::PersonPage;
pub use settings::SettingsPage;

use crate::components::SiteHeader;
use crate::domain::AccountStatus;
use crate::error::AppError;
use crate::pages::errors::{Forbidden, LoadError};
use crate::AuthContext;
use leptos::either::EitherOf4;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Outlet, Redirect, A};
use serde::{Deserialize, Serialize};

/// What the admin panel's front page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminOverview {
    pub organization_name: String,
    /// How many accounts are in each status, in lifecycle order.
    pub counts: Vec<(AccountStatus, i64)>,
}

impl AdminOverview {
    pub fn count(&self, status: AccountStatus) -> i64 {
        self.counts.iter().find(|(s, _)| *s == status).map_or(0, |(_, n)| *n)
    }
}

/// Admins only.
#[server(endpoint = "admin_overview")]
pub async fn fetch_admin_overview() -> Result<AdminOverview, AppError> {
    use crate::server::{context, db};
    context::require_admin()?;
    let state = context::state()?;
    let settings = db::settings::get(&state.pool).await.map_err(context::internal)?;
    let counts = db::accounts::count_by_status(&state.pool).await.map_err(context::internal)?;
    Ok(AdminOverview {
        organization_name: settings.organization_name,
        counts: AccountStatus::ALL.iter().map(|s| (*s, counts.iter().find(|(c, _)| c == s).map_or(0, |(_, n)| *n))).collect(),
    })
}

/// The admin panel's frame: navigation and the current page. Only admins see
/// it; the server has already answered others with 403 or a sign-in redirect.
#[component]
pub fn AdminLayout() -> impl IntoView {
    let auth = expect_context::<AuthContext>();
    view! {
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match auth.viewer.await {
                    Ok(Some(viewer)) if viewer.is_admin() => EitherOf4::A(view! {
                        <SiteHeader viewer/>
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
                                    <li><A href="/admin/settings">"Settings"</A></li>
                                </ul>
                            </nav>
                            <main class="admin-main">
                                <Outlet/>
                            </main>
                        </div>
                    }),
                    Ok(Some(_)) => EitherOf4::B(view! { <Forbidden/> }),
                    Ok(None) => EitherOf4::C(view! { <Redirect path="/sign-in?next=/admin"/> }),
                    Err(error) => EitherOf4::D(view! { <main class="page"><LoadError error/></main> }),
                }
            })}
        </Transition>
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
