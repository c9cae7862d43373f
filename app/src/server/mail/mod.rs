//! Email: templates, the SMTP transport, and the outbox worker that delivers
//! what services queued (ARCHITECTURE.md "Email through an outbox").

mod connections;
pub mod templates;

use crate::domain::{AccountStatus, EmailState, PersonName};
use crate::server::db::credentials::CredentialState;
use crate::server::db::outbox::{self, EmailKind, LeasedEmail};
use crate::server::AppState;
use futures::StreamExt as _;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration as StdDuration;
use templates::{render_claim_email, ClaimEmailInput, RenderedEmail};
use time::{Duration, OffsetDateTime};

/// Emails leased per round trip.
pub const BATCH_SIZE: i64 = 400;
/// SMTP connections (and emails in flight) by default: `EMBARK_SMTP_CONNECTIONS`.
pub const DEFAULT_CONNECTIONS: usize = 32;
/// Dispatch loops a worker runs side by side, so one loop's lease round trip
/// and batch tail overlap the other's sending. Each has half the connections.
pub const LOOPS: usize = 2;
/// Delivered emails are marked `sent` in groups of this many (one UPDATE
/// each), not one by one.
pub const MARK_EVERY: usize = 64;
/// The most emails a crash can send twice: those the SMTP server accepted
/// whose `sent` mark had not yet committed, in every dispatch loop.
pub fn max_resent_after_crash(connections: usize) -> usize {
    LOOPS * MARK_EVERY + connections
}
/// How long a leased email belongs to its worker before another may retry
/// it: after a crash, what was leased waits this long.
pub const LEASE: Duration = Duration::seconds(30);
/// A worker starts sending an email only while at least this much of its
/// lease is left (the SMTP timeout), so it never sends what another worker
/// may already have re-leased.
const SEND_MARGIN: Duration = Duration::seconds(20);
/// Attempts before an email is marked failed.
pub const MAX_ATTEMPTS: i32 = 8;

/// Sends email through one SMTP server over a pool of connections.
#[derive(Clone)]
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    message_id_domain: String,
    /// Emails each dispatch loop has in flight.
    per_loop: usize,
}

/// `smtp://` servers get Embark's no-delay connections; `smtps://` ones
/// lettre's pool (see `connections`).
#[derive(Clone)]
enum Transport {
    NoDelay(std::sync::Arc<connections::NoDelayPool>),
    Lettre(AsyncSmtpTransport<Tokio1Executor>),
}

/// Why one message was not delivered.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Trying again will not help (bad address, rejected recipient).
    #[error("{0}")]
    Permanent(String),
    #[error("{0}")]
    Transient(String),
}

impl Mailer {
    /// `url`: smtp://[user:pass@]host[:port][?tls=required], or smtps://…
    /// `connections`: how many SMTP connections to keep open, and so how
    /// many emails are in flight at once. Each message costs a few round
    /// trips, so throughput grows with it, up to what the server allows.
    pub fn new(url: &str, from: &str, connections: usize) -> anyhow::Result<Self> {
        let timeout = StdDuration::from_secs(SEND_MARGIN.whole_seconds().unsigned_abs());
        let unusable = |e: &dyn std::fmt::Display| anyhow::anyhow!("EMBARK_SMTP_URL is not usable: {e}");
        let transport = match connections::NoDelayPool::for_url(url, connections, timeout).map_err(|e| unusable(&e))? {
            Some(pool) => Transport::NoDelay(std::sync::Arc::new(pool)),
            None => Transport::Lettre(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| unusable(&e))?
                    .pool_config(PoolConfig::new().max_size(u32::try_from(connections).unwrap_or(u32::MAX)))
                    .timeout(Some(timeout))
                    .build(),
            ),
        };
        let from: Mailbox = from.parse().map_err(|e| anyhow::anyhow!("EMBARK_MAIL_FROM is not a valid sender: {e}"))?;
        let message_id_domain = from.email.domain().to_owned();
        Ok(Self { transport, from, message_id_domain, per_loop: (connections / LOOPS).max(1) })
    }

    /// Sends one email. `id` becomes its Message-ID, the same on every
    /// attempt, so a copy re-sent after a crash is recognisably the same
    /// message to mail clients.
    pub async fn send(&self, id: &str, to: &str, email: &RenderedEmail) -> Result<(), SendError> {
        let to: Mailbox = to.parse().map_err(|e| SendError::Permanent(format!("the address {to:?} cannot receive mail: {e}")))?;
        let message = Message::builder()
            .message_id(Some(format!("<{id}@{}>", self.message_id_domain)))
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone())
            .multipart(
                MultiPart::alternative()
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(email.text.clone()))
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(email.html.clone())),
            )
            .map_err(|e| SendError::Permanent(format!("the message could not be built: {e}")))?;
        let (permanent, error) = match &self.transport {
            Transport::NoDelay(pool) => match pool.send(message.envelope(), &message.formatted()).await {
                Ok(()) => return Ok(()),
                Err(e) => (e.is_permanent(), e.to_string()),
            },
            Transport::Lettre(transport) => match transport.send(message).await {
                Ok(_) => return Ok(()),
                Err(e) => (e.is_permanent(), e.to_string()),
            },
        };
        Err(if permanent { SendError::Permanent(error) } else { SendError::Transient(error) })
    }

    /// True when the SMTP server answers.
    pub async fn test_connection(&self) -> bool {
        match &self.transport {
            Transport::NoDelay(pool) => pool.test_connection().await,
            Transport::Lettre(transport) => transport.test_connection().await.unwrap_or(false),
        }
    }
}

/// What to do with one leased email.
enum Prepared {
    Send(RenderedEmail),
    Cancel(&'static str),
}

/// Renders a leased email, or says why it must not be sent any more.
fn prepare(state: &AppState, email: &LeasedEmail) -> anyhow::Result<Prepared> {
    match email.kind {
        EmailKind::ClaimInvitation => {
            if email.account_status != Some(AccountStatus::Invited) {
                return Ok(Prepared::Cancel("the account is no longer waiting to be claimed"));
            }
            if email.credential_state != Some(CredentialState::Active) {
                return Ok(Prepared::Cancel("a newer invitation replaced this one"));
            }
            let (Some(sealed), Some(expires_at), Some(full_name)) = (&email.secret_sealed, email.expires_at, &email.full_name) else {
                return Ok(Prepared::Cancel("the invitation no longer exists"));
            };
            let secret = state.sealer.open(sealed)?;
            let link = format!("{}/claim/{secret}", state.public_url);
            let first_name = PersonName::parse(full_name).map(|n| n.first_name().to_owned()).unwrap_or_else(|_| full_name.clone());
            let personal_message = email.payload.get("personal_message").and_then(|m| m.as_str());
            Ok(Prepared::Send(render_claim_email(&ClaimEmailInput {
                subject_template: &email.claim_email_subject,
                body_template: &email.claim_email_body,
                first_name: &first_name,
                organization: &email.organization_name,
                link: &link,
                expires_at,
                personal_message,
            })))
        }
    }
}

/// Delay before attempt `attempts + 1`: 30 s, doubling, at most an hour.
pub fn backoff(attempts: i32) -> Duration {
    let exponent = u32::try_from(attempts.clamp(1, 8) - 1).unwrap_or(0);
    Duration::seconds((30_i64 << exponent).min(3600))
}

/// Leases one batch of due email, sends it, and records the outcomes:
/// deliveries in groups of [`MARK_EVERY`], failures one by one. Returns how
/// many emails it handled.
///
/// A crash can make the server send an email twice only when the SMTP server
/// accepted it but its `sent` mark had not yet committed: at most
/// [`max_resent_after_crash`] emails per worker. Leased emails not yet sent
/// wait for their lease to run out and are then sent once.
pub async fn dispatch_due(state: &AppState, mailer: &Mailer, now: OffsetDateTime) -> anyhow::Result<usize> {
    dispatch_due_unless_stopping(state, mailer, now, &Stopping::never()).await
}

/// Tells the outbox worker the process is shutting down (never, for
/// [`Stopping::never`]).
#[derive(Clone)]
pub struct Stopping(Option<tokio::sync::watch::Receiver<bool>>);

impl Stopping {
    pub fn new(signal: tokio::sync::watch::Receiver<bool>) -> Self {
        Self(Some(signal))
    }

    pub fn never() -> Self {
        Self(None)
    }

    fn now(&self) -> bool {
        self.0.as_ref().is_some_and(|signal| *signal.borrow())
    }

    async fn wait(&mut self) {
        match &mut self.0 {
            // A dropped sender means no stop will ever be signalled either.
            Some(signal) => {
                if signal.wait_for(|stopping| *stopping).await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
            None => std::future::pending().await,
        }
    }
}

/// [`dispatch_due`], sending nothing new once `stopping` says so: emails
/// not yet started are released for the next server at once, those the SMTP
/// server is receiving are finished and marked sent.
pub async fn dispatch_due_unless_stopping(state: &AppState, mailer: &Mailer, now: OffsetDateTime, stopping: &Stopping) -> anyhow::Result<usize> {
    let batch = outbox::lease_due(&state.pool, now, BATCH_SIZE, LEASE).await?;
    let handled = batch.len();
    let send_until = now + LEASE - SEND_MARGIN;
    let delivered = tokio::sync::Mutex::new(Vec::with_capacity(MARK_EVERY));
    futures::stream::iter(batch)
        .for_each_concurrent(mailer.per_loop, |email| {
            let delivered = &delivered;
            async move {
                if stopping.now() || OffsetDateTime::now_utc() > send_until {
                    // Shutting down, or too little lease left to be sure no
                    // other worker takes it.
                    if let Err(error) = outbox::release(&state.pool, email.id).await {
                        tracing::error!(email_id = %email.id, error = %error, "could not release an email");
                    }
                    return;
                }
                match deliver(state, mailer, &email).await {
                    Ok(true) => {
                        let mut pending = delivered.lock().await;
                        pending.push(email.id.0);
                        if pending.len() >= MARK_EVERY {
                            let ids = std::mem::take(&mut *pending);
                            // Held while marking, so marks commit in order.
                            mark_delivered(state, &ids).await;
                        }
                    }
                    Ok(false) => {}
                    Err(error) => tracing::error!(email_id = %email.id, error = %error, "could not record an email's outcome"),
                }
            }
        })
        .await;
    let rest = delivered.into_inner();
    if !rest.is_empty() {
        mark_delivered(state, &rest).await;
    }
    Ok(handled)
}

async fn mark_delivered(state: &AppState, ids: &[uuid::Uuid]) {
    if let Err(error) = outbox::mark_many_sent(&state.pool, ids, OffsetDateTime::now_utc()).await {
        // They stay leased and are sent again when the lease runs out.
        tracing::error!(count = ids.len(), error = %error, "could not mark delivered emails as sent");
    }
}

/// Sends one leased email and records any outcome but delivery. Returns
/// true when the SMTP server accepted it (the caller marks it sent).
async fn deliver(state: &AppState, mailer: &Mailer, email: &LeasedEmail) -> anyhow::Result<bool> {
    let pool = &state.pool;
    let rendered = match prepare(state, email) {
        Ok(Prepared::Send(rendered)) => rendered,
        Ok(Prepared::Cancel(reason)) => {
            outbox::mark_final(pool, email.id, EmailState::Cancelled, reason).await?;
            return Ok(false);
        }
        Err(error) => {
            outbox::mark_final(pool, email.id, EmailState::Failed, &format!("could not be prepared: {error}")).await?;
            return Ok(false);
        }
    };
    match mailer.send(&email.id.to_string(), &email.recipient, &rendered).await {
        Ok(()) => return Ok(true),
        Err(SendError::Permanent(error)) => outbox::mark_final(pool, email.id, EmailState::Failed, &error).await?,
        Err(SendError::Transient(error)) if email.attempts >= MAX_ATTEMPTS => {
            outbox::mark_final(pool, email.id, EmailState::Failed, &format!("gave up after {MAX_ATTEMPTS} attempts: {error}")).await?
        }
        Err(SendError::Transient(error)) => {
            tracing::warn!(email_id = %email.id, attempts = email.attempts, error = %error, "email not delivered; will retry");
            outbox::mark_retry(pool, email.id, &error, OffsetDateTime::now_utc() + backoff(email.attempts)).await?
        }
    }
    Ok(false)
}

/// Runs the outbox worker until `stopping`: busy while there is due mail,
/// polling once a second when there is none. Await the handles after
/// signalling a stop: they end once what was in flight is sent and marked,
/// so a graceful restart sends each email exactly once.
pub fn spawn_outbox_worker(state: AppState, mailer: Mailer, stopping: Stopping) -> Vec<tokio::task::JoinHandle<()>> {
    (0..LOOPS).map(|_| spawn_dispatch_loop(state.clone(), mailer.clone(), stopping.clone())).collect()
}

fn spawn_dispatch_loop(state: AppState, mailer: Mailer, mut stopping: Stopping) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while !stopping.now() {
            let pause = match dispatch_due_unless_stopping(&state, &mailer, OffsetDateTime::now_utc(), &stopping).await {
                Ok(0) => StdDuration::from_secs(1),
                Ok(_) => StdDuration::ZERO,
                Err(error) => {
                    tracing::error!(error = %error, "outbox worker: could not lease email; retrying in 5 s");
                    StdDuration::from_secs(5)
                }
            };
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                () = stopping.wait() => {}
            }
        }
        tracing::info!("outbox worker: stopped, with what it had in flight sent and marked");
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_to_an_hour() {
        assert_eq!(backoff(1), Duration::seconds(30));
        assert_eq!(backoff(2), Duration::seconds(60));
        assert_eq!(backoff(5), Duration::seconds(480));
        assert_eq!(backoff(8), Duration::hours(1));
    }
}
