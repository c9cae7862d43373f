//! The outbox delivering to a real SMTP server (maildev).

use crate::helpers::{spawn_app, unique_address, SmtpSink};
use app::domain::Actor;
use app::domain::{AccountId, EmailAddress, PersonName};
use app::server::mail::{dispatch_due, Mailer, LEASE};
use app::server::services::lifecycle::{self, Invitation, NewPerson};
use app::server::AppState;
use secrecy::ExposeSecret;
use sqlx::PgPool;
use time::OffsetDateTime;

async fn invite(state: &AppState, email: &str, message: Option<&str>) -> (AccountId, String) {
    let person = NewPerson::employee(PersonName::parse("Grace Hopper").unwrap(), EmailAddress::parse(email).unwrap());
    let invitation = Invitation { personal_message: app::domain::PersonalMessage::parse(message.unwrap_or_default()).unwrap() };
    let (id, link) = lifecycle::create(state, &person, Some(&invitation), &Actor::system(), OffsetDateTime::now_utc()).await.unwrap();
    (id, link.unwrap().secret.expose_secret().to_owned())
}

async fn outbox_states(state: &AppState, id: AccountId) -> Vec<String> {
    sqlx::query_scalar("SELECT state::text FROM email_outbox WHERE account_id = $1 ORDER BY created_at, id").bind(id).fetch_all(&state.pool).await.unwrap()
}

fn mailer(smtp: &SmtpSink) -> Mailer {
    Mailer::new(&smtp.smtp_url, "Embark <embark@acme.test>", app::server::mail::DEFAULT_CONNECTIONS).unwrap()
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn an_invitation_reaches_the_smtp_server_once_with_a_working_link(pool: PgPool) {
    let app = spawn_app(pool).await;
    let smtp = SmtpSink::from_env();
    let address = unique_address("grace");
    let (id, secret) = invite(&app.state, &address, Some("Welcome aboard, Grace!")).await;

    dispatch_due(&app.state, &mailer(&smtp), OffsetDateTime::now_utc()).await.unwrap();
    dispatch_due(&app.state, &mailer(&smtp), OffsetDateTime::now_utc()).await.unwrap();

    let messages = smtp.messages_to(&address).await;
    assert_eq!(messages.len(), 1, "sent exactly once");
    let message = &messages[0];
    let link = format!("{}/claim/{secret}", app.address);
    assert!(message["text"].as_str().unwrap().contains(&link));
    assert!(message["html"].as_str().unwrap().contains(&format!("href=\"{link}\"")));
    assert!(message["text"].as_str().unwrap().starts_with("Welcome aboard, Grace!"));
    assert!(message["text"].as_str().unwrap().contains("Hi Grace,"));
    assert_eq!(outbox_states(&app.state, id).await, ["sent"]);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn a_resent_invitation_cancels_the_unsent_email_with_the_old_link(pool: PgPool) {
    let app = spawn_app(pool).await;
    let smtp = SmtpSink::from_env();
    let address = unique_address("resend");
    let (id, _) = invite(&app.state, &address, None).await;
    let newer = lifecycle::invite(&app.state, id, &Invitation::default(), &Actor::system(), OffsetDateTime::now_utc()).await.unwrap();

    dispatch_due(&app.state, &mailer(&smtp), OffsetDateTime::now_utc()).await.unwrap();

    let messages = smtp.messages_to(&address).await;
    assert_eq!(messages.len(), 1);
    assert!(messages[0]["text"].as_str().unwrap().contains(newer.secret.expose_secret()));
    assert_eq!(outbox_states(&app.state, id).await, ["cancelled", "sent"]);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn when_smtp_is_down_mail_waits_and_is_retried_with_backoff(pool: PgPool) {
    let app = spawn_app(pool).await;
    let address = unique_address("down");
    let (id, _) = invite(&app.state, &address, None).await;
    // Nothing listens on port 9 (discard) here.
    let unreachable = Mailer::new("smtp://127.0.0.1:9", "Embark <embark@acme.test>", 2).unwrap();
    let before = OffsetDateTime::now_utc();
    dispatch_due(&app.state, &unreachable, before).await.unwrap();

    let (state, attempts, error, next): (String, i32, Option<String>, OffsetDateTime) =
        sqlx::query_as("SELECT state::text, attempts, last_error, next_attempt_at FROM email_outbox WHERE account_id = $1")
            .bind(id)
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert_eq!(state, "queued");
    assert_eq!(attempts, 1);
    assert!(error.is_some());
    assert!(next >= before + time::Duration::seconds(29), "retried later, not at once");

    // Once the server is back and the retry is due, the mail goes out.
    let smtp = SmtpSink::from_env();
    dispatch_due(&app.state, &mailer(&smtp), next).await.unwrap();
    assert_eq!(smtp.messages_to(&address).await.len(), 1);
    assert_eq!(outbox_states(&app.state, id).await, ["sent"]);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn mail_leased_by_a_worker_that_died_is_sent_after_its_lease_runs_out(pool: PgPool) {
    let app = spawn_app(pool).await;
    let smtp = SmtpSink::from_env();
    let address = unique_address("crash");
    let (id, _) = invite(&app.state, &address, None).await;
    let now = OffsetDateTime::now_utc();
    // A worker leases the batch and dies before sending.
    let leased = app::server::db::outbox::lease_due(&app.state.pool, now, 10, LEASE).await.unwrap();
    assert_eq!(leased.len(), 1);

    // While the lease holds, nobody else takes it.
    assert_eq!(dispatch_due(&app.state, &mailer(&smtp), now).await.unwrap(), 0);
    // After it runs out, the next worker sends it.
    assert_eq!(dispatch_due(&app.state, &mailer(&smtp), now + LEASE + time::Duration::seconds(1)).await.unwrap(), 1);
    assert_eq!(smtp.messages_to(&address).await.len(), 1);
    assert_eq!(outbox_states(&app.state, id).await, ["sent"]);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn uninvited_and_deactivated_people_receive_no_mail(pool: PgPool) {
    let app = spawn_app(pool).await;
    let smtp = SmtpSink::from_env();
    let uninvited = unique_address("uninvited");
    let person = NewPerson::employee(PersonName::parse("Una Uninvited").unwrap(), EmailAddress::parse(&uninvited).unwrap());
    lifecycle::create(&app.state, &person, None, &Actor::system(), OffsetDateTime::now_utc()).await.unwrap();
    let gone = unique_address("gone");
    let (id, _) = invite(&app.state, &gone, None).await;
    lifecycle::deactivate(&app.state, id, &Actor::system(), OffsetDateTime::now_utc()).await.unwrap();

    dispatch_due(&app.state, &mailer(&smtp), OffsetDateTime::now_utc()).await.unwrap();
    assert!(smtp.messages_to(&uninvited).await.is_empty());
    assert!(smtp.messages_to(&gone).await.is_empty());
    assert_eq!(outbox_states(&app.state, id).await, ["cancelled"]);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn without_smtp_admins_see_queued_mail_and_can_hand_over_a_live_link(pool: PgPool) {
    use crate::helpers::{new_client, PASSWORD};
    use reqwest::StatusCode;
    let app = spawn_app(pool).await;
    app.create_admin("ada@example.com").await;
    app.sign_in(&app.client, "ada@example.com", PASSWORD).await;
    let (id, secret) = invite(&app.state, "grace@example.com", None).await;

    let page: serde_json::Value = app.call(&app.client, "admin_mail", &[("state", "queued")]).await.json().await.unwrap();
    assert_eq!(page["smtp_configured"], false);
    assert_eq!(page["items"][0]["recipient"], "grace@example.com");
    assert_eq!(page["items"][0]["what"], "Invitation for Grace Hopper");
    let email_id = page["items"][0]["id"].as_str().unwrap().to_owned();

    let link: String = app.call(&app.client, "admin_reveal_link", &[("id", &email_id)]).await.json().await.unwrap();
    assert_eq!(link, format!("{}/claim/{secret}", app.address));
    let viewed: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_event WHERE action = 'invitation.link_viewed' AND target_id = $1")
        .bind(id)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(viewed, 1);

    // Once replaced, the old email's link is not shown.
    lifecycle::invite(&app.state, id, &Invitation::default(), &Actor::system(), OffsetDateTime::now_utc()).await.unwrap();
    assert_eq!(app.call(&app.client, "admin_reveal_link", &[("id", &email_id)]).await.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let employee = new_client();
    app.create_claimed_employee("eve@example.com").await;
    app.sign_in(&employee, "eve@example.com", PASSWORD).await;
    assert_eq!(app.call(&employee, "admin_reveal_link", &[("id", &email_id)]).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.call(&employee, "admin_mail", &[]).await.status(), StatusCode::FORBIDDEN);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn mail_that_fails_its_last_attempt_is_marked_failed_and_never_retried(pool: PgPool) {
    let app = spawn_app(pool).await;
    let address = unique_address("last-try");
    let (id, _) = invite(&app.state, &address, None).await;
    // Seven attempts already failed; leasing makes this the eighth and last.
    sqlx::query("UPDATE email_outbox SET attempts = $2 - 1 WHERE account_id = $1")
        .bind(id)
        .bind(app::server::mail::MAX_ATTEMPTS)
        .execute(&app.state.pool)
        .await
        .unwrap();
    let unreachable = Mailer::new("smtp://127.0.0.1:9", "Embark <embark@acme.test>", 2).unwrap();
    dispatch_due(&app.state, &unreachable, OffsetDateTime::now_utc()).await.unwrap();
    let (state, error): (String, Option<String>) =
        sqlx::query_as("SELECT state::text, last_error FROM email_outbox WHERE account_id = $1").bind(id).fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(state, "failed");
    assert!(error.unwrap_or_default().contains("gave up after 8 attempts"));
    // Even much later, a failed email is not leased again.
    let smtp = SmtpSink::from_env();
    assert_eq!(dispatch_due(&app.state, &mailer(&smtp), OffsetDateTime::now_utc() + time::Duration::days(1)).await.unwrap(), 0);
    assert!(smtp.messages_to(&address).await.is_empty());
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn links_in_mail_come_from_the_public_url_never_from_the_request(pool: PgPool) {
    use reqwest::header::{ACCEPT, HOST, ORIGIN};
    const PUBLIC: &str = "http://embark.example.com";
    let app = crate::helpers::spawn_app_with(pool, |state| state.public_url = PUBLIC.to_owned()).await;
    app.create_admin("ada@example.com").await;
    let signed_in = app
        .client
        .post(app.url("/api/sign_in"))
        .header(ORIGIN, PUBLIC)
        .header(ACCEPT, "application/json")
        .form(&[("email", "ada@example.com"), ("password", crate::helpers::PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(signed_in.status().is_success());
    let address = unique_address("origin");
    // The request names another host, directly and as a proxy would.
    let added = app
        .client
        .post(app.url("/api/admin_add_person"))
        .header(ORIGIN, PUBLIC)
        .header(ACCEPT, "application/json")
        .header(HOST, "evil.example")
        .header("x-forwarded-host", "evil.example")
        .header("x-forwarded-proto", "https")
        .form(&[
            ("email", address.as_str()),
            ("full_name", "Grace Hopper"),
            ("title", ""),
            ("department", ""),
            ("location", ""),
            ("phone", ""),
            ("external_id", ""),
            ("manager_email", ""),
            ("personal_message", ""),
        ])
        .send()
        .await
        .unwrap();
    assert!(added.status().is_success(), "{}", added.text().await.unwrap());
    let smtp = SmtpSink::from_env();
    dispatch_due(&app.state, &mailer(&smtp), OffsetDateTime::now_utc()).await.unwrap();
    let messages = smtp.messages_to(&address).await;
    assert_eq!(messages.len(), 1);
    let text = messages[0]["text"].as_str().unwrap();
    assert!(text.contains(&format!("{PUBLIC}/claim/")), "{text}");
    assert!(!text.contains("evil.example") && !text.contains(&app.address), "{text}");
}
