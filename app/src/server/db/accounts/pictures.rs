//! Profile pictures, stored as Embark's own JPEGs (`server::picture`).

use crate::domain::AccountId;
use sqlx::{PgExecutor, Postgres, Transaction};
use time::OffsetDateTime;

pub async fn save(tx: &mut Transaction<'_, Postgres>, id: AccountId, jpeg: &[u8], now: OffsetDateTime) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO account_picture (account_id, jpeg, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (account_id) DO UPDATE SET jpeg = EXCLUDED.jpeg, updated_at = EXCLUDED.updated_at",
        id as AccountId,
        jpeg,
        now,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn find(executor: impl PgExecutor<'_>, id: AccountId) -> sqlx::Result<Option<Vec<u8>>> {
    sqlx::query_scalar!("SELECT jpeg FROM account_picture WHERE account_id = $1", id as AccountId).fetch_optional(executor).await
}

pub async fn exists(executor: impl PgExecutor<'_>, id: AccountId) -> sqlx::Result<bool> {
    sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM account_picture WHERE account_id = $1) AS "exists!""#, id as AccountId).fetch_one(executor).await
}
