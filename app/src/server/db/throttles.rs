//! Failed attempts counted for throttling (`throttle_failure`).

use sqlx::PgExecutor;
use time::OffsetDateTime;

/// How many failures each (bucket, subject) pair has since `since`, and when
/// the oldest was, in the order given, in one statement.
pub async fn failures_since(
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

/// Records one failure for each (bucket, subject) pair, and returns how many
/// each now has since `since`, in the order given, in one statement.
pub async fn record_failures(
    db: impl PgExecutor<'_>,
    buckets: &[String],
    subjects: &[Vec<u8>],
    now: OffsetDateTime,
    since: OffsetDateTime,
) -> sqlx::Result<Vec<i64>> {
    // The statement's snapshot does not see the rows it inserts: hence + 1.
    sqlx::query_scalar!(
        r#"WITH asked AS (SELECT * FROM UNNEST($1::text[], $2::bytea[]) WITH ORDINALITY AS a(bucket, subject, position)),
                inserted AS (INSERT INTO throttle_failure (bucket, subject, failed_at) SELECT bucket, subject, $3 FROM asked)
           SELECT (SELECT count(*) FROM throttle_failure f WHERE f.bucket = asked.bucket AND f.subject = asked.subject AND f.failed_at > $4) + 1 AS "count!"
           FROM asked ORDER BY asked.position"#,
        buckets,
        subjects,
        now,
        since,
    )
    .fetch_all(db)
    .await
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
