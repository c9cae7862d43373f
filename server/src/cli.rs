//! The `embark` command: serve (the default), create an admin, migrate.

use crate::config::Config;
use crate::startup;
use anyhow::Context as _;
use app::domain::{EmailAddress, OrganizationName, Password, PersonName};
use app::server::services::setup::{self, NewAdmin};
use clap::{Parser, Subcommand};
use std::io::Read as _;

#[derive(Debug, Parser)]
#[command(name = "embark", version, about = "Embark: the employee account lifecycle, self-hosted.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web app (the default).
    Serve,
    /// Create an administrator who can sign in at once. The password is read
    /// from EMBARK_ADMIN_PASSWORD, or else from standard input.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Names the organisation too, if it has no name yet.
        #[arg(long)]
        organization: Option<String>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Load a sample company (about 200 people, some invited, some claimed)
    /// into an empty Embark, to try it out.
    Demo,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::from_env()?;
    crate::telemetry::init(config.log_json);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            startup::connect_and_migrate(config.database_url(), config.database_connections).await?;
            println!("The database schema is up to date.");
            Ok(())
        }
        Command::CreateAdmin { email, name, organization } => create_admin(config, &email, &name, organization.as_deref()).await,
        Command::Demo => load_demo(config).await,
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let pool = startup::connect_and_migrate(config.database_url(), config.database_connections).await?;
    let (state, setup_secret) = startup::build_state(pool.clone(), &config).await?;
    let leptos_options = leptos::config::get_configuration(None).context("could not read the Leptos site configuration")?.leptos_options;
    let listener = tokio::net::TcpListener::bind(config.listen).await.with_context(|| format!("could not listen on {}", config.listen))?;
    startup::spawn_housekeeping(pool.clone());
    startup::spawn_directory_sync(state.clone());
    app::server::services::search_index::spawn_worker(pool);
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let outbox_workers = match state.mailer.clone() {
        Some(mailer) => app::server::mail::spawn_outbox_worker(state.clone(), mailer, app::server::mail::Stopping::new(stopping.clone())),
        None => {
            tracing::warn!("SMTP is not configured (EMBARK_SMTP_URL): invitations wait in the outbox until it is");
            Vec::new()
        }
    };
    tracing::info!(address = %config.listen, public_url = %config.public_url, "Embark is serving");
    if let Some(secret) = setup_secret {
        // SECURITY: the one-time setup secret goes to the operator's console
        // by design; it is useless once the first administrator exists and a
        // restart replaces it.
        println!("\nNo administrator exists yet. Open this one-time link to set up Embark:\n\n    {}/setup/{secret}\n", config.public_url);
    }
    tokio::spawn(async move {
        startup::shutdown_signal().await;
        let _ = stop.send(true);
    });
    let mut http_stopping = stopping.clone();
    let served = startup::serve(listener, startup::router(state, leptos_options), async move {
        let _ = http_stopping.wait_for(|stopping| *stopping).await;
    })
    .await;
    // Mail in flight is finished and marked before the process ends.
    for worker in outbox_workers {
        let _ = worker.await;
    }
    served
}

async fn create_admin(config: Config, email: &str, name: &str, organization: Option<&str>) -> anyhow::Result<()> {
    let password = match std::env::var("EMBARK_ADMIN_PASSWORD") {
        Ok(password) => password,
        Err(_) => {
            let mut input = String::new();
            std::io::stdin().read_to_string(&mut input).context("could not read the password from standard input")?;
            input.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    let email = EmailAddress::parse(email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
    let full_name = PersonName::parse(name).map_err(|e| anyhow::anyhow!("--name: {e}"))?;
    let organization = organization.map(OrganizationName::parse).transpose().map_err(|e| anyhow::anyhow!("--organization: {e}"))?;
    let password = Password::parse(&password, &[full_name.as_ref(), email.as_ref()]).map_err(|p| anyhow::anyhow!("password: {}", p.message()))?;

    let pool = startup::connect_and_migrate(config.database_url(), config.database_connections).await?;
    let (state, _) = startup::build_state(pool, &config).await?;
    let admin = NewAdmin { full_name, email, password };
    let id = setup::create_admin(&state, &admin, organization.as_ref(), time::OffsetDateTime::now_utc())
        .await
        .map_err(|e| anyhow::anyhow!("could not create the administrator: {e}"))?;
    println!("Created administrator {} ({}). They can sign in now.", admin.email, id);
    Ok(())
}

async fn load_demo(config: Config) -> anyhow::Result<()> {
    let pool = startup::connect_and_migrate(config.database_url(), config.database_connections).await?;
    let (state, _) = startup::build_state(pool, &config).await?;
    let company = app::server::services::demo::load(&state, time::OffsetDateTime::now_utc())
        .await
        .map_err(|e| anyhow::anyhow!("could not load the demo company: {e}"))?;
    println!(
        "Loaded a demo company: {} people ({} claimed, {} invited, {} not yet invited). Demo people sign in with the password \"embark demo password\".",
        company.people, company.claimed, company.invited, company.uninvited
    );
    Ok(())
}
