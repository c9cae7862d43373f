use tracing_subscriber::{fmt, EnvFilter};

/// Structured logs to stdout; `RUST_LOG` picks what is logged.
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_sessions=warn"));
    let builder = fmt().with_env_filter(filter).with_target(false);
    // A second call (tests) keeps the first subscriber.
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}
