//! The People search's index of documents, brought up to date in the
//! background: writers only list the accounts to (re)index in a backlog, in
//! their own transaction, and searches read the backlog as well as the
//! index, so the index may lag without a search missing anyone. See
//! migration `search_index_backlog`.

use crate::server::db::accounts::search;
use sqlx::PgPool;
use std::time::{Duration, Instant};

/// Backlog entries indexed per transaction.
const BATCH: i64 = 20_000;

/// Indexes the backlog until it is empty (or another process is indexing
/// it). Returns how many entries it handled.
pub async fn catch_up(pool: &PgPool) -> sqlx::Result<u64> {
    let started = Instant::now();
    let mut handled = 0;
    loop {
        let batch = search::index_backlog(pool, BATCH).await?;
        handled += batch;
        if batch < BATCH.unsigned_abs() {
            if handled > 0 {
                tracing::info!(handled, ms = started.elapsed().as_millis() as u64, "search index caught up");
            }
            return Ok(handled);
        }
    }
}

/// [`catch_up`] now, off the caller's request (after a bulk write), logging
/// the outcome. Whatever it does not finish, the worker will.
pub fn catch_up_in_background(pool: &PgPool) {
    let pool = pool.clone();
    tokio::spawn(async move {
        match catch_up(&pool).await {
            // The process is shutting down (or a test ended): nothing lost,
            // the backlog waits for the next start.
            Err(sqlx::Error::PoolClosed) => {}
            Err(error) => tracing::warn!(error = %error, "could not index the search backlog; the worker will retry"),
            Ok(_) => {}
        }
    });
}

/// Keeps the index up to date until the process ends, looking at the
/// backlog once a second: it also indexes what a process that died left
/// behind, and what was written outside Embark.
pub fn spawn_worker(pool: PgPool) {
    tokio::spawn(async move {
        loop {
            let pause = match catch_up(&pool).await {
                Ok(_) => Duration::from_secs(1),
                Err(sqlx::Error::PoolClosed) => return,
                Err(error) => {
                    tracing::warn!(error = %error, "could not index the search backlog; retrying in 5 s");
                    Duration::from_secs(5)
                }
            };
            tokio::time::sleep(pause).await;
        }
    });
}
