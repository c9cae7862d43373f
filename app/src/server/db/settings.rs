//! The organisation's settings: one row.

use crate::domain::OrganizationSettings;
use sqlx::{PgExecutor, Postgres, Transaction};
use time::OffsetDateTime;

/// Every setting, as stored.
#[derive(Debug, Clone)]
pub struct SettingsRow {
    pub organization_name: String,
    pub require_terms: bool,
    pub terms_text: String,
    pub terms_version: i32,
    pub claim_link_lifetime_days: i32,
    pub access_code_lifetime_days: i32,
    pub claim_email_subject: String,
    pub claim_email_body: String,
}

pub async fn get(executor: impl PgExecutor<'_>) -> sqlx::Result<SettingsRow> {
    sqlx::query_as!(
        SettingsRow,
        "SELECT organization_name, require_terms, terms_text, terms_version, claim_link_lifetime_days, access_code_lifetime_days, \
         claim_email_subject, claim_email_body FROM settings"
    )
    .fetch_one(executor)
    .await
}

/// How many wrong access codes the 15-minute window allows.
#[derive(Debug, Clone, Copy)]
pub struct AccessCodeAttempts {
    pub per_address: i32,
    pub overall: i32,
}

pub async fn access_code_attempts(executor: impl PgExecutor<'_>) -> sqlx::Result<AccessCodeAttempts> {
    sqlx::query_as!(AccessCodeAttempts, "SELECT access_code_attempts_per_address AS per_address, access_code_attempts_overall AS overall FROM settings")
        .fetch_one(executor)
        .await
}

/// Locks the settings row for the rest of the transaction; serialises
/// first-run setup.
pub async fn lock(tx: &mut Transaction<'_, Postgres>) -> sqlx::Result<()> {
    sqlx::query!("SELECT id FROM settings FOR UPDATE").fetch_one(&mut **tx).await?;
    Ok(())
}

pub async fn set_organization_name(tx: &mut Transaction<'_, Postgres>, name: &str, now: OffsetDateTime) -> sqlx::Result<()> {
    sqlx::query!("UPDATE settings SET organization_name = $1, updated_at = $2", name, now).execute(&mut **tx).await?;
    Ok(())
}

/// Saves the settings; the terms version goes up when their text changes, so
/// acceptances record which text was accepted. Returns the version in force.
pub async fn save(tx: &mut Transaction<'_, Postgres>, settings: &OrganizationSettings, now: OffsetDateTime) -> sqlx::Result<i32> {
    sqlx::query_scalar!(
        "UPDATE settings SET organization_name = $1, require_terms = $2, \
           terms_version = CASE WHEN terms_text IS DISTINCT FROM $3 THEN terms_version + 1 ELSE terms_version END, \
           terms_text = $3, claim_link_lifetime_days = $4, claim_email_subject = $5, claim_email_body = $6, updated_at = $7, \
           access_code_lifetime_days = coalesce($8, access_code_lifetime_days), \
           access_code_attempts_per_address = coalesce($9, access_code_attempts_per_address), \
           access_code_attempts_overall = coalesce($10, access_code_attempts_overall) \
         RETURNING terms_version",
        settings.organization_name.as_ref(),
        settings.require_terms,
        settings.terms_text,
        settings.claim_link_lifetime_days,
        settings.claim_email_subject,
        settings.claim_email_body,
        now,
        settings.access_code_lifetime_days,
        settings.access_code_attempts_per_address,
        settings.access_code_attempts_overall,
    )
    .fetch_one(&mut **tx)
    .await
}
