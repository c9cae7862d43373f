//! Reliability: the real `embark` binary, stopped while it is sending
//! thousands of invitations (killed with SIGKILL, or asked to stop with
//! SIGTERM as an ordinary restart does), then started again.

use crate::counting_smtp::CountingSmtp;
use app::domain::Actor;
use app::server::services::lifecycle::{self, Invitation, InviteScope};
use sqlx::PgPool;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

const PEOPLE: usize = 3_000;
const SECRET_KEY: &str = "test-secret-key-test-secret-key-test-secret-key-";

/// The URL of this test's own database (sqlx::test made it on the server
/// DATABASE_URL names).
async fn database_url(pool: &PgPool) -> String {
    let name: String = sqlx::query_scalar("SELECT current_database()").fetch_one(pool).await.unwrap();
    let server = std::env::var("DATABASE_URL").expect("DATABASE_URL names the test PostgreSQL server");
    let base = server.rsplit_once('/').map_or(server.as_str(), |(base, _)| base);
    format!("{base}/{name}")
}

fn start_embark(database_url: &str, smtp_url: &str, log: &std::path::Path) -> Child {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let log = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
    Command::new(env!("CARGO_BIN_EXE_embark"))
        .arg("serve")
        .env("DATABASE_URL", database_url)
        .env("EMBARK_LISTEN", format!("127.0.0.1:{port}"))
        .env("EMBARK_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .env("EMBARK_SECRET_KEY", SECRET_KEY)
        .env("EMBARK_SMTP_URL", smtp_url)
        .env("EMBARK_MAIL_FROM", "Embark <embark@acme.test>")
        .env("LEPTOS_OUTPUT_NAME", "embark")
        .env("LEPTOS_SITE_ROOT", "target/site")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("the embark binary starts")
}

async fn unfinished(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM email_outbox WHERE state IN ('queued', 'sending')").fetch_one(pool).await.unwrap()
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn a_server_killed_while_sending_delivers_every_invitation_once_after_restart(pool: PgPool) {
    // 3,000 people, invited in one transaction by a server with the same key.
    sqlx::query(
        "INSERT INTO account (id, status, email, email_normalized, full_name, created_at, updated_at) \
         SELECT gen_random_uuid(), 'uninvited', 'crash' || i || '@example.com', 'crash' || i || '@example.com', 'Person ' || i, now(), now() \
         FROM generate_series(1, $1) AS i",
    )
    .bind(PEOPLE as i32)
    .execute(&pool)
    .await
    .unwrap();
    let mut state = crate::helpers::spawn_app(pool.clone()).await.state;
    state.sealer = app::server::crypto::SecretSealer::new(&secrecy::SecretString::from(SECRET_KEY));
    let invited =
        lifecycle::invite_many(&state, InviteScope::AllUninvited, &Invitation::default(), &Actor::system(), time::OffsetDateTime::now_utc()).await.unwrap();
    assert_eq!(invited, PEOPLE);

    let smtp = CountingSmtp::start().await;
    let url = database_url(&pool).await;
    let log = std::env::temp_dir().join(format!("embark-crash-{}.log", std::process::id()));
    let mut first = start_embark(&url, &smtp.url, &log);
    let started = Instant::now();
    // Mid-batch: a dispatch loop leases 400 emails at a time.
    while smtp.total() < PEOPLE / 3 + 77 {
        assert!(started.elapsed() < Duration::from_secs(120), "the first server sent only {} emails in 2 minutes", smtp.total());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.kill().unwrap(); // SIGKILL: no shutdown, no clean-up.
    first.wait().unwrap();
    let delivered_before_crash = smtp.total();
    assert!(delivered_before_crash < PEOPLE, "the crash came mid-dispatch");

    let mut second = start_embark(&url, &smtp.url, &log);
    let restarted = Instant::now();
    while unfinished(&pool).await > 0 {
        // Leased emails wait out their lease (30 s) before they are sent again.
        assert!(restarted.elapsed() < Duration::from_secs(180), "mail still unfinished 3 minutes after the restart");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    second.kill().unwrap();
    second.wait().unwrap();

    let by_recipient = smtp.by_recipient();
    assert_eq!(by_recipient.len(), PEOPLE, "every invited person received their email");
    let resent: usize = by_recipient.values().map(|n| n - 1).sum();
    // The bound: only emails the SMTP server had accepted but whose "sent"
    // mark had not committed can go out twice (see max_resent_after_crash).
    assert!(resent <= app::server::mail::max_resent_after_crash(app::server::mail::DEFAULT_CONNECTIONS), "{resent} emails were sent twice");
    assert_eq!(smtp.duplicated_message_ids().len(), resent, "a re-sent email carries its original Message-ID");
    let sent: i64 = sqlx::query_scalar("SELECT count(*) FROM email_outbox WHERE state = 'sent'").fetch_one(&pool).await.unwrap();
    assert_eq!(sent as usize, PEOPLE);
    eprintln!("crash test: {delivered_before_crash} delivered before SIGKILL, {resent} re-sent after restart");
}

/// 3,000 people invited (their emails queued), by a server with the test key.
async fn invite_everyone(pool: &PgPool, label: &str) {
    sqlx::query(
        "INSERT INTO account (id, status, email, email_normalized, full_name, created_at, updated_at) \
         SELECT gen_random_uuid(), 'uninvited', $2 || i || '@example.com', $2 || i || '@example.com', 'Person ' || i, now(), now() \
         FROM generate_series(1, $1) AS i",
    )
    .bind(PEOPLE as i32)
    .bind(label)
    .execute(pool)
    .await
    .unwrap();
    let mut state = crate::helpers::spawn_app(pool.clone()).await.state;
    state.sealer = app::server::crypto::SecretSealer::new(&secrecy::SecretString::from(SECRET_KEY));
    let invited =
        lifecycle::invite_many(&state, InviteScope::AllUninvited, &Invitation::default(), &Actor::system(), time::OffsetDateTime::now_utc()).await.unwrap();
    assert_eq!(invited, PEOPLE);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn a_server_restarted_gracefully_while_sending_delivers_every_invitation_exactly_once(pool: PgPool) {
    invite_everyone(&pool, "restart").await;
    let smtp = CountingSmtp::start().await;
    let url = database_url(&pool).await;
    let log = std::env::temp_dir().join(format!("embark-restart-{}.log", std::process::id()));
    let first = start_embark(&url, &smtp.url, &log);
    let started = Instant::now();
    while smtp.total() < PEOPLE / 3 + 77 {
        assert!(started.elapsed() < Duration::from_secs(120), "the first server sent only {} emails in 2 minutes", smtp.total());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // SIGTERM, as systemd, Docker and Kubernetes stop a process.
    let status = Command::new("kill").args(["-TERM", &first.id().to_string()]).status().unwrap();
    assert!(status.success());
    // Waited for off the runtime: the counting SMTP server runs on it and
    // must keep answering while the server finishes what it has in flight.
    let exited = tokio::task::spawn_blocking(move || {
        let mut first = first;
        first.wait().unwrap()
    })
    .await
    .unwrap();
    assert!(exited.success(), "a graceful stop exits cleanly");
    let delivered_before_restart = smtp.total();
    assert!(delivered_before_restart < PEOPLE, "the stop came mid-dispatch");
    let leased: i64 = sqlx::query_scalar("SELECT count(*) FROM email_outbox WHERE state = 'sending'").fetch_one(&pool).await.unwrap();
    assert_eq!(leased, 0, "a graceful stop leaves no email leased");
    let marked: i64 = sqlx::query_scalar("SELECT count(*) FROM email_outbox WHERE state = 'sent'").fetch_one(&pool).await.unwrap();
    assert_eq!(marked as usize, delivered_before_restart, "everything the SMTP server accepted was marked sent before the exit");

    let mut second = start_embark(&url, &smtp.url, &log);
    let restarted = Instant::now();
    while unfinished(&pool).await > 0 {
        assert!(restarted.elapsed() < Duration::from_secs(180), "mail still unfinished 3 minutes after the restart");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    second.kill().unwrap();
    second.wait().unwrap();

    let by_recipient = smtp.by_recipient();
    assert_eq!(by_recipient.len(), PEOPLE, "every invited person received their email");
    let twice: Vec<&String> = by_recipient.iter().filter(|(_, n)| **n > 1).map(|(recipient, _)| recipient).collect();
    assert!(
        twice.is_empty(),
        "{} emails were sent twice (of {delivered_before_restart} before the stop), e.g. {:?}",
        twice.len(),
        twice.iter().take(3).collect::<Vec<_>>()
    );
    assert!(smtp.duplicated_message_ids().is_empty());
    eprintln!("restart test: {delivered_before_restart} delivered before SIGTERM, none re-sent after restart");
}
