//! A signed-in person's home: their groups and the directory of colleagues,
//! including those who have not joined yet.

use crate::api::auth::Viewer;
use crate::api::home::{Colleague, HomeData};
use crate::domain::AccountStatus;
use crate::server::db::accounts::lists;
use crate::server::db::{groups, settings};
use crate::server::AppState;

/// Colleagues listed at once.
const SHOWN: i64 = 50;

/// What `viewer`'s home page shows, with the directory narrowed by `search`
/// (name, title or department).
pub async fn home(state: &AppState, viewer: &Viewer, search: Option<&str>) -> anyhow::Result<HomeData> {
    let search = search.map(|s| s.trim().chars().take(100).collect::<String>()).filter(|s| !s.is_empty());
    let organization_name = settings::get(&state.pool).await?.organization_name;
    let groups = groups::of_account(&state.pool, viewer.account_id).await?;
    let colleagues = lists::directory(&state.pool, search.as_deref(), SHOWN).await?;
    Ok(HomeData {
        first_name: viewer.full_name.split_whitespace().next().unwrap_or(&viewer.full_name).to_owned(),
        organization_name,
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
                pending: c.status != AccountStatus::Claimed,
            })
            .collect(),
        search: search.unwrap_or_default(),
    })
}
