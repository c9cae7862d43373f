//! Single sign-on against a real OpenID provider (npm `oidc-provider`, which
//! scripts/test starts on 127.0.0.1; `EMBARK_TEST_OIDC_ISSUER` names it).
//! Each test registers its own client with its server's exact redirect URI.
//! The provider's development login takes any name as the subject; the
//! claims follow from it (end2end/support/oidc-provider.mjs):
//! `alice@acme.test`, `unverified:alice@acme.test`, `alice@acme.test#2`.

use crate::claim::invite;
use crate::helpers::{location, new_client, spawn_app, TestApp, PASSWORD};
use app::domain::{AccountId, AccountStatus, Actor, SsoFields, SsoSettings};
use app::server::oidc::{OidcError, ProviderSettings};
use app::server::services::{lifecycle, sso};
use reqwest::header::ACCEPT;
use reqwest::StatusCode;
use sqlx::PgPool;
use time::{Duration, OffsetDateTime};

fn issuer() -> String {
    std::env::var("EMBARK_TEST_OIDC_ISSUER").expect("EMBARK_TEST_OIDC_ISSUER names the test OpenID provider (scripts/test starts it)")
}

/// A client registered at the provider for `redirect_uri`.
struct Registered {
    client_id: String,
    client_secret: String,
}

async fn register(redirect_uri: &str) -> Registered {
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/reg", issuer()))
        .json(&serde_json::json!({
            "redirect_uris": [redirect_uri],
            "response_types": ["code"],
            "grant_types": ["authorization_code"],
            "token_endpoint_auth_method": "client_secret_basic",
        }))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    Registered { client_id: answer["client_id"].as_str().unwrap().to_owned(), client_secret: answer["client_secret"].as_str().unwrap().to_owned() }
}

/// Registers the app at the provider and saves its single sign-on settings.
async fn configure(app: &TestApp, policy: &str, trusted_domains: &str) -> Registered {
    let registered = register(&format!("{}/sso/callback", app.address)).await;
    let settings = SsoSettings::parse(&SsoFields {
        issuer_url: &issuer(),
        client_id: &registered.client_id,
        client_secret: &registered.client_secret,
        button_label: "Sign in with Acme SSO",
        trusted_domains,
        policy,
    })
    .unwrap();
    sso::save_settings(&app.state, &Actor::system(), &settings, OffsetDateTime::now_utc()).await.unwrap();
    registered
}

/// Follows a browser through the provider: from Embark's `/sso/start`
/// (with `query`) to the provider's login page, logs in as `login`, and
/// returns the callback address the provider sends the browser back to.
async fn through_provider(app: &TestApp, browser: &reqwest::Client, query: &str, login: &str) -> String {
    let start = browser.get(app.url(&format!("/sso/start{query}"))).send().await.unwrap();
    assert_eq!(start.status(), StatusCode::SEE_OTHER, "{}", start.text().await.unwrap());
    let provider_url = location(&start);
    assert!(provider_url.starts_with(&issuer()), "sent to the provider: {provider_url}");
    log_in_at_provider(app, browser, provider_url, login).await
}

/// From an authorization request at the provider, through its login form
/// (any login name is the subject), to the address it sends the browser
/// back to at `app`.
async fn log_in_at_provider(app: &TestApp, browser: &reqwest::Client, authorization_url: String, login: &str) -> String {
    let mut next = authorization_url;
    for _ in 0..10 {
        let response = browser.get(absolute(&next)).send().await.unwrap();
        if response.status() == StatusCode::OK {
            let page = response.text().await.unwrap();
            let action = page.split("action=\"").nth(1).and_then(|rest| rest.split('"').next()).expect("the provider's login form");
            let submitted = browser.post(absolute(action)).form(&[("prompt", "login"), ("login", login), ("password", "any")]).send().await.unwrap();
            next = location(&submitted);
            continue;
        }
        next = location(&response);
        if next.starts_with(&app.address) {
            return next;
        }
    }
    panic!("the provider never sent the browser back");
}

fn absolute(url: &str) -> String {
    if url.starts_with("http") {
        url.to_owned()
    } else {
        format!("{}{url}", issuer())
    }
}

/// Signs in (or claims) from the sign-in page's button: where Embark sends
/// the browser after the callback, and the callback's page.
async fn sign_in_with_sso(app: &TestApp, browser: &reqwest::Client, login: &str) -> (StatusCode, String, String) {
    let callback = through_provider(app, browser, "", login).await;
    let answer = browser.get(&callback).send().await.unwrap();
    let status = answer.status();
    let destination = location(&answer);
    (status, destination, answer.text().await.unwrap())
}

async fn status_of(app: &TestApp, id: AccountId) -> AccountStatus {
    sqlx::query_scalar("SELECT status FROM account WHERE id = $1").bind(id).fetch_one(&app.state.pool).await.unwrap()
}

async fn identities(app: &TestApp) -> Vec<(AccountId, String)> {
    sqlx::query_as("SELECT account_id, subject FROM sso_identity ORDER BY subject").fetch_all(&app.state.pool).await.unwrap()
}

async fn claim_page(app: &TestApp, browser: &reqwest::Client) -> String {
    browser.get(app.url("/claim")).header(ACCEPT, "text/html").send().await.unwrap().text().await.unwrap()
}

async fn save_profile(app: &TestApp, browser: &reqwest::Client) {
    let profile =
        app.call(browser, "claim_profile", &[("full_name", "Alice Example"), ("title", ""), ("department", ""), ("location", ""), ("phone", "")]).await;
    assert_eq!(profile.status(), StatusCode::OK, "{}", profile.text().await.unwrap());
}

async fn viewer_email(app: &TestApp, browser: &reqwest::Client) -> Option<String> {
    let viewer: serde_json::Value = app.call(browser, "viewer", &[]).await.json().await.unwrap();
    viewer["email"].as_str().map(str::to_owned)
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn a_person_claims_from_their_link_through_the_provider_with_no_password_and_signs_in_again(pool: PgPool) {
    let app = spawn_app(pool).await;
    configure(&app, "everyone", "").await;
    let (id, secret) = invite(&app, "alice@acme.test").await;
    let browser = new_client();
    browser.get(app.url(&format!("/claim/{secret}"))).send().await.unwrap();
    save_profile(&app, &browser).await;
    let page = claim_page(&app, &browser).await;
    assert!(page.contains("Sign in with Acme SSO") && page.contains("Sign in with your work account"), "the SSO step replaces the password");
    let skip = app.call(&browser, "claim_password", &[("password", PASSWORD), ("password_confirmation", PASSWORD)]).await;
    assert_eq!(skip.status(), StatusCode::UNPROCESSABLE_ENTITY, "no password step for an SSO person");

    let callback = through_provider(&app, &browser, "?purpose=claim", "alice@acme.test").await;
    let back = browser.get(&callback).send().await.unwrap();
    assert_eq!(location(&back), "/claim");
    assert!(identities(&app).await.is_empty(), "bound only when the claim completes");
    let finish = app.call(&browser, "claim_finish", &[]).await;
    assert_eq!(finish.status(), StatusCode::OK, "{}", finish.text().await.unwrap());
    assert_eq!(status_of(&app, id).await, AccountStatus::Claimed);
    assert_eq!(identities(&app).await, [(id, "alice@acme.test".to_owned())]);
    let hash: Option<String> = sqlx::query_scalar("SELECT password_hash FROM account WHERE id = $1").bind(id).fetch_one(&app.state.pool).await.unwrap();
    assert!(hash.is_none(), "no password was set");

    // Signs out, then in again with the button.
    app.call(&browser, "sign_out", &[]).await;
    assert_eq!(viewer_email(&app, &browser).await, None);
    let (status, destination, _) = sign_in_with_sso(&app, &browser, "alice@acme.test").await;
    assert_eq!((status, destination.as_str()), (StatusCode::SEE_OTHER, "/"));
    assert_eq!(viewer_email(&app, &browser).await.as_deref(), Some("alice@acme.test"));

    // A password sign-in is refused with a pointer to the button.
    let refused = app.sign_in(&new_client(), "alice@acme.test", PASSWORD).await;
    let page = refused.text().await.unwrap();
    assert!(page.contains("single sign-on"), "{page}");
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn an_invited_person_claims_from_the_sign_in_page_with_a_verified_email_in_a_trusted_domain(pool: PgPool) {
    let app = spawn_app(pool).await;
    configure(&app, "everyone", "acme.test").await;
    let (id, _) = invite(&app, "bob@acme.test").await;
    let browser = new_client();
    let (_, destination, _) = sign_in_with_sso(&app, &browser, "bob@acme.test").await;
    assert_eq!(destination, "/claim");
    let page = claim_page(&app, &browser).await;
    assert!(page.contains("Step 1 of 2"), "profile and groups only: {page}");
    save_profile(&app, &browser).await;
    let finish = app.call(&browser, "claim_finish", &[]).await;
    assert_eq!(finish.status(), StatusCode::OK, "{}", finish.text().await.unwrap());
    assert_eq!(status_of(&app, id).await, AccountStatus::Claimed);
    assert_eq!(identities(&app).await, [(id, "bob@acme.test".to_owned())]);
    let links: i64 = sqlx::query_scalar("SELECT count(*) FROM claim_credential WHERE account_id = $1 AND state = 'active'")
        .bind(id)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(links, 0, "the invitation's link stops working");
    assert_eq!(viewer_email(&app, &browser).await.as_deref(), Some("bob@acme.test"));
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn each_refusal_has_its_own_page_and_binds_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    configure(&app, "everyone", "acme.test").await;
    invite(&app, "carol@acme.test").await;
    let now = OffsetDateTime::now_utc();
    let uninvited =
        lifecycle::NewPerson::employee(app::domain::PersonName::parse("Una Uninvited").unwrap(), app::domain::EmailAddress::parse("una@acme.test").unwrap());
    lifecycle::create(&app.state, &uninvited, None, &Actor::system(), now).await.unwrap();
    let cases = [
        ("unverified:carol@acme.test", "isn't verified"),
        ("carol@elsewhere.test", "can't be used here"),
        ("una@acme.test", "isn't ready yet"),
        ("nobody@acme.test", "no Embark account for you"),
    ];
    for (login, expected) in cases {
        let (status, _, page) = sign_in_with_sso(&app, &new_client(), login).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{login}");
        assert!(page.contains(expected), "{login}: {page}");
        assert!(page.contains("Back to sign in"));
    }
    assert!(identities(&app).await.is_empty());
    let audited: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_event WHERE action = 'sso.refused'").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(audited, 4, "every refusal is audited");

    // A claimed person with an identity, then deactivated, is refused at the callback.
    let (dave, _) = invite(&app, "dave@acme.test").await;
    let browser = new_client();
    sign_in_with_sso(&app, &browser, "dave@acme.test").await;
    save_profile(&app, &browser).await;
    assert_eq!(app.call(&browser, "claim_finish", &[]).await.status(), StatusCode::OK);
    lifecycle::deactivate(&app.state, dave, &Actor::system(), OffsetDateTime::now_utc()).await.unwrap();
    assert_eq!(viewer_email(&app, &browser).await, None, "deactivation ended the session");
    let (_, _, page) = sign_in_with_sso(&app, &new_client(), "dave@acme.test").await;
    assert!(page.contains("deactivated"), "{page}");

    // A second identity with the same email never attaches.
    let (erin, _) = invite(&app, "erin@acme.test").await;
    let first = new_client();
    sign_in_with_sso(&app, &first, "erin@acme.test").await;
    save_profile(&app, &first).await;
    assert_eq!(app.call(&first, "claim_finish", &[]).await.status(), StatusCode::OK);
    let (_, _, page) = sign_in_with_sso(&app, &new_client(), "erin@acme.test#2").await;
    assert!(page.contains("linked to a different identity"), "{page}");
    let erins: Vec<String> = identities(&app).await.into_iter().filter(|(id, _)| *id == erin).map(|(_, s)| s).collect();
    assert_eq!(erins, ["erin@acme.test"]);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn a_link_claim_refuses_the_provider_s_other_email_address(pool: PgPool) {
    let app = spawn_app(pool).await;
    configure(&app, "everyone", "").await;
    let (id, secret) = invite(&app, "frank@acme.test").await;
    let browser = new_client();
    browser.get(app.url(&format!("/claim/{secret}"))).send().await.unwrap();
    save_profile(&app, &browser).await;
    let callback = through_provider(&app, &browser, "?purpose=claim", "mallory@acme.test").await;
    let page = browser.get(&callback).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("mallory@acme.test") && page.contains("different email address"), "{page}");
    assert!(identities(&app).await.is_empty());
    assert_eq!(status_of(&app, id).await, AccountStatus::Invited);
    assert!(claim_page(&app, &browser).await.contains("Sign in with your work account"), "the step is still to do");
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn a_wrong_or_replayed_state_is_refused(pool: PgPool) {
    let app = spawn_app(pool).await;
    configure(&app, "everyone", "acme.test").await;
    invite(&app, "gina@acme.test").await;
    let browser = new_client();
    let callback = through_provider(&app, &browser, "", "gina@acme.test").await;
    let tampered = callback.replace("state=", "state=x");
    let page = browser.get(&tampered).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("This sign-in has expired"), "a wrong state: {page}");
    // The attempt was used by the wrong answer: the real one is refused too.
    let page = browser.get(&callback).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("This sign-in has expired"), "a replayed state: {page}");

    // Another browser cannot finish this browser's attempt.
    let browser = new_client();
    let callback = through_provider(&app, &browser, "", "gina@acme.test").await;
    let page = new_client().get(&callback).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("This sign-in has expired"), "another browser: {page}");
    assert!(identities(&app).await.is_empty());
}

/// Runs the code flow as Embark would, for `registered`, and returns the
/// raw ID token with the nonce it was issued for.
async fn real_id_token(app: &TestApp, registered: &Registered, login: &str) -> (String, String) {
    let settings = ProviderSettings {
        issuer_url: &issuer(),
        client_id: &registered.client_id,
        client_secret: &registered.client_secret,
        redirect_uri: format!("{}/sso/callback", app.address),
    };
    let (url, attempt) = app.state.oidc.begin(&settings).await.unwrap();
    let callback = log_in_at_provider(app, &new_client(), url, login).await;
    let code = url::Url::parse(&callback).unwrap().query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    let tokens: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/token", issuer()))
        .basic_auth(&registered.client_id, Some(&registered.client_secret))
        .form(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", &settings.redirect_uri), ("code_verifier", &attempt.pkce_verifier)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (tokens["id_token"].as_str().expect("an ID token").to_owned(), attempt.nonce)
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn id_tokens_are_checked_for_signature_audience_expiry_and_nonce(pool: PgPool) {
    let app = spawn_app(pool).await;
    let ours = configure(&app, "everyone", "").await;
    let theirs = register(&format!("{}/sso/callback", app.address)).await;
    let (token, nonce) = real_id_token(&app, &ours, "hank@acme.test").await;
    let settings = ProviderSettings {
        issuer_url: &issuer(),
        client_id: &ours.client_id,
        client_secret: &ours.client_secret,
        redirect_uri: format!("{}/sso/callback", app.address),
    };
    let now = OffsetDateTime::now_utc();
    let verified = app.state.oidc.verify_id_token(&settings, &token, &nonce, now).await.unwrap();
    assert_eq!((verified.subject.as_str(), verified.issuer.as_str()), ("hank@acme.test", issuer().as_str()));

    let invalid = |result: Result<_, OidcError>, what: &str| match result {
        Err(OidcError::InvalidToken(reason)) => reason,
        other => panic!("{what} was accepted: {other:?}"),
    };
    let reason = invalid(app.state.oidc.verify_id_token(&settings, &token, "another-nonce", now).await, "a replayed nonce");
    assert!(reason.contains("nonce"), "{reason}");
    let reason = invalid(app.state.oidc.verify_id_token(&settings, &token, &nonce, now + Duration::days(1)).await, "an expired token");
    assert!(reason.to_lowercase().contains("expired"), "{reason}");
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let flipped = if parts[2].starts_with('A') { 'B' } else { 'A' };
    parts[2].replace_range(0..1, &flipped.to_string());
    let reason = invalid(app.state.oidc.verify_id_token(&settings, &parts.join("."), &nonce, now).await, "a tampered signature");
    assert!(reason.to_lowercase().contains("signature"), "{reason}");
    let (their_token, their_nonce) = real_id_token(&app, &theirs, "hank@acme.test").await;
    let reason = invalid(app.state.oidc.verify_id_token(&settings, &their_token, &their_nonce, now).await, "a token for another client");
    assert!(reason.to_lowercase().contains("audience"), "{reason}");
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn twenty_concurrent_claims_for_one_invited_account_bind_exactly_one_identity(pool: PgPool) {
    let app = spawn_app(pool).await;
    configure(&app, "everyone", "acme.test").await;
    let (id, _) = invite(&app, "ivy@acme.test").await;
    let mut browsers = Vec::new();
    for n in 0..20 {
        let browser = new_client();
        let (_, destination, _) = sign_in_with_sso(&app, &browser, &format!("ivy@acme.test#{n}")).await;
        assert_eq!(destination, "/claim");
        save_profile(&app, &browser).await;
        browsers.push(browser);
    }
    let finishes = futures::future::join_all(browsers.iter().map(|browser| app.call(browser, "claim_finish", &[]))).await;
    let succeeded = finishes.iter().filter(|r| r.status() == StatusCode::OK).count();
    assert_eq!(succeeded, 1);
    assert!(finishes.iter().all(|r| r.status() != StatusCode::INTERNAL_SERVER_ERROR));
    assert_eq!(identities(&app).await.len(), 1);
    assert_eq!(identities(&app).await[0].0, id);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn an_admin_s_test_sign_in_shows_what_the_provider_asserted_and_an_unlinked_person_can_link_again(pool: PgPool) {
    let app = spawn_app(pool).await;
    configure(&app, "nobody", "acme.test").await;
    let admin = new_client();
    app.create_admin("admin@acme.test").await;
    app.sign_in(&admin, "admin@acme.test", PASSWORD).await;
    let off = new_client().get(app.url("/sso/start")).send().await.unwrap();
    assert!(off.text().await.unwrap().contains("not set up"), "the sign-in button is off while nobody uses it");
    let anonymous = new_client().get(app.url("/sso/start?purpose=test")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::FORBIDDEN, "only admins test");

    let callback = through_provider(&app, &admin, "?purpose=test", "unverified:quinn@acme.test").await;
    assert_eq!(location(&admin.get(&callback).send().await.unwrap()), "/admin/settings/sso#test-result");
    let shown: serde_json::Value = app.call(&admin, "admin_sso_settings", &[]).await.json().await.unwrap();
    let asserted = &shown["test_result"]["Asserted"];
    assert_eq!(asserted["subject"], "unverified:quinn@acme.test");
    assert_eq!(asserted["email"], "quinn@acme.test");
    assert_eq!(asserted["email_verified"], false);
    assert_eq!(asserted["issuer"], issuer());
    assert!(identities(&app).await.is_empty(), "a test binds nothing");

    // An admin unlinks a person's identity; audited.
    let (id, _) = invite(&app, "rita@acme.test").await;
    sqlx::query("UPDATE sso_configuration SET policy = 'everyone'").execute(&app.state.pool).await.unwrap();
    let browser = new_client();
    sign_in_with_sso(&app, &browser, "rita@acme.test").await;
    save_profile(&app, &browser).await;
    assert_eq!(app.call(&browser, "claim_finish", &[]).await.status(), StatusCode::OK);
    let unlink = app.call(&admin, "admin_unlink_identity", &[("id", &id.to_string())]).await;
    assert_eq!(unlink.status(), StatusCode::OK, "{}", unlink.text().await.unwrap());
    assert!(identities(&app).await.is_empty());
    let audited: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_event WHERE action = 'sso.identity_unlinked'").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(audited, 1);
    // A claimed SSO person without an identity links one at the next sign-in.
    let (_, destination, _) = sign_in_with_sso(&app, &new_client(), "rita@acme.test").await;
    assert_eq!(destination, "/");
    assert_eq!(identities(&app).await, [(id, "rita@acme.test".to_owned())]);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn starts_abandoned_at_the_provider_are_throttled_per_address_before_they_write_a_session(pool: PgPool) {
    let app = spawn_app(pool).await;
    configure(&app, "everyone", "acme.test").await;
    for _ in 0..200 {
        let started = new_client().get(app.url("/sso/start")).send().await.unwrap();
        assert_eq!(started.status(), StatusCode::SEE_OTHER);
    }
    let sessions = || async { sqlx::query_scalar::<_, i64>("SELECT count(*) FROM tower_sessions.session").fetch_one(&app.state.pool).await.unwrap() };
    let before = sessions().await;
    let refused = new_client().get(app.url("/sso/start")).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.text().await.unwrap().contains("Too many sign-ins started"));
    assert_eq!(sessions().await, before, "no session for a refused start");
    let audited: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_event WHERE action = 'security.throttled'").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(audited, 1, "using the limit up is audited once");
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn a_token_signed_with_a_rotated_key_is_accepted_after_reading_the_keys_once_more(pool: PgPool) {
    let app = spawn_app(pool).await;
    configure(&app, "everyone", "acme.test").await;
    let (id, _) = invite(&app, "kim@acme.test").await;
    let browser = new_client();
    sign_in_with_sso(&app, &browser, "kim@acme.test").await;
    save_profile(&app, &browser).await;
    assert_eq!(app.call(&browser, "claim_finish", &[]).await.status(), StatusCode::OK, "the claim verified a token: the keys are cached");

    // The provider now signs with a new key, which Embark's cached keys lack.
    let keys = || async {
        let jwks: serde_json::Value = reqwest::get(format!("{}/jwks", issuer())).await.unwrap().json().await.unwrap();
        jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap_or_default().to_owned()).collect::<Vec<_>>()
    };
    let before = keys().await;
    let rotated = reqwest::Client::new().post(format!("{}/test/rotate-keys", issuer())).send().await.unwrap();
    assert_eq!(rotated.status(), StatusCode::NO_CONTENT);
    let after = keys().await;
    assert!(!before.contains(&after[0]), "a new signing key: {before:?} → {after:?}");

    let (status, destination, page) = sign_in_with_sso(&app, &new_client(), "kim@acme.test").await;
    assert_eq!((status, destination.as_str()), (StatusCode::SEE_OTHER, "/"), "{page}");
    assert_eq!(identities(&app).await, [(id, "kim@acme.test".to_owned())]);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn the_sign_in_page_shows_a_change_made_here_at_once_and_one_made_elsewhere_within_a_second(pool: PgPool) {
    use app::server::services::auth::SignInPageCache;
    use std::time::{Duration, Instant};
    let app = spawn_app(pool).await;
    let page = || async { new_client().get(app.url("/sign-in")).header(ACCEPT, "text/html").send().await.unwrap().text().await.unwrap() };
    // Read at one instant throughout, so that only forgetting, never the
    // second running out, can make a later read see a change.
    let start = Instant::now();
    let shared = &app.state.sign_in_page;
    assert!(page().await.contains("set up yet"));
    assert!(!shared.read(&app.state.pool, start).await.unwrap().admin_exists);
    app.create_admin("admin@acme.test").await;
    assert!(shared.read(&app.state.pool, start).await.unwrap().admin_exists, "setup done here: forgotten at once");
    assert!(!page().await.contains("set up yet"));
    configure(&app, "everyone", "acme.test").await;
    let saved = shared.read(&app.state.pool, start).await.unwrap();
    assert_eq!(saved.sso_button_label.as_deref(), Some("Sign in with Acme SSO"), "saved here: forgotten at once");
    assert!(page().await.contains("Sign in with Acme SSO"));

    // What the page shows is kept for a second; a change made elsewhere
    // (another server, by hand) shows once it is read again.
    let kept = SignInPageCache::default();
    assert_eq!(kept.read(&app.state.pool, start).await.unwrap().sso_button_label.as_deref(), Some("Sign in with Acme SSO"));
    sqlx::query("UPDATE sso_configuration SET button_label = 'Acme sign-in'").execute(&app.state.pool).await.unwrap();
    let within = kept.read(&app.state.pool, start + Duration::from_millis(900)).await.unwrap();
    assert_eq!(within.sso_button_label.as_deref(), Some("Sign in with Acme SSO"), "within the second, nothing is read");
    let after = kept.read(&app.state.pool, start + Duration::from_millis(1100)).await.unwrap();
    assert_eq!(after.sso_button_label.as_deref(), Some("Acme sign-in"), "after it, read again");
    sqlx::query("UPDATE sso_configuration SET policy = 'nobody'").execute(&app.state.pool).await.unwrap();
    kept.forget();
    let forgotten = kept.read(&app.state.pool, start + Duration::from_millis(1200)).await.unwrap();
    assert_eq!(forgotten.sso_button_label, None, "forgotten: read again at once");
}
