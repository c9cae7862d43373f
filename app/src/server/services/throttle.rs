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
    /// Single sign-on attempts started from one client address and not
    /// (yet) finished: each writes a session.
    SsoStartFromAddress,
    /// Access codes that match nothing, typed from one client address; how
    /// many are allowed is a setting (10 by default).
    AccessCodeFromAddress { allowed: i64 },
    /// Access codes that match nothing, from anywhere: a guess spread over
    /// many addresses. Far above what people mistyping reach (10,000 by
    /// default), and 80-bit codes make guessing hopeless long before it.
    AccessCodeAnywhere { allowed: i64 },
    /// SCIM bearer tokens that match no live integration, from one client
    /// address: an identity provider with a revoked token retries, a
    /// guesser is stopped before each guess costs a lookup.
    ScimTokenFromAddress,
}

impl Limit {
    /// The `throttle_failure.bucket` value.
    fn bucket(self) -> &'static str {
        match self {
            Self::SignInFromAddress => "sign_in_address",
            Self::SignInForAccount => "sign_in_account",
            Self::SignInForAccountAnywhere => "sign_in_account_anywhere",
            Self::ClaimLinkFromAddress => "claim_link_address",
            Self::SsoStartFromAddress => "sso_start_address",
            Self::AccessCodeFromAddress { .. } => "access_code_address",
            Self::AccessCodeAnywhere { .. } => "access_code_anywhere",
            Self::ScimTokenFromAddress => "scim_token_address",
        }
    }

    /// Failures allowed within [`WINDOW`].
    pub fn allowed(self) -> i64 {
        match self {
            Self::SignInFromAddress => 30,
            Self::SignInForAccount => 10,
            Self::SignInForAccountAnywhere => 100,
            Self::ClaimLinkFromAddress => 20,
            // Many people behind one office address sign in at once; a
            // finished sign-in forgets its start.
            Self::SsoStartFromAddress => 200,
            Self::AccessCodeFromAddress { allowed } | Self::AccessCodeAnywhere { allowed } => allowed,
            Self::ScimTokenFromAddress => 30,
        }
    }
}

/// How far back failures count, for every limit.
pub const WINDOW: Duration = Duration::minutes(15);

/// Who is counted: a client address, an email address as typed
/// (normalised), the two together, or everyone. Stored as a digest.
pub enum Subject<'a> {
    Address(IpAddr),
    Email(&'a str),
    EmailFrom(&'a str, IpAddr),
    Anywhere,
}

impl Subject<'_> {
    fn digest(&self) -> Vec<u8> {
        match self {
            Subject::Address(address) => secret_digest(&address.to_string()),
            Subject::Email(email) => secret_digest(&format!("email:{email}")),
            Subject::EmailFrom(email, address) => secret_digest(&format!("email:{email}|from:{address}")),
            Subject::Anywhere => secret_digest("anywhere"),
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

/// Checks several limits in one statement: the failures each has within
/// the window, in order, or — when any is used up — the longest wait.
pub async fn check<const N: usize>(pool: &PgPool, checks: [(Limit, &Subject<'_>); N], now: OffsetDateTime) -> sqlx::Result<Result<[i64; N], Throttled>> {
    let (buckets, subjects) = keys(&checks);
    let found = throttles::failures_since(pool, &buckets, &subjects, now - WINDOW).await?;
    let mut counts = [0; N];
    let mut throttled: Option<Throttled> = None;
    for (index, ((limit, _), (count, oldest))) in checks.iter().zip(found).enumerate() {
        counts[index] = count;
        if let Err(this) = verdict(*limit, count, oldest, now) {
            if throttled.is_none_or(|t| t.retry_after < this.retry_after) {
                throttled = Some(this);
            }
        }
    }
    Ok(throttled.map_or(Ok(counts), Err))
}

/// Where one limit's failures for `subject` are counted, for a statement
/// that reads them together with what the attempt looks up (opening a
/// claim link).
pub struct Counted {
    pub bucket: &'static str,
    pub subject: Vec<u8>,
    /// The window's start.
    pub since: OffsetDateTime,
}

pub fn counted_under(limit: Limit, subject: &Subject<'_>, now: OffsetDateTime) -> Counted {
    Counted { bucket: limit.bucket(), subject: subject.digest(), since: now - WINDOW }
}

/// Whether `failures` within the window, the oldest at `oldest`, use
/// `limit` up: refused until the oldest leaves the window.
pub fn verdict(limit: Limit, failures: i64, oldest: Option<OffsetDateTime>, now: OffsetDateTime) -> Result<i64, Throttled> {
    match oldest.filter(|_| failures >= limit.allowed()) {
        Some(oldest) => Err(Throttled { retry_after: (oldest + WINDOW - now).max(Duration::seconds(1)) }),
        None => Ok(failures),
    }
}

/// Counts one failure against each limit, in one statement. A failure that
/// uses a limit up is audited, naming the address for a limit on an
/// address, and otherwise `account` (when the attempt named one).
pub async fn record_failures<const N: usize>(
    pool: &PgPool,
    failures: [(Limit, &Subject<'_>); N],
    client: IpAddr,
    account: Option<&AuditTarget>,
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    let (buckets, subjects) = keys(&failures);
    let mut tx = pool.begin().await?;
    let counts = throttles::record_failures(&mut *tx, &buckets, &subjects, now, now - WINDOW).await?;
    for ((limit, subject), count) in failures.iter().zip(counts) {
        if count != limit.allowed() {
            continue;
        }
        tracing::warn!(limit = limit.bucket(), %client, "throttling: a limit was used up");
        let target = match (subject, account) {
            (Subject::Address(_) | Subject::Anywhere, _) | (_, None) => AuditTarget::client_address(client),
            (_, Some(account)) => account.clone(),
        };
        let actor = Actor::visitor(client);
        let details = json!({ "limit": limit.bucket(), "failures": count, "window_minutes": WINDOW.whole_minutes(), "client_address": client.to_string() });
        audit::record(&mut *tx, AuditEvent { actor: &actor, action: AuditAction::Throttled, target: &target, details, now }).await?;
    }
    tx.commit().await
}

/// The buckets and subject digests of `limits`, as parallel lists.
fn keys(limits: &[(Limit, &Subject<'_>)]) -> (Vec<String>, Vec<Vec<u8>>) {
    limits.iter().map(|(limit, subject)| (limit.bucket().to_owned(), subject.digest())).unzip()
}

/// A success forgets the subject's failures for `limit`.
pub async fn forget(pool: &PgPool, limit: Limit, subject: &Subject<'_>) -> sqlx::Result<()> {
    throttles::forget(pool, limit.bucket(), &subject.digest()).await
}

/// Deletes failures older than the window (run now and then).
pub async fn forget_old(pool: &PgPool, now: OffsetDateTime) -> sqlx::Result<u64> {
    throttles::forget_before(pool, now - WINDOW).await
}
