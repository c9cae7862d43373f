//! Directory sync: the organisation's LDAP directory (Active Directory or
//! OpenLDAP). Its settings (the bind password sealed under its own key,
//! never shown again); "Test connection", which binds and reports how many
//! people the filter finds and the first as Embark reads them, or the
//! precise reason it could not; and a sync's preview, which reads everyone
//! the filter finds into the spreadsheet import's staging, so the admin sees
//! the same preview (new, updated, unchanged, refused with reasons) and the
//! same all-or-nothing apply.

use crate::api::directory::{ConnectionTest, DirectorySettingsView, ExamplePerson};
use crate::domain::{timestamp_label, Actor, AuditAction, AuditTarget, DirectoryKind, DirectorySecurity, DirectorySettings, FieldError};
use crate::error::AppError;
use crate::server::db::audit::{self, AuditEvent};
use crate::server::db::directory::{self, ConfigurationRow};
use crate::server::ldap::{self, Directory, DirectoryEntry};
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
            refused @ (DirectoryError::Directory(_) | DirectoryError::TooMany) => context::refused(refused.to_string()),
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
            kind: c.kind,
            url: c.url,
            security: c.security,
            ca_certificate: c.ca_certificate.unwrap_or_default(),
            bind_dn: c.bind_dn,
            has_bind_password: true,
            base_dn: c.base_dn,
            filter: c.filter,
            attributes: c.attributes.0,
        },
        None => {
            let kind = DirectoryKind::ActiveDirectory;
            DirectorySettingsView {
                configured: false,
                kind,
                url: String::new(),
                security: DirectorySecurity::Ldaps,
                ca_certificate: String::new(),
                bind_dn: String::new(),
                has_bind_password: false,
                base_dn: String::new(),
                filter: kind.suggested_filter().to_owned(),
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
    let sheet = tokio::task::spawn_blocking(move || as_import_sheet(&entries)).await.map_err(anyhow::Error::from)??;
    let label = format!("Directory sync of {}", timestamp_label(now));
    Ok(import::preview_rows(state, &label, sheet, actor, now).await?)
}

/// The directory's people as the import reads a spreadsheet: one row each,
/// the manager's DN resolved to the manager's email within the same read,
/// and each group DN named by its first value (`cn=Sales,ou=groups` → Sales).
fn as_import_sheet(entries: &[DirectoryEntry]) -> anyhow::Result<Vec<u8>> {
    // Directories write a DN's escapes in more than one way (OpenLDAP
    // stores `\+` in `manager` but names the entry with `\2B`).
    let email_of: HashMap<String, &str> = entries.iter().filter_map(|e| Some((ldap::dn_key(&e.dn), e.email.as_deref()?))).collect();
    let mut sheet = csv::Writer::from_writer(Vec::with_capacity(entries.len() * 160));
    sheet.write_record(["Email", "External ID", "Full name", "Title", "Department", "Location", "Phone", "Manager email", "Groups"])?;
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
        assert_eq!(sheet.lines().nth(1), Some("r@x.test,,,,,,,boss@x.test,Team"));
    }
}
