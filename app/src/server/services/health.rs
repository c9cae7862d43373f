//! Whether Embark can do its work: the database answers.

use crate::server::AppState;

pub async fn database_reachable(state: &AppState) -> bool {
    match crate::server::db::ping(&state.pool).await {
        Ok(()) => true,
        Err(error) => {
            tracing::error!(error = %error, "health check: database unreachable");
            false
        }
    }
}
