//! Access codes for people without email: issued, typed in, spent once,
//! replaced and revoked, throttled, printed; and the usernames such people
//! sign in with.

use crate::helpers::{location, new_client, spawn_app, spawn_app_with, TestApp, PASSWORD};
use app::domain::{group_code, AccessCode, AccountId, AccountStatus, Actor, EmailAddress, PersonName, ProfileDetails, Username};
use app::server::services::lifecycle::{self, ClaimDetails, ClaimError, ClaimFailure, ClaimProof, Invitation, InviteScope, LifecycleError, NewPerson};
use reqwest::header::{ACCEPT, ORIGIN};
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use sqlx::PgPool;
use time::OffsetDateTime;

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn without_email(name: &str) -> NewPerson {
    let profile = ProfileDetails::parse(name, "", "Shop floor", "", "").unwrap();
    NewPerson { email: None, external_id: None, username: None, profile, manager_id: None, role: app::domain::Role::Employee, groups: Vec::new() }
}

/// A person without email, invited: their id and access code (normalised).
async fn with_code(app: &TestApp, name: &str) -> (AccountId, String) {
    let (id, issued) = lifecycle::create(&app.state, &without_email(name), Some(&Invitation::default()), &Actor::system(), now()).await.unwrap();
    let issued = issued.unwrap();
    assert!(issued.is_access_code());
    (id, issued.secret.expose_secret().to_owned())
}

async fn enter(app: &TestApp, browser: &reqwest::Client, code: &str) -> (StatusCode, String) {
    let answer = app.call(browser, "claim_with_code", &[("code", code)]).await;
    (answer.status(), answer.text().await.unwrap())
}

async fn status_of(app: &TestApp, id: AccountId) -> AccountStatus {
    sqlx::query_scalar("SELECT status FROM account WHERE id = $1").bind(id).fetch_one(&app.state.pool).await.unwrap()
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn a_person_without_email_types_their_code_chooses_a_username_and_signs_in_with_it(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (id, code) = with_code(&app, "María García").await;
    assert_eq!(code.len(), 16);
    assert!(AccessCode::parse(&code).is_ok(), "codes are made of the code alphabet");
    let username: Option<String> = sqlx::query_scalar("SELECT username FROM account WHERE id = $1").bind(id).fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(username.as_deref(), Some("maria.garcia"), "a username is made from the name");
    let outbox: i64 = sqlx::query_scalar("SELECT count(*) FROM email_outbox").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(outbox, 0, "nothing is mailed");

    // Typed as read off a card: lower case, spaces, a dash.
    let typed = group_code(&code).to_lowercase().replacen('-', " ", 2);
    let browser = new_client();
    let (status, body) = enter(&app, &browser, &typed).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let page = browser.get(app.url("/claim")).header(ACCEPT, "text/html").send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Step 1 of 3"), "profile, username and password, groups");
    let profile =
        app.call(&browser, "claim_profile", &[("full_name", "María García"), ("title", ""), ("department", ""), ("location", ""), ("phone", "")]).await;
    assert_eq!(profile.status(), StatusCode::OK);
    let page = browser.get(app.url("/claim")).header(ACCEPT, "text/html").send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Choose your username and password") && page.contains("value=\"maria.garcia\""), "the suggestion is offered");
    let bad = app.call(&browser, "claim_password", &[("username", "m g"), ("password", PASSWORD), ("password_confirmation", PASSWORD)]).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().await.unwrap().contains("only letters, digits"));
    let chosen = app.call(&browser, "claim_password", &[("username", "Maria.G"), ("password", PASSWORD), ("password_confirmation", PASSWORD)]).await;
    assert_eq!(chosen.status(), StatusCode::OK, "{}", chosen.text().await.unwrap());
    let finish = app.call(&browser, "claim_finish", &[]).await;
    assert_eq!(finish.status(), StatusCode::OK, "{}", finish.text().await.unwrap());
    assert_eq!(status_of(&app, id).await, AccountStatus::Claimed);
    let proof: String =
        sqlx::query_scalar("SELECT details->>'proof' FROM audit_event WHERE action = 'account.claimed'").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(proof, "access_code");

    // The code is spent; the person signs in with their username, any case.
    let (status, body) = enter(&app, &new_client(), &code).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("already been used"), "{body}");
    let person = new_client();
    let signed_in = app.sign_in(&person, "MARIA.G", PASSWORD).await;
    assert_eq!(signed_in.status(), StatusCode::FOUND);
    assert_eq!(location(&signed_in), "/");
    let viewer: serde_json::Value = app.call(&person, "viewer", &[]).await.json().await.unwrap();
    assert_eq!(viewer["full_name"], "María García");
    let wrong = app.sign_in(&new_client(), "maria.g", "not the password at all").await;
    assert!(wrong.text().await.unwrap().contains("don't match an active account"));
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn fifty_concurrent_completions_spend_one_code_once(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (id, code) = with_code(&app, "Pat Parallel").await;
    let proof = ClaimProof::code(&AccessCode::parse(&code).unwrap());
    let hash = app.state.hasher.hash(PASSWORD).await.unwrap();
    let details = ClaimDetails { password_hash: Some(hash), ..ClaimDetails::default() };
    let outcomes = futures::future::join_all((0..50).map(|_| lifecycle::complete_claim(&app.state, &proof, &details, now()))).await;
    let claimed = outcomes.iter().filter(|o| o.is_ok()).count();
    assert_eq!(claimed, 1);
    for outcome in outcomes.iter().filter_map(|o| o.as_ref().err()) {
        assert!(matches!(outcome, ClaimFailure::Refused(ClaimError::AlreadyUsed | ClaimError::NotClaimable)), "{outcome:?}");
    }
    assert_eq!(status_of(&app, id).await, AccountStatus::Claimed);
    let used: i64 = sqlx::query_scalar("SELECT count(*) FROM claim_credential WHERE state = 'used'").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(used, 1);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn a_new_code_replaces_the_old_one_and_deactivation_ends_the_live_one(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (id, first) = with_code(&app, "Sam Second").await;
    let second = lifecycle::invite(&app.state, id, &Invitation::default(), &Actor::system(), now()).await.unwrap();
    assert!(second.is_access_code());
    let second = second.secret.expose_secret().to_owned();
    assert_ne!(first, second);
    let (status, body) = enter(&app, &new_client(), &first).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("replaced by a newer one"), "{body}");
    let live: i64 = sqlx::query_scalar("SELECT count(*) FROM claim_credential WHERE account_id = $1 AND state = 'active'")
        .bind(id)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(live, 1, "one live code per account");

    lifecycle::deactivate(&app.state, id, &Actor::system(), now()).await.unwrap();
    let (status, body) = enter(&app, &new_client(), &second).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("replaced by a newer one"), "deactivation revokes the code, told as links are: {body}");
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn a_code_is_not_a_link_and_a_link_is_not_a_code(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, code) = with_code(&app, "Kit Kind").await;
    // Opened as a claim link, a code matches nothing (its own, stricter
    // throttle cannot be sidestepped this way).
    let opened = new_client().get(app.url(&format!("/claim/{code}"))).send().await.unwrap();
    assert_eq!(location(&opened), "/claim?link=unknown");
    assert!(lifecycle::inspect_claim(&app.state, &ClaimProof::link(&code), now()).await.is_err());
    assert!(lifecycle::inspect_claim(&app.state, &ClaimProof::code(&AccessCode::parse(&code).unwrap()), now()).await.is_ok());
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn an_expired_code_says_so_and_starts_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, code) = with_code(&app, "Eve Expired").await;
    sqlx::query("UPDATE claim_credential SET expires_at = now() - interval '1 minute'").execute(&app.state.pool).await.unwrap();
    let sessions = || async { sqlx::query_scalar::<_, i64>("SELECT count(*) FROM tower_sessions.session").fetch_one(&app.state.pool).await.unwrap() };
    let (status, _) = enter(&app, &new_client(), AccessCode::from_alphabet_indexes([7; 16]).as_str()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(sessions().await, 0, "a code that matches nothing stores no session");
    let browser = new_client();
    let (status, body) = enter(&app, &browser, &code).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("has expired"), "{body}");
    let page = browser.get(app.url("/claim")).header(ACCEPT, "text/html").send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Open your invitation link"), "no claim started");
    let (status, body) = enter(&app, &browser, "ABCD-EFGH-JKLM").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("16 letters and digits"), "a malformed code is told apart: {body}");
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn the_eleventh_wrong_code_from_an_address_is_refused_even_when_right_but_not_elsewhere(pool: PgPool) {
    let app = spawn_app_with(pool, |state| state.trusted_proxies = app::server::client::parse_trusted("127.0.0.1").unwrap().into()).await;
    let (id, code) = with_code(&app, "Rita Right").await;
    let attempt = |from: &'static str, code: String| {
        new_client()
            .post(app.url("/api/claim_with_code"))
            .header(ORIGIN, &app.address)
            .header(ACCEPT, "application/json")
            .header("x-forwarded-for", from)
            .form(&[("code", code)])
            .send()
    };
    for n in 0..10 {
        let guess = AccessCode::from_alphabet_indexes([n; 16]).as_str().to_owned();
        let answer = attempt("198.51.100.7", guess).await.unwrap();
        assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(answer.text().await.unwrap().contains("don't recognise"));
    }
    let refused = attempt("198.51.100.7", code.clone()).await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.text().await.unwrap().contains("wait 15 minutes"));
    let elsewhere = attempt("203.0.113.9", code).await.unwrap();
    assert_eq!(elsewhere.status(), StatusCode::OK, "the person's own code still works from their address");
    assert_eq!(status_of(&app, id).await, AccountStatus::Invited, "starting the wizard spends nothing");
    let limit: String =
        sqlx::query_scalar("SELECT details->>'limit' FROM audit_event WHERE action = 'security.throttled'").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(limit, "access_code_address", "the admin sees the throttling in the audit log");
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn usernames_are_unique_whatever_their_case(pool: PgPool) {
    let app = spawn_app(pool).await;
    let mut person = without_email("Sue Floor");
    person.username = Some(Username::parse("Shop.Floor").unwrap());
    lifecycle::create(&app.state, &person, None, &Actor::system(), now()).await.unwrap();
    person.username = Some(Username::parse("shop.FLOOR").unwrap());
    let error = lifecycle::create(&app.state, &person, None, &Actor::system(), now()).await.unwrap_err();
    assert!(matches!(error, LifecycleError::DuplicateUsername), "{error:?}");

    // Two people of one name get two usernames.
    let (first, _) = with_code(&app, "Ada Lovelace").await;
    let (second, code) = with_code(&app, "Ada Lovelace").await;
    let names: Vec<String> = sqlx::query_scalar("SELECT username FROM account WHERE id = ANY($1) ORDER BY username")
        .bind(vec![first.0, second.0])
        .fetch_all(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(names, ["ada.lovelace", "ada.lovelace2"]);

    // In the wizard, a username someone has is refused on its field.
    let browser = new_client();
    enter(&app, &browser, &code).await;
    app.call(&browser, "claim_profile", &[("full_name", "Ada Lovelace"), ("title", ""), ("department", ""), ("location", ""), ("phone", "")]).await;
    let taken = app.call(&browser, "claim_password", &[("username", "SHOP.floor"), ("password", PASSWORD), ("password_confirmation", PASSWORD)]).await;
    assert_eq!(taken.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(taken.text().await.unwrap().contains("Someone already has this username"));
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn invite_all_emails_people_with_an_address_and_gives_the_others_codes_in_one_go(pool: PgPool) {
    let app = spawn_app(pool).await;
    for email in ["one@example.com", "two@example.com"] {
        let person = NewPerson::employee(PersonName::parse("Mail Person").unwrap(), EmailAddress::parse(email).unwrap());
        lifecycle::create(&app.state, &person, None, &Actor::system(), now()).await.unwrap();
    }
    for name in ["Cody One", "Cody Two"] {
        lifecycle::create(&app.state, &without_email(name), None, &Actor::system(), now()).await.unwrap();
    }
    let invited = lifecycle::invite_many(&app.state, InviteScope::AllUninvited, &Invitation::default(), &Actor::system(), now()).await.unwrap();
    assert_eq!(invited, 4);
    let kinds: Vec<(String, i64)> = sqlx::query_as("SELECT kind::text, count(*) FROM claim_credential WHERE state = 'active' GROUP BY kind ORDER BY kind")
        .fetch_all(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(kinds, [("access_code".to_owned(), 2), ("link".to_owned(), 2)]);
    let mails: i64 = sqlx::query_scalar("SELECT count(*) FROM email_outbox").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(mails, 2, "mail only for those with an address");
    let uninvited: i64 = sqlx::query_scalar("SELECT count(*) FROM account WHERE status = 'uninvited'").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(uninvited, 0);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn admins_show_print_and_download_codes_and_each_is_audited(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_admin("admin@example.com").await;
    let admin = new_client();
    app.sign_in(&admin, "admin@example.com", PASSWORD).await;
    let (id, code) = with_code(&app, "Una Card").await;
    with_code(&app, "=HYPERLINK(\"x\")").await;

    let shown = app.call(&admin, "admin_show_access_code", &[("id", &id.to_string())]).await;
    assert_eq!(shown.status(), StatusCode::OK);
    assert_eq!(shown.json::<String>().await.unwrap(), group_code(&code));
    let employee = new_client();
    let stranger = app.call(&employee, "admin_show_access_code", &[("id", &id.to_string())]).await;
    assert_ne!(stranger.status(), StatusCode::OK, "only admins see codes");

    let sheet = admin.get(app.url("/admin/access-codes/print?department=shop%20FLOOR")).send().await.unwrap();
    assert_eq!(sheet.status(), StatusCode::OK);
    let sheet = sheet.text().await.unwrap();
    assert!(sheet.contains(&group_code(&code)) && sheet.contains("Una Card") && sheet.contains("<svg"), "a card with the code and its QR code");
    assert!(sheet.contains("2 access codes"));
    let none = admin.get(app.url("/admin/access-codes/print?department=Nowhere")).send().await.unwrap().text().await.unwrap();
    assert!(none.contains("No access codes to print"));

    let csv = admin.get(app.url(&format!("/admin/access-codes.csv?ids={id}"))).send().await.unwrap().text().await.unwrap();
    assert!(csv.starts_with("Full name,Department,Username,Access code"), "{csv}");
    assert!(csv.contains(&group_code(&code)) && csv.lines().count() == 2, "{csv}");
    let everyone = admin.get(app.url("/admin/access-codes.csv")).send().await.unwrap().text().await.unwrap();
    assert!(everyone.contains("'=HYPERLINK"), "formula-like cells are defused: {everyone}");
    let anonymous = new_client().get(app.url("/admin/access-codes.csv")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER, "anonymous visitors are sent to sign in");

    let audited: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT action::text, details->>'count' FROM audit_event WHERE action IN ('access_code.shown', 'access_codes.exported') ORDER BY occurred_at, id",
    )
    .fetch_all(&app.state.pool)
    .await
    .unwrap();
    let expected = [
        ("access_code.shown", None),
        ("access_codes.exported", Some("2")),
        ("access_codes.exported", Some("0")),
        ("access_codes.exported", Some("1")),
        ("access_codes.exported", Some("2")),
    ];
    assert_eq!(audited, expected.map(|(a, c)| (a.to_owned(), c.map(str::to_owned))));
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn imported_people_without_email_get_codes_when_invited_now_and_nothing_when_later(pool: PgPool) {
    use app::server::services::import;
    let app = spawn_app(pool).await;
    lifecycle::create(&app.state, &without_email("Rosa Parks"), None, &Actor::system(), now()).await.unwrap();
    let file = "Email,External ID,Full name,Department,Username\n\
                ,W1,Rosa Parks,Warehouse,\n\
                ,W2,Rosa Parks,Warehouse,\n\
                ,,Ann Typed,Warehouse,Ann.T\n\
                ,,Nobody Known,Warehouse,\n\
                ,,Sue Again,Warehouse,ann.t\n\
                mail@example.com,,Mail Person,Warehouse,\n";
    let id = import::preview(&app.state, "people.csv", file.as_bytes().to_vec(), &Actor::system(), now()).await.unwrap();
    let preview = import::load(&app.state, id).await.unwrap();
    assert_eq!((preview.new, preview.invalid), (4, 2));
    let problems: Vec<&str> = preview.invalid_lines.iter().map(|l| l.problem.as_str()).collect();
    assert_eq!(problems, ["The row needs an email address, an external ID or a username.", "Repeats the username of line 4."]);
    let applied = import::apply(&app.state, id, Some(&Invitation::default()), &Actor::system(), now()).await.unwrap();
    assert_eq!((applied.created, applied.invited), (4, 4));
    let usernames: Vec<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT external_id, username FROM account WHERE department = 'Warehouse' ORDER BY full_name, external_id")
            .fetch_all(&app.state.pool)
            .await
            .unwrap();
    let usernames: Vec<(Option<&str>, Option<&str>)> = usernames.iter().map(|(e, u)| (e.as_deref(), u.as_deref())).collect();
    assert_eq!(usernames, [(None, Some("Ann.T")), (None, None), (Some("W1"), Some("rosa.parks2")), (Some("W2"), Some("rosa.parks3"))]);
    let kinds: Vec<(String, i64)> = sqlx::query_as("SELECT kind::text, count(*) FROM claim_credential WHERE state = 'active' GROUP BY kind ORDER BY kind")
        .fetch_all(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(kinds, [("access_code".to_owned(), 3), ("link".to_owned(), 1)], "codes for those without email, a link for the other");

    // The same file again matches everyone (by external ID or username).
    let again = import::preview(&app.state, "people.csv", file.as_bytes().to_vec(), &Actor::system(), now()).await.unwrap();
    let again = import::load(&app.state, again).await.unwrap();
    assert_eq!((again.new, again.unchanged), (0, 4));

    // "Invite later": a username, no code.
    let later_file = b"Email,External ID,Full name,Department,Username\n,W9,Lee Later,Depot,\n".to_vec();
    let later = import::preview(&app.state, "later.csv", later_file, &Actor::system(), now()).await.unwrap();
    import::apply(&app.state, later, None, &Actor::system(), now()).await.unwrap();
    let (status, username): (AccountStatus, Option<String>) =
        sqlx::query_as("SELECT status, username FROM account WHERE external_id = 'W9'").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!((status, username.as_deref()), (AccountStatus::Uninvited, Some("lee.later")));
    let codes: i64 = sqlx::query_scalar("SELECT count(*) FROM claim_credential c JOIN account a ON a.id = c.account_id WHERE a.external_id = 'W9'")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(codes, 0);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn an_admin_sets_how_many_wrong_codes_an_address_may_try(pool: PgPool) {
    use app::domain::{OrganizationSettings, SettingsFields};
    let app = spawn_app(pool).await;
    let fields = SettingsFields {
        organization_name: "Acme",
        require_terms: false,
        terms_text: "",
        link_lifetime_days: "30",
        code_lifetime_days: Some("7"),
        code_attempts_per_address: Some("3"),
        code_attempts_overall: Some("5,000"),
        claim_email_subject: "You're invited",
        claim_email_body: "Claim it: {link}",
    };
    let settings = OrganizationSettings::parse(&fields).unwrap();
    app::server::services::settings::save(&app.state, &settings, &Actor::system(), now()).await.unwrap();
    let (_, code) = with_code(&app, "Tess Three").await;
    let expires: OffsetDateTime = sqlx::query_scalar("SELECT expires_at FROM claim_credential").fetch_one(&app.state.pool).await.unwrap();
    assert!(expires - now() <= time::Duration::days(7), "the code lifetime applies to new codes");
    for n in 0..3 {
        let (status, _) = enter(&app, &new_client(), AccessCode::from_alphabet_indexes([n; 16]).as_str()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let (status, body) = enter(&app, &new_client(), &code).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn invite_selected_finds_people_by_username_and_gives_them_codes(pool: PgPool) {
    use app::server::services::invite_selection;
    let app = spawn_app(pool).await;
    let mut person = without_email("Uma Listed");
    person.username = Some(Username::parse("Uma.L").unwrap());
    let (id, _) = lifecycle::create(&app.state, &person, None, &Actor::system(), now()).await.unwrap();
    let selection = invite_selection::select(&app.state, "list.txt", b"uma.l\nnobody.here\n".to_vec(), &Actor::system(), now()).await.unwrap();
    let report = invite_selection::view(&app.state, selection, None, now()).await.unwrap().report;
    assert_eq!((report.ready, report.unmatched), (1, 1));
    assert_eq!(report.unmatched_lines[0].reason, "Nobody in Embark has this email address, external ID or username.");
    assert_eq!(invite_selection::send(&app.state, selection, &Invitation::default(), &Actor::system(), now()).await.unwrap(), 1);
    assert_eq!(status_of(&app, id).await, AccountStatus::Invited);
    let (codes, mails): (i64, i64) =
        sqlx::query_as("SELECT (SELECT count(*) FROM claim_credential WHERE kind = 'access_code' AND state = 'active'), (SELECT count(*) FROM email_outbox)")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert_eq!((codes, mails), (1, 0));
}
