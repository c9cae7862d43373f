//! Wiring: database, state, router, and serving with graceful shutdown.

use crate::config::Config;
use crate::session_store::HashedIdStore;
use crate::{access_codes, bulk, exports, limits, middleware, routes, scim, sso};
use app::server::crypto::{PasswordHasher, SecretSealer};
use app::server::services::setup::SetupGate;
use app::server::{AppState, SharedState};
use app::{shell, App};
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use std::str::FromStr;
use std::time::Duration;
use tower::util::MapRequestLayer;
use tower::ServiceBuilder;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutBody, TimeoutLayer};
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// Connects to PostgreSQL with a pool of at most `connections`, creating the
/// database when it does not exist yet, and brings the schema up to date.
pub async fn connect_and_migrate(database_url: &str, connections: u32) -> anyhow::Result<PgPool> {
    use sqlx::migrate::MigrateDatabase as _;
    if !sqlx::Postgres::database_exists(database_url).await.unwrap_or(true) {
        sqlx::Postgres::create_database(database_url).await.map_err(|e| anyhow::anyhow!("could not create the database named in DATABASE_URL: {e}"))?;
    }
    let options = sqlx::postgres::PgConnectOptions::from_str(database_url)
        .map_err(|e| anyhow::anyhow!("DATABASE_URL is not a PostgreSQL URL: {e}"))?
        // Embark's statements are short, or bulk ones that run once: compiling
        // them (JIT) costs more than it saves. Classifying a 100,000-row
        // re-import spent 0.7 s of its 2.6 s compiling.
        .options([("jit", "off")]);
    let pool = PgPoolOptions::new()
        .max_connections(connections)
        .acquire_timeout(Duration::from_secs(5))
        // sqlx would ping each connection as it leaves the pool: a second
        // round trip for every query (a quarter of a page's server time,
        // measured). A connection that has died fails its query, and the
        // pool then drops it; idle ones are closed after 10 minutes.
        .test_before_acquire(false)
        .connect_with(options)
        .await
        .map_err(|e| anyhow::anyhow!("could not connect to PostgreSQL at DATABASE_URL: {e}"))?;
    MIGRATOR.run(&pool).await.map_err(|error| match error {
        // Before its first release, Embark's migrations were squashed into
        // one baseline: a database made by an earlier build cannot be
        // brought up to date, and saying so beats "migration … missing".
        sqlx::migrate::MigrateError::VersionMissing(version) if version < 20261128000001 => anyhow::anyhow!(
            "the database named in DATABASE_URL was set up by a pre-release build of Embark, whose schema this version cannot upgrade \
             (it has migration {version}, replaced by the baseline of 2026-11-28). Point DATABASE_URL at a new database, or drop this one \
             (for the scripts' private cluster: stop it and delete .data/postgres) and start again"
        ),
        other => anyhow::anyhow!("could not apply database migrations: {other}"),
    })?;
    Ok(pool)
}

/// The state every handler shares, and the first-run setup secret when no
/// administrator exists yet.
pub async fn build_state(pool: PgPool, config: &Config) -> anyhow::Result<(AppState, Option<String>)> {
    let (setup, secret) = SetupGate::generate();
    let mailer = match &config.smtp {
        Some(smtp) => Some(app::server::mail::Mailer::new(secrecy::ExposeSecret::expose_secret(&smtp.url), &smtp.from, smtp.connections)?),
        None => None,
    };
    let state = AppState::new(SharedState {
        pool,
        hasher: PasswordHasher::new(),
        sealer: SecretSealer::new(&config.secret_key),
        sso_sealer: SecretSealer::for_sso_client_secret(&config.secret_key),
        directory_sealer: SecretSealer::for_directory_bind_password(&config.secret_key),
        sign_in_page: Default::default(),
        oidc: app::server::oidc::OidcClient::new(),
        public_url: config.public_url.clone(),
        setup,
        mailer,
        trusted_proxies: config.trusted_proxies.clone().into(),
        scim_requests_per_second: config.scim_requests_per_second,
    });
    let needs_setup = !app::server::services::setup::admin_exists(&state).await?;
    Ok((state, needs_setup.then_some(secret)))
}

/// How long a request may take before it is answered 408, by class.
const PAGE_TIMEOUT: Duration = Duration::from_secs(30);
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(600);
const PICTURE_TIMEOUT: Duration = Duration::from_secs(120);
/// Requests handled at once, by class; beyond, 503 at once (nothing queues
/// without bound). Spreadsheet uploads hold up to 50 MB each while parsed.
const PAGES_IN_FLIGHT: usize = 512;
const UPLOADS_IN_FLIGHT: usize = 4;
const PICTURES_IN_FLIGHT: usize = 16;

/// The whole HTTP application.
pub fn router(state: AppState, leptos_options: LeptosOptions) -> Router {
    let routes = generate_route_list(App);
    let https = state.public_url.starts_with("https://");
    // SECURITY: SameSite=Lax, not Strict, so the session survives the
    // redirect back from an identity provider; the `__Host-` prefix pins the
    // cookie to this exact origin when served over https.
    let sessions = SessionManagerLayer::new(HashedIdStore::new(PostgresStore::new(state.pool.clone())))
        .with_name(if https { "__Host-embark_session" } else { "embark_session" })
        .with_secure(https)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(app::server::session::IDLE_TIMEOUT));

    let context = {
        let state = state.clone();
        move || provide_context(state.clone())
    };
    let server_fns = {
        let context = context.clone();
        move |req: axum::extract::Request| leptos_axum::handle_server_fns_with_context(context.clone(), req)
    };

    // Each group's middleware goes on in one `layer` call (tower's
    // `ServiceBuilder`, outermost first): axum wraps every route of a router
    // in a boxed service per `layer` call, and several of these layers clone
    // what they wrap on every request, so a tall stack of boxes was cloned
    // over and over (about 14% of the claim page's instructions, callgrind).
    // Spreadsheets: large bodies, long parses, few at once.
    let upload_limits = ServiceBuilder::new()
        .layer(RequestBodyTimeoutLayer::new(UPLOAD_TIMEOUT))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, UPLOAD_TIMEOUT))
        .layer(limits::in_flight(UPLOADS_IN_FLIGHT))
        .layer(bulk::upload_limit());
    let uploads = Router::new()
        .route("/admin/import/upload", post(bulk::upload_import))
        .route("/admin/invitations/select", post(bulk::upload_selection))
        .layer(upload_limits);
    let picture_limits = ServiceBuilder::new()
        // 5 MB from a phone on a slow connection can take a minute.
        .layer(RequestBodyTimeoutLayer::new(PICTURE_TIMEOUT))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, PICTURE_TIMEOUT))
        .layer(limits::in_flight(PICTURES_IN_FLIGHT))
        .layer(picture_limit());
    let pictures = Router::new()
        .route("/claim/picture", post(routes::upload_claim_picture))
        .route("/profile/picture", post(routes::upload_profile_picture))
        .layer(picture_limits);
    let page_limits = ServiceBuilder::new()
        .layer(RequestBodyTimeoutLayer::new(PAGE_TIMEOUT))
        // Back to axum's body type, the one `from_fn` middleware takes.
        .layer(MapRequestLayer::new(|request: axum::http::Request<TimeoutBody<Body>>| request.map(Body::new)))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, PAGE_TIMEOUT))
        .layer(limits::in_flight(PAGES_IN_FLIGHT))
        .layer(axum::middleware::from_fn(limits::server_fn_body));
    let server_fn_routes = Router::new().route("/api/{*fn_name}", get(server_fns.clone()).post(server_fns));
    let pages = Router::new()
        .route("/healthz", get(routes::healthz))
        .route("/setup/{secret}", get(routes::open_setup_link))
        .route("/claim/{secret}", get(routes::open_claim_link))
        .route("/claim/picture", get(routes::claim_picture))
        .route("/sso/start", get(sso::start))
        .route("/sso/callback", get(sso::callback))
        .route("/people/{id}/picture", get(routes::person_picture))
        .route("/admin/access-codes/print", get(access_codes::print_sheet))
        .route("/admin/access-codes.csv", get(access_codes::download_csv))
        .route("/admin/people/export.csv", get(exports::people_csv))
        .route("/admin/audit.csv", get(exports::audit_csv))
        .route("/admin/import/template.csv", get(bulk::import_template_csv))
        .route("/admin/import/template.xlsx", get(bulk::import_template_xlsx))
        .route("/admin/import/{id}/problems.csv", get(bulk::import_problems))
        .route("/admin/invitations/template.csv", get(bulk::selection_template_csv))
        .merge(server_fn_routes)
        .leptos_routes_with_context(&leptos_options, routes, context, {
            let leptos_options = leptos_options.clone();
            move || shell(leptos_options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler(shell))
        .layer(page_limits);

    // What every browser request goes through, around the browser's whole
    // router: one service, not a stack per route.
    let browser = ServiceBuilder::new()
        .layer(axum::middleware::from_fn(limits::refusal_pages))
        .layer(axum::middleware::from_fn_with_state(middleware::AllowedOrigin::new(&state.public_url), middleware::csrf_guard))
        .layer(sessions)
        .layer(axum::Extension(state.clone()))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::resolve_viewer))
        .layer(axum::middleware::from_fn(middleware::page_access))
        .service(pages.merge(pictures).merge(uploads).with_state(leptos_options));

    // The SCIM API is a machine API: bearer tokens, no session, no CSRF
    // guard, JSON errors of its own. Everything else is the browser's.
    let app = scim::router(state.clone()).fallback_service(browser);
    // And what every request goes through, as a router (what `serve` and the
    // tests take) that sends everything to it.
    Router::new().fallback_service(
        ServiceBuilder::new()
            .layer(TraceLayer::new_for_http().make_span_with(middleware::request_span))
            .layer(tower_http::catch_panic::CatchPanicLayer::custom(routes::panic_response))
            .layer(axum::middleware::from_fn(middleware::security_headers))
            .layer(axum::middleware::from_fn_with_state(state.trusted_proxies.clone(), middleware::client_address))
            .service(app),
    )
}

/// Uploads may carry one picture and a little form overhead; the cap holds
/// while the body streams in.
fn picture_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(app::server::picture::MAX_UPLOAD_BYTES + 64 * 1024)
}

/// Serves until `shutdown` completes, then lets requests in flight finish.
pub async fn serve(listener: tokio::net::TcpListener, router: Router, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
    use axum::serve::ListenerExt;
    // A streamed page goes out in several writes; with Nagle's algorithm on,
    // the last one waits for the browser's delayed ACK, about 40 ms. Measured
    // on the People page: p95 49 ms before, see README "Benchmarks".
    let listener = listener.tap_io(|connection| {
        if let Err(error) = connection.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY on a connection");
        }
    });
    let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service).with_graceful_shutdown(shutdown).await?;
    Ok(())
}

/// Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests and mail in flight");
}

/// Now and then deletes expired sessions and failures older than every
/// throttling window.
pub fn spawn_housekeeping(pool: PgPool) {
    use tower_sessions::session_store::ExpiredDeletion;
    let store = PostgresStore::new(pool.clone());
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(600));
        loop {
            every.tick().await;
            if let Err(error) = store.delete_expired().await {
                tracing::warn!(%error, "could not delete expired sessions");
            }
            if let Err(error) = app::server::services::throttle::forget_old(&pool, time::OffsetDateTime::now_utc()).await {
                tracing::warn!(%error, "could not delete old throttling failures");
            }
        }
    });
}

/// Runs the directory's scheduled sync when it is due. Each server checks
/// every minute; the database decides which one runs it (see
/// `db::directory::claim_due_sync`). A sync cut short by a restart applied
/// nothing: its apply is one transaction.
pub fn spawn_directory_sync(state: app::server::AppState) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            match app::server::services::directory_sync::run_scheduled(&state, time::OffsetDateTime::now_utc()).await {
                Ok(Some(outcome)) => tracing::info!(%outcome, "scheduled directory sync"),
                Ok(None) => {}
                Err(error) => tracing::warn!(%error, "scheduled directory sync failed"),
            }
        }
    });
}
