use sqlx::{PgExecutor, Postgres, Transaction};
use time::OffsetDateTime;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SettingsRow {
    pub organization_name: String,
    pub claim_link_lifetime_days: i32,
    pub require_terms: bool,
    pub terms_text: String,
    pub terms_version: i32,
}

pub async fn get(executor: impl PgExecutor<'_>) -> sqlx::Result<SettingsRow> {
    sqlx::query_as("SELECT organization_name, claim_link_lifetime_days, require_terms, terms_text, terms_version FROM settings").fetch_one(executor).await
}

/// Locks the settings row for the rest of the transaction; serialises
/// first-run setup.
pub async fn lock(tx: &mut Transaction<'_, Postgres>) -> sqlx::Result<()> {
    sqlx::query("SELECT 1 FROM settings FOR UPDATE").execute(&mut **tx).await?;
    Ok(())
}

pub async fn set_organization_name(tx: &mut Transaction<'_, Postgres>, name: &str, now: OffsetDateTime) -> sqlx::Result<()> {
    sqlx::query("UPDATE settings SET organization_name = $1, updated_at = $2")
        .bind(name)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn claim_email_subject(executor: impl PgExecutor<'_>) -> sqlx::Result<String> {
    sqlx::query_scalar("SELECT claim_email_subject FROM settings").fetch_one(executor).await
}

pub async fn claim_email_body(executor: impl PgExecutor<'_>) -> sqlx::Result<String> {
    sqlx::query_scalar("SELECT claim_email_body FROM settings").fetch_one(executor).await
}
