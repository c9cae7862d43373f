//! Directory sync: the LDAP directory's configuration (one row).

use crate::domain::{AttributeMap, DirectoryKind, DirectorySecurity, DirectorySettings};
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
    pub attributes: sqlx::types::Json<AttributeMap>,
    pub updated_at: OffsetDateTime,
}

pub async fn configuration(executor: impl PgExecutor<'_>) -> sqlx::Result<Option<ConfigurationRow>> {
    sqlx::query_as!(
        ConfigurationRow,
        r#"SELECT kind AS "kind: DirectoryKind", url, security AS "security: DirectorySecurity", ca_certificate, bind_dn, bind_password_sealed,
                  base_dn, filter, attributes AS "attributes: sqlx::types::Json<AttributeMap>", updated_at
           FROM directory_configuration"#
    )
    .fetch_optional(executor)
    .await
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
                                                    attributes, updated_at)
           SELECT true, $1, $2, $3, $4, $5, coalesce($6, (SELECT bind_password_sealed FROM directory_configuration)), $7, $8, $9, $10
           WHERE $6::bytea IS NOT NULL OR EXISTS (SELECT 1 FROM directory_configuration)
           ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, url = EXCLUDED.url, security = EXCLUDED.security,
             ca_certificate = EXCLUDED.ca_certificate, bind_dn = EXCLUDED.bind_dn, bind_password_sealed = EXCLUDED.bind_password_sealed,
             base_dn = EXCLUDED.base_dn, filter = EXCLUDED.filter, attributes = EXCLUDED.attributes, updated_at = EXCLUDED.updated_at
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
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(saved.is_some())
}
