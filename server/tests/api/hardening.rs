//! Abuse and load: request limits, throttles, the session store, one lock
//! order, security headers (issue 12).

use crate::claim::invite;
use crate::helpers::{location, new_client, spawn_app, spawn_app_with, TestApp, PASSWORD};
use app::domain::Actor;
use app::server::services::lifecycle;
use reqwest::header::{ACCEPT, CONTENT_TYPE, ORIGIN, SET_COOKIE};
use reqwest::StatusCode;
use sqlx::PgPool;
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn sessions_stored(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM tower_sessions.session").fetch_one(&app.state.pool).await.unwrap()
}

async fn throttled_events(app: &TestApp) -> Vec<(String, String)> {
    sqlx::query_as("SELECT target_kind::text, details->>'limit' FROM audit_event WHERE action = 'security.throttled' ORDER BY id")
        .fetch_all(&app.state.pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn wrong_passwords_for_one_account_are_throttled_before_any_hash_and_audited(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_admin("ada@example.com").await;
    app.create_claimed_employee("eve@example.com").await;
    for attempt in 1..=10 {
        let response = app.call(&new_client(), "sign_in", &[("email", "ada@example.com"), ("password", "not the password")]).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "attempt {attempt} is an ordinary refusal");
    }
    // The limit is used up: even the right password is not looked at now.
    let throttled = app.call(&new_client(), "sign_in", &[("email", "ADA@example.com "), ("password", PASSWORD)]).await;
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    let message = throttled.text().await.unwrap();
    assert!(message.contains("Too many unsuccessful attempts to sign in") && message.contains("15 minutes"), "{message}");
    // Nobody else is locked out: another account from the same address signs in.
    let eve = app.call(&new_client(), "sign_in", &[("email", "eve@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(eve.status(), StatusCode::OK);
    assert_eq!(throttled_events(&app).await, vec![("account".to_owned(), "sign_in_account".to_owned())], "crossing the limit is audited once");
    // When the window has passed, the person signs in again.
    sqlx::query("UPDATE throttle_failure SET failed_at = failed_at - interval '16 minutes'").execute(&app.state.pool).await.unwrap();
    let later = app.call(&new_client(), "sign_in", &[("email", "ada@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(later.status(), StatusCode::OK);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn one_address_guessing_across_accounts_is_throttled(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_admin("ada@example.com").await;
    for attempt in 0..30 {
        let email = format!("guess{attempt}@example.com");
        let response = app.call(&new_client(), "sign_in", &[("email", email.as_str()), ("password", "guess")]).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let next = app.call(&new_client(), "sign_in", &[("email", "ada@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(next.status(), StatusCode::TOO_MANY_REQUESTS, "the address is throttled for every account");
    assert_eq!(throttled_events(&app).await, vec![("client_address".to_owned(), "sign_in_address".to_owned())]);
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM throttle_failure WHERE subject = sha256(convert_to('guess0@example.com', 'UTF8'))")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0, "what people type is stored only as a digest");
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn unknown_claim_links_store_no_session_and_are_throttled_per_address(pool: PgPool) {
    let app = spawn_app_with(pool, |state| state.trusted_proxies = app::server::client::parse_trusted("127.0.0.1").unwrap().into()).await;
    let open = |path: String, from: &'static str| new_client().get(app.url(&path)).header(ACCEPT, "text/html").header("x-forwarded-for", from).send();
    let before = sessions_stored(&app).await;
    for attempt in 0..20 {
        let response = open(format!("/claim/guessed-token-{attempt}"), "198.51.100.7").await.unwrap();
        assert_eq!(location(&response), "/claim?link=unknown");
        assert!(response.headers().get(SET_COOKIE).is_none(), "no session for a guessed token");
    }
    assert_eq!(sessions_stored(&app).await, before, "guessed tokens wrote no session rows");
    let (_, secret) = invite(&app, "grace@example.com").await;
    let throttled = open(format!("/claim/{secret}"), "198.51.100.7").await.unwrap();
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS, "the guessing address is refused even a real link");
    assert!(throttled.text().await.unwrap().contains("Too many unsuccessful attempts to open an invitation link"));
    // The failures count against that address alone, and only while they
    // are within the 15-minute window.
    let elsewhere = open(format!("/claim/{secret}"), "203.0.113.9").await.unwrap();
    assert_eq!(location(&elsewhere), "/claim", "the same link opens from another address");
    sqlx::query("UPDATE throttle_failure SET failed_at = failed_at - interval '16 minutes'").execute(&app.state.pool).await.unwrap();
    let later = open(format!("/claim/{secret}"), "198.51.100.7").await.unwrap();
    assert_eq!(location(&later), "/claim", "once the failures leave the window, the address opens it too");
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn the_session_table_holds_no_usable_session_id(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_admin("ada@example.com").await;
    let signed_in = app.sign_in(&app.client, "ada@example.com", PASSWORD).await;
    let cookie = app.session_cookie(&signed_in).expect("a session cookie");
    let id = cookie.trim_start_matches("embark_session=").to_owned();
    let stored: Vec<String> = sqlx::query_scalar("SELECT id FROM tower_sessions.session").fetch_all(&app.state.pool).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], id, "the table holds a digest of the id, not the id");
    let data: Vec<u8> = sqlx::query_scalar("SELECT data FROM tower_sessions.session").fetch_one(&app.state.pool).await.unwrap();
    assert!(!data.windows(id.len()).any(|window| window == id.as_bytes()), "nor the id inside the data");
    // What a copy of the database offers, used as a cookie, is no session.
    let bare = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let with_stored = bare.get(app.url("/admin")).header(reqwest::header::COOKIE, format!("embark_session={}", stored[0])).send().await.unwrap();
    assert_eq!(with_stored.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get("/admin").await.status(), StatusCode::OK, "the real cookie still works");
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn sessions_end_when_idle_too_long(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_admin("ada@example.com").await;
    app.sign_in(&app.client, "ada@example.com", PASSWORD).await;
    assert_eq!(app.get("/admin").await.status(), StatusCode::OK);
    // Eight hours without a request, as the store records it.
    sqlx::query("UPDATE tower_sessions.session SET expiry_date = now() - interval '1 second'").execute(&app.state.pool).await.unwrap();
    assert_eq!(app.get("/admin").await.status(), StatusCode::SEE_OTHER);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn over_https_the_cookie_is_secure_and_host_prefixed(pool: PgPool) {
    let app = spawn_app_with(pool, |state| state.public_url = "https://embark.example.com".to_owned()).await;
    app.create_admin("ada@example.com").await;
    let response = app
        .client
        .post(app.url("/api/sign_in"))
        .header(ORIGIN, "https://embark.example.com")
        .header(ACCEPT, "text/html")
        .form(&[("email", "ada@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let cookie = response.headers().get_all(SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).find(|v| v.contains("embark_session")).unwrap().to_owned();
    assert!(cookie.starts_with("__Host-embark_session="), "{cookie}");
    assert!(cookie.contains("Secure") && cookie.contains("HttpOnly") && cookie.contains("Path=/") && !cookie.contains("Domain"), "{cookie}");
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn an_oversized_server_function_body_gets_413_and_changes_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_admin("ada@example.com").await;
    let huge = "x".repeat(100 * 1024);
    let as_app = app.call(&app.client, "sign_in", &[("email", "ada@example.com"), ("password", &huge)]).await;
    assert_eq!(as_app.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(as_app.text().await.unwrap().contains("larger than Embark accepts"));
    let as_form = app
        .client
        .post(app.url("/api/sign_in"))
        .header(ORIGIN, &app.address)
        .header(ACCEPT, "text/html")
        .form(&[("email", "ada@example.com"), ("password", huge.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(as_form.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(as_form.text().await.unwrap().contains("Too much to send"));
    assert_eq!(app.get("/admin").await.status(), StatusCode::SEE_OTHER, "nobody was signed in");
    assert_eq!(sessions_stored(&app).await, 0);
}

/// Sends a chunked body of up to 64 MB to `path` on a raw connection and
/// returns the response's status line and how many body bytes were written
/// before it came. A server that stops reading at its cap answers while most
/// of the body was never sent.
async fn stream_until_answered(app: &TestApp, path: &str, content_type: &str) -> (String, usize) {
    stream_until_answered_with(app, path, content_type, "", "", 1024).await
}

/// [`stream_until_answered`] with extra header lines, a first chunk (a
/// multipart part's head), and a body of `chunks` × 64 KB.
async fn stream_until_answered_with(app: &TestApp, path: &str, content_type: &str, headers: &str, preamble: &str, chunks: usize) -> (String, usize) {
    let address = app.address.trim_start_matches("http://").to_owned();
    let stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nOrigin: {origin}\r\nAccept: text/html\r\nContent-Type: {content_type}\r\n{headers}Transfer-Encoding: chunked\r\n\r\n",
        origin = app.address
    );
    writer.write_all(head.as_bytes()).await.unwrap();
    if !preamble.is_empty() {
        writer.write_all(format!("{:x}\r\n{preamble}\r\n", preamble.len()).as_bytes()).await.unwrap();
    }
    let written = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = written.clone();
    let sending = tokio::spawn(async move {
        let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, "a".repeat(64 * 1024));
        for _ in 0..chunks {
            if writer.write_all(chunk.as_bytes()).await.is_err() {
                return;
            }
            counter.fetch_add(64 * 1024, std::sync::atomic::Ordering::SeqCst);
        }
    });
    let mut answer = vec![0u8; 512];
    let read = reader.read(&mut answer).await.unwrap();
    let sent = written.load(std::sync::atomic::Ordering::SeqCst);
    sending.abort();
    (String::from_utf8_lossy(&answer[..read]).lines().next().unwrap_or_default().to_owned(), sent)
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn body_caps_stop_reading_while_the_body_streams(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (status, sent) = stream_until_answered(&app, "/api/sign_in", "application/x-www-form-urlencoded").await;
    assert!(status.contains("413"), "{status}");
    assert!(sent < 32 * 1024 * 1024, "the server answered after {sent} bytes of a 64 MB body, having stopped reading at its 64 KB cap");

    // A spreadsheet upload: 50 MB accepted, 200 MB sent.
    app.create_admin("ada@example.com").await;
    let signed_in = app.sign_in(&app.client, "ada@example.com", PASSWORD).await;
    let cookie = app.session_cookie(&signed_in).unwrap();
    let preamble = "--cap\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\nContent-Type: text/csv\r\n\r\nEmail,Full name\r\n";
    let (status, sent) =
        stream_until_answered_with(&app, "/admin/import/upload", "multipart/form-data; boundary=cap", &format!("Cookie: {cookie}\r\n"), preamble, 3200).await;
    assert!(status.contains("303"), "refused back to the form: {status}");
    assert!(sent < 120 * 1024 * 1024, "the server answered after {sent} bytes of a 200 MB upload, having stopped at its 50 MB cap");
    let staged: i64 = sqlx::query_scalar("SELECT count(*) FROM import_batch").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(staged, 0);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn pages_carry_a_content_security_policy_with_this_responses_nonce(pool: PgPool) {
    let app = spawn_app(pool).await;
    let response = app.get("/sign-in").await;
    let policy = response.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert_eq!(response.headers()["referrer-policy"], "strict-origin-when-cross-origin");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert!(policy.contains("frame-ancestors 'none'") && policy.contains("object-src 'none'") && policy.contains("'wasm-unsafe-eval'"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    let nonce = policy.split("'nonce-").nth(1).and_then(|rest| rest.split('\'').next()).expect("a script nonce").to_owned();
    let page = response.text().await.unwrap();
    let scripts = page.matches("<script").count();
    assert!(scripts > 0);
    assert_eq!(page.matches(&format!("nonce=\"{nonce}\"")).count(), scripts, "every inline script carries the nonce");
    let again = app.get("/sign-in").await.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert_ne!(again, policy, "a new nonce for every response");
    // Plain pages outside the app run no script at all.
    let plain = app.get("/claim/some-unknown-link").await;
    assert!(plain.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'none'"));
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn claims_and_deactivations_of_the_same_people_at_once_never_fail(pool: PgPool) {
    let app = spawn_app(pool).await;
    let mut people = Vec::new();
    for n in 0..24 {
        people.push(invite(&app, &format!("race{n}@example.com")).await);
    }
    let hash = app.state.hasher.hash(PASSWORD).await.unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for (id, secret) in people {
        let claiming = app.state.clone();
        let hash = hash.clone();
        tasks.spawn(async move {
            match lifecycle::claim(&claiming, &secret, Some(&hash), OffsetDateTime::now_utc()).await {
                Ok(_) | Err(lifecycle::ClaimFailure::Refused(_)) => Ok(()),
                Err(lifecycle::ClaimFailure::Unexpected(error)) => Err(format!("claim: {error:#}")),
            }
        });
        let deactivating = app.state.clone();
        tasks.spawn(async move {
            match lifecycle::deactivate(&deactivating, id, &Actor::system(), OffsetDateTime::now_utc()).await {
                Ok(()) | Err(lifecycle::LifecycleError::WrongState(_)) => Ok(()),
                Err(error) => Err(format!("deactivate: {error:#}")),
            }
        });
    }
    let failures: Vec<String> = tasks.join_all().await.into_iter().filter_map(Result::err).collect();
    assert!(failures.is_empty(), "{failures:?}");
    let deactivated: i64 = sqlx::query_scalar("SELECT count(*) FROM account WHERE status = 'deactivated'").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(deactivated, 24, "every deactivation went through, before or after the claim");
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn parallel_clicks_on_email_me_a_new_link_send_one_email(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (id, secret) = invite(&app, "grace@example.com").await;
    crate::helpers::expire_claim_links(&app.state.pool, id).await;
    app.get(&format!("/claim/{secret}")).await;
    let clicks = (0..8).map(|_| app.call(&app.client, "claim_new_link", &[]));
    let statuses: Vec<StatusCode> = futures::future::join_all(clicks).await.into_iter().map(|r| r.status()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
    let links: i64 = sqlx::query_scalar("SELECT count(*) FROM claim_credential WHERE account_id = $1").bind(id).fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(links, 2, "the first link and one new one");
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn claim_completion_signs_in_under_a_new_session_id(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, secret) = invite(&app, "grace@example.com").await;
    let opened = app.get(&format!("/claim/{secret}")).await;
    let during = app.session_cookie(&opened).expect("opening the link starts a session");
    app.call(&app.client, "claim_profile", &[("full_name", "Grace"), ("title", ""), ("department", ""), ("location", ""), ("phone", "")]).await;
    app.call(&app.client, "claim_password", &[("password", PASSWORD), ("password_confirmation", PASSWORD)]).await;
    let finished = app.call(&app.client, "claim_finish", &[]).await;
    assert_eq!(finished.status(), StatusCode::OK);
    let after = app.session_cookie(&finished).expect("completion sets a new session cookie");
    assert_ne!(after, during);
    let bare = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let with_old = bare.get(app.url("/")).header(reqwest::header::COOKIE, &during).send().await.unwrap();
    assert_eq!(with_old.status(), StatusCode::SEE_OTHER, "the claim-time session id no longer signs anyone in");
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn the_client_address_comes_from_forwarded_for_only_through_a_trusted_proxy(pool: PgPool) {
    let app = spawn_app_with(pool, |state| state.trusted_proxies = app::server::client::parse_trusted("127.0.0.1").unwrap().into()).await;
    app.create_admin("ada@example.com").await;
    // Thirty failures from one address behind the proxy...
    for attempt in 0..30 {
        let email = format!("guess{attempt}@example.com");
        app.client
            .post(app.url("/api/sign_in"))
            .header(ORIGIN, &app.address)
            .header(ACCEPT, "application/json")
            .header("x-forwarded-for", "198.51.100.7")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(format!("email={email}&password=guess"))
            .send()
            .await
            .unwrap();
    }
    let from_same = app
        .client
        .post(app.url("/api/sign_in"))
        .header(ORIGIN, &app.address)
        .header(ACCEPT, "application/json")
        .header("x-forwarded-for", "203.0.113.1, 198.51.100.7")
        .form(&[("email", "ada@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(from_same.status(), StatusCode::TOO_MANY_REQUESTS, "a forged hop on the left changes nothing");
    // ...do not throttle another client of the same proxy.
    let from_other = new_client()
        .post(app.url("/api/sign_in"))
        .header(ORIGIN, &app.address)
        .header(ACCEPT, "application/json")
        .header("x-forwarded-for", "198.51.100.8")
        .form(&[("email", "ada@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(from_other.status(), StatusCode::OK);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn sessions_end_24_hours_after_sign_in_however_active(pool: PgPool) {
    use app::server::services::auth::SignedIn;
    use app::server::session;
    let app = spawn_app(pool).await;
    let id = app.create_admin("ada@example.com").await;
    let store = std::sync::Arc::new(tower_sessions::MemoryStore::default());
    let browser = tower_sessions::Session::new(None, store, None);
    let now = OffsetDateTime::now_utc();
    let who = SignedIn { account_id: id, role: app::domain::Role::Owner, session_epoch: 0 };
    session::establish(&browser, &who, now - time::Duration::hours(23)).await.unwrap();
    assert!(session::resolve_viewer(&app.state, &browser, now).await.unwrap().is_some(), "23 hours in, still signed in");
    assert!(session::resolve_viewer(&app.state, &browser, now + time::Duration::hours(2)).await.unwrap().is_none(), "past 24 hours, signed out");
    assert!(session::resolve_viewer(&app.state, &browser, now).await.unwrap().is_none(), "and the session is gone");
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn guessing_someones_password_from_elsewhere_never_locks_them_out(pool: PgPool) {
    let app = spawn_app_with(pool, |state| state.trusted_proxies = app::server::client::parse_trusted("127.0.0.1").unwrap().into()).await;
    app.create_admin("ada@example.com").await;
    let attempt = |from: String, password: &'static str| {
        new_client()
            .post(app.url("/api/sign_in"))
            .header(ORIGIN, &app.address)
            .header(ACCEPT, "application/json")
            .header("x-forwarded-for", from)
            .form(&[("email", "ada@example.com"), ("password", password)])
            .send()
    };
    for _ in 0..10 {
        assert_eq!(attempt("198.51.100.1".into(), "a guess").await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(attempt("198.51.100.1".into(), PASSWORD).await.unwrap().status(), StatusCode::TOO_MANY_REQUESTS, "the guesser is stopped");
    assert_eq!(attempt("203.0.113.5".into(), PASSWORD).await.unwrap().status(), StatusCode::OK, "Ada, elsewhere, signs in");
    // Guessing spread over many addresses meets the account's overall limit.
    for n in 0..90 {
        let from = format!("198.51.100.{}", 10 + n / 9);
        assert_eq!(attempt(from, "a guess").await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(attempt("203.0.113.6".into(), PASSWORD).await.unwrap().status(), StatusCode::TOO_MANY_REQUESTS);
    let limits: Vec<String> = sqlx::query_scalar("SELECT details->>'limit' FROM audit_event WHERE action = 'security.throttled' ORDER BY id")
        .fetch_all(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(limits, ["sign_in_account", "sign_in_account_anywhere"]);
}
