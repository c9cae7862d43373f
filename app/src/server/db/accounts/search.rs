//! The People search: "contains" over name, email and external ID, in name
//! order, at the same cost whatever it matches; and the background indexing
//! of its search documents (see the `account_search` tables in the schema).

use super::lists::{push_after, PersonRow};
use crate::domain::{AccountId, AccountStatus};

/// Indexes up to `limit` accounts of the search backlog (accounts created,
/// or renamed, since they were last indexed) and takes them off it. Returns
/// how many backlog entries it handled: 0 when the backlog is empty, or when
/// another process is indexing it at the moment.
pub async fn index_backlog(pool: &sqlx::PgPool, limit: i64) -> sqlx::Result<u64> {
    let mut tx = pool.begin().await?;
    // One indexer at a time: two could otherwise write one account's
    // documents in the wrong order, the older last.
    let indexer = sqlx::query_scalar!(r#"SELECT pg_try_advisory_xact_lock(hashtext('embark.account_search')) AS "locked!""#).fetch_one(&mut *tx).await?;
    if !indexer {
        return Ok(0);
    }
    // The accounts are read in the same snapshot as the backlog entries
    // taken: a change committed later left an entry this one does not take.
    let taken = sqlx::query_scalar!(
        r#"WITH taken AS (
             DELETE FROM account_search_backlog WHERE ctid = ANY (ARRAY(SELECT ctid FROM account_search_backlog LIMIT $1))
             RETURNING account_id
           ), indexed AS (
             INSERT INTO account_search (account_id, document)
             SELECT id, account_search_document(full_name, email_normalized, external_id) FROM account
             WHERE id IN (SELECT account_id FROM taken)
             ON CONFLICT (account_id) DO UPDATE SET document = EXCLUDED.document
           ) SELECT count(*) AS "count!" FROM taken"#,
        limit,
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(u64::try_from(taken).unwrap_or(0))
}

/// The most matches a People search sorts by name. Past it, a page shows
/// some of the matches and says the search should be narrowed.
pub const SEARCH_CANDIDATES: i64 = 200;

/// Pages of the account table (about 12 people each) a search samples
/// first, in storage order, to see how common its term is.
const SAMPLE_PAGES: i64 = 150;

/// How far a common term is looked for in storage order before the
/// trigram index is asked instead.
const PROBE_PAGES: i64 = 2_000;

/// A page of People search results, and whether more people matched than
/// [`SEARCH_CANDIDATES`] (the page then comes from the first that many).
#[derive(sqlx::FromRow)]
struct SearchRow {
    #[sqlx(flatten)]
    person: PersonRow,
    candidates: i64,
}

/// Searches name, email and external ID ("contains"), in name order after
/// the cursor. At most [`SEARCH_CANDIDATES`] + 1 matches are candidates,
/// sorted by name; so every search costs about the same whatever it
/// matches, and the pages of a capped search stay the same from one
/// request to the next. The candidates are:
/// - when more people's names start with the term than the cap (a common
///   first name), the first of them by name, from the name index;
/// - otherwise the first matches found in one of two ways, each cheap
///   where the other is not: reading the table's first pages in storage
///   order, for a term many people match anywhere (the company's email
///   domain), where the trigram index would build a bitmap of every match
///   (200 ms for a term a million people match); or the trigram index of
///   search documents with its backlog, for rarer terms. A sample of the
///   first [`SAMPLE_PAGES`] pages tells which.
pub async fn people(
    pool: &sqlx::PgPool,
    search: &str,
    status: Option<AccountStatus>,
    after: Option<(&str, AccountId)>,
    limit: i64,
) -> sqlx::Result<(Vec<PersonRow>, bool)> {
    let mut tx = pool.begin().await?;
    // PostgreSQL cannot estimate how many people a substring matches, and a
    // wrong guess walks the whole name index (seconds at a million
    // accounts): each statement below is given the one plan it is for.
    // Parallel workers would hand the matches over out of storage order.
    sqlx::query!(
        r#"SELECT set_config('enable_seqscan', 'off', true) AS "seqscan", set_config('enable_bitmapscan', 'off', true) AS "bitmapscan",
                  set_config('max_parallel_workers_per_gather', '0', true) AS "parallel""#
    )
    .fetch_one(&mut *tx)
    .await?;
    let mut starting = sqlx::QueryBuilder::new("SELECT count(*) FROM (SELECT 1 FROM account WHERE ");
    push_name_starts_with(&mut starting, search, status);
    starting.push(" LIMIT ").push_bind(SEARCH_CANDIDATES + 1).push(") starting");
    let names_starting: i64 = starting.build_query_scalar().fetch_one(&mut *tx).await?;
    if names_starting > SEARCH_CANDIDATES {
        let rows: Vec<SearchRow> = search_page(search, status, after, limit, Candidates::NamesStartingWith).build_query_as().fetch_all(&mut *tx).await?;
        tx.commit().await?;
        return Ok((rows.into_iter().map(|r| r.person).collect(), true));
    }
    sqlx::query!("SELECT set_config('enable_indexscan', 'off', true) AS indexscan").fetch_one(&mut *tx).await?;

    // How big the table is, and how many candidates its first pages hold.
    let mut sample = sqlx::QueryBuilder::new(
        "SELECT pg_relation_size('account') / current_setting('block_size')::bigint, (SELECT count(*) FROM (SELECT 1 FROM account WHERE ",
    );
    push_matches(&mut sample, search, status, Some(SAMPLE_PAGES));
    sample.push(" LIMIT ").push_bind(SEARCH_CANDIDATES + 1).push(") sampled)");
    let (table_pages, sampled): (i64, i64) = sample.build_query_as().fetch_one(&mut *tx).await?;

    let capped = |rows: &[SearchRow]| rows.first().is_some_and(|r| r.candidates > SEARCH_CANDIDATES);
    let pages = if sampled > SEARCH_CANDIDATES || table_pages <= SAMPLE_PAGES {
        Some(SAMPLE_PAGES)
    } else if sampled * PROBE_PAGES / SAMPLE_PAGES >= 2 * (SEARCH_CANDIDATES + 1) {
        // Common enough that the cap should fill well within the probe.
        Some(PROBE_PAGES)
    } else {
        None
    };
    let mut rows = None;
    if let Some(pages) = pages {
        let found: Vec<SearchRow> = search_page(search, status, after, limit, Candidates::FirstPages(pages)).build_query_as().fetch_all(&mut *tx).await?;
        // Capped there, or the whole table was read: these are the
        // candidates. Otherwise the index finds the ones further on.
        if capped(&found) || table_pages <= pages {
            rows = Some(found);
        }
    }
    let rows = match rows {
        Some(rows) => rows,
        None => {
            sqlx::query!(r#"SELECT set_config('enable_bitmapscan', 'on', true) AS "bitmapscan", set_config('enable_indexscan', 'on', true) AS "indexscan""#)
                .fetch_one(&mut *tx)
                .await?;
            search_page(search, status, after, limit, Candidates::Anywhere).build_query_as().fetch_all(&mut *tx).await?
        }
    };
    tx.commit().await?;
    let capped = capped(&rows);
    Ok((rows.into_iter().map(|r| r.person).collect(), capped))
}

// The statements below are assembled at run time: each way of finding
// candidates, with or without a status and a cursor, is a different
// statement, which PostgreSQL plans for what it is. Values are bound.

/// Names that start with the search term, as a range of the name index;
/// `starts_with` keeps it exact under any collation.
fn push_name_starts_with(query: &mut sqlx::QueryBuilder<'_, sqlx::Postgres>, search: &str, status: Option<AccountStatus>) {
    let prefix = search.to_lowercase();
    query
        .push("lower(full_name) >= ")
        .push_bind(prefix.clone())
        .push(" AND lower(full_name) < ")
        .push_bind(format!("{prefix}{}", char::MAX))
        .push(" AND starts_with(lower(full_name), ")
        .push_bind(prefix)
        .push(")");
    if let Some(status) = status {
        query.push(" AND status = ").push_bind(status);
    }
}

/// The conditions of a search: the term, the status, and when `pages` is
/// given, only the table's first that many pages.
fn push_matches(query: &mut sqlx::QueryBuilder<'_, sqlx::Postgres>, search: &str, status: Option<AccountStatus>, pages: Option<i64>) {
    query
        .push("account_search_document(full_name, email_normalized, external_id) LIKE ")
        .push_bind(super::super::contains_pattern(search))
        .push(" ESCAPE '\\'");
    if let Some(status) = status {
        query.push(" AND status = ").push_bind(status);
    }
    if let Some(pages) = pages {
        // One of this module's constants, written into the statement so the
        // planner sees a range of pages to read (a TID range scan).
        query.push(format!(" AND ctid < '({pages},0)'::tid"));
    }
}

/// Where a search's candidates come from.
#[derive(Debug, Clone, Copy)]
enum Candidates {
    /// The first names, by name, that start with the term.
    NamesStartingWith,
    /// The first matches in storage order within the table's first pages.
    FirstPages(i64),
    /// The first matches anywhere, from the trigram index of search
    /// documents and the backlog of accounts not indexed yet.
    Anywhere,
}

/// One page of search results, after the cursor, from the candidates.
fn search_page<'a>(
    search: &str,
    status: Option<AccountStatus>,
    after: Option<(&'a str, AccountId)>,
    limit: i64,
    candidates: Candidates,
) -> sqlx::QueryBuilder<'a, sqlx::Postgres> {
    let mut query = sqlx::QueryBuilder::new(
        "SELECT id, full_name, email, external_id, title, department, status, candidates FROM ( \
           SELECT *, count(*) OVER () AS candidates FROM ( \
             SELECT id, full_name, email, external_id, title, department, status FROM account WHERE ",
    );
    match candidates {
        Candidates::NamesStartingWith => {
            push_name_starts_with(&mut query, search, status);
            query.push(" ORDER BY lower(full_name), id");
        }
        Candidates::FirstPages(pages) => push_matches(&mut query, search, status, Some(pages)),
        Candidates::Anywhere => {
            // The index may be a moment behind: the backlog holds whoever
            // it does not have yet (or has under an old name, which the
            // condition on the account itself then rules out).
            query
                .push("id IN (SELECT account_id FROM account_search WHERE document LIKE ")
                .push_bind(super::super::contains_pattern(search))
                .push(" ESCAPE '\\' UNION SELECT account_id FROM account_search_backlog) AND ");
            push_matches(&mut query, search, status, None);
        }
    }
    query.push(" LIMIT ").push_bind(SEARCH_CANDIDATES + 1).push(") matches) account WHERE true");
    push_after(&mut query, after);
    query.push(" ORDER BY lower(full_name), id LIMIT ").push_bind(limit);
    query
}
