//! Directory sync: the organisation's LDAP directory (Active Directory or
//! OpenLDAP). Its settings (the bind password sealed under its own key,
//! never shown again); "Test connection", which binds and reports how many
//! people the filter finds and the first as Embark reads them, or the
//! precise reason it could not; and a sync's preview, which reads everyone
//! the filter finds into the spreadsheet import's staging, so the admin sees
//! the same preview (new, updated, unchanged, refused with reasons) and the
//! same all-or-nothing apply, plus who left the directory. A schedule runs
//! the same sync without a person: it applies what it finds, except that a
//! sync that would deactivate many people at once waits for an admin.

use crate::api::directory::{ConnectionTest, DirectorySettingsView, ExamplePerson, SyncStatus};
use crate::api::import::ImportView;
use crate::domain::{timestamp_label, Actor, AuditAction, AuditTarget, DirectoryKind, DirectorySecurity, DirectorySettings, FieldError, SyncRules};
use crate::error::AppError;
use crate::server::db::audit::{self, AuditEvent};
use crate::server::db::directory::{self, ConfigurationRow};
use crate::server::db::imports;
use crate::server::ldap::{self, Directory, DirectoryEntry, DirectoryGroup};
use crate::server::services::import::{self, ImportError};
use crate::server::spreadsheet::MAX_ROWS;
use crate::server::{context, AppState};
use serde_json::json;
use std::collections::HashMap;
use time::OffsetDateTime;
use tower_sessions::Session;
use uuid::Uuid;

const TEST_RESULT_KEY: &str = "directory_test_result";

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("enter the bind password")]
    PasswordNeeded,
    #[error("directory sync is not set up")]
    NotConfigured,
    #[error("The filter finds nobody under the base DN, so nothing was changed. Check both, and Test connection.")]
    NobodyFound,
    // The figure is spreadsheet::MAX_ROWS.
    #[error("The filter finds more than 200,000 people, more than one sync reads. Narrow the base DN or the filter.")]
    TooMany,
    #[error(transparent)]
    Directory(#[from] ldap::LdapError),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for DirectoryError {
    fn from(error: sqlx::Error) -> Self {
        Self::Unexpected(error.into())
    }
}

impl From<tower_sessions::session::Error> for DirectoryError {
    fn from(error: tower_sessions::session::Error) -> Self {
        Self::Unexpected(error.into())
    }
}

impl From<DirectoryError> for AppError {
    fn from(error: DirectoryError) -> Self {
        match error {
            DirectoryError::PasswordNeeded => context::invalid(FieldError::new("bind_password", "Enter the bind account's password.")),
            DirectoryError::NotConfigured => context::refused("Save the directory's settings first."),
            refused @ (DirectoryError::Directory(_) | DirectoryError::TooMany | DirectoryError::NobodyFound) => context::refused(refused.to_string()),
            DirectoryError::Import(problem) => problem.into(),
            DirectoryError::Unexpected(e) => context::internal(e),
        }
    }
}

/// The settings page: what is saved (or suggestions for Active Directory),
/// and the last connection test's result, shown once.
pub async fn settings_view(state: &AppState, session: &Session) -> Result<(DirectorySettingsView, Option<ConnectionTest>), DirectoryError> {
    let test: Option<ConnectionTest> = session.remove(TEST_RESULT_KEY).await?;
    let view = match directory::configuration(&state.pool).await? {
        Some(c) => DirectorySettingsView {
            configured: true,
            rules: c.rules(),
            status: SyncStatus {
                last_applied: c.last_applied_at.map(timestamp_label),
                next_scheduled: c.next_sync_at.map(timestamp_label),
                last_run: c.last_run_at.map(timestamp_label).zip(c.last_run_outcome),
            },
            kind: c.kind,
            url: c.url,
            security: c.security,
            ca_certificate: c.ca_certificate.unwrap_or_default(),
            bind_dn: c.bind_dn,
            has_bind_password: true,
            base_dn: c.base_dn,
            filter: c.filter,
            group_filter: c.group_filter.unwrap_or_default(),
            attributes: c.attributes.0,
        },
        None => {
            let kind = DirectoryKind::ActiveDirectory;
            DirectorySettingsView {
                configured: false,
                rules: SyncRules::default(),
                status: SyncStatus::default(),
                kind,
                url: String::new(),
                security: DirectorySecurity::Ldaps,
                ca_certificate: String::new(),
                bind_dn: String::new(),
                has_bind_password: false,
                base_dn: String::new(),
                filter: kind.suggested_filter().to_owned(),
                group_filter: String::new(),
                attributes: kind.suggested_attributes(),
            }
        }
    };
    Ok((view, test))
}

/// Saves the settings, audited (without the password).
pub async fn save_settings(state: &AppState, actor: &Actor, settings: &DirectorySettings, now: OffsetDateTime) -> Result<(), DirectoryError> {
    let sealed = settings.bind_password.as_deref().map(|password| state.directory_sealer.seal(password));
    let mut tx = state.pool.begin().await?;
    if !directory::save_configuration(&mut tx, settings, sealed.as_deref(), now).await? {
        return Err(DirectoryError::PasswordNeeded);
    }
    let details = json!({
        "kind": settings.kind,
        "url": settings.url,
        "security": settings.security,
        "ca_certificate": settings.ca_certificate.is_some(),
        "bind_dn": settings.bind_dn,
        "bind_password_replaced": settings.bind_password.is_some(),
        "base_dn": settings.base_dn,
        "filter": settings.filter,
        "group_filter": settings.group_filter,
        "attributes": settings.attributes,
    });
    audit::record(
        &mut *tx,
        AuditEvent { actor, action: AuditAction::DirectorySettingsChanged, target: &AuditTarget::settings("Directory sync"), details, now },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Saves what a sync does (departures, inviting, schedule), audited.
pub async fn save_rules(state: &AppState, actor: &Actor, rules: &SyncRules, now: OffsetDateTime) -> Result<(), DirectoryError> {
    let mut tx = state.pool.begin().await?;
    if !directory::save_rules(&mut tx, rules, now).await? {
        return Err(DirectoryError::NotConfigured);
    }
    let target = AuditTarget::settings("Directory sync");
    audit::record(&mut *tx, AuditEvent { actor, action: AuditAction::DirectorySettingsChanged, target: &target, details: json!(rules), now }).await?;
    tx.commit().await?;
    Ok(())
}

/// Binds with the saved settings and counts whom the filter finds; the
/// result waits in the admin's session for the settings page to show.
pub async fn test_connection(state: &AppState, session: &Session) -> Result<(), DirectoryError> {
    let saved = directory::configuration(&state.pool).await?.ok_or(DirectoryError::NotConfigured)?;
    let password = state.directory_sealer.open(&saved.bind_password_sealed)?;
    let result = match ldap::probe(&directory(&saved, &password)).await {
        Ok(probe) => ConnectionTest::Connected { found: probe.found, example: probe.example.map(|e| example(&saved, e)) },
        Err(error) => ConnectionTest::Failed(error.to_string()),
    };
    session.insert(TEST_RESULT_KEY, &result).await?;
    Ok(())
}

fn directory<'a>(saved: &'a ConfigurationRow, password: &'a str) -> Directory<'a> {
    Directory {
        url: &saved.url,
        security: saved.security,
        ca_certificate_pem: saved.ca_certificate.as_deref(),
        bind_dn: &saved.bind_dn,
        bind_password: password,
        base_dn: &saved.base_dn,
        filter: &saved.filter,
        attributes: &saved.attributes.0,
    }
}

/// Reads everyone the filter finds and stages them as an import, whose
/// preview the admin then applies (or not). Changes no account.
pub async fn preview_sync(state: &AppState, actor: &Actor, now: OffsetDateTime) -> Result<Uuid, DirectoryError> {
    let saved = directory::configuration(&state.pool).await?.ok_or(DirectoryError::NotConfigured)?;
    let password = state.directory_sealer.open(&saved.bind_password_sealed)?;
    // At most what the import takes; the rest is only counted, so a filter
    // that finds a whole forest cannot fill the server's memory.
    let mut entries = Vec::new();
    let found = ldap::read_all(&directory(&saved, &password), |entry| {
        if entries.len() < MAX_ROWS {
            entries.push(entry);
        }
    })
    .await?;
    if found > MAX_ROWS {
        return Err(DirectoryError::TooMany);
    }
    // An empty answer is a mistake (a filter or base DN), never "everyone left".
    if found == 0 {
        return Err(DirectoryError::NobodyFound);
    }
    let groups = match &saved.group_filter {
        Some(group_filter) => ldap::read_groups(&directory(&saved, &password), group_filter).await?,
        None => Vec::new(),
    };
    let sheet = tokio::task::spawn_blocking(move || {
        add_group_entries(&mut entries, groups);
        as_import_sheet(&entries)
    })
    .await
    .map_err(anyhow::Error::from)??;
    let label = format!("Directory sync of {}", timestamp_label(now));
    Ok(import::preview_directory_rows(state, &label, sheet, saved.rules(), actor, now).await?)
}

/// A scheduled sync deactivates at most this many people on its own, or
/// this share of the directory if that is more; beyond, it waits for an
/// admin to preview and apply it (a filter typed wrong must not deactivate
/// the company).
const SCHEDULED_DEACTIVATIONS_ALONE: i64 = 10;
const SCHEDULED_DEACTIVATIONS_SHARE_PERCENT: i64 = 10;

/// What a scheduled sync came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduledOutcome {
    Applied {
        created: i64,
        updated: i64,
        deactivated: i64,
        invited: i64,
        refused: i64,
    },
    NoChanges {
        refused: i64,
    },
    /// Too many departures to apply alone.
    Held {
        deactivating: i64,
    },
    Failed(String),
}

impl std::fmt::Display for ScheduledOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let refused = |refused: i64| match refused {
            0 => String::new(),
            1 => " 1 entry could not be used: press Sync now to see why.".to_owned(),
            n => format!(" {n} entries could not be used: press Sync now to see why."),
        };
        match self {
            Self::Applied { created, updated, deactivated, invited, refused: skipped } => {
                write!(f, "Applied: {created} new, {updated} updated, {deactivated} deactivated, {invited} invited.{}", refused(*skipped))
            }
            Self::NoChanges { refused: skipped } => write!(f, "Nothing changed in the directory.{}", refused(*skipped)),
            Self::Held { deactivating } => write!(
                f,
                "Not applied: {deactivating} people left the directory, more than a scheduled sync deactivates on its own. \
                 Press Sync now to see who, and apply it yourself if that is right."
            ),
            Self::Failed(reason) => write!(f, "Failed: {reason}"),
        }
    }
}

/// Runs the scheduled sync if it is due and no other server has claimed
/// it, and records what it came to for the settings page.
pub async fn run_scheduled(state: &AppState, now: OffsetDateTime) -> Result<Option<ScheduledOutcome>, DirectoryError> {
    if !directory::claim_due_sync(&state.pool, now).await? {
        return Ok(None);
    }
    let outcome = match scheduled_sync(state, now).await {
        Ok(outcome) => outcome,
        Err(DirectoryError::Unexpected(error)) => {
            directory::record_run(&state.pool, "Failed: an unexpected error (the server's log has it).", now).await?;
            return Err(DirectoryError::Unexpected(error));
        }
        Err(refused) => ScheduledOutcome::Failed(refused.to_string()),
    };
    directory::record_run(&state.pool, &outcome.to_string(), now).await?;
    Ok(Some(outcome))
}

async fn scheduled_sync(state: &AppState, now: OffsetDateTime) -> Result<ScheduledOutcome, DirectoryError> {
    let actor = Actor::directory_sync();
    let batch = preview_sync(state, &actor, now).await?;
    let outcome = apply_unless_held(state, batch, &actor, now).await;
    // Nobody opens a scheduled sync's preview: its staged rows (a whole
    // directory, every 15 minutes perhaps) go at once, not after a day.
    imports::discard(&state.pool, batch).await?;
    outcome
}

async fn apply_unless_held(state: &AppState, batch: Uuid, actor: &Actor, now: OffsetDateTime) -> Result<ScheduledOutcome, DirectoryError> {
    let preview = import::load(state, batch).await?;
    let deactivating = preview.directory.as_ref().map_or(0, |plan| plan.deactivating);
    if too_many_leave(&preview, deactivating) {
        return Ok(ScheduledOutcome::Held { deactivating });
    }
    if preview.new + preview.updated + deactivating == 0 {
        return Ok(ScheduledOutcome::NoChanges { refused: preview.invalid });
    }
    let applied = import::apply(state, batch, None, actor, now).await?;
    Ok(ScheduledOutcome::Applied {
        created: applied.created,
        updated: applied.updated,
        deactivated: applied.deactivated,
        invited: applied.invited,
        refused: preview.invalid,
    })
}

fn too_many_leave(preview: &ImportView, deactivating: i64) -> bool {
    let directory = preview.new + preview.updated + preview.unchanged + preview.invalid + deactivating;
    deactivating > SCHEDULED_DEACTIVATIONS_ALONE && deactivating * 100 > directory * SCHEDULED_DEACTIVATIONS_SHARE_PERCENT
}

/// Adds each group entry to the people its member values name (by their DN,
/// however its escapes are written), once each.
fn add_group_entries(entries: &mut [DirectoryEntry], groups: Vec<DirectoryGroup>) {
    let index: HashMap<String, usize> = entries.iter().enumerate().map(|(i, e)| (ldap::dn_key(&e.dn), i)).collect();
    for group in groups {
        for member in &group.member_dns {
            if let Some(&i) = index.get(&ldap::dn_key(member)) {
                let person = &mut entries[i];
                if !person.group_dns.iter().any(|dn| ldap::dn_key(dn) == ldap::dn_key(&group.dn)) {
                    person.group_dns.push(group.dn.clone());
                }
            }
        }
    }
}

/// The directory's people as the import reads a spreadsheet: one row each,
/// the manager's DN resolved to the manager's email within the same read,
/// and each group DN named by its first value (`cn=Sales,ou=groups` → Sales).
fn as_import_sheet(entries: &[DirectoryEntry]) -> anyhow::Result<Vec<u8>> {
    // Directories write a DN's escapes in more than one way (OpenLDAP
    // stores `\+` in `manager` but names the entry with `\2B`).
    let email_of: HashMap<String, &str> = entries.iter().filter_map(|e| Some((ldap::dn_key(&e.dn), e.email.as_deref()?))).collect();
    let mut sheet = csv::Writer::from_writer(Vec::with_capacity(entries.len() * 160));
    sheet.write_record([
        "Email",
        "External ID",
        "Full name",
        "Title",
        "Department",
        "Location",
        "Phone",
        "Manager email",
        "Groups",
        import::DIRECTORY_ENTRY_COLUMN,
    ])?;
    for entry in entries {
        let manager = entry.manager_dn.as_deref().and_then(|dn| email_of.get(&ldap::dn_key(dn)).copied()).unwrap_or_default();
        let groups = entry.group_dns.iter().filter_map(|dn| group_name(dn)).collect::<Vec<_>>().join("; ");
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        sheet.write_record([
            text(&entry.email),
            text(&entry.external_id),
            text(&entry.full_name),
            text(&entry.title),
            text(&entry.department),
            text(&entry.location),
            text(&entry.phone),
            manager.to_owned(),
            groups,
            entry.dn.clone(),
        ])?;
    }
    sheet.into_inner().map_err(|e| anyhow::anyhow!(e.to_string()))
}

/// A group's name from its DN: the value of its first part, unescaped
/// (`cn=Sales\2C EMEA,ou=Groups` → `Sales EMEA`). The import reads `;` and
/// `,` as separators between group names, so those become spaces.
fn group_name(dn: &str) -> Option<String> {
    let first = ldap::parse_dn(dn)?.into_iter().next()?;
    let name = first.value.replace([';', ','], " ").split_whitespace().collect::<Vec<_>>().join(" ");
    (!name.is_empty()).then_some(name)
}

/// The example entry's details, labelled as the attribute map's fields.
fn example(saved: &ConfigurationRow, entry: DirectoryEntry) -> ExamplePerson {
    let groups = (!entry.group_dns.is_empty()).then(|| entry.group_dns.join("; "));
    let values = [entry.email, entry.external_id, entry.full_name, entry.title, entry.department, entry.location, entry.phone, entry.manager_dn, groups];
    let details = saved
        .attributes
        .0
        .fields()
        .into_iter()
        .zip(values)
        .map(|((_, label, spec), value)| {
            let shown = match (value, spec.is_empty()) {
                (Some(value), _) => value,
                (None, true) => "(not read)".to_owned(),
                (None, false) => format!("(none: no {spec})"),
            };
            (label.to_owned(), shown)
        })
        .collect();
    ExamplePerson { dn: entry.dn, details }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_come_from_the_first_part_of_their_dn() {
        assert_eq!(group_name("cn=sales-all,ou=groups,dc=embark,dc=test").as_deref(), Some("sales-all"));
        assert_eq!(group_name("CN=R\\2CD  Team,OU=Groups").as_deref(), Some("R D Team"));
        assert_eq!(group_name("cn=Caf\\C3\\A9\\+Bar+ou=x,dc=y").as_deref(), Some("Café+Bar"));
        assert_eq!(group_name("dc=,dc=y"), None);
        assert_eq!(group_name("no dn"), None);
    }

    #[test]
    fn group_entries_add_their_members_once() {
        let mut people = vec![
            DirectoryEntry { dn: "uid=a,dc=x".into(), group_dns: vec!["cn=Team,dc=x".into()], ..DirectoryEntry::default() },
            DirectoryEntry { dn: "uid=b,dc=x".into(), ..DirectoryEntry::default() },
        ];
        let groups = vec![
            DirectoryGroup { dn: "CN=Team,DC=x".into(), member_dns: vec!["UID=a,dc=x".into(), "uid=b,dc=x".into(), "uid=gone,dc=x".into()] },
            DirectoryGroup { dn: "cn=Empty,dc=x".into(), member_dns: vec![] },
        ];
        add_group_entries(&mut people, groups);
        assert_eq!(people[0].group_dns, vec!["cn=Team,dc=x".to_owned()], "already in it through memberOf");
        assert_eq!(people[1].group_dns, vec!["CN=Team,DC=x".to_owned()]);
    }

    #[test]
    fn managers_are_resolved_within_the_read() {
        let boss = DirectoryEntry { dn: "uid=boss,dc=x".into(), email: Some("boss@x.test".into()), ..DirectoryEntry::default() };
        let report = DirectoryEntry {
            dn: "uid=r,dc=x".into(),
            email: Some("r@x.test".into()),
            manager_dn: Some("UID=boss,DC=x".into()),
            group_dns: vec!["cn=Team,dc=x".into()],
            ..DirectoryEntry::default()
        };
        let sheet = String::from_utf8(as_import_sheet(&[report, boss]).unwrap()).unwrap();
        assert_eq!(sheet.lines().nth(1), Some("r@x.test,,,,,,,boss@x.test,Team,\"uid=r,dc=x\""), "the entry's DN last, to name it in reports");
    }
}
