//! Throttling failed attempts without ever locking a person out: each limit
//! counts failures over a sliding window, and once a subject has used them
//! up, further attempts are refused *before* any costly work (a password
//! hash, a session) with "try again in N minutes" until the oldest failure
//! leaves the window. Counts live in PostgreSQL, so several Embark servers
//! on one database agree. A subject crossing a limit is written to the audit
//! log once per window.

use crate::domain::{Actor, AuditAction, AuditTarget};
use crate::server::crypto::secret_digest;
use crate::server::db::audit::{self, AuditEvent};
use crate::server::db::throttles;
use serde_json::json;
use sqlx::PgPool;
use std::net::IpAddr;
use time::{Duration, OffsetDateTime};

/// A limit on failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Wrong sign-ins from one client address, whatever the account: stops
    /// a password-guessing flood before it costs a hash.
    SignInFromAddress,
    /// Wrong passwords for one email address from one client address. Higher
    /// than a person mistyping, low enough to make guessing pointless; and
    /// someone guessing elsewhere cannot lock the person out with it.
    SignInForAccount,
    /// Wrong passwords for one email address from anywhere: guessing spread
    /// over many addresses.
    SignInForAccountAnywhere,
    /// Claim links that match nothing, opened from one client address.
    ClaimLinkFromAddress,
}

impl Limit {
    /// The `throttle_failure.bucket` value.
    fn bucket(self) -> &'static str {
        match self {
            Self::SignInFromAddress => "sign_in_address",
            Self::SignInForAccount => "sign_in_account",
            Self::SignInForAccountAnywhere => "sign_in_account_anywhere",
            Self::ClaimLinkFromAddress => "claim_link_address",
        }
    }

    /// Failures allowed within [`Limit::window`].
    pub fn allowed(self) -> i64 {
        match self {
            Self::SignInFromAddress => 30,
            Self::SignInForAccount => 10,
            Self::SignInForAccountAnywhere => 100,
            Self::ClaimLinkFromAddress => 20,
        }
    }

    pub fn window(self) -> Duration {
        Duration::minutes(15)
    }
}

/// Who is counted: a client address, an email address as typed
/// (normalised), or the two together. Stored as a digest.
pub enum Subject<'a> {
    Address(IpAddr),
    Email(&'a str),
    EmailFrom(&'a str, IpAddr),
}

impl Subject<'_> {
    fn digest(&self) -> Vec<u8> {
        match self {
            Subject::Address(address) => secret_digest(&address.to_string()),
            Subject::Email(email) => secret_digest(&format!("email:{email}")),
            Subject::EmailFrom(email, address) => secret_digest(&format!("email:{email}|from:{address}")),
        }
    }
}

/// The limit is used up: try again after `retry_after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many failed attempts; try again in {} minute(s)", minutes(*retry_after))]
pub struct Throttled {
    pub retry_after: Duration,
}

impl Throttled {
    /// The calm sentence a person sees.
    pub fn message(&self, what: &str) -> String {
        let minutes = minutes(self.retry_after);
        format!(
            "Too many unsuccessful attempts to {what}. For your security, please wait {minutes} minute{} and try again.",
            if minutes == 1 { "" } else { "s" }
        )
    }
}

fn minutes(duration: Duration) -> i64 {
    (duration.whole_seconds() + 59).div_euclid(60).max(1)
}

/// Refuses when `subject` has used up `limit`; otherwise says how many
/// failures it has in the window.
pub async fn check(pool: &PgPool, limit: Limit, subject: &Subject<'_>, now: OffsetDateTime) -> sqlx::Result<Result<i64, Throttled>> {
    let (count, oldest) = throttles::failures_since(pool, limit.bucket(), &subject.digest(), now - limit.window()).await?;
    Ok(match oldest {
        Some(oldest) if count >= limit.allowed() => Err(Throttled { retry_after: (oldest + limit.window() - now).max(Duration::seconds(1)) }),
        _ => Ok(count),
    })
}

/// [`check`] for several limits at once (one statement): the failures each
/// has, in order, or the longest wait among those used up. All limits share
/// one window.
pub async fn check_each(pool: &PgPool, checks: &[(Limit, &Subject<'_>)], now: OffsetDateTime) -> sqlx::Result<Result<Vec<i64>, Throttled>> {
    let buckets: Vec<String> = checks.iter().map(|(limit, _)| limit.bucket().to_owned()).collect();
    let subjects: Vec<Vec<u8>> = checks.iter().map(|(_, subject)| subject.digest()).collect();
    let window = checks.first().map_or(Duration::minutes(15), |(limit, _)| limit.window());
    let counts = throttles::failures_since_each(pool, &buckets, &subjects, now - window).await?;
    let mut throttled: Option<Throttled> = None;
    for ((limit, _), (count, oldest)) in checks.iter().zip(&counts) {
        if let Some(oldest) = oldest.filter(|_| *count >= limit.allowed()) {
            let retry_after = (oldest + limit.window() - now).max(Duration::seconds(1));
            if throttled.is_none_or(|t| t.retry_after < retry_after) {
                throttled = Some(Throttled { retry_after });
            }
        }
    }
    Ok(match throttled {
        Some(throttled) => Err(throttled),
        None => Ok(counts.into_iter().map(|(count, _)| count).collect()),
    })
}

/// Counts one failure; the one that uses the limit up is audited, naming
/// `target` (the account, when the attempt named one) or the address.
pub async fn record_failure(
    pool: &PgPool,
    limit: Limit,
    subject: &Subject<'_>,
    client: IpAddr,
    target: Option<&AuditTarget>,
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    let digest = subject.digest();
    let mut tx = pool.begin().await?;
    throttles::record_failure(&mut *tx, limit.bucket(), &digest, now).await?;
    let (count, _) = throttles::failures_since(&mut *tx, limit.bucket(), &digest, now - limit.window()).await?;
    if count == limit.allowed() {
        tracing::warn!(limit = limit.bucket(), %client, "throttling: a limit was used up");
        let target = target.cloned().unwrap_or_else(|| AuditTarget::client_address(client));
        let actor = Actor { id: None, label: format!("Visitor at {client}") };
        let details =
            json!({ "limit": limit.bucket(), "failures": count, "window_minutes": limit.window().whole_minutes(), "client_address": client.to_string() });
        audit::record(&mut tx, AuditEvent { actor: &actor, action: AuditAction::Throttled, target: &target, details, now }).await?;
    }
    tx.commit().await
}

/// A success forgets the subject's failures for `limit`.
pub async fn forget(pool: &PgPool, limit: Limit, subject: &Subject<'_>) -> sqlx::Result<()> {
    throttles::forget(pool, limit.bucket(), &subject.digest()).await
}

/// Deletes failures older than every window (run now and then).
pub async fn forget_old(pool: &PgPool, now: OffsetDateTime) -> sqlx::Result<u64> {
    throttles::forget_before(pool, now - Duration::hours(1)).await
}
