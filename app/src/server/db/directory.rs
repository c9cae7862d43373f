//! Directory sync: the LDAP directory's configuration (one row).

use crate::domain::{AttributeMap, DirectoryDeparture, DirectoryKind, DirectorySecurity, DirectorySettings, SyncRules};
use sqlx::{PgExecutor, Postgres, Transaction};
use time::OffsetDateTime;

/// The directory as configured.
#[derive(Debug, Clone)]
pub struct ConfigurationRow {
    pub kind: DirectoryKind,
    pub url: String,
    pub security: DirectorySecurity,
    pub ca_certificate: Option<String>,
    pub bind_dn: String,
    pub bind_password_sealed: Vec<u8>,
    pub base_dn: String,
    pub filter: String,
    pub group_filter: Option<String>,
    pub attributes: sqlx::types::Json<AttributeMap>,
    pub departures: DirectoryDeparture,
    pub invite_automatically: bool,
    pub sync_every_minutes: Option<i32>,
    pub next_sync_at: Option<OffsetDateTime>,
    pub last_applied_at: Option<OffsetDateTime>,
    pub last_run_at: Option<OffsetDateTime>,
    pub last_run_outcome: Option<String>,
    pub updated_at: OffsetDateTime,
}

impl ConfigurationRow {
    pub fn rules(&self) -> SyncRules {
        SyncRules { departures: self.departures, invite_automatically: self.invite_automatically, every_minutes: self.sync_every_minutes }
    }
}

pub async fn configuration(executor: impl PgExecutor<'_>) -> sqlx::Result<Option<ConfigurationRow>> {
    sqlx::query_as!(
        ConfigurationRow,
        r#"SELECT kind AS "kind: DirectoryKind", url, security AS "security: DirectorySecurity", ca_certificate, bind_dn, bind_password_sealed,
                  base_dn, filter, group_filter, attributes AS "attributes: sqlx::types::Json<AttributeMap>", departures AS "departures: DirectoryDeparture",
                  invite_automatically, sync_every_minutes, next_sync_at, last_applied_at, last_run_at, last_run_outcome, updated_at
           FROM directory_configuration"#
    )
    .fetch_optional(executor)
    .await
}

/// Saves what a sync does; false when the directory is not set up. A new
/// interval counts from the last applied sync (none yet: no schedule).
pub async fn save_rules(tx: &mut Transaction<'_, Postgres>, rules: &SyncRules, now: OffsetDateTime) -> sqlx::Result<bool> {
    let saved = sqlx::query!(
        "UPDATE directory_configuration SET departures = $1, invite_automatically = $2, sync_every_minutes = $3, \
           next_sync_at = CASE WHEN $3::integer IS NULL OR last_applied_at IS NULL THEN NULL \
                               ELSE greatest($4, last_applied_at + make_interval(mins => $3)) END, \
           updated_at = $4",
        rules.departures as DirectoryDeparture,
        rules.invite_automatically,
        rules.every_minutes,
        now,
    )
    .execute(&mut **tx)
    .await?;
    Ok(saved.rows_affected() == 1)
}

/// Claims a scheduled sync that is due by moving the next one on: of
/// several servers, the one whose update wins runs it.
pub async fn claim_due_sync(executor: impl PgExecutor<'_>, now: OffsetDateTime) -> sqlx::Result<bool> {
    let claimed = sqlx::query!(
        "UPDATE directory_configuration SET next_sync_at = $1::timestamptz + make_interval(mins => sync_every_minutes) \
         WHERE next_sync_at <= $1",
        now,
    )
    .execute(executor)
    .await?;
    Ok(claimed.rows_affected() == 1)
}

/// What the last sync (scheduled or previewed) came to, in words.
pub async fn record_run(executor: impl PgExecutor<'_>, outcome: &str, now: OffsetDateTime) -> sqlx::Result<()> {
    sqlx::query!("UPDATE directory_configuration SET last_run_at = $2, last_run_outcome = $1", outcome, now).execute(executor).await?;
    Ok(())
}

/// A sync was applied: the schedule, if any, counts from now.
pub async fn mark_applied(tx: &mut Transaction<'_, Postgres>, now: OffsetDateTime) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE directory_configuration SET last_applied_at = $1, \
           next_sync_at = $1::timestamptz + make_interval(mins => sync_every_minutes)",
        now,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Invite All: people the directory adds from now on are invited at once.
/// True when this turned it on.
pub async fn invite_automatically_from_now(tx: &mut Transaction<'_, Postgres>, now: OffsetDateTime) -> sqlx::Result<bool> {
    let changed = sqlx::query!("UPDATE directory_configuration SET invite_automatically = true, updated_at = $1 WHERE NOT invite_automatically", now,)
        .execute(&mut **tx)
        .await?;
    Ok(changed.rows_affected() == 1)
}

/// Saves the configuration; `password_sealed` None keeps the saved password
/// (and then one must exist: returns false when none does).
pub async fn save_configuration(
    tx: &mut Transaction<'_, Postgres>,
    settings: &DirectorySettings,
    password_sealed: Option<&[u8]>,
    now: OffsetDateTime,
) -> sqlx::Result<bool> {
    let saved = sqlx::query_scalar!(
        r#"INSERT INTO directory_configuration AS c (id, kind, url, security, ca_certificate, bind_dn, bind_password_sealed, base_dn, filter,
                                                    attributes, updated_at, group_filter)
           SELECT true, $1, $2, $3, $4, $5, coalesce($6, (SELECT bind_password_sealed FROM directory_configuration)), $7, $8, $9, $10, $11
           WHERE $6::bytea IS NOT NULL OR EXISTS (SELECT 1 FROM directory_configuration)
           ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, url = EXCLUDED.url, security = EXCLUDED.security,
             ca_certificate = EXCLUDED.ca_certificate, bind_dn = EXCLUDED.bind_dn, bind_password_sealed = EXCLUDED.bind_password_sealed,
             base_dn = EXCLUDED.base_dn, filter = EXCLUDED.filter, attributes = EXCLUDED.attributes, updated_at = EXCLUDED.updated_at,
             group_filter = EXCLUDED.group_filter
           RETURNING c.id"#,
        settings.kind as DirectoryKind,
        settings.url,
        settings.security as DirectorySecurity,
        settings.ca_certificate,
        settings.bind_dn,
        password_sealed,
        settings.base_dn,
        settings.filter,
        sqlx::types::Json(&settings.attributes) as _,
        now,
        settings.group_filter,
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(saved.is_some())
}
