//! Failed attempts counted for throttling (`throttle_failure`).

use sqlx::PgExecutor;
use time::OffsetDateTime;

/// How many failures `subject` has in `bucket` since `since`, and when the
/// oldest of them was.
pub async fn failures_since(db: impl PgExecutor<'_>, bucket: &str, subject: &[u8], since: OffsetDateTime) -> sqlx::Result<(i64, Option<OffsetDateTime>)> {
    let row = sqlx::query!(
        r#"SELECT count(*) AS "count!", min(failed_at) AS oldest FROM throttle_failure WHERE bucket = $1 AND subject = $2 AND failed_at > $3"#,
        bucket,
        subject,
        since,
    )
    .fetch_one(db)
    .await?;
    Ok((row.count, row.oldest))
}

/// [`failures_since`] for several (bucket, subject) pairs in one statement,
/// in the order given.
pub async fn failures_since_each(
    db: impl PgExecutor<'_>,
    buckets: &[String],
    subjects: &[Vec<u8>],
    since: OffsetDateTime,
) -> sqlx::Result<Vec<(i64, Option<OffsetDateTime>)>> {
    let rows = sqlx::query!(
        r#"SELECT count(f.failed_at) AS "count!", min(f.failed_at) AS oldest
           FROM UNNEST($1::text[], $2::bytea[]) WITH ORDINALITY AS asked(bucket, subject, position)
           LEFT JOIN throttle_failure f ON f.bucket = asked.bucket AND f.subject = asked.subject AND f.failed_at > $3
           GROUP BY asked.position ORDER BY asked.position"#,
        buckets,
        subjects,
        since,
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|row| (row.count, row.oldest)).collect())
}

pub async fn record_failure(db: impl PgExecutor<'_>, bucket: &str, subject: &[u8], now: OffsetDateTime) -> sqlx::Result<()> {
    sqlx::query!("INSERT INTO throttle_failure (bucket, subject, failed_at) VALUES ($1, $2, $3)", bucket, subject, now).execute(db).await?;
    Ok(())
}

/// Forgets the failures of `subject` in `bucket` (a successful sign-in
/// clears its account's count).
pub async fn forget(db: impl PgExecutor<'_>, bucket: &str, subject: &[u8]) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM throttle_failure WHERE bucket = $1 AND subject = $2", bucket, subject).execute(db).await?;
    Ok(())
}

pub async fn forget_before(db: impl PgExecutor<'_>, before: OffsetDateTime) -> sqlx::Result<u64> {
    Ok(sqlx::query!("DELETE FROM throttle_failure WHERE failed_at < $1", before).execute(db).await?.rows_affected())
}
