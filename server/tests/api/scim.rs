//! The SCIM 2.0 API: integrations and their tokens, Users and Groups as
//! Okta and Entra ID really call them, filters, paging, ETags, errors, the
//! "invite automatically" switch, and the scim2-tester conformance suite
//! (PyPI `scim2-cli`, installed by scripts/test) run against the server.

use crate::helpers::{spawn_app, TestApp};
use app::domain::{AccountId, AccountStatus, Actor, IntegrationSettings};
use app::server::services::integrations;
use app::server::services::lifecycle::{self, Invitation};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, ETAG, IF_MATCH};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::PgPool;
use time::OffsetDateTime;

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// A client calling as one integration.
struct Scim<'a> {
    app: &'a TestApp,
    token: String,
    id: app::domain::IntegrationId,
}

async fn integration<'a>(app: &'a TestApp, name: &str) -> Scim<'a> {
    let settings = IntegrationSettings::parse(name, "").unwrap();
    let issued = integrations::create(&app.state, &settings, &Actor::system(), OffsetDateTime::now_utc()).await.unwrap();
    Scim { app, token: issued.token, id: issued.integration }
}

impl Scim<'_> {
    fn url(&self, path: &str) -> String {
        self.app.url(&format!("/scim/v2{path}"))
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>, if_match: Option<&str>) -> (StatusCode, Value, Option<String>) {
        let mut request = self.app.client.request(method, self.url(path)).header(AUTHORIZATION, format!("Bearer {}", self.token));
        if let Some(body) = body {
            request = request.header(CONTENT_TYPE, "application/scim+json").body(body.to_string());
        }
        if let Some(tag) = if_match {
            request = request.header(IF_MATCH, tag);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let etag = response.headers().get(ETAG).map(|v| v.to_str().unwrap().to_owned());
        if status != StatusCode::NO_CONTENT {
            assert_eq!(response.headers().get(CONTENT_TYPE).unwrap(), "application/scim+json", "{status}");
        }
        let text = response.text().await.unwrap();
        (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() }, etag)
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let (status, body, _) = self.send(reqwest::Method::GET, path, None, None).await;
        (status, body)
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let (status, body, _) = self.send(reqwest::Method::POST, path, Some(body), None).await;
        (status, body)
    }

    async fn patch(&self, path: &str, operations: Value) -> (StatusCode, Value) {
        let (status, body, _) = self.send(reqwest::Method::PATCH, path, Some(json!({ "schemas": [PATCH], "Operations": operations })), None).await;
        (status, body)
    }
}

async fn status_of(app: &TestApp, id: &str) -> AccountStatus {
    sqlx::query_scalar("SELECT status FROM account WHERE id = $1::uuid").bind(id).fetch_one(&app.state.pool).await.unwrap()
}

/// What Okta sends to create a person.
fn okta_user(email: &str, given: &str, family: &str) -> Value {
    json!({
        "schemas": [USER],
        "userName": email,
        "name": { "givenName": given, "familyName": family },
        "emails": [{ "primary": true, "value": email, "type": "work" }],
        "displayName": format!("{given} {family}"),
        "locale": "en-US",
        "externalId": format!("00u{}", given.to_lowercase()),
        "groups": [],
        "password": "ignored-by-embark",
        "active": true
    })
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn the_scim_conformance_suite_passes(pool: PgPool) {
    // The suite sends a few hundred requests in about two seconds.
    let app = crate::helpers::spawn_app_with(pool, |state| state.scim_requests_per_second = 10_000).await;
    let scim = integration(&app, "Conformance").await;
    let scim2 = std::env::var("EMBARK_TEST_SCIM2").expect("EMBARK_TEST_SCIM2 names the scim2 command (scripts/test installs scim2-cli)");
    let output = tokio::process::Command::new(scim2)
        .args(["--url", &scim.url(""), "test"])
        .env("SCIM_CLI_HEADERS", format!("Authorization: Bearer {}", scim.token))
        .output()
        .await
        .unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "scim2 test failed:\n{report}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(report.contains("User") && report.contains("Group"), "the suite ran the User and Group checks:\n{report}");
    let passed = report.lines().filter(|line| line.starts_with("SUCCESS")).count();
    println!("scim2 test: {passed} checks passed, none failed or skipped");
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn okta_creates_finds_updates_and_deactivates_a_person(pool: PgPool) {
    let app = spawn_app(pool).await;
    let okta = integration(&app, "Okta").await;

    // Okta first looks the person up by userName.
    let (status, found) = okta.get("/Users?filter=userName%20eq%20%22sam.lee%40acme.test%22&startIndex=1&count=100").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found["totalResults"], 0);

    let (status, created) = okta.post("/Users", okta_user("sam.lee@acme.test", "Sam", "Lee")).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["userName"], "sam.lee@acme.test");
    assert_eq!(created["name"], json!({ "givenName": "Sam", "familyName": "Lee" }));
    assert_eq!(created["active"], true);
    assert_eq!(status_of(&app, created["id"].as_str().unwrap()).await, AccountStatus::Uninvited, "the switch is off: people arrive uninvited");
    assert!(created["meta"]["version"].as_str().unwrap().starts_with("W/\""));

    let (_, found) = okta.get("/Users?filter=userName%20eq%20%22SAM.LEE%40acme.test%22").await;
    assert_eq!(found["totalResults"], 1, "userName is compared without case");
    assert_eq!(found["Resources"][0]["id"], id.as_str());

    // A path-less replace with dotted keys and the extension URN.
    let (status, patched) = okta
        .patch(
            &format!("/Users/{id}"),
            json!([{ "op": "replace", "value": { "name.familyName": "Lee-Park", "title": "Engineer", ENTERPRISE: { "department": "R&D" } } }]),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["name"]["familyName"], "Lee-Park");
    assert_eq!(patched["title"], "Engineer");
    assert_eq!(patched[ENTERPRISE]["department"], "R&D");

    // Deactivation ends access, and the audit log names the integration.
    let (status, patched) = okta.patch(&format!("/Users/{id}"), json!([{ "op": "replace", "value": { "active": false } }])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(patched["active"], false);
    let account: AccountStatus = sqlx::query_scalar("SELECT status FROM account WHERE id = $1::uuid").bind(&id).fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(account, AccountStatus::Deactivated);
    let actor: String = sqlx::query_scalar("SELECT actor_label FROM audit_event WHERE action = 'account.deactivated' AND target_id = $1::uuid")
        .bind(&id)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(actor, "Okta integration");
    let page = integrations::page(&app.state, OffsetDateTime::now_utc()).await.unwrap();
    let recent = &page.integrations[0].recent;
    assert!(recent[0].contains("Deactivated: Sam Lee <sam.lee@acme.test>"), "{recent:?}");
    assert!(recent.iter().any(|line| line.contains("Integration created by Embark")), "{recent:?}");

    // And reactivation brings them back, uninvited (their links were revoked).
    let (_, patched) = okta.patch(&format!("/Users/{id}"), json!([{ "op": "replace", "path": "active", "value": true }])).await;
    assert_eq!(patched["active"], true);
    assert_eq!(status_of(&app, &id).await, AccountStatus::Uninvited);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn entra_id_patches_with_capitalised_ops_string_booleans_and_value_paths(pool: PgPool) {
    let app = spawn_app(pool).await;
    let entra = integration(&app, "Entra ID").await;
    let (_, manager) = entra.post("/Users", okta_user("boss@acme.test", "Bo", "Boss")).await;
    let (_, created) = entra
        .post(
            "/Users",
            json!({ "schemas": [USER, ENTERPRISE], "externalId": "e-1", "userName": "wen@acme.test", "active": true, "displayName": "Wen Ortiz",
                    "emails": [{ "primary": true, "type": "work", "value": "wen@acme.test" }], "name": { "formatted": "Wen Ortiz", "familyName": "Ortiz", "givenName": "Wen" } }),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let (status, patched) = entra
        .patch(
            &format!("/Users/{id}"),
            json!([
                { "op": "Replace", "path": "title", "value": "Buyer" },
                { "op": "Add", "path": "phoneNumbers[type eq \"work\"].value", "value": "+1 555 0100" },
                { "op": "Add", "path": format!("{ENTERPRISE}:manager"), "value": manager["id"] },
                { "op": "Replace", "path": "active", "value": "False" }
            ]),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["title"], "Buyer");
    assert_eq!(patched["phoneNumbers"], json!([{ "value": "+1 555 0100" }]));
    assert_eq!(patched[ENTERPRISE]["manager"]["value"], manager["id"]);
    assert_eq!(patched["active"], false);

    // Entra ID finds people by externalId too, and removes a manager.
    let (_, found) = entra.get("/Users?filter=externalId%20eq%20%22e-1%22").await;
    assert_eq!(found["Resources"][0]["id"], id.as_str());
    let (_, patched) = entra.patch(&format!("/Users/{id}"), json!([{ "op": "Remove", "path": format!("{ENTERPRISE}:manager") }])).await;
    assert!(patched[ENTERPRISE].get("manager").is_none(), "{patched}");
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn groups_are_created_renamed_and_their_members_patched_one_by_one(pool: PgPool) {
    let app = spawn_app(pool).await;
    let okta = integration(&app, "Okta").await;
    let (_, ada) = okta.post("/Users", okta_user("ada@acme.test", "Ada", "L")).await;
    let (_, bob) = okta.post("/Users", okta_user("bob@acme.test", "Bob", "M")).await;
    let (status, group) = okta
        .post("/Groups", json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Sales", "members": [{ "value": ada["id"] }] }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{group}");
    let gid = group["id"].as_str().unwrap().to_owned();

    let (status, duplicate) = okta.post("/Groups", json!({ "displayName": "sales" })).await;
    assert_eq!((status, duplicate["scimType"].as_str()), (StatusCode::CONFLICT, Some("uniqueness")));

    let (status, patched) = okta
        .patch(
            &format!("/Groups/{gid}"),
            json!([
                { "op": "add", "path": "members", "value": [{ "value": bob["id"], "display": "Bob M" }] },
                { "op": "remove", "path": format!("members[value eq \"{}\"]", ada["id"].as_str().unwrap()) },
                { "op": "replace", "value": { "displayName": "Sales EMEA" } }
            ]),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["displayName"], "Sales EMEA");
    assert_eq!(patched["members"].as_array().unwrap().iter().map(|m| m["value"].clone()).collect::<Vec<_>>(), vec![bob["id"].clone()]);

    let (_, found) = okta.get(&format!("/Groups?filter=members%5Bvalue%20eq%20%22{}%22%5D", bob["id"].as_str().unwrap())).await;
    assert_eq!(found["totalResults"], 1);
    let (status, unknown) = okta
        .patch(&format!("/Groups/{gid}"), json!([{ "op": "add", "path": "members", "value": [{ "value": "0190c0de-0000-7000-8000-000000000000" }] }]))
        .await;
    assert_eq!((status, unknown["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidValue")));

    let (status, _, _) = okta.send(reqwest::Method::DELETE, &format!("/Groups/{gid}"), None, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(okta.get(&format!("/Groups/{gid}")).await.0, StatusCode::NOT_FOUND);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn conflicts_stale_versions_and_bad_filters_get_scim_errors_and_change_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    let okta = integration(&app, "Okta").await;
    let (_, sam) = okta.post("/Users", okta_user("sam@acme.test", "Sam", "Lee")).await;
    let id = sam["id"].as_str().unwrap();

    let (status, conflict) = okta.post("/Users", okta_user("SAM@acme.test", "Other", "Sam")).await;
    assert_eq!((status, conflict["scimType"].as_str(), conflict["status"].as_str()), (StatusCode::CONFLICT, Some("uniqueness"), Some("409")));

    let stale = sam["meta"]["version"].as_str().unwrap().to_owned();
    let (status, body, etag) = okta.send(reqwest::Method::PUT, &format!("/Users/{id}"), Some(okta_user("sam@acme.test", "Samuel", "Lee")), Some(&stale)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_ne!(etag.as_deref(), Some(stale.as_str()), "a write gives a new version");
    let (status, _, _) = okta.send(reqwest::Method::PUT, &format!("/Users/{id}"), Some(okta_user("sam@acme.test", "Sammy", "Lee")), Some(&stale)).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(okta.get(&format!("/Users/{id}")).await.1["name"]["givenName"], "Samuel");

    for (filter, kind) in [("password%20eq%20%22x%22", "invalidFilter"), ("userName%20eq", "invalidFilter"), ("active%20co%20%22t%22", "invalidFilter")] {
        let (status, error) = okta.get(&format!("/Users?filter={filter}")).await;
        assert_eq!((status, error["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some(kind)), "{filter}");
    }
    let (status, error) = okta.post("/Users", json!({ "name": { "givenName": "No" } })).await;
    assert_eq!((status, error["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidValue")));
    assert!(error["detail"].as_str().unwrap().contains("userName"));
    let (status, _) = okta.get("/Users/not-an-id").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let people: i64 = sqlx::query_scalar("SELECT count(*) FROM account").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(people, 1);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn lists_are_paged_in_a_stable_order_and_attributes_can_be_chosen(pool: PgPool) {
    let app = spawn_app(pool).await;
    let okta = integration(&app, "Okta").await;
    for i in 0..5 {
        okta.post("/Users", okta_user(&format!("p{i}@acme.test"), &format!("P{i}"), "Person")).await;
    }
    let (_, first) = okta.get("/Users?startIndex=1&count=2").await;
    let (_, second) = okta.get("/Users?startIndex=3&count=2").await;
    assert_eq!((first["totalResults"].as_i64(), first["itemsPerPage"].as_i64()), (Some(5), Some(2)));
    assert_eq!(first["Resources"][0]["userName"], "p0@acme.test");
    assert_eq!(second["Resources"][0]["userName"], "p2@acme.test");
    let (_, huge) = okta.get("/Users?count=100000").await;
    assert_eq!(huge["itemsPerPage"], 5);
    let (_, only) = okta.get("/Users?count=1&attributes=userName,name.givenName").await;
    let only = &only["Resources"][0];
    assert_eq!(only["name"], json!({ "givenName": "P0" }));
    assert!(only.get("emails").is_none() && only.get("id").is_some(), "{only}");
    let (_, without) = okta.get("/Users?count=1&excludedAttributes=emails").await;
    assert!(without["Resources"][0].get("emails").is_none());
    let (status, searched) = okta.post("/Users/.search", json!({ "filter": "name.familyName eq \"person\"", "startIndex": 5, "count": 10 })).await;
    assert_eq!((status, searched["totalResults"].as_i64(), searched["itemsPerPage"].as_i64()), (StatusCode::OK, Some(5), Some(1)));
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn tokens_are_checked_rotated_and_revoked(pool: PgPool) {
    let app = spawn_app(pool).await;
    let okta = integration(&app, "Okta").await;
    assert_eq!(okta.get("/Users").await.0, StatusCode::OK);

    for header in [None, Some("Bearer nonsense".to_owned()), Some(format!("Bearer {}x", okta.token)), Some(format!("Basic {}", okta.token))] {
        let mut request = app.client.get(okta.url("/Users"));
        if let Some(header) = header {
            request = request.header(AUTHORIZATION, header);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["status"], "401");
    }

    // A rotation with an overlap: both work until it ends.
    let rotated = integrations::rotate(&app.state, okta.id, 1, &Actor::system(), OffsetDateTime::now_utc()).await.unwrap();
    let new = Scim { app: &app, token: rotated.token.clone(), id: okta.id };
    assert_eq!(new.get("/Users").await.0, StatusCode::OK);
    assert_eq!(okta.get("/Users").await.0, StatusCode::OK, "the old token works during the overlap");
    // Without one, the old token stops at once.
    let again = integrations::rotate(&app.state, okta.id, 0, &Actor::system(), OffsetDateTime::now_utc()).await.unwrap();
    assert_eq!(new.get("/Users").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(okta.get("/Users").await.0, StatusCode::UNAUTHORIZED);
    let latest = Scim { app: &app, token: again.token, id: okta.id };
    assert_eq!(latest.get("/Users").await.0, StatusCode::OK);

    integrations::revoke(&app.state, okta.id, &Actor::system(), OffsetDateTime::now_utc()).await.unwrap();
    assert_eq!(latest.get("/Users").await.0, StatusCode::UNAUTHORIZED);

    // Neither the token nor its secret part is anywhere in the row.
    let (_, secret) = latest.token.split_once('.').unwrap();
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM integration i WHERE position($1 in i::text) > 0 OR position($2 in i::text) > 0")
        .bind(&latest.token)
        .bind(secret)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0, "only a digest of the token is stored");
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn the_invite_automatically_switch_invites_people_as_they_arrive(pool: PgPool) {
    let app = spawn_app(pool).await;
    let okta = integration(&app, "Okta").await;
    integrations::set_invite_automatically(&app.state, okta.id, true, &Actor::system(), OffsetDateTime::now_utc()).await.unwrap();
    let (_, created) = okta.post("/Users", okta_user("new@acme.test", "New", "Hire")).await;
    assert_eq!(status_of(&app, created["id"].as_str().unwrap()).await, AccountStatus::Invited);
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM email_outbox WHERE account_id = $1::uuid")
        .bind(created["id"].as_str().unwrap())
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(queued, 1, "the claim email is queued");
    // Someone created inactive is not invited.
    let mut inactive = okta_user("later@acme.test", "Later", "Hire");
    inactive["active"] = json!(false);
    let (_, created) = okta.post("/Users", inactive).await;
    assert_eq!(created["active"], false);
    assert_eq!(status_of(&app, created["id"].as_str().unwrap()).await, AccountStatus::Deactivated);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn deleting_a_user_ends_their_access_and_removes_them(pool: PgPool) {
    let app = spawn_app(pool).await;
    let okta = integration(&app, "Okta").await;
    let (_, sam) = okta.post("/Users", okta_user("sam@acme.test", "Sam", "Lee")).await;
    let id = sam["id"].as_str().unwrap();
    let (status, _, _) = okta.send(reqwest::Method::DELETE, &format!("/Users/{id}"), None, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(okta.get(&format!("/Users/{id}")).await.0, StatusCode::NOT_FOUND);
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action::text FROM audit_event WHERE target_id = $1::uuid ORDER BY id").bind(id).fetch_all(&app.state.pool).await.unwrap();
    assert_eq!(actions, ["account.created", "account.deactivated", "account.deleted"]);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn the_api_is_not_a_browser_page_and_needs_no_session_or_origin(pool: PgPool) {
    let app = spawn_app(pool).await;
    let okta = integration(&app, "Okta").await;
    // A cross-site POST with a bearer token is a machine call, not CSRF.
    let response = app
        .client
        .post(okta.url("/Users"))
        .header(AUTHORIZATION, format!("Bearer {}", okta.token))
        .header("Origin", "https://evil.example")
        .header(CONTENT_TYPE, "application/json")
        .body(okta_user("x@acme.test", "X", "Y").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(response.headers().get("set-cookie").is_none(), "no session is made");
    let (status, body) = okta.get("/Nothing/here").await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::NOT_FOUND, Some("404")));
    let (status, body) = okta.post("/Users", json!("not an object")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let response = app.client.post(okta.url("/Users")).header(AUTHORIZATION, format!("Bearer {}", okta.token)).body("{").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn guessing_tokens_from_one_address_is_stopped_and_audited(pool: PgPool) {
    let app = spawn_app(pool).await;
    let okta = integration(&app, "Okta").await;
    let guess = Scim { app: &app, token: format!("{}.guess", okta.token.split_once('.').unwrap().0), id: okta.id };
    for _ in 0..30 {
        assert_eq!(guess.get("/Users").await.0, StatusCode::UNAUTHORIZED);
    }
    let (status, body) = guess.get("/Users").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(body["detail"].as_str().unwrap().contains("wait 15 minutes"), "{body}");
    // Until the window passes, even the right token is not looked up from there.
    assert_eq!(okta.get("/Users").await.0, StatusCode::TOO_MANY_REQUESTS);
    let audited: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_event WHERE action = 'security.throttled' AND details->>'limit' = 'scim_token_address'")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(audited, 1);
}

/// `GET /Users?filter=…` → how many match.
async fn matching(scim: &Scim<'_>, filter: &str) -> (StatusCode, Value) {
    let encoded: String = url::form_urlencoded::byte_serialize(filter.as_bytes()).collect();
    scim.get(&format!("/Users?filter={encoded}")).await
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn every_filter_operator_and_combination_selects_the_right_people(pool: PgPool) {
    let app = spawn_app(pool).await;
    let okta = integration(&app, "Okta").await;
    let mut ada = okta_user("ada@a.test", "Ada", "Lovelace");
    ada["title"] = json!("Engineer");
    ada["externalId"] = json!("E-1");
    let mut bob = okta_user("bob@b.test", "Bob", "Builder");
    bob["title"] = json!("Buyer");
    bob["active"] = json!(false);
    let carla = json!({ "userName": "carla.c", "displayName": "Carla Cruz", "emails": [{ "value": "carla@a.test" }] });
    for person in [ada, bob, carla] {
        assert_eq!(okta.post("/Users", person).await.0, StatusCode::CREATED);
    }
    let cases: &[(&str, i64)] = &[
        (r#"userName eq "ADA@A.TEST""#, 1),
        (r#"userName ne "ada@a.test""#, 2),
        (r#"userName co "a.t""#, 1),
        (r#"userName sw "carla""#, 1),
        (r#"emails.value ew "@a.test""#, 2),
        (r#"emails[type eq "work" and value co "@b."]"#, 1),
        (r#"name.givenName sw "a""#, 1),
        (r#"name.familyName pr"#, 2),
        (r#"displayName gt "Bob""#, 2),
        (r#"displayName ge "Bob Builder""#, 2),
        (r#"displayName lt "Bob""#, 1),
        (r#"displayName le "Ada Lovelace""#, 1),
        (r#"title pr"#, 2),
        (r#"not (title pr)"#, 1),
        (r#"externalId eq "E-1""#, 1),
        (r#"externalId eq "e-1""#, 0),
        (r#"active eq false"#, 1),
        (r#"(title eq "Engineer" or title eq "Buyer") and active eq true"#, 1),
        (r#"title eq "Engineer" or not (active eq true)"#, 2),
        (r#"meta.created gt "2000-01-01T00:00:00Z""#, 3),
        (r#"meta.lastModified lt "2000-01-01T00:00:00Z""#, 0),
        (r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bob@b.test""#, 1),
        // A quote inside a value is part of the value, not SQL.
        (r#"userName eq "x\" or 1 eq 1""#, 0),
        (r#"userName eq "x' OR '1'='1""#, 0),
    ];
    for (filter, expected) in cases {
        let (status, body) = matching(&okta, filter).await;
        assert_eq!(status, StatusCode::OK, "{filter}: {body}");
        assert_eq!(body["totalResults"].as_i64(), Some(*expected), "{filter}");
    }
    let deep = format!("{}userName pr{}", "(".repeat(100), ")".repeat(100));
    let long = format!("userName eq \"{}\"", "x".repeat(10_000));
    let refused: &[(&str, &str)] = &[
        (r#"userName eq "x" or 1 eq 1"#, "invalidFilter"),
        (r#"userName eq "x"; DROP TABLE account"#, "invalidFilter"),
        (&deep, "invalidFilter"),
        (&long, "tooMany"),
        (r#"title gt true"#, "invalidFilter"),
    ];
    for (filter, kind) in refused {
        let (status, body) = matching(&okta, filter).await;
        assert_eq!((status, body["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some(*kind)), "{}", &filter[..filter.len().min(60)]);
    }
    let people: i64 = sqlx::query_scalar("SELECT count(*) FROM account").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(people, 3);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn paging_across_a_thousand_people_sees_each_once(pool: PgPool) {
    let app = spawn_app(pool).await;
    let okta = integration(&app, "Okta").await;
    sqlx::query(
        "INSERT INTO account (id, status, email, email_normalized, full_name, created_at, updated_at) \
         SELECT gen_random_uuid(), 'uninvited', 'p' || n || '@acme.test', 'p' || n || '@acme.test', 'Person ' || n, now(), now() FROM generate_series(1, 1000) n",
    )
    .execute(&app.state.pool)
    .await
    .unwrap();
    let mut seen = std::collections::BTreeSet::new();
    let mut start = 1;
    loop {
        let (_, page) = okta.get(&format!("/Users?startIndex={start}&count=200")).await;
        assert_eq!(page["totalResults"], 1000);
        let resources = page["Resources"].as_array().unwrap();
        if resources.is_empty() {
            break;
        }
        for resource in resources {
            assert!(seen.insert(resource["id"].as_str().unwrap().to_owned()), "seen twice");
        }
        start += resources.len();
    }
    assert_eq!(seen.len(), 1000);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn deactivating_through_scim_ends_a_signed_in_persons_session_at_once(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_claimed_employee("eve@example.com").await;
    let laptop = crate::helpers::new_client();
    app.sign_in(&laptop, "eve@example.com", crate::helpers::PASSWORD).await;
    assert_eq!(laptop.get(app.url("/")).send().await.unwrap().status(), StatusCode::OK);
    let okta = integration(&app, "Okta").await;
    let (_, found) = matching(&okta, r#"userName eq "eve@example.com""#).await;
    let id = found["Resources"][0]["id"].as_str().unwrap().to_owned();
    let (status, _) = okta.patch(&format!("/Users/{id}"), json!([{ "op": "Replace", "path": "active", "value": "False" }])).await;
    assert_eq!(status, StatusCode::OK);
    let response = laptop.get(app.url("/")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(crate::helpers::location(&response).starts_with("/sign-in"));
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn a_new_address_for_an_invited_person_stops_the_old_link_and_sends_a_new_one_when_the_switch_is_on(pool: PgPool) {
    let app = spawn_app(pool).await;
    let okta = integration(&app, "Okta").await;
    integrations::set_invite_automatically(&app.state, okta.id, true, &Actor::system(), OffsetDateTime::now_utc()).await.unwrap();
    let (_, sam) = okta.post("/Users", okta_user("sam@old.test", "Sam", "Lee")).await;
    let id = sam["id"].as_str().unwrap().to_owned();
    let (status, body) = okta.patch(&format!("/Users/{id}"), json!([{ "op": "replace", "path": "userName", "value": "sam@new.test" }])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let links: Vec<(String,)> = sqlx::query_as("SELECT state::text FROM claim_credential WHERE account_id = $1::uuid ORDER BY created_at")
        .bind(&id)
        .fetch_all(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(links, [("revoked".to_owned(),), ("active".to_owned(),)]);
    let mail: Vec<(String,)> = sqlx::query_as("SELECT state::text FROM email_outbox WHERE account_id = $1::uuid ORDER BY created_at")
        .bind(&id)
        .fetch_all(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(mail, [("cancelled".to_owned(),), ("queued".to_owned(),)]);

    // With the switch off, the old link still stops; the admin invites again.
    integrations::set_invite_automatically(&app.state, okta.id, false, &Actor::system(), OffsetDateTime::now_utc()).await.unwrap();
    okta.patch(&format!("/Users/{id}"), json!([{ "op": "replace", "path": "userName", "value": "sam@third.test" }])).await;
    let active: i64 = sqlx::query_scalar("SELECT count(*) FROM claim_credential WHERE account_id = $1::uuid AND state = 'active'")
        .bind(&id)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(active, 0);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn invite_all_turns_automatic_invitations_on_for_every_live_integration(pool: PgPool) {
    let app = spawn_app(pool).await;
    let okta = integration(&app, "Okta").await;
    let entra = integration(&app, "Entra ID").await;
    let retired = integration(&app, "Retired").await;
    integrations::revoke(&app.state, retired.id, &Actor::system(), OffsetDateTime::now_utc()).await.unwrap();
    okta.post("/Users", okta_user("first@acme.test", "First", "Person")).await;
    let unsent = app::server::services::invitations::unsent(&app.state, None, OffsetDateTime::now_utc()).await.unwrap();
    assert_eq!(unsent.integrations_to_switch_on, ["Entra ID", "Okta"], "the confirmation names them");

    let sent = app::server::services::lifecycle::invite_many(
        &app.state,
        app::server::services::lifecycle::InviteScope::AllUninvited,
        &Default::default(),
        &Actor::system(),
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    assert_eq!(sent, 1);
    let page = integrations::page(&app.state, OffsetDateTime::now_utc()).await.unwrap();
    let switched: Vec<(String, bool)> = page.integrations.iter().map(|i| (i.name.clone(), i.invite_automatically)).collect();
    assert_eq!(switched, [("Entra ID".to_owned(), true), ("Okta".to_owned(), true), ("Retired".to_owned(), false)]);
    let (_, later) = entra.post("/Users", okta_user("later@acme.test", "Later", "Person")).await;
    assert_eq!(status_of(&app, later["id"].as_str().unwrap()).await, AccountStatus::Invited);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn each_integration_has_its_own_request_rate(pool: PgPool) {
    let app = crate::helpers::spawn_app_with(pool, |state| state.scim_requests_per_second = 1).await;
    let okta = integration(&app, "Okta").await;
    let entra = integration(&app, "Entra ID").await;
    // A burst of twice the rate passes; the next is refused with a wait.
    assert_eq!(okta.get("/Users").await.0, StatusCode::OK);
    assert_eq!(okta.get("/Users").await.0, StatusCode::OK);
    let response = app.client.get(okta.url("/Users")).header(AUTHORIZATION, format!("Bearer {}", okta.token)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.headers().get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "429");
    // Another integration is not slowed by the first.
    assert_eq!(entra.get("/Users").await.0, StatusCode::OK);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn each_user_carries_its_lifecycle_read_only_in_the_embark_extension(pool: PgPool) {
    const EMBARK: &str = "urn:ietf:params:scim:schemas:extension:embark:2.0:User";
    let app = spawn_app(pool).await;
    let okta = integration(&app, "Okta").await;
    let (status, schema) = okta.get(&format!("/Schemas/{EMBARK}")).await;
    assert_eq!(status, StatusCode::OK);
    let attributes = schema["attributes"].as_array().unwrap();
    assert!(attributes.iter().all(|a| a["mutability"] == "readOnly" && a["returned"] == "request"), "{schema}");

    // Returned when asked for, and only then.
    let (_, created) = okta.post("/Users", okta_user("sam@acme.test", "Sam", "Lee")).await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(created.get(EMBARK).is_none() && !created["schemas"].as_array().unwrap().contains(&json!(EMBARK)), "{created}");
    let lifecycle_of = |id: String| {
        let okta = &okta;
        async move { okta.get(&format!("/Users/{id}?attributes={EMBARK}")).await.1[EMBARK].clone() }
    };
    assert_eq!(lifecycle_of(id.clone()).await, json!({ "status": "uninvited", "invited": false, "claimed": false, "signInMethod": "password" }));

    let account: AccountId = id.parse().unwrap();
    lifecycle::invite(&app.state, account, &Invitation::default(), &Actor::system(), OffsetDateTime::now_utc()).await.unwrap();
    let lifecycle = lifecycle_of(id.clone()).await;
    assert_eq!((lifecycle["status"].as_str(), lifecycle["invited"].as_bool()), (Some("invited"), Some(true)));
    assert!(lifecycle["inviteDate"].as_str().is_some_and(|at| at.ends_with('Z')), "{lifecycle}");
    let (_, listed) = okta.get(&format!("/Users?filter=userName%20eq%20%22sam@acme.test%22&attributes={EMBARK}:status,userName")).await;
    assert_eq!(listed["Resources"][0][EMBARK], json!({ "status": "invited" }), "{listed}");

    // Read-only: a client cannot claim an account by writing the status.
    let (status, patched) = okta.patch(&format!("/Users/{id}"), json!([{ "op": "replace", "path": format!("{EMBARK}:status"), "value": "claimed" }])).await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(lifecycle_of(id.clone()).await["status"], "invited");
    assert_eq!(status_of(&app, &id).await, AccountStatus::Invited);
}
