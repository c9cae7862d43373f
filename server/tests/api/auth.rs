use crate::helpers::{location, new_client, spawn_app, PASSWORD};
use app::domain::Actor;
use app::server::services::lifecycle;
use reqwest::header::{ACCEPT, COOKIE, ORIGIN};
use reqwest::StatusCode;
use sqlx::PgPool;

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn health_check_reports_a_reachable_database(pool: PgPool) {
    let app = spawn_app(pool).await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "ok");
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn an_admin_signs_in_with_the_right_password_and_lands_in_the_admin_panel(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_admin("ada@example.com").await;

    let response = app.sign_in(&app.client, "ADA@example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(location(&response), "/admin");

    let admin = app.get("/admin").await;
    assert_eq!(admin.status(), StatusCode::OK);
    let html = admin.text().await.unwrap();
    assert!(html.contains("Admin panel"), "{html}");
    assert!(html.contains("Unsent Invitations"));
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn sign_in_returns_to_the_page_that_asked_for_it_but_never_to_another_site(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_admin("ada@example.com").await;
    let form = |next: &'static str| [("email", "ada@example.com"), ("password", PASSWORD), ("next", next)];

    let local =
        app.client.post(app.url("/api/sign_in")).header(ORIGIN, &app.address).header(ACCEPT, "text/html").form(&form("/admin/groups")).send().await.unwrap();
    assert_eq!(location(&local), "/admin/groups");

    // Each as an attacker would send it; every one lands in the admin panel.
    for next in ["//evil.example/", "/\t/evil.example", "/\n/evil.example", "/\\evil.example", "\\/evil.example", "https://evil.example/", " //evil.example"] {
        let elsewhere =
            new_client().post(app.url("/api/sign_in")).header(ORIGIN, &app.address).header(ACCEPT, "text/html").form(&form(next)).send().await.unwrap();
        assert_eq!(location(&elsewhere), "/admin", "next={next:?}");
    }
    // The measured attack, encoded by hand in the body (`/<TAB>/evil.example`).
    let encoded = new_client()
        .post(app.url("/api/sign_in"))
        .header(ORIGIN, &app.address)
        .header(ACCEPT, "text/html")
        .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("email=ada%40example.com&password=a+perfectly+long+passphrase&next=%2F%09%2Fevil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(location(&encoded), "/admin");
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn a_wrong_password_and_an_unknown_email_get_the_same_generic_refusal(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_admin("ada@example.com").await;

    let wrong_password = app.call(&app.client, "sign_in", &[("email", "ada@example.com"), ("password", "not the password")]).await;
    assert_eq!(wrong_password.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let wrong_password = wrong_password.text().await.unwrap();
    assert!(wrong_password.contains("don't match an active account"), "{wrong_password}");

    let unknown = app.call(&app.client, "sign_in", &[("email", "nobody@example.com"), ("password", "not the password")]).await;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.text().await.unwrap(), wrong_password);

    // Still not signed in.
    assert_eq!(app.get("/admin").await.status(), StatusCode::SEE_OTHER);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn people_who_have_not_claimed_cannot_sign_in(pool: PgPool) {
    let app = spawn_app(pool).await;
    let now = time::OffsetDateTime::now_utc();
    let person =
        lifecycle::NewPerson::employee(app::domain::PersonName::parse("Ivy Invited").unwrap(), app::domain::EmailAddress::parse("ivy@example.com").unwrap());
    let (ivy, _) = lifecycle::create(&app.state, &person, Some(&Default::default()), &Actor::system(), now).await.unwrap();
    // The right password hash is on file, so only the status can stop her.
    let hash = app.state.hasher.hash(PASSWORD).await.unwrap();
    sqlx::query("UPDATE account SET password_hash = $2 WHERE id = $1").bind(ivy).bind(&hash).execute(&app.state.pool).await.unwrap();
    let response = app.call(&app.client, "sign_in", &[("email", "ivy@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The same account once claimed signs in: the hash was right all along.
    sqlx::query("UPDATE account SET status = 'claimed', claimed_at = now() WHERE id = $1").bind(ivy).execute(&app.state.pool).await.unwrap();
    let response = app.call(&app.client, "sign_in", &[("email", "ivy@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn anonymous_visitors_are_sent_to_sign_in_and_back(pool: PgPool) {
    let app = spawn_app(pool).await;
    for (path, next) in [("/admin/people", "%2Fadmin%2Fpeople"), ("/", "%2F"), ("/no/such/page", "%2Fno%2Fsuch%2Fpage")] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&response), format!("/sign-in?next={next}"));
    }
    assert_eq!(app.get("/sign-in").await.status(), StatusCode::OK);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn an_employee_opening_the_admin_panel_gets_403(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_claimed_employee("eve@example.com").await;
    let response = app.sign_in(&app.client, "eve@example.com", PASSWORD).await;
    assert_eq!(location(&response), "/");

    let admin = app.get("/admin/people").await;
    assert_eq!(admin.status(), StatusCode::FORBIDDEN);
    let html = admin.text().await.unwrap();
    assert!(html.contains("You don&#x27;t have access to this page") || html.contains("You don't have access to this page"), "{html}");
    assert_eq!(app.get("/").await.status(), StatusCode::OK);
}

/// SECURITY.md rule 12: each server function states who may call it.
#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn admin_server_functions_refuse_anonymous_callers_and_employees(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_admin("ada@example.com").await;
    app.create_claimed_employee("eve@example.com").await;

    let anonymous = app.call(&new_client(), "admin_overview", &[]).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    let employee = new_client();
    app.sign_in(&employee, "eve@example.com", PASSWORD).await;
    assert_eq!(app.call(&employee, "admin_overview", &[]).await.status(), StatusCode::FORBIDDEN);

    let admin = new_client();
    app.sign_in(&admin, "ada@example.com", PASSWORD).await;
    let overview = app.call(&admin, "admin_overview", &[]).await;
    assert_eq!(overview.status(), StatusCode::OK);
    let overview: serde_json::Value = overview.json().await.unwrap();
    assert_eq!(overview["counts"][2], serde_json::json!(["claimed", 2]));
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn signing_in_issues_a_new_session_id_and_the_old_one_stops_working(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_admin("ada@example.com").await;
    let first = app.sign_in(&app.client, "ada@example.com", PASSWORD).await;
    let first_cookie = app.session_cookie(&first).expect("a session cookie at sign-in");
    let second = app.sign_in(&app.client, "ada@example.com", PASSWORD).await;
    let second_cookie = app.session_cookie(&second).expect("a new session cookie at the second sign-in");
    assert_ne!(first_cookie, second_cookie);

    let bare = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let with_old = bare.get(app.url("/admin")).header(COOKIE, &first_cookie).send().await.unwrap();
    assert_eq!(with_old.status(), StatusCode::SEE_OTHER, "the pre-rotation session id must be dead");
    let with_new = bare.get(app.url("/admin")).header(COOKIE, &second_cookie).send().await.unwrap();
    assert_eq!(with_new.status(), StatusCode::OK);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn the_session_cookie_is_http_only_and_same_site_lax(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_admin("ada@example.com").await;
    let response = app.sign_in(&app.client, "ada@example.com", PASSWORD).await;
    let cookie = response.headers().get(reqwest::header::SET_COOKIE).unwrap().to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn cross_site_form_posts_are_refused_and_change_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_admin("ada@example.com").await;
    let form = [("email", "ada@example.com"), ("password", PASSWORD)];
    let post = |client: &reqwest::Client| client.post(app.url("/api/sign_in")).header(ACCEPT, "text/html").form(&form);

    let from_evil_origin = post(&app.client).header(ORIGIN, "https://evil.example").send().await.unwrap();
    assert_eq!(from_evil_origin.status(), StatusCode::FORBIDDEN);
    let cross_site = post(&app.client).header("sec-fetch-site", "cross-site").header(ORIGIN, &app.address).send().await.unwrap();
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    let same_site_subdomain = post(&app.client).header("sec-fetch-site", "same-site").send().await.unwrap();
    assert_eq!(same_site_subdomain.status(), StatusCode::FORBIDDEN);
    let no_evidence = post(&app.client).send().await.unwrap();
    assert_eq!(no_evidence.status(), StatusCode::FORBIDDEN);
    assert!(app.session_cookie(&from_evil_origin).is_none());
    assert_eq!(app.get("/admin").await.status(), StatusCode::SEE_OTHER, "none of them signed in");

    let same_origin = post(&app.client).header("sec-fetch-site", "same-origin").send().await.unwrap();
    assert_eq!(same_origin.status(), StatusCode::FOUND);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn deactivation_ends_every_session_of_the_account_at_once(pool: PgPool) {
    let app = spawn_app(pool).await;
    let admin_id = app.create_admin("ada@example.com").await;
    let eve = app.create_claimed_employee("eve@example.com").await;
    let laptop = new_client();
    let phone = new_client();
    app.sign_in(&laptop, "eve@example.com", PASSWORD).await;
    app.sign_in(&phone, "eve@example.com", PASSWORD).await;
    assert_eq!(laptop.get(app.url("/")).send().await.unwrap().status(), StatusCode::OK);

    lifecycle::deactivate(&app.state, eve, &Actor::account(admin_id, "Ada Admin"), time::OffsetDateTime::now_utc()).await.unwrap();

    for client in [&laptop, &phone] {
        let response = client.get(app.url("/")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert!(location(&response).starts_with("/sign-in"));
    }
    let again = app.call(&laptop, "sign_in", &[("email", "eve@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn signing_out_ends_the_session(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_admin("ada@example.com").await;
    app.sign_in(&app.client, "ada@example.com", PASSWORD).await;
    let response = app.client.post(app.url("/api/sign_out")).header(ORIGIN, &app.address).header(ACCEPT, "text/html").send().await.unwrap();
    assert_eq!(location(&response), "/sign-in");
    assert_eq!(app.get("/admin").await.status(), StatusCode::SEE_OTHER);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn unknown_pages_get_a_404_page_in_the_apps_look(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_admin("ada@example.com").await;
    app.sign_in(&app.client, "ada@example.com", PASSWORD).await;
    let response = app.get("/no/such/page").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response.text().await.unwrap().contains("find that page"));
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn responses_carry_security_headers(pool: PgPool) {
    let app = spawn_app(pool).await;
    let response = app.get("/sign-in").await;
    let headers = response.headers();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["cache-control"], "no-store");
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn a_refused_plain_form_sign_in_comes_back_to_the_form_with_the_reason(pool: PgPool) {
    let app = spawn_app(pool).await;
    let response = app
        .client
        .post(app.url("/api/sign_in"))
        .header(ORIGIN, &app.address)
        .header(ACCEPT, "text/html")
        .header(reqwest::header::REFERER, app.url("/sign-in"))
        .form(&[("email", "nobody@example.com"), ("password", "wrong password")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let page = app.client.get(location(&response)).header(ACCEPT, "text/html").send().await.unwrap().text().await.unwrap();
    assert!(page.contains("match an active account"), "{page}");
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn people_edit_their_profile_and_change_their_password_which_ends_other_sessions(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_claimed_employee("eve@example.com").await;
    let laptop = new_client();
    let phone = new_client();
    app.sign_in(&laptop, "eve@example.com", PASSWORD).await;
    app.sign_in(&phone, "eve@example.com", PASSWORD).await;

    let saved = app
        .call(&laptop, "my_profile_save", &[("full_name", "Eve Example"), ("title", "Analyst"), ("department", ""), ("location", "Leeds"), ("phone", "")])
        .await;
    assert_eq!(saved.status(), StatusCode::OK);
    let me: serde_json::Value = app.call(&laptop, "my_profile", &[]).await.json().await.unwrap();
    assert_eq!((me["full_name"].as_str(), me["location"].as_str()), (Some("Eve Example"), Some("Leeds")));

    let new = "a different long passphrase";
    let wrong = app.call(&laptop, "my_password", &[("current_password", "not it"), ("new_password", new), ("new_password_confirmation", new)]).await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.text().await.unwrap().contains("not your current password"));
    let changed = app.call(&laptop, "my_password", &[("current_password", PASSWORD), ("new_password", new), ("new_password_confirmation", new)]).await;
    assert_eq!(changed.status(), StatusCode::OK);

    assert_eq!(laptop.get(app.url("/profile")).send().await.unwrap().status(), StatusCode::OK, "this browser stays signed in");
    assert_eq!(phone.get(app.url("/profile")).send().await.unwrap().status(), StatusCode::SEE_OTHER, "other sessions end");
    assert_eq!(app.call(&new_client(), "sign_in", &[("email", "eve@example.com"), ("password", PASSWORD)]).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(location(&app.sign_in(&new_client(), "eve@example.com", new).await), "/");
    assert_eq!(app.call(&new_client(), "my_profile", &[]).await.status(), StatusCode::UNAUTHORIZED);
}
