//! SQL lives here and only here. Functions take an executor so services can
//! compose them inside one transaction. Statements are checked against the
//! schema at compile time (`sqlx::query!`, with the offline data in
//! `.sqlx/`); the few assembled at run time say why where they are built.

pub mod accounts;
pub mod audit;
pub mod credentials;
pub mod directory;
pub mod groups;
pub mod imports;
pub mod integrations;
pub mod outbox;
pub mod scim;
pub mod selections;
pub mod settings;
pub mod sso;
pub mod throttles;
pub mod wizard;

/// The name of a violated unique constraint, if that is what `error` is.
pub fn unique_violation(error: &sqlx::Error) -> Option<String> {
    match error {
        sqlx::Error::Database(db) if db.is_unique_violation() => db.constraint().map(str::to_owned),
        _ => None,
    }
}

/// The constraint a statement broke, when it referred to a row that does
/// not exist (or no longer does).
pub fn foreign_key_violation(error: &sqlx::Error) -> Option<String> {
    match error {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => db.constraint().map(str::to_owned),
        _ => None,
    }
}

/// A LIKE pattern matching `text` anywhere, lowercased, with LIKE's own
/// wildcards escaped (use with `ESCAPE '\\'`).
pub fn contains_pattern(text: &str) -> String {
    let escaped = text.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// A round trip to the database.
pub async fn ping(pool: &sqlx::PgPool) -> sqlx::Result<()> {
    sqlx::query!("SELECT 1 AS one").fetch_one(pool).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_wildcards_in_searches_match_themselves() {
        assert_eq!(super::contains_pattern("50%_Off\\"), "%50\\%\\_off\\\\%");
    }
}
