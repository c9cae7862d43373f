//! Configuration from environment variables (optionally loaded from a file
//! first), validated at start-up with one clear message per problem.

use secrecy::{ExposeSecret, SecretString};
use std::net::SocketAddr;

/// Everything Embark needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: SecretString,
    /// Connections this server keeps to PostgreSQL at most
    /// (`EMBARK_DATABASE_CONNECTIONS`).
    pub database_connections: u32,
    /// Links in emails and the setup link are built from this, never from a
    /// request's headers.
    pub public_url: String,
    pub listen: SocketAddr,
    /// Seals claim secrets; not stored in the database.
    pub secret_key: SecretString,
    pub smtp: Option<SmtpConfig>,
    pub log_json: bool,
    /// Proxies whose `X-Forwarded-For` is believed (`EMBARK_TRUSTED_PROXIES`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Requests per second each SCIM integration may make (`EMBARK_SCIM_RATE`).
    pub scim_requests_per_second: u32,
}

/// `EMBARK_DATABASE_CONNECTIONS` when unset: enough to keep two cores and
/// their PostgreSQL busy; several servers on one database each open this many.
pub const DEFAULT_DATABASE_CONNECTIONS: u32 = 16;

/// `EMBARK_SCIM_RATE` when unset: an initial sync of 100,000 people takes
/// under ten minutes, and one runaway provider cannot take the server.
pub const DEFAULT_SCIM_RATE: u32 = 200;

#[derive(Debug, Clone)]
pub struct SmtpConfig {
    /// e.g. `smtp://user:pass@mail.example.com:587?tls=required`
    pub url: SecretString,
    pub from: String,
    /// SMTP connections kept open and emails in flight at once.
    pub connections: usize,
}

/// Every problem found, one sentence each.
#[derive(Debug)]
pub struct ConfigErrors(pub Vec<String>);

impl std::fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "Embark cannot start; its configuration has {} problem(s):", self.0.len())?;
        for problem in &self.0 {
            writeln!(f, "  - {problem}")?;
        }
        write!(f, "See README.md, section Configuration.")
    }
}

impl std::error::Error for ConfigErrors {}

pub const MIN_SECRET_KEY_LEN: usize = 32;

impl Config {
    /// Reads the process environment, after loading `EMBARK_CONFIG_FILE`
    /// (KEY=value lines) when it is set; the environment wins over the file.
    pub fn from_env() -> Result<Self, ConfigErrors> {
        if let Ok(path) = std::env::var("EMBARK_CONFIG_FILE") {
            if let Err(e) = dotenvy::from_path(&path) {
                return Err(ConfigErrors(vec![format!("EMBARK_CONFIG_FILE={path} could not be read: {e}")]));
            }
        }
        Self::from_lookup(|key| std::env::var(key).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Builds a configuration from any key lookup (tests pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigErrors> {
        let mut problems = Vec::new();

        let database_url = get("DATABASE_URL");
        match database_url.as_deref() {
            None => problems.push("DATABASE_URL is not set: give the PostgreSQL connection URL, e.g. postgres://embark:secret@localhost/embark (the README's run command sets up a private database for you).".to_owned()),
            Some(url) if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) => {
                problems.push("DATABASE_URL must start with postgres:// or postgresql://.".to_owned())
            }
            Some(_) => {}
        }

        let database_connections = match get("EMBARK_DATABASE_CONNECTIONS").map(|raw| raw.trim().parse::<u32>()) {
            None => DEFAULT_DATABASE_CONNECTIONS,
            Some(Ok(n)) if (4..=500).contains(&n) => n,
            Some(_) => {
                problems.push(
                    "EMBARK_DATABASE_CONNECTIONS is how many connections this server keeps to PostgreSQL at most: a whole number from 4 to 500, \
                     and with several servers their sum must stay below PostgreSQL's max_connections."
                        .to_owned(),
                );
                DEFAULT_DATABASE_CONNECTIONS
            }
        };

        let listen_raw = get("EMBARK_LISTEN").unwrap_or_else(|| "127.0.0.1:3000".to_owned());
        let listen = match listen_raw.parse::<SocketAddr>() {
            Ok(addr) => Some(addr),
            Err(_) => {
                problems.push(format!("EMBARK_LISTEN={listen_raw} is not an address and port like 127.0.0.1:3000 or 0.0.0.0:8080."));
                None
            }
        };

        let public_url = match (get("EMBARK_PUBLIC_URL"), listen) {
            (Some(raw), _) => match parse_public_url(&raw) {
                Ok(url) => Some(url),
                Err(problem) => {
                    problems.push(problem);
                    None
                }
            },
            (None, Some(addr)) if addr.ip().is_loopback() => Some(format!("http://{addr}")),
            (None, Some(_)) => {
                problems.push("EMBARK_PUBLIC_URL is not set: give the address people use to reach Embark, e.g. https://embark.example.com. Links in emails are built from it.".to_owned());
                None
            }
            (None, None) => None,
        };

        let secret_key = get("EMBARK_SECRET_KEY");
        match secret_key.as_deref() {
            None => problems.push(format!(
                "EMBARK_SECRET_KEY is not set: give at least {MIN_SECRET_KEY_LEN} random characters (e.g. the output of `openssl rand -base64 48`). Keep it out of the database and its backups."
            )),
            Some(key) if key.chars().count() < MIN_SECRET_KEY_LEN => {
                problems.push(format!("EMBARK_SECRET_KEY is too short: use at least {MIN_SECRET_KEY_LEN} random characters."))
            }
            Some(_) => {}
        }

        let connections = match get("EMBARK_SMTP_CONNECTIONS").map(|raw| raw.trim().parse::<usize>()) {
            None => app::server::mail::DEFAULT_CONNECTIONS,
            Some(Ok(n)) if (2..=256).contains(&n) => n,
            Some(_) => {
                problems.push("EMBARK_SMTP_CONNECTIONS must be a whole number from 2 to 256.".to_owned());
                app::server::mail::DEFAULT_CONNECTIONS
            }
        };
        let smtp = match (get("EMBARK_SMTP_URL"), get("EMBARK_MAIL_FROM")) {
            (None, None) => None,
            (Some(url), Some(from)) => {
                if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                    problems.push("EMBARK_SMTP_URL must start with smtp:// or smtps://.".to_owned());
                }
                if from.contains(['\r', '\n']) || !from.contains('@') {
                    problems.push("EMBARK_MAIL_FROM must be one sender address, like \"Embark <embark@example.com>\".".to_owned());
                }
                Some(SmtpConfig { url: SecretString::from(url), from, connections })
            }
            (Some(_), None) => {
                problems.push("EMBARK_MAIL_FROM is not set: with EMBARK_SMTP_URL, give the sender address, like \"Embark <embark@example.com>\".".to_owned());
                None
            }
            (None, Some(_)) => {
                problems.push("EMBARK_SMTP_URL is not set: with EMBARK_MAIL_FROM, give the SMTP server, like smtp://mail.example.com:587.".to_owned());
                None
            }
        };

        let log_json = match get("EMBARK_LOG_FORMAT").as_deref() {
            None | Some("pretty") => false,
            Some("json") => true,
            Some(other) => {
                problems.push(format!("EMBARK_LOG_FORMAT={other} is not known: use json or pretty."));
                false
            }
        };

        let trusted_proxies = match get("EMBARK_TRUSTED_PROXIES").map(|raw| app::server::client::parse_trusted(&raw)) {
            None => Vec::new(),
            Some(Ok(proxies)) => proxies,
            Some(Err(item)) => {
                problems.push(format!(
                    "EMBARK_TRUSTED_PROXIES names {item}, which is not an IP address or network: list your load balancers like 10.0.0.5, 10.1.0.0/16."
                ));
                Vec::new()
            }
        };

        let scim_requests_per_second = match get("EMBARK_SCIM_RATE").map(|raw| raw.trim().parse::<u32>()) {
            None => DEFAULT_SCIM_RATE,
            Some(Ok(rate)) if (1..=100_000).contains(&rate) => rate,
            Some(_) => {
                problems.push("EMBARK_SCIM_RATE is the requests per second each SCIM integration may make: a whole number from 1 to 100000.".to_owned());
                DEFAULT_SCIM_RATE
            }
        };

        match (problems.is_empty(), database_url, public_url, listen, secret_key) {
            (true, Some(database_url), Some(public_url), Some(listen), Some(secret_key)) => Ok(Self {
                database_url: SecretString::from(database_url),
                database_connections,
                public_url,
                listen,
                secret_key: SecretString::from(secret_key),
                smtp,
                log_json,
                trusted_proxies,
                scim_requests_per_second,
            }),
            _ => Err(ConfigErrors(problems)),
        }
    }

    pub fn database_url(&self) -> &str {
        self.database_url.expose_secret()
    }
}

/// An http(s) origin with an optional path, kept without a trailing slash.
fn parse_public_url(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim().trim_end_matches('/');
    let Some(rest) = trimmed.strip_prefix("https://").or_else(|| trimmed.strip_prefix("http://")) else {
        return Err(format!("EMBARK_PUBLIC_URL={raw} must start with https:// (or http:// for local use)."));
    };
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || trimmed.contains(['?', '#', ' ']) {
        return Err(format!("EMBARK_PUBLIC_URL={raw} must be a plain address like https://embark.example.com, without query or fragment."));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |key| map.get(key).cloned()
    }

    const KEY: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn a_minimal_local_configuration_is_accepted() {
        let config = Config::from_lookup(lookup(&[("DATABASE_URL", "postgres://localhost/embark"), ("EMBARK_SECRET_KEY", KEY)])).unwrap();
        assert_eq!(config.public_url, "http://127.0.0.1:3000");
        assert!(config.smtp.is_none());
        assert_eq!(config.database_connections, DEFAULT_DATABASE_CONNECTIONS);
    }

    #[test]
    fn the_database_connections_are_a_bounded_whole_number() {
        let with =
            |n: &str| Config::from_lookup(lookup(&[("DATABASE_URL", "postgres://db/embark"), ("EMBARK_SECRET_KEY", KEY), ("EMBARK_DATABASE_CONNECTIONS", n)]));
        assert_eq!(with(" 8 ").unwrap().database_connections, 8);
        for refused in ["0", "3", "501", "many", "-4"] {
            assert!(with(refused).unwrap_err().to_string().contains("EMBARK_DATABASE_CONNECTIONS is how many connections"), "{refused}");
        }
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let errors = Config::from_lookup(lookup(&[("EMBARK_LISTEN", "nowhere"), ("EMBARK_SECRET_KEY", "short"), ("EMBARK_SMTP_URL", "smtp://x")])).unwrap_err();
        let text = errors.to_string();
        assert!(text.contains("DATABASE_URL is not set"), "{text}");
        assert!(text.contains("EMBARK_LISTEN=nowhere"), "{text}");
        assert!(text.contains("EMBARK_SECRET_KEY is too short"), "{text}");
        assert!(text.contains("EMBARK_MAIL_FROM is not set"), "{text}");
        assert_eq!(errors.0.len(), 4);
    }

    #[test]
    fn a_public_address_is_required_off_loopback_and_normalised() {
        let base = [("DATABASE_URL", "postgres://db/embark"), ("EMBARK_SECRET_KEY", KEY), ("EMBARK_LISTEN", "0.0.0.0:8080")];
        assert!(Config::from_lookup(lookup(&base)).unwrap_err().to_string().contains("EMBARK_PUBLIC_URL is not set"));
        let mut with_url = base.to_vec();
        with_url.push(("EMBARK_PUBLIC_URL", "https://embark.example.com/"));
        assert_eq!(Config::from_lookup(lookup(&with_url)).unwrap().public_url, "https://embark.example.com");
        with_url.pop();
        with_url.push(("EMBARK_PUBLIC_URL", "embark.example.com"));
        assert!(Config::from_lookup(lookup(&with_url)).is_err());
    }
}
