//! The People export (with live claim links) and the audit log page and its
//! export.

use crate::helpers::{expire_claim_links, new_client, spawn_app, TestApp, PASSWORD};
use app::domain::{AccountId, Actor, EmailAddress, ProfileDetails, Role};
use app::server::services::import::{COLUMNS, EXPORT_COLUMNS};
use app::server::services::lifecycle::{self, Invitation, NewPerson};
use reqwest::header::{ACCEPT, CACHE_CONTROL, CONTENT_DISPOSITION};
use reqwest::StatusCode;
use sqlx::PgPool;
use time::OffsetDateTime;

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

async fn signed_in_owner(app: &TestApp) -> (AccountId, reqwest::Client) {
    let owner = app.create_admin("owner@example.com").await;
    let browser = new_client();
    assert_eq!(app.sign_in(&browser, "owner@example.com", PASSWORD).await.status(), StatusCode::FOUND);
    (owner, browser)
}

async fn add(app: &TestApp, name: &str, email: Option<&str>, invite: bool) -> AccountId {
    let profile = ProfileDetails::parse(name, "Engineer", "Research", "London", "").unwrap();
    let person = NewPerson {
        email: email.map(|e| EmailAddress::parse(e).unwrap()),
        external_id: None,
        username: None,
        profile,
        manager_id: None,
        role: Role::Employee,
        groups: Vec::new(),
    };
    lifecycle::create(&app.state, &person, invite.then(Invitation::default).as_ref(), &Actor::system(), now()).await.unwrap().0
}

/// The CSV's rows as maps from column name to cell.
fn rows(csv_text: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let headers: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    reader.records().map(|r| headers.iter().cloned().zip(r.unwrap().iter().map(str::to_owned)).collect()).collect()
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn the_people_export_carries_each_invited_persons_live_link_and_the_link_claims(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, browser) = signed_in_owner(&app).await;
    add(&app, "Grace Hopper", Some("grace@example.com"), true).await;
    let expired = add(&app, "Alan Turing", Some("alan@example.com"), true).await;
    expire_claim_links(&app.state.pool, expired).await;
    add(&app, "Uma Uninvited", Some("uma@example.com"), false).await;
    add(&app, "=HYPERLINK(\"http://evil.example\")", Some("formula@example.com"), false).await;
    add(&app, "María García", None, true).await;

    // The export page counts what the file will hold.
    let summary = app.call(&browser, "admin_people_export_summary", &[("status", "invited")]).await.text().await.unwrap();
    let summary: serde_json::Value = serde_json::from_str(&summary).unwrap();
    assert_eq!((summary["people"].as_i64(), summary["invited_live"].as_i64(), summary["invited_expired"].as_i64()), (Some(3), Some(2), Some(1)));

    let answer = browser.get(app.url("/admin/people/export.csv?status=invited")).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(answer.headers()[CONTENT_DISPOSITION], "attachment; filename=\"embark-people.csv\"");
    assert_eq!(answer.headers()[CACHE_CONTROL], "no-store");
    let text = answer.text().await.unwrap();
    let header: Vec<String> = csv::Reader::from_reader(text.as_bytes()).headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(header, COLUMNS.iter().chain(EXPORT_COLUMNS.iter()).map(|c| c.to_string()).collect::<Vec<_>>());
    let people = rows(&text);
    assert_eq!(people.len(), 3, "only the invited: {text}");
    let by_name = |name: &str| people.iter().find(|p| p["Full name"] == name).unwrap_or_else(|| panic!("{name} in {text}"));
    let grace = by_name("Grace Hopper");
    assert_eq!((grace["Email"].as_str(), grace["Status"].as_str(), grace["Department"].as_str()), ("grace@example.com", "Invited", "Research"));
    assert!(grace["Claim link"].starts_with(&format!("{}/claim/", app.state.public_url)), "{grace:?}");
    assert!(!grace["Link expires"].is_empty() && grace["Access code"].is_empty());
    let alan = by_name("Alan Turing");
    assert!(alan["Claim link"].is_empty() && alan["Link expires"].is_empty(), "an expired link is not handed out: {alan:?}");
    let maria = by_name("María García");
    assert!(maria["Claim link"].is_empty() && maria["Access code"].len() == 19, "people without email get their code: {maria:?}");

    // "Give them new links now": Alan gets one, nothing is mailed, and the
    // next file carries it.
    let outbox_before: i64 = sqlx::query_scalar("SELECT count(*) FROM email_outbox").fetch_one(&app.state.pool).await.unwrap();
    let unconfirmed = app.call(&browser, "admin_renew_export_links", &[("status", "invited")]).await;
    assert_eq!(unconfirmed.status(), StatusCode::UNPROCESSABLE_ENTITY, "the admin confirms first");
    let renewed = app.call(&browser, "admin_renew_export_links", &[("status", "invited"), ("understood", "on")]).await;
    assert_eq!(renewed.text().await.unwrap(), "1");
    let outbox_after: i64 = sqlx::query_scalar("SELECT count(*) FROM email_outbox").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(outbox_after, outbox_before, "nothing is emailed");
    let via: String = sqlx::query_scalar("SELECT details->>'via' FROM audit_event WHERE action = 'account.invitation_resent' AND target_id = $1")
        .bind(expired)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(via, "export");
    let again = rows(&browser.get(app.url("/admin/people/export.csv?status=invited")).send().await.unwrap().text().await.unwrap());
    let alan = again.iter().find(|p| p["Full name"] == "Alan Turing").unwrap();
    assert!(alan["Claim link"].contains("/claim/"), "{alan:?}");
    let summary = app.call(&browser, "admin_people_export_summary", &[("status", "invited")]).await.text().await.unwrap();
    assert!(summary.contains("\"invited_expired\":0"), "{summary}");

    // A fresh browser claims with the link from the file.
    let claimant = new_client();
    let opened = claimant.get(&grace["Claim link"]).header(ACCEPT, "text/html").send().await.unwrap();
    assert_eq!(opened.status(), StatusCode::SEE_OTHER);
    let wizard = claimant.get(app.url("/claim")).header(ACCEPT, "text/html").send().await.unwrap().text().await.unwrap();
    assert!(wizard.contains("Grace Hopper"), "the claim wizard opens for Grace");

    // Everyone, and formula-looking cells are defused.
    let everyone = browser.get(app.url("/admin/people/export.csv")).send().await.unwrap().text().await.unwrap();
    let everyone = rows(&everyone);
    assert_eq!(everyone.len(), 6, "the owner too");
    assert!(everyone.iter().any(|p| p["Full name"] == "'=HYPERLINK(\"http://evil.example\")"));
    // A search narrows it to exactly what it matches.
    let searched = browser.get(app.url("/admin/people/export.csv?q=HOPPER")).send().await.unwrap().text().await.unwrap();
    assert_eq!(rows(&searched).len(), 1);

    let audited: Vec<serde_json::Value> =
        sqlx::query_scalar("SELECT details FROM audit_event WHERE action = 'people.exported' ORDER BY id").fetch_all(&app.state.pool).await.unwrap();
    assert_eq!(audited.len(), 4);
    assert_eq!(audited[0], serde_json::json!({ "status": "invited", "search": null, "rows": 3, "complete": true }));
    assert_eq!(audited[3]["search"], "HOPPER");
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn a_large_export_streams_in_chunks(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, browser) = signed_in_owner(&app).await;
    sqlx::query(
        "INSERT INTO account (id, status, email, email_normalized, full_name, created_at, updated_at) \
         SELECT gen_random_uuid(), 'uninvited', 'p' || n || '@example.com', 'p' || n || '@example.com', 'Person ' || n, now(), now() \
         FROM generate_series(1, 20000) AS n",
    )
    .execute(&app.state.pool)
    .await
    .unwrap();
    let mut answer = browser.get(app.url("/admin/people/export.csv")).send().await.unwrap();
    // A file built whole before sending would say its length up front; a
    // streamed one cannot know it.
    assert!(answer.headers().get(reqwest::header::CONTENT_LENGTH).is_none(), "{:?}", answer.headers());
    assert_eq!(answer.headers()[reqwest::header::TRANSFER_ENCODING], "chunked");
    let (mut chunks, mut bytes, mut lines) = (0, 0, 0);
    while let Some(chunk) = answer.chunk().await.unwrap() {
        chunks += 1;
        bytes += chunk.len();
        lines += chunk.iter().filter(|b| **b == b'\n').count();
    }
    assert_eq!(lines, 20_002, "header, the owner and 20,000 people");
    assert!(chunks > 10, "sent as it is read, not built whole first: {chunks} chunks, {bytes} bytes");
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn the_audit_log_reads_in_words_filters_pages_and_exports(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (owner, browser) = signed_in_owner(&app).await;
    let grace = add(&app, "Grace Hopper", Some("grace@example.com"), false).await;
    let ada = Actor::account(owner, "Ada Admin").with_role(Role::Owner);
    lifecycle::invite(&app.state, grace, &Invitation::default(), &ada, now()).await.unwrap();
    lifecycle::deactivate(&app.state, grace, &Actor::integration(app::domain::IntegrationId(uuid::Uuid::new_v4()), "Okta"), now()).await.unwrap();
    // 120 old sign-ins, to page through.
    sqlx::query(
        "INSERT INTO audit_event (occurred_at, actor_id, actor_label, action, target_kind, target_id, target_label) \
         SELECT timestamptz '2026-01-01' + n * interval '1 minute', $1, 'Ada Admin', 'session.signed_in', 'account', $1, 'Ada Admin <owner@example.com>' \
         FROM generate_series(1, 120) AS n",
    )
    .bind(owner)
    .execute(&app.state.pool)
    .await
    .unwrap();
    let log = |form: Vec<(&'static str, String)>| {
        let browser = browser.clone();
        let app = &app;
        async move {
            let mut full: Vec<(&str, String)> = ["person", "action", "from", "to", "before"].iter().map(|k| (*k, String::new())).collect();
            for (k, v) in form {
                full.iter_mut().find(|(name, _)| *name == k).unwrap().1 = v;
            }
            let form: Vec<(&str, &str)> = full.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let answer = app.call(&browser, "admin_audit_log", &form).await;
            (answer.status(), serde_json::from_str::<serde_json::Value>(&answer.text().await.unwrap()).unwrap())
        }
    };
    let sentences =
        |page: &serde_json::Value| page["entries"].as_array().unwrap().iter().map(|e| e["sentence"].as_str().unwrap().to_owned()).collect::<Vec<_>>();

    let (status, about_grace) = log(vec![("person", "grace@example.com".into())]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        sentences(&about_grace),
        [
            "Okta integration deactivated Grace Hopper <grace@example.com>",
            "Ada Admin invited Grace Hopper <grace@example.com>",
            "Embark added Grace Hopper <grace@example.com>"
        ]
    );
    assert_eq!(about_grace["person"]["label"], "Grace Hopper <grace@example.com>");

    let (_, invitations) = log(vec![("action", "account.invited".into())]).await;
    assert_eq!(sentences(&invitations), ["Ada Admin invited Grace Hopper <grace@example.com>"]);

    // Keyset pages of 50, newest first, through the whole range.
    let (_, first) = log(vec![("action", "session.signed_in".into()), ("to", "2026-01-31".into())]).await;
    assert_eq!(first["entries"].as_array().unwrap().len(), 50);
    let mut seen = 50;
    let mut older = first["older"].as_str().map(str::to_owned);
    while let Some(cursor) = older {
        let (_, next) = log(vec![("action", "session.signed_in".into()), ("to", "2026-01-31".into()), ("before", cursor)]).await;
        seen += next["entries"].as_array().unwrap().len();
        older = next["older"].as_str().map(str::to_owned);
    }
    assert_eq!(seen, 120);
    let (_, none) = log(vec![("from", "2026-01-02".into()), ("to", "2026-01-03".into())]).await;
    assert!(none["entries"].as_array().unwrap().is_empty());

    let (status, refused) = log(vec![("person", "nobody@example.com".into()), ("from", "yesterday".into())]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let (status, unknown) = log(vec![("person", "nobody@example.com".into())]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unknown.to_string().contains("No one in Embark has the email address nobody@example.com"), "{unknown}");

    // The page renders the sentences for a first-time reader.
    let html = browser.get(app.url("/admin/audit?person=grace%40example.com")).header(ACCEPT, "text/html").send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Okta integration deactivated Grace Hopper"), "{html}");

    // The export holds every matching entry, formula-safe, and is audited.
    sqlx::query("UPDATE audit_event SET actor_label = '=cmd|x' WHERE action = 'account.invited'").execute(&app.state.pool).await.unwrap();
    let csv_text = browser.get(app.url("/admin/audit.csv?person=grace%40example.com")).send().await.unwrap().text().await.unwrap();
    let entries = rows(&csv_text);
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[1]["Actor"], "'=cmd|x");
    assert!(entries[1]["What happened"].starts_with("'=cmd|x invited Grace Hopper"));
    let refused = browser.get(app.url("/admin/audit.csv?person=nobody%40example.com")).header(ACCEPT, "text/html").send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let exported: serde_json::Value =
        sqlx::query_scalar("SELECT details FROM audit_event WHERE action = 'audit.exported'").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(exported["rows"], 3);
    assert_eq!(exported["person"], grace.to_string());
}
