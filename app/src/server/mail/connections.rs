//! SMTP connections opened with `TCP_NODELAY`, kept open and reused by
//! Embark.
//!
//! Why not lettre's own pool: lettre writes a message's body and its closing
//! `.` in two writes, and its pool opens sockets with Nagle's algorithm on,
//! so the closing `.` waits for the server to acknowledge the body. Servers
//! delay that acknowledgement (~40 ms on Linux), so every message took
//! ~45 ms and a pool of 32 connections sent ~700 messages/s however idle the
//! machine was. lettre's connection type accepts a socket we open, so we open
//! it with `TCP_NODELAY` and keep the rest of the protocol (EHLO, STARTTLS,
//! AUTH, DATA) in lettre.
//!
//! Used for `smtp://` URLs (plain or STARTTLS). `smtps://` (TLS from the
//! first byte) stays on lettre's pool.

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, Semaphore};

/// An idle connection unused this long is asked whether it is still open
/// (NOOP) before it carries a message: servers close idle connections (many
/// after 30 s, with a 421 in reply to the next command), and that message
/// would otherwise wait for its retry. Busy connections are never asked.
const IDLE_CHECK_AFTER: Duration = Duration::from_secs(5);

/// How to reach and greet the SMTP server.
struct Target {
    host: String,
    port: u16,
    /// STARTTLS parameters, and whether the server must offer it.
    starttls: Option<(TlsParameters, bool)>,
    credentials: Option<Credentials>,
    hello: ClientId,
}

/// At most `size` connections, each used by one send at a time.
pub struct NoDelayPool {
    target: Target,
    /// Open connections not in use, each with when it was last used.
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
    slots: Semaphore,
    timeout: Duration,
}

impl NoDelayPool {
    /// The pool for an `smtp://` URL, read the way lettre reads it
    /// (`?tls=required|opportunistic`, credentials, a path as EHLO name);
    /// None for other schemes.
    pub fn for_url(url: &str, size: usize, timeout: Duration) -> anyhow::Result<Option<Self>> {
        let url = url::Url::parse(url)?;
        if url.scheme() != "smtp" {
            return Ok(None);
        }
        let host = url.host_str().ok_or_else(|| anyhow::anyhow!("the SMTP URL names no host"))?.to_owned();
        let tls = url.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.into_owned());
        let (starttls, default_port) = match tls.as_deref() {
            None => (None, 25),
            Some("required") => (Some((TlsParameters::new(host.clone())?, true)), 587),
            Some("opportunistic") => (Some((TlsParameters::new(host.clone())?, false)), 587),
            Some(other) => anyhow::bail!("tls={other} is not known: use required or opportunistic"),
        };
        let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8().map(|s| s.into_owned());
        let credentials = match url.password() {
            Some(password) => Some(Credentials::new(decode(url.username())?, decode(password)?)),
            None => None,
        };
        let path = url.path().trim_matches('/');
        let hello = if path.is_empty() { ClientId::default() } else { ClientId::Domain(path.to_owned()) };
        let target = Target { port: url.port().unwrap_or(default_port), host, starttls, credentials, hello };
        Ok(Some(Self { target, idle: Mutex::new(Vec::with_capacity(size)), slots: Semaphore::new(size), timeout }))
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, PoolError> {
        let target = &self.target;
        let stream = tokio::net::TcpStream::connect((target.host.as_str(), target.port)).await.map_err(PoolError::Connect)?;
        stream.set_nodelay(true).map_err(PoolError::Connect)?;
        let mut connection = AsyncSmtpConnection::connect_with_transport(Box::new(stream), &target.hello).await?;
        if let Some((parameters, required)) = &target.starttls {
            if *required || connection.can_starttls() {
                connection.starttls(parameters.clone(), &target.hello).await?;
            }
        }
        if let Some(credentials) = &target.credentials {
            connection.auth(&[Mechanism::Plain, Mechanism::Login], credentials).await?;
        }
        Ok(connection)
    }

    /// Sends one message on an idle connection, or a new one. A connection
    /// that failed in any way is closed rather than reused.
    pub async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<(), PoolError> {
        let _slot = self.slots.acquire().await.map_err(|_| PoolError::Closed)?;
        let work = async {
            let mut connection = match self.reusable().await {
                Some(connection) => connection,
                None => self.connect().await?,
            };
            match connection.send(envelope, message).await {
                Ok(_) => {
                    self.idle.lock().await.push((connection, Instant::now()));
                    Ok(())
                }
                Err(error) => {
                    connection.abort().await;
                    Err(PoolError::Smtp(error))
                }
            }
        };
        tokio::time::timeout(self.timeout, work).await.map_err(|_| PoolError::TimedOut)?
    }

    /// An idle connection that is still open, if there is one. Connections
    /// idle for long are checked first; a closed one is dropped.
    async fn reusable(&self) -> Option<AsyncSmtpConnection> {
        loop {
            let (mut connection, last_used) = self.idle.lock().await.pop()?;
            if connection.has_broken() {
                continue;
            }
            if last_used.elapsed() < IDLE_CHECK_AFTER || connection.test_connected().await {
                return Some(connection);
            }
            connection.abort().await;
        }
    }

    /// True when a new connection can be opened and answers.
    pub async fn test_connection(&self) -> bool {
        let test = async {
            let mut connection = self.connect().await.ok()?;
            let ok = connection.test_connected().await;
            let _ = connection.quit().await;
            Some(ok)
        };
        tokio::time::timeout(self.timeout, test).await.ok().flatten().unwrap_or(false)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("could not connect to the SMTP server: {0}")]
    Connect(std::io::Error),
    #[error(transparent)]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("the SMTP server did not answer in time")]
    TimedOut,
    #[error("the mailer is shutting down")]
    Closed,
}

impl PoolError {
    /// Trying again will not help (the server refused this message for good).
    pub fn is_permanent(&self) -> bool {
        matches!(self, Self::Smtp(error) if error.is_permanent())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str) -> Option<Target> {
        NoDelayPool::for_url(url, 2, Duration::from_secs(1)).unwrap().map(|pool| pool.target)
    }

    #[test]
    fn smtp_urls_are_read_as_lettre_reads_them() {
        let plain = target("smtp://127.0.0.1:2525").unwrap();
        assert_eq!((plain.host.as_str(), plain.port, plain.starttls.is_none(), plain.credentials.is_none()), ("127.0.0.1", 2525, true, true));
        let submission = target("smtp://user%40corp:p%3Ass@mail.example.com?tls=required").unwrap();
        assert_eq!(submission.port, 587);
        assert!(matches!(submission.starttls, Some((_, true))));
        assert!(submission.credentials.is_some());
        assert_eq!(target("smtp://mail.example.com").unwrap().port, 25);
        assert!(target("smtps://mail.example.com").is_none(), "implicit TLS stays with lettre's pool");
        assert!(NoDelayPool::for_url("smtp://mail.example.com?tls=sometimes", 2, Duration::from_secs(1)).is_err());
    }
}
