use crate::helpers::{location, new_client, spawn_app};
use reqwest::header::{ACCEPT, ORIGIN};
use reqwest::StatusCode;
use sqlx::PgPool;

const SETUP_FORM: [(&str, &str); 5] = [
    ("organization_name", "Acme Robotics"),
    ("full_name", "Ada Lovelace"),
    ("email", "ada@acme.test"),
    ("password", "analytical engine punched cards"),
    ("password_confirmation", "analytical engine punched cards"),
];

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn the_setup_link_lets_one_browser_create_the_first_admin_once(pool: PgPool) {
    let app = spawn_app(pool).await;

    let opened = app.get(&format!("/setup/{}", app.setup_secret)).await;
    assert_eq!(opened.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&opened), "/setup", "the secret leaves the address bar");
    assert_eq!(opened.headers()["referrer-policy"], "no-referrer");
    let granted_cookie = app.session_cookie(&opened).expect("the grant lives in the session");

    let done = app.call(&app.client, "complete_setup", &SETUP_FORM).await;
    assert_eq!(done.status(), StatusCode::OK, "{}", done.text().await.unwrap());
    let admin_page = app.get("/admin").await;
    assert_eq!(admin_page.status(), StatusCode::OK);
    assert!(admin_page.text().await.unwrap().contains("Acme Robotics"));

    // The session that opened the link was replaced at sign-in.
    let bare = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let old = bare.get(app.url("/admin")).header(reqwest::header::COOKIE, granted_cookie).send().await.unwrap();
    assert_eq!(old.status(), StatusCode::SEE_OTHER);

    // A second browser with the same link gets nowhere.
    let other = new_client();
    let reopened = other.get(app.url(&format!("/setup/{}", app.setup_secret))).send().await.unwrap();
    assert_eq!(location(&reopened), "/sign-in");
    let again = app.call(&other, "complete_setup", &SETUP_FORM).await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let admins: i64 = sqlx::query_scalar("SELECT count(*) FROM account WHERE role = 'owner'").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(admins, 1);
    let org: String = sqlx::query_scalar("SELECT organization_name FROM settings").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(org, "Acme Robotics");
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn setup_without_the_link_or_with_a_wrong_one_is_refused(pool: PgPool) {
    let app = spawn_app(pool).await;
    let without = app.call(&app.client, "complete_setup", &SETUP_FORM).await;
    assert_eq!(without.status(), StatusCode::UNPROCESSABLE_ENTITY);

    app.get("/setup/not-the-secret").await;
    let wrong = app.call(&app.client, "complete_setup", &SETUP_FORM).await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.text().await.unwrap().contains("setup link"));
    let accounts: i64 = sqlx::query_scalar("SELECT count(*) FROM account").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(accounts, 0);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn setup_reports_every_bad_field_and_changes_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.get(&format!("/setup/{}", app.setup_secret)).await;
    let response = app
        .call(
            &app.client,
            "complete_setup",
            &[
                ("organization_name", " "),
                ("full_name", "Ada Lovelace"),
                ("email", "not-an-email"),
                ("password", "password1"),
                ("password_confirmation", "password1"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = response.json().await.unwrap();
    let fields: Vec<&str> = body["Invalid"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["organization_name", "email", "password"]);
    let accounts: i64 = sqlx::query_scalar("SELECT count(*) FROM account").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(accounts, 0);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn a_plain_form_post_with_errors_returns_to_the_form_with_them(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.get(&format!("/setup/{}", app.setup_secret)).await;
    let response = app
        .client
        .post(app.url("/api/complete_setup"))
        .header(ORIGIN, &app.address)
        .header(ACCEPT, "text/html")
        .header(reqwest::header::REFERER, app.url("/setup"))
        .form(&[("organization_name", "Acme"), ("full_name", "Ada"), ("email", "ada@acme.test"), ("password", "x"), ("password_confirmation", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let back = location(&response);
    assert!(back.starts_with(&app.url("/setup?")), "{back}");
    let page = app.client.get(back).header(ACCEPT, "text/html").send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Use at least 8 characters"), "{page}");
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn two_browsers_completing_setup_at_once_make_one_admin(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (first, second) = (new_client(), new_client());
    for browser in [&first, &second] {
        browser.get(app.url(&format!("/setup/{}", app.setup_secret))).send().await.unwrap();
    }
    let mut other_form = SETUP_FORM;
    other_form[2] = ("email", "grace@acme.test");
    let (a, b) = tokio::join!(app.call(&first, "complete_setup", &SETUP_FORM), app.call(&second, "complete_setup", &other_form));
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::UNPROCESSABLE_ENTITY], "exactly one wins; the other hears setup is done");
    let admins: i64 = sqlx::query_scalar("SELECT count(*) FROM account WHERE role = 'owner'").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(admins, 1);
}
