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
    start_embark_behind(database_url, smtp_url, log, None).0
}

/// An `embark serve` process on a free port, and its address. With a public
/// URL, it is one of several servers behind that address.
fn start_embark_behind(database_url: &str, smtp_url: &str, log: &std::path::Path, public_url: Option<&str>) -> (Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let address = format!("http://127.0.0.1:{port}");
    let log = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_embark"))
        .arg("serve")
        .env("DATABASE_URL", database_url)
        .env("EMBARK_LISTEN", format!("127.0.0.1:{port}"))
        .env("EMBARK_PUBLIC_URL", public_url.unwrap_or(&address))
        .env("EMBARK_SECRET_KEY", SECRET_KEY)
        .env("EMBARK_SMTP_URL", smtp_url)
        .env("EMBARK_MAIL_FROM", "Embark <embark@acme.test>")
        .env("LEPTOS_OUTPUT_NAME", "embark")
        .env("LEPTOS_SITE_ROOT", "target/site")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("the embark binary starts");
    (child, address)
}

/// Waits until the server at `address` answers its health check.
async fn until_ready(address: &str) {
    let started = Instant::now();
    while !reqwest::get(format!("{address}/healthz")).await.is_ok_and(|r| r.status().is_success()) {
        assert!(started.elapsed() < Duration::from_secs(60), "{address} did not start within a minute");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Starts a server again and lets it send everything still unsent.
async fn drain_with_a_new_server(pool: &PgPool, url: &str, smtp: &CountingSmtp, log: &std::path::Path) {
    let mut server = start_embark(url, &smtp.url, log);
    until_outbox_drained(pool).await;
    server.kill().unwrap();
    server.wait().unwrap();
}

async fn until_outbox_drained(pool: &PgPool) {
    let started = Instant::now();
    while unfinished(pool).await > 0 {
        assert!(started.elapsed() < Duration::from_secs(180), "mail still unfinished after 3 minutes");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn unfinished(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM email_outbox WHERE state IN ('queued', 'sending')").fetch_one(pool).await.unwrap()
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn a_server_killed_while_sending_delivers_every_invitation_once_after_restart(pool: PgPool) {
    invite_everyone(&pool, "crash").await;

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

    // Leased emails wait out their lease (30 s) before they are sent again.
    drain_with_a_new_server(&pool, &url, &smtp, &log).await;

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

/// 3,000 people invited in one transaction (their emails queued), by a
/// server with the same key as the binary's.
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

    drain_with_a_new_server(&pool, &url, &smtp, &log).await;

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

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn two_servers_on_one_database_send_each_email_once_share_claims_and_count_attempts_together(pool: PgPool) {
    use reqwest::header::{ACCEPT, ORIGIN};
    const PUBLIC: &str = "http://embark.example.test";
    invite_everyone(&pool, "pair").await;
    // A colleague still to claim, and an admin whose password gets guessed.
    let mut state = crate::helpers::spawn_app(pool.clone()).await.state;
    state.sealer = app::server::crypto::SecretSealer::new(&secrecy::SecretString::from(SECRET_KEY));
    let person =
        lifecycle::NewPerson::employee(app::domain::PersonName::parse("Grace Hopper").unwrap(), app::domain::EmailAddress::parse("grace@example.com").unwrap());
    let (grace, link) = lifecycle::create(&state, &person, Some(&Invitation::default()), &Actor::system(), time::OffsetDateTime::now_utc()).await.unwrap();
    let secret = secrecy::ExposeSecret::expose_secret(&link.unwrap().secret).to_owned();
    let admin = app::server::services::setup::NewAdmin {
        full_name: app::domain::PersonName::parse("Ada Admin").unwrap(),
        email: app::domain::EmailAddress::parse("ada@example.com").unwrap(),
        password: app::domain::Password::parse(crate::helpers::PASSWORD, &[]).unwrap(),
    };
    app::server::services::setup::create_admin(&state, &admin, None, time::OffsetDateTime::now_utc()).await.unwrap();

    let smtp = CountingSmtp::start().await;
    let url = database_url(&pool).await;
    let log = std::env::temp_dir().join(format!("embark-pair-{}.log", std::process::id()));
    let (mut one, first) = start_embark_behind(&url, &smtp.url, &log, Some(PUBLIC));
    let (mut two, second) = start_embark_behind(&url, &smtp.url, &log, Some(PUBLIC));
    until_ready(&first).await;
    until_ready(&second).await;

    // A claim opened on one server completes on the other (no sticky sessions).
    let browser = crate::helpers::new_client();
    let opened = browser.get(format!("{first}/claim/{secret}")).send().await.unwrap();
    assert_eq!(crate::helpers::location(&opened), "/claim");
    let call = |server: &str, name: &str, form: &[(&str, &str)]| {
        browser.post(format!("{server}/api/{name}")).header(ORIGIN, PUBLIC).header(ACCEPT, "application/json").form(form).send()
    };
    let password = crate::helpers::PASSWORD;
    let profile =
        call(&second, "claim_profile", &[("full_name", "Grace Hopper"), ("title", ""), ("department", ""), ("location", ""), ("phone", "")]).await.unwrap();
    assert!(profile.status().is_success(), "{}", profile.text().await.unwrap());
    assert!(call(&first, "claim_password", &[("password", password), ("password_confirmation", password)]).await.unwrap().status().is_success());
    let finished = call(&second, "claim_finish", &[]).await.unwrap();
    assert!(finished.status().is_success(), "{}", finished.text().await.unwrap());
    let status: String = sqlx::query_scalar("SELECT status::text FROM account WHERE id = $1").bind(grace).fetch_one(&pool).await.unwrap();
    assert_eq!(status, "claimed");

    // Wrong passwords on both servers count against one limit.
    for attempt in 0..10 {
        let server = if attempt % 2 == 0 { &first } else { &second };
        let refused = crate::helpers::new_client()
            .post(format!("{server}/api/sign_in"))
            .header(ORIGIN, PUBLIC)
            .header(ACCEPT, "application/json")
            .form(&[("email", "ada@example.com"), ("password", "a wrong guess")])
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    }
    for server in [&first, &second] {
        let throttled = crate::helpers::new_client()
            .post(format!("{server}/api/sign_in"))
            .header(ORIGIN, PUBLIC)
            .header(ACCEPT, "application/json")
            .form(&[("email", "ada@example.com"), ("password", password)])
            .send()
            .await
            .unwrap();
        assert_eq!(throttled.status(), reqwest::StatusCode::TOO_MANY_REQUESTS, "{server} counts the other's failures");
    }

    // Both outbox workers drain one outbox: every email exactly once.
    until_outbox_drained(&pool).await;
    for server in [&mut one, &mut two] {
        server.kill().unwrap();
        server.wait().unwrap();
    }
    let by_recipient = smtp.by_recipient();
    // Grace's own invitation may have been withdrawn: she claimed quickly.
    assert_eq!(by_recipient.keys().filter(|to| to.starts_with("pair")).count(), PEOPLE, "every invited person received their email");
    assert!(by_recipient.values().all(|&n| n == 1), "no email went out twice across the two servers");
    assert!(smtp.duplicated_message_ids().is_empty());
}
