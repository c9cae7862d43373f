//! People as the admin panel sees them: the overview, the People list, one
//! person's page, and adding one person (invited at once).

use crate::api::people::{AdminOverview, HistoryEntry, PeopleList, PersonDetail, PersonListItem};
use crate::domain::{timestamp_label, AccountId, AccountStatus, Actor, AuditAction, AuditTargetKind, FieldError, PersonToAdd, Role, USERNAME_TAKEN};
use crate::error::AppError;
use crate::server::db::accounts::{self, lists, search};
use crate::server::db::{audit, credentials, settings};
use crate::server::services::lifecycle::{self, Invitation, LifecycleError, NewPerson};
use crate::server::services::{access_codes, invitations};
use crate::server::{context, AppState};
use time::OffsetDateTime;

/// People listed per page.
pub const PAGE_SIZE: i64 = 50;

#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    #[error("there is no such person")]
    NotFound,
    #[error("someone already has this email address")]
    DuplicateEmail,
    #[error("someone already has this external ID")]
    DuplicateExternalId,
    #[error("no one has the manager's email address")]
    UnknownManager,
    #[error("someone already has this username")]
    DuplicateUsername,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for PeopleError {
    fn from(error: sqlx::Error) -> Self {
        Self::Unexpected(error.into())
    }
}

impl From<LifecycleError> for PeopleError {
    fn from(error: LifecycleError) -> Self {
        match error {
            LifecycleError::DuplicateEmail => Self::DuplicateEmail,
            LifecycleError::DuplicateExternalId => Self::DuplicateExternalId,
            LifecycleError::UnknownManager => Self::UnknownManager,
            LifecycleError::DuplicateUsername => Self::DuplicateUsername,
            LifecycleError::NotFound => Self::NotFound,
            other => Self::Unexpected(other.into()),
        }
    }
}

impl From<PeopleError> for AppError {
    fn from(error: PeopleError) -> Self {
        match error {
            PeopleError::NotFound => context::not_found(),
            PeopleError::DuplicateEmail => context::invalid(FieldError::new("email", "Someone already has this email address.")),
            PeopleError::DuplicateExternalId => context::invalid(FieldError::new("external_id", "Someone already has this external ID.")),
            PeopleError::UnknownManager => context::invalid(FieldError::new("manager_email", "No one has this email address. Add the manager first.")),
            PeopleError::DuplicateUsername => context::invalid(FieldError::new("username", USERNAME_TAKEN)),
            PeopleError::Unexpected(e) => context::internal(e),
        }
    }
}

/// The admin panel's front page: how many people are at each point of the
/// lifecycle.
pub async fn overview(state: &AppState) -> Result<AdminOverview, PeopleError> {
    let organization_name = settings::get(&state.pool).await?.organization_name;
    let counts = lists::count_by_status(&state.pool).await?;
    let count = |status: AccountStatus| counts.iter().find(|(s, _)| *s == status).map_or(0, |(_, n)| *n);
    Ok(AdminOverview { organization_name, counts: AccountStatus::ALL.iter().map(|s| (*s, count(*s))).collect() })
}

/// Which page of the People list to show: a search, a status, and the
/// cursor of the page before ("<id>:<name>").
#[derive(Debug, Clone, Default)]
pub struct PeopleQuery {
    pub search: Option<String>,
    pub status: Option<AccountStatus>,
    pub after: Option<(String, AccountId)>,
}

impl PeopleQuery {
    /// Reads the page's query string; anything malformed is ignored (a bad
    /// cursor starts from the top).
    pub fn parse(search: Option<String>, status: Option<String>, after: Option<String>) -> Self {
        let search = search.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let status = status.as_deref().and_then(AccountStatus::from_str_opt);
        let after = after.as_deref().and_then(|raw| {
            let (id, name) = raw.split_once(':')?;
            Some((name.to_owned(), id.parse::<AccountId>().ok()?))
        });
        Self { search, status, after }
    }
}

/// One page of the People list.
pub async fn list(state: &AppState, query: &PeopleQuery) -> Result<PeopleList, PeopleError> {
    let after = query.after.as_ref().map(|(name, id)| (name.as_str(), *id));
    let (rows, capped) = match query.search.as_deref() {
        Some(term) => search::people(&state.pool, term, query.status, after, PAGE_SIZE + 1).await?,
        None => (lists::people(&state.pool, query.status, after, PAGE_SIZE + 1).await?, false),
    };
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
    Ok(PeopleList { people, next, capped_at: capped.then_some(search::SEARCH_CANDIDATES) })
}

/// One person's page. With `preview_message`, also exactly the invitation
/// email they would receive with that personal message.
pub async fn detail(state: &AppState, id: AccountId, preview_message: Option<&str>, now: OffsetDateTime) -> Result<PersonDetail, PeopleError> {
    let account = accounts::find(&state.pool, id).await?.ok_or(PeopleError::NotFound)?;
    let history = audit::about(&state.pool, AuditTargetKind::Account, id.0, 50)
        .await?
        .into_iter()
        .map(|e| HistoryEntry {
            at: timestamp_label(e.occurred_at),
            actor: e.actor_label,
            what: match (e.action, e.by_access_code) {
                (AuditAction::AccountInvited, true) => "Invited with an access code".to_owned(),
                (AuditAction::InvitationResent, true) => "New access code".to_owned(),
                (action, _) => action.describe().to_owned(),
            },
        })
        .collect();
    let invitation_expires = credentials::active_link_expiry(&state.pool, id).await?.map(timestamp_label);
    let access_code = match account.email {
        Some(_) => None,
        None => credentials::newest_access_code(&state.pool, id).await?.map(|code| access_codes::describe(&code, now)),
    };
    let preview = match (preview_message, &account.email) {
        (Some(message), Some(email)) => Some(invitations::preview(state, &account.full_name, email, message, now).await?),
        _ => None,
    };
    Ok(PersonDetail {
        id,
        full_name: account.full_name,
        email: account.email,
        external_id: account.external_id,
        title: account.title,
        department: account.department,
        location: account.location,
        phone: account.phone,
        status: account.status,
        role: account.role,
        username: account.username,
        access_code,
        invitation_expires,
        history,
        preview,
    })
}

/// Adds one person and sends their invitation at once.
pub async fn add(state: &AppState, person: PersonToAdd, actor: &Actor, now: OffsetDateTime) -> Result<AccountId, PeopleError> {
    let manager_id = match &person.manager_email {
        Some(email) => Some(accounts::id_by_email(&state.pool, &email.normalized()).await?.ok_or(PeopleError::UnknownManager)?),
        None => None,
    };
    let new = NewPerson {
        email: person.email,
        username: person.username,
        external_id: person.external_id,
        profile: person.profile,
        manager_id,
        role: Role::Employee,
        groups: person.groups,
    };
    let invitation = Invitation { personal_message: person.personal_message };
    let (id, _) = lifecycle::create(state, &new, Some(&invitation), actor, now).await?;
    Ok(id)
}
