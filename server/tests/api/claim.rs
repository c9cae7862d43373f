//! The claim link and wizard over HTTP, as a browser drives them.

use crate::helpers::{location, new_client, spawn_app, TestApp, PASSWORD};
use app::domain::Actor;
use app::domain::{AccountId, AccountStatus, EmailAddress, GroupId, PersonName};
use app::server::services::lifecycle::{self, Invitation, NewPerson};
use reqwest::header::{ACCEPT, ORIGIN};
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use sqlx::PgPool;
use time::OffsetDateTime;

/// An invited person and their claim link's secret.
pub(crate) async fn invite(app: &TestApp, email: &str) -> (AccountId, String) {
    let mut person = NewPerson::employee(PersonName::parse("Grace Hopper").unwrap(), EmailAddress::parse(email).unwrap());
    person.profile.title = "Rear Admiral".into();
    let (id, link) = lifecycle::create(&app.state, &person, Some(&Invitation::default()), &Actor::system(), OffsetDateTime::now_utc()).await.unwrap();
    (id, link.unwrap().secret.expose_secret().to_owned())
}

async fn group(app: &TestApp, name: &str, is_open: bool, suggested: bool) -> GroupId {
    let settings = app::domain::GroupSettings { name: name.to_owned(), description: String::new(), is_open, suggested_at_claim: suggested };
    app::server::services::groups::create(&app.state, &settings, &Actor::system(), OffsetDateTime::now_utc()).await.unwrap()
}

async fn claim_page(app: &TestApp, client: &reqwest::Client) -> String {
    client.get(app.url("/claim")).header(ACCEPT, "text/html").send().await.unwrap().text().await.unwrap()
}

async fn status(app: &TestApp, id: AccountId) -> AccountStatus {
    sqlx::query_scalar("SELECT status FROM account WHERE id = $1").bind(id).fetch_one(&app.state.pool).await.unwrap()
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn opening_a_claim_link_never_spends_it_and_takes_the_secret_out_of_the_address(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (id, secret) = invite(&app, "grace@example.com").await;
    // A mail scanner opens it first.
    let scanner = new_client().get(app.url(&format!("/claim/{secret}"))).send().await.unwrap();
    assert_eq!(scanner.status(), StatusCode::SEE_OTHER);
    let person = app.get(&format!("/claim/{secret}")).await;
    assert_eq!(location(&person), "/claim");
    assert_eq!(person.headers()["referrer-policy"], "no-referrer");
    assert_eq!(person.headers()["cache-control"], "no-store");
    assert!(claim_page(&app, &app.client).await.contains("Check your profile"));
    assert_eq!(status(&app, id).await, AccountStatus::Invited);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn the_wizard_claims_the_account_with_the_persons_choices_and_signs_them_in(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (id, secret) = invite(&app, "grace@example.com").await;
    let suggested = group(&app, "Engineering", true, true).await;
    let searched = group(&app, "Chess club", true, false).await;
    let closed = group(&app, "Board", false, false).await;

    app.get(&format!("/claim/{secret}")).await;
    let page = claim_page(&app, &app.client).await;
    assert!(page.contains("Step 1 of 3"), "{page}");
    assert!(page.contains("Rear Admiral"), "prefilled from provisioning");

    let profile = app
        .call(
            &app.client,
            "claim_profile",
            &[("full_name", "Grace B. Hopper"), ("title", "Rear Admiral"), ("department", "Navy"), ("location", "Arlington"), ("phone", "")],
        )
        .await;
    assert_eq!(profile.status(), StatusCode::OK, "{}", profile.text().await.unwrap());
    let weak = app.call(&app.client, "claim_password", &[("password", "grace-hopper-99"), ("password_confirmation", "grace-hopper-99")]).await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY, "the person's own name is refused");
    let password = app.call(&app.client, "claim_password", &[("password", PASSWORD), ("password_confirmation", PASSWORD)]).await;
    assert_eq!(password.status(), StatusCode::OK);

    let search = app.client.get(app.url("/claim?q=chess")).header(ACCEPT, "text/html").send().await.unwrap().text().await.unwrap();
    assert!(search.contains("Chess club") && search.contains("Engineering"));
    assert!(!search.contains("Board"));

    let finish = app
        .call(&app.client, "claim_finish", &[("groups[0]", &suggested.to_string()), ("groups[1]", &searched.to_string()), ("groups[2]", &closed.to_string())])
        .await;
    assert_eq!(finish.status(), StatusCode::OK, "{}", finish.text().await.unwrap());

    assert_eq!(status(&app, id).await, AccountStatus::Claimed);
    assert_eq!(app.get("/").await.status(), StatusCode::OK, "signed in at once");
    let (name, department): (String, String) =
        sqlx::query_as("SELECT full_name, department FROM account WHERE id = $1").bind(id).fetch_one(&app.state.pool).await.unwrap();
    assert_eq!((name.as_str(), department.as_str()), ("Grace B. Hopper", "Navy"));
    let mut groups: Vec<String> = sqlx::query_scalar("SELECT g.name FROM group_membership m JOIN account_group g ON g.id = m.group_id WHERE m.account_id = $1")
        .bind(id)
        .fetch_all(&app.state.pool)
        .await
        .unwrap();
    groups.sort();
    assert_eq!(groups, ["Chess club", "Engineering"], "a closed group outside the pool is not joined");

    // The new password signs in; the link is spent.
    assert_eq!(location(&app.sign_in(&new_client(), "grace@example.com", PASSWORD).await), "/");
    let later = new_client();
    later.get(app.url(&format!("/claim/{secret}"))).send().await.unwrap();
    assert!(claim_page(&app, &later).await.contains("already been claimed"));
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn the_server_enforces_the_wizards_order(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (id, secret) = invite(&app, "grace@example.com").await;
    app.get(&format!("/claim/{secret}")).await;
    let early_password = app.call(&app.client, "claim_password", &[("password", PASSWORD), ("password_confirmation", PASSWORD)]).await;
    assert_eq!(early_password.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(early_password.text().await.unwrap().contains("earlier steps"));
    let early_finish = app.call(&app.client, "claim_finish", &[]).await;
    assert_eq!(early_finish.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(status(&app, id).await, AccountStatus::Invited);

    // Without having opened a link, nothing can be claimed at all.
    let stranger = app.call(&new_client(), "claim_profile", &[("full_name", "X"), ("title", ""), ("department", ""), ("location", ""), ("phone", "")]).await;
    assert_eq!(stranger.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn required_terms_come_first_and_their_version_is_recorded(pool: PgPool) {
    let app = spawn_app(pool).await;
    sqlx::query("UPDATE settings SET require_terms = true, terms_text = 'Be kind.', terms_version = 3").execute(&app.state.pool).await.unwrap();
    let (id, secret) = invite(&app, "grace@example.com").await;
    app.get(&format!("/claim/{secret}")).await;
    let page = claim_page(&app, &app.client).await;
    assert!(page.contains("Be kind.") && page.contains("Step 1 of 4"), "{page}");
    let skipped = app.call(&app.client, "claim_profile", &[("full_name", "Grace"), ("title", ""), ("department", ""), ("location", ""), ("phone", "")]).await;
    assert_eq!(skipped.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.call(&app.client, "claim_accept_terms", &[]).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.call(&app.client, "claim_accept_terms", &[("accepted", "yes")]).await.status(), StatusCode::OK);
    app.call(&app.client, "claim_profile", &[("full_name", "Grace"), ("title", ""), ("department", ""), ("location", ""), ("phone", "")]).await;
    app.call(&app.client, "claim_password", &[("password", PASSWORD), ("password_confirmation", PASSWORD)]).await;
    assert_eq!(app.call(&app.client, "claim_finish", &[]).await.status(), StatusCode::OK);
    let (version, at): (Option<i32>, Option<OffsetDateTime>) =
        sqlx::query_as("SELECT terms_accepted_version, terms_accepted_at FROM account WHERE id = $1").bind(id).fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(version, Some(3));
    assert!(at.is_some());
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn bad_links_get_an_honest_page_before_any_form(pool: PgPool) {
    let app = spawn_app(pool).await;
    let unknown = new_client();
    let opened = unknown.get(app.url("/claim/not-a-real-link")).send().await.unwrap();
    assert_eq!(location(&opened), "/claim?link=unknown");
    let page = unknown.get(app.url(&location(&opened))).header(ACCEPT, "text/html").send().await.unwrap().text().await.unwrap();
    assert!(page.contains("recognise this link") && !page.contains("<form"), "{page}");

    let (id, first) = invite(&app, "grace@example.com").await;
    lifecycle::invite(&app.state, id, &Invitation::default(), &Actor::system(), OffsetDateTime::now_utc()).await.unwrap();
    let replaced = new_client();
    replaced.get(app.url(&format!("/claim/{first}"))).send().await.unwrap();
    assert!(claim_page(&app, &replaced).await.contains("This link has been replaced"));

    let (_, uninvited_then_deactivated) = invite(&app, "gone@example.com").await;
    let gone_id: AccountId = sqlx::query_scalar("SELECT id FROM account WHERE email = 'gone@example.com'").fetch_one(&app.state.pool).await.unwrap();
    lifecycle::deactivate(&app.state, gone_id, &Actor::system(), OffsetDateTime::now_utc()).await.unwrap();
    let deactivated = new_client();
    deactivated.get(app.url(&format!("/claim/{uninvited_then_deactivated}"))).send().await.unwrap();
    assert!(claim_page(&app, &deactivated).await.contains("This link has been replaced"), "deactivation revokes links");
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn an_expired_link_can_mail_a_new_one_to_the_address_on_file_once_in_a_while(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (id, secret) = invite(&app, "grace@example.com").await;
    crate::helpers::expire_claim_links(&app.state.pool, id).await;
    app.get(&format!("/claim/{secret}")).await;
    let page = claim_page(&app, &app.client).await;
    assert!(page.contains("This link has expired") && page.contains("Email me a new link"), "{page}");

    assert_eq!(app.call(&app.client, "claim_new_link", &[]).await.status(), StatusCode::OK);
    let queued: Vec<String> = sqlx::query_scalar("SELECT recipient FROM email_outbox WHERE account_id = $1 AND state = 'queued' ORDER BY created_at")
        .bind(id)
        .fetch_all(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(queued.last().map(String::as_str), Some("grace@example.com"));
    let again = app.call(&app.client, "claim_new_link", &[]).await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.text().await.unwrap().contains("a few minutes ago"));
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn a_claim_is_refused_while_someone_else_is_signed_in(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_admin("ada@example.com").await;
    app.sign_in(&app.client, "ada@example.com", PASSWORD).await;
    let (id, secret) = invite(&app, "grace@example.com").await;
    app.get(&format!("/claim/{secret}")).await;
    assert!(claim_page(&app, &app.client).await.contains("signed in as someone else"));
    let attempt = app.call(&app.client, "claim_finish", &[]).await;
    assert_eq!(attempt.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(status(&app, id).await, AccountStatus::Invited);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn an_admin_adds_a_person_who_is_invited_at_once(pool: PgPool) {
    let app = spawn_app(pool).await;
    let ada = app.create_admin("ada@example.com").await;
    app.sign_in(&app.client, "ada@example.com", PASSWORD).await;
    let navy = group(&app, "Navy", false, false).await.to_string();
    let unknown_manager = app
        .call(
            &app.client,
            "admin_add_person",
            &[
                ("email", "x@example.com"),
                ("full_name", "X"),
                ("title", ""),
                ("department", ""),
                ("location", ""),
                ("phone", ""),
                ("external_id", ""),
                ("manager_email", "nobody@example.com"),
                ("personal_message", ""),
            ],
        )
        .await;
    assert_eq!(unknown_manager.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unknown_manager.text().await.unwrap().contains("Add the manager first"));
    let form = [
        ("email", "grace@example.com"),
        ("full_name", "Grace Hopper"),
        ("title", "Admiral"),
        ("department", "Navy"),
        ("location", ""),
        ("phone", ""),
        ("external_id", "E-7"),
        ("manager_email", "ADA@example.com"),
        ("groups[0]", navy.as_str()),
        ("personal_message", "Welcome!"),
    ];
    let added = app.call(&app.client, "admin_add_person", &form).await;
    assert_eq!(added.status(), StatusCode::OK, "{}", added.text().await.unwrap());
    let (status, queued): (AccountStatus, i64) =
        sqlx::query_as("SELECT a.status, (SELECT count(*) FROM email_outbox o WHERE o.account_id = a.id) FROM account a WHERE email = 'grace@example.com'")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert_eq!((status, queued), (AccountStatus::Invited, 1));
    let (manager, groups): (Option<AccountId>, i64) = sqlx::query_as(
        "SELECT a.manager_id, (SELECT count(*) FROM group_membership m WHERE m.account_id = a.id) FROM account a WHERE email = 'grace@example.com'",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert_eq!((manager, groups), (Some(ada), 1), "manager and a closed group set by the admin");

    let duplicate = app.call(&app.client, "admin_add_person", &form).await;
    assert_eq!(duplicate.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(duplicate.text().await.unwrap().contains("Someone already has this email address"));
    let people = app.get("/admin/people?q=grace").await.text().await.unwrap();
    assert!(people.contains("Grace Hopper") && people.contains("Invited"), "{people}");

    let employee = new_client();
    app.create_claimed_employee("eve@example.com").await;
    app.sign_in(&employee, "eve@example.com", PASSWORD).await;
    assert_eq!(app.call(&employee, "admin_add_person", &form).await.status(), StatusCode::FORBIDDEN);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn the_people_list_pages_by_name_and_filters_by_status(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_admin("ada@example.com").await;
    app.sign_in(&app.client, "ada@example.com", PASSWORD).await;
    for i in 0..60 {
        let person = NewPerson::employee(PersonName::parse(&format!("Person {i:03}")).unwrap(), EmailAddress::parse(&format!("p{i}@example.com")).unwrap());
        lifecycle::create(&app.state, &person, None, &Actor::system(), OffsetDateTime::now_utc()).await.unwrap();
    }
    let first: serde_json::Value = app.call(&app.client, "admin_people", &[("status", "uninvited")]).await.json().await.unwrap();
    assert_eq!(first["people"].as_array().unwrap().len(), 50);
    assert_eq!(first["people"][0]["full_name"], "Person 000");
    let cursor = first["next"].as_str().unwrap().to_owned();
    let second: serde_json::Value = app.call(&app.client, "admin_people", &[("status", "uninvited"), ("after", &cursor)]).await.json().await.unwrap();
    let names: Vec<&str> = second["people"].as_array().unwrap().iter().map(|p| p["full_name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 10);
    assert_eq!(names[0], "Person 050");
    assert!(second["next"].is_null());
    let claimed: serde_json::Value = app.call(&app.client, "admin_people", &[("status", "claimed")]).await.json().await.unwrap();
    assert_eq!(claimed["people"].as_array().unwrap().len(), 1, "only the admin");
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn plain_form_posts_carry_the_session_through_the_wizard(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, secret) = invite(&app, "grace@example.com").await;
    app.get(&format!("/claim/{secret}")).await;
    let response = app
        .client
        .post(app.url("/api/claim_profile"))
        .header(ORIGIN, &app.address)
        .header(ACCEPT, "text/html")
        .form(&[("full_name", "Grace"), ("title", ""), ("department", ""), ("location", ""), ("phone", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&response), "/claim");
    assert!(claim_page(&app, &app.client).await.contains("Choose a password"));
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn admins_preview_then_send_invitations_and_deactivate_and_delete_from_the_person_page(pool: PgPool) {
    let app = spawn_app(pool).await;
    let admin_id = app.create_admin("ada@example.com").await;
    app.sign_in(&app.client, "ada@example.com", PASSWORD).await;
    let person = NewPerson::employee(PersonName::parse("Alan Turing").unwrap(), EmailAddress::parse("alan@example.com").unwrap());
    let (id, _) = lifecycle::create(&app.state, &person, None, &Actor::system(), OffsetDateTime::now_utc()).await.unwrap();
    let id_text = id.to_string();

    let preview: serde_json::Value =
        app.call(&app.client, "admin_person", &[("id", &id_text), ("preview", "true"), ("preview_message", "Hello Alan")]).await.json().await.unwrap();
    assert_eq!(preview["preview"]["to"], "alan@example.com");
    assert!(preview["preview"]["text"].as_str().unwrap().starts_with("Hello Alan"));
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM email_outbox WHERE account_id = $1").bind(id).fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(queued, 0, "a preview sends nothing");

    assert_eq!(app.call(&app.client, "admin_invite_person", &[("id", &id_text), ("personal_message", "Hello Alan")]).await.status(), StatusCode::OK);
    assert_eq!(status(&app, id).await, AccountStatus::Invited);
    assert_eq!(app.call(&app.client, "admin_invite_person", &[("id", &id_text), ("personal_message", "")]).await.status(), StatusCode::OK, "resend");
    let links: Vec<String> = sqlx::query_scalar("SELECT state::text FROM claim_credential WHERE account_id = $1 ORDER BY created_at")
        .bind(id)
        .fetch_all(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(links, ["revoked", "active"]);

    let own = app.call(&app.client, "admin_deactivate_person", &[("id", &admin_id.to_string())]).await;
    assert_eq!(own.status(), StatusCode::UNPROCESSABLE_ENTITY, "admins cannot lock themselves out");
    let too_early = app.call(&app.client, "admin_delete_person", &[("id", &id_text)]).await;
    assert_eq!(too_early.status(), StatusCode::UNPROCESSABLE_ENTITY, "only deactivated people can be deleted");
    assert_eq!(app.call(&app.client, "admin_deactivate_person", &[("id", &id_text)]).await.status(), StatusCode::OK);
    assert_eq!(app.call(&app.client, "admin_delete_person", &[("id", &id_text)]).await.status(), StatusCode::OK);
    let page = app.get(&format!("/admin/people/{id}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("not found"));

    let employee = new_client();
    app.create_claimed_employee("eve@example.com").await;
    app.sign_in(&employee, "eve@example.com", PASSWORD).await;
    for server_fn in ["admin_person", "admin_invite_person", "admin_deactivate_person", "admin_reactivate_person", "admin_delete_person"] {
        let response = app.call(&employee, server_fn, &[("id", &admin_id.to_string()), ("personal_message", "")]).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{server_fn}");
    }
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn home_shows_your_groups_and_colleagues_including_those_not_yet_joined(pool: PgPool) {
    let app = spawn_app(pool).await;
    let eve = app.create_claimed_employee("eve@example.com").await;
    let chess = group(&app, "Chess club", true, false).await;
    let eve_email = EmailAddress::parse("eve@example.com").unwrap();
    let added = app::server::services::groups::add_member_by_email(&app.state, chess, &eve_email, &Actor::system(), OffsetDateTime::now_utc()).await;
    assert_eq!(added.unwrap(), eve);
    let waiting = NewPerson::employee(PersonName::parse("Walter Waiting").unwrap(), EmailAddress::parse("walter@example.com").unwrap());
    lifecycle::create(&app.state, &waiting, None, &Actor::system(), OffsetDateTime::now_utc()).await.unwrap();
    let gone = NewPerson::employee(PersonName::parse("Gordon Gone").unwrap(), EmailAddress::parse("gordon@example.com").unwrap());
    let (gone_id, _) = lifecycle::create(&app.state, &gone, None, &Actor::system(), OffsetDateTime::now_utc()).await.unwrap();
    lifecycle::deactivate(&app.state, gone_id, &Actor::system(), OffsetDateTime::now_utc()).await.unwrap();

    app.sign_in(&app.client, "eve@example.com", PASSWORD).await;
    let home = app.get("/").await.text().await.unwrap();
    assert!(home.contains("Chess club"), "{home}");
    assert!(home.contains("Walter Waiting") && home.contains("Not joined yet"));
    assert!(!home.contains("Gordon Gone"), "deactivated people are not listed");
    let searched = app.get("/?q=walt").await.text().await.unwrap();
    assert!(searched.contains("Walter Waiting"));
    assert!(app.get("/?q=nobody-by-this-name").await.text().await.unwrap().contains("No one matches that search."));
    assert_eq!(app.call(&new_client(), "home", &[]).await.status(), StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn admins_curate_groups_including_people_not_yet_invited(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_admin("ada@example.com").await;
    app.sign_in(&app.client, "ada@example.com", PASSWORD).await;
    let created =
        app.call(&app.client, "admin_create_group", &[("name", "Engineering"), ("description", "Builders"), ("is_open", "on"), ("suggested", "on")]).await;
    assert_eq!(created.status(), StatusCode::OK, "{}", created.text().await.unwrap());
    let duplicate = app.call(&app.client, "admin_create_group", &[("name", " engineering "), ("description", "")]).await;
    assert_eq!(duplicate.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(duplicate.text().await.unwrap().contains("already exists"));
    let id: GroupId = sqlx::query_scalar("SELECT id FROM account_group WHERE name = 'Engineering'").fetch_one(&app.state.pool).await.unwrap();
    let id_text = id.to_string();

    let uninvited = NewPerson::employee(PersonName::parse("Una Uninvited").unwrap(), EmailAddress::parse("una@example.com").unwrap());
    let (una, _) = lifecycle::create(&app.state, &uninvited, None, &Actor::system(), OffsetDateTime::now_utc()).await.unwrap();
    assert_eq!(app.call(&app.client, "admin_add_group_member", &[("id", &id_text), ("email", "UNA@example.com")]).await.status(), StatusCode::OK);
    let unknown = app.call(&app.client, "admin_add_group_member", &[("id", &id_text), ("email", "nobody@example.com")]).await;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let detail: serde_json::Value = app.call(&app.client, "admin_group", &[("id", &id_text)]).await.json().await.unwrap();
    assert_eq!(detail["members"][0]["full_name"], "Una Uninvited");
    assert_eq!(detail["group"]["suggested"], true);

    let closed = app.call(&app.client, "admin_update_group", &[("id", &id_text), ("name", "Engineering"), ("description", "")]).await;
    assert_eq!(closed.status(), StatusCode::OK);
    let (is_open, suggested): (bool, bool) =
        sqlx::query_as("SELECT is_open, suggested_at_claim FROM account_group WHERE id = $1").bind(id).fetch_one(&app.state.pool).await.unwrap();
    assert_eq!((is_open, suggested), (false, false), "unticked boxes turn the flags off");

    assert_eq!(app.call(&app.client, "admin_remove_group_member", &[("id", &id_text), ("account", &una.to_string())]).await.status(), StatusCode::OK);
    assert_eq!(app.call(&app.client, "admin_delete_group", &[("id", &id_text)]).await.status(), StatusCode::OK);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM account_group").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(left, 0);
    let audited: Vec<String> =
        sqlx::query_scalar("SELECT action::text FROM audit_event WHERE action::text LIKE 'group.%' ORDER BY id").fetch_all(&app.state.pool).await.unwrap();
    assert_eq!(audited, ["group.created", "group.member_added", "group.updated", "group.member_removed", "group.deleted"]);

    let employee = new_client();
    app.create_claimed_employee("eve@example.com").await;
    app.sign_in(&employee, "eve@example.com", PASSWORD).await;
    assert_eq!(app.call(&employee, "admin_create_group", &[("name", "Mine"), ("description", "")]).await.status(), StatusCode::FORBIDDEN);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn settings_shape_the_claim_email_and_the_terms_and_refuse_bad_values(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_admin("ada@example.com").await;
    app.sign_in(&app.client, "ada@example.com", PASSWORD).await;
    let form = |lifetime: &'static str, terms: &'static str| {
        [
            ("organization_name", "Acme"),
            ("require_terms", "on"),
            ("terms_text", terms),
            ("link_lifetime_days", lifetime),
            ("claim_email_subject", "Join {organization}, {first_name}"),
            ("claim_email_body", "Here: {link} (until {expiry_date})"),
        ]
    };
    let bad = app.call(&app.client, "admin_save_settings", &form("0", "")).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let bad = bad.text().await.unwrap();
    assert!(bad.contains("link_lifetime_days") && bad.contains("terms_text"), "{bad}");

    assert_eq!(app.call(&app.client, "admin_save_settings", &form("7", "Be kind.")).await.status(), StatusCode::OK);
    assert_eq!(app.call(&app.client, "admin_save_settings", &form("7", "Be kind.")).await.status(), StatusCode::OK);
    assert_eq!(app.call(&app.client, "admin_save_settings", &form("7", "Be very kind.")).await.status(), StatusCode::OK);
    let (version, days): (i32, i32) = sqlx::query_as("SELECT terms_version, claim_link_lifetime_days FROM settings").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!((version, days), (3, 7), "only changed terms text makes a new version");

    // The next invitation follows the new settings.
    let (id, _) = invite(&app, "grace@example.com").await;
    let expires_at: OffsetDateTime =
        sqlx::query_scalar("SELECT expires_at FROM claim_credential WHERE account_id = $1").bind(id).fetch_one(&app.state.pool).await.unwrap();
    assert!(expires_at - OffsetDateTime::now_utc() < time::Duration::days(8));
    let preview: serde_json::Value = app.call(&app.client, "admin_person", &[("id", &id.to_string()), ("preview", "true")]).await.json().await.unwrap();
    assert_eq!(preview["preview"]["subject"], "Join Acme, Grace");

    let test_mail = app.call(&app.client, "admin_test_email", &[]).await;
    assert_eq!(test_mail.status(), StatusCode::UNPROCESSABLE_ENTITY, "without SMTP the admin is told so");
    assert!(test_mail.text().await.unwrap().contains("SMTP is not configured"));
}

fn png(width: u32, height: u32, colour: [u8; 3]) -> Vec<u8> {
    encode_png(image::RgbImage::from_pixel(width, height, image::Rgb(colour)))
}

/// A picture whose JPEG is several kilobytes, as a photo's is.
fn gradient_png(width: u32, height: u32) -> Vec<u8> {
    encode_png(image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x * y) % 256) as u8])))
}

/// The lengths of the sessions that hold `picture` (as base64).
async fn sessions_holding(pool: &PgPool, picture: &[u8]) -> Vec<i32> {
    let base64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, picture);
    sqlx::query_scalar("SELECT length(data) FROM tower_sessions.session WHERE position($1::bytea IN data) > 0")
        .bind(base64.as_bytes())
        .fetch_all(pool)
        .await
        .unwrap()
}

fn encode_png(image: image::RgbImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(image).write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn upload(app: &TestApp, client: &reqwest::Client, path: &str, bytes: Vec<u8>, file_name: &'static str) -> reqwest::Response {
    let form = reqwest::multipart::Form::new().part("picture", reqwest::multipart::Part::bytes(bytes).file_name(file_name));
    client.post(app.url(path)).header(ORIGIN, &app.address).header(ACCEPT, "text/html").multipart(form).send().await.unwrap()
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn a_picture_chosen_in_the_wizard_is_normalised_and_kept_with_the_account(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (id, secret) = invite(&app, "grace@example.com").await;
    app.get(&format!("/claim/{secret}")).await;

    let svg = upload(&app, &app.client, "/claim/picture", b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec(), "evil.png").await;
    assert_eq!(location(&svg), "/claim?picture_error=format", "the content decides, not the name");
    assert!(app.get("/claim?picture_error=format").await.text().await.unwrap().contains("PNG, JPEG or WebP"));
    let huge = upload(&app, &app.client, "/claim/picture", vec![0u8; 6 * 1024 * 1024], "big.png").await;
    assert_eq!(location(&huge), "/claim?picture_error=too-large");

    let good = upload(&app, &app.client, "/claim/picture", gradient_png(300, 200), "me.png").await;
    assert_eq!(location(&good), "/claim");
    let draft = app.get("/claim/picture").await;
    assert_eq!(draft.headers()["content-type"], "image/jpeg");
    assert_eq!(draft.headers()["x-content-type-options"], "nosniff");
    let draft = draft.bytes().await.unwrap();
    assert_eq!(image::load_from_memory(&draft).unwrap().width(), 256);
    // The session, read on every page of the wizard, holds the picture once,
    // as one string, and nothing else of its size (a number per byte inside
    // the claim's progress made each page after the upload three times as
    // costly).
    let sessions = sessions_holding(&app.state.pool, &draft).await;
    assert_eq!(sessions.len(), 1, "the claimant's session holds the picture as one base64 string");
    let base64_length = draft.len().div_ceil(3) * 4;
    assert!((sessions[0] as usize) < base64_length + 1024, "{} bytes of session for a {}-byte picture", sessions[0], draft.len());

    app.call(&app.client, "claim_profile", &[("full_name", "Grace"), ("title", ""), ("department", ""), ("location", ""), ("phone", "")]).await;
    app.call(&app.client, "claim_password", &[("password", PASSWORD), ("password_confirmation", PASSWORD)]).await;
    assert_eq!(app.call(&app.client, "claim_finish", &[]).await.status(), StatusCode::OK);
    assert!(sessions_holding(&app.state.pool, &draft).await.is_empty(), "the session lets go of the picture once it is the account's");

    let stored = app.get(&format!("/people/{id}/picture")).await;
    assert_eq!(stored.status(), StatusCode::OK);
    assert_eq!(stored.bytes().await.unwrap(), draft);
    let anonymous = new_client().get(app.url(&format!("/people/{id}/picture"))).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);

    // Replacing it from the profile page.
    let replaced = upload(&app, &app.client, "/profile/picture", png(64, 64, [20, 160, 60]), "new.png").await;
    assert_eq!(location(&replaced), "/profile?done=picture");
    assert_ne!(app.get(&format!("/people/{id}/picture")).await.bytes().await.unwrap(), draft, "a different picture now");
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn a_picture_chosen_in_one_claim_goes_when_the_browser_opens_another_link(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, first) = invite(&app, "grace@example.com").await;
    let (_, second) = invite(&app, "alan@example.com").await;
    app.get(&format!("/claim/{first}")).await;
    assert_eq!(location(&upload(&app, &app.client, "/claim/picture", gradient_png(300, 200), "me.png").await), "/claim");
    let chosen = app.get("/claim/picture").await.bytes().await.unwrap();
    assert_eq!(sessions_holding(&app.state.pool, &chosen).await.len(), 1);

    // Someone else's link, in the same browser (a shared computer).
    app.get(&format!("/claim/{second}")).await;
    assert_eq!(app.get("/claim/picture").await.status(), StatusCode::NOT_FOUND, "the new claim has no picture");
    assert!(sessions_holding(&app.state.pool, &chosen).await.is_empty(), "no session keeps the first claimant's picture");
}
