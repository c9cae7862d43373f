//! What a signed-in session records, and how a request turns it into a
//! [`Viewer`]. Sessions live in PostgreSQL through tower-sessions.

use crate::api::auth::Viewer;
use crate::domain::{AccountId, AccountStatus};
use crate::server::db::accounts;
use crate::server::services::auth::SignedIn;
use crate::server::AppState;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use tower_sessions::Session;

/// A session unused this long ends (tower-sessions' inactivity expiry).
pub const IDLE_TIMEOUT: Duration = Duration::hours(8);
/// A session ends this long after sign-in, however active.
pub const ABSOLUTE_TIMEOUT: Duration = Duration::hours(24);

const AUTH_KEY: &str = "auth";
const SETUP_GRANT_KEY: &str = "setup_granted";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SessionAuth {
    account_id: AccountId,
    /// The account's session epoch at sign-in; a later deactivation or
    /// password change bumps the account's and ends this session.
    epoch: i32,
    signed_in_at: i64,
    /// When the session was last written: tower-sessions moves the idle
    /// expiry only when a session is saved, so an active session is saved
    /// again once this is older than [`REFRESH_AFTER`] (not on every request).
    #[serde(default)]
    refreshed_at: i64,
}

/// How stale the idle expiry of an active session may grow before it is
/// pushed back (at most one session write per this much activity).
const REFRESH_AFTER: Duration = Duration::minutes(10);

/// Gives the session a new id before it is trusted with more (SECURITY.md
/// rule 10), deleting the old one. A browser that came without a session
/// gets a fresh id when the session is first saved anyway, so there is
/// nothing to delete (tower-sessions would delete a made-up id: one wasted
/// statement per claim link opened).
pub async fn renew_id(session: &Session) -> Result<(), tower_sessions::session::Error> {
    if session.id().is_some() {
        session.cycle_id().await?;
    }
    Ok(())
}

/// Signs the session in as `who`, under a new session id (SECURITY.md rule 10).
pub async fn establish(session: &Session, who: &SignedIn, now: OffsetDateTime) -> Result<(), tower_sessions::session::Error> {
    renew_id(session).await?;
    session.remove_value(SETUP_GRANT_KEY).await?;
    let now = now.unix_timestamp();
    session.insert(AUTH_KEY, SessionAuth { account_id: who.account_id, epoch: who.session_epoch, signed_in_at: now, refreshed_at: now }).await
}

/// Ends the session and deletes it from the store.
pub async fn end(session: &Session) -> Result<(), tower_sessions::session::Error> {
    session.flush().await
}

/// The signed-in person, if the session is signed in, unexpired, and its
/// account is still claimed with the same session epoch. A session that fails
/// any of these is ended.
pub async fn resolve_viewer(state: &AppState, session: &Session, now: OffsetDateTime) -> anyhow::Result<Option<Viewer>> {
    let Some(auth) = session.get::<SessionAuth>(AUTH_KEY).await? else {
        return Ok(None);
    };
    let expired = now.unix_timestamp() - auth.signed_in_at > ABSOLUTE_TIMEOUT.whole_seconds();
    let account = accounts::find_for_session(&state.pool, auth.account_id).await?;
    match account {
        Some(account) if !expired && account.status == AccountStatus::Claimed && account.session_epoch == auth.epoch => {
            if now.unix_timestamp() - auth.refreshed_at > REFRESH_AFTER.whole_seconds() {
                session.insert(AUTH_KEY, SessionAuth { refreshed_at: now.unix_timestamp(), ..auth }).await?;
            }
            Ok(Some(Viewer { account_id: account.id, full_name: account.full_name, email: account.email, role: account.role }))
        }
        _ => {
            session.flush().await?;
            Ok(None)
        }
    }
}

/// Records that this browser opened a valid first-run setup link.
pub async fn grant_setup(session: &Session) -> Result<(), tower_sessions::session::Error> {
    renew_id(session).await?;
    session.insert(SETUP_GRANT_KEY, true).await
}

pub async fn setup_granted(session: &Session) -> Result<bool, tower_sessions::session::Error> {
    Ok(session.get::<bool>(SETUP_GRANT_KEY).await?.unwrap_or(false))
}
