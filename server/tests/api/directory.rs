//! Reading a real OpenLDAP directory (scripts/test starts slapd with TLS
//! from a test CA, a size limit of 100 entries per search, and the people of
//! end2end/support/directory.py; `EMBARK_TEST_LDAP_*` name it): paged
//! searches past the size limit, the attribute mapping, filter escaping, and
//! a reason of its own for each way a connection fails.

use app::domain::{AttributeMap, DirectorySecurity as Security, OPENLDAP_FILTER};
use app::server::ldap::{self, Directory, DirectoryEntry, LdapError};

use crate::directory_form::{BASE_DN, BIND_DN, BIND_PASSWORD};
/// directory.py's 300 people, O'Brien and their report, less the 12 locked.
const ACTIVE_PEOPLE: usize = 290;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} names the test directory (scripts/test starts it)"))
}

fn test_ca() -> String {
    std::fs::read_to_string(env("EMBARK_TEST_LDAP_CA")).unwrap()
}

fn settings<'a>(url: &'a str, security: Security, ca: Option<&'a str>, map: &'a AttributeMap) -> Directory<'a> {
    Directory {
        url,
        security,
        ca_certificate_pem: ca,
        bind_dn: BIND_DN,
        bind_password: BIND_PASSWORD,
        base_dn: BASE_DN,
        filter: OPENLDAP_FILTER,
        attributes: map,
    }
}

async fn read_everyone(settings: &Directory<'_>) -> Result<Vec<DirectoryEntry>, LdapError> {
    let mut entries = Vec::new();
    let count = ldap::read_all(settings, |entry| entries.push(entry)).await?;
    assert_eq!(count, entries.len());
    Ok(entries)
}

#[tokio::test]
async fn a_paged_search_over_ldaps_reads_every_active_person_past_the_size_limit() {
    let (url, ca, map) = (env("EMBARK_TEST_LDAPS_URL"), test_ca(), AttributeMap::openldap());
    let entries = read_everyone(&settings(&url, Security::Ldaps, Some(&ca), &map)).await.unwrap();
    assert_eq!(entries.len(), ACTIVE_PEOPLE, "the directory answers 100 entries to a search that is not paged");

    let person = entries.iter().find(|e| e.dn == "uid=p00030,ou=sales,ou=people,dc=embark,dc=test").expect("p00030 is read");
    assert_eq!(person.email.as_deref(), Some("p00030@embark.test"));
    assert_eq!(person.full_name.as_deref(), Some("Person 00030"));
    assert_eq!(person.title.as_deref(), Some("Account executive"));
    assert_eq!(person.department.as_deref(), Some("Sales"));
    assert_eq!(person.location.as_deref(), Some("Oslo"));
    assert_eq!(person.phone.as_deref(), Some("+33 1 00 00030"));
    assert_eq!(person.manager_dn.as_deref(), Some("uid=p00010,ou=sales,ou=people,dc=embark,dc=test"));
    assert_eq!(person.group_dns, vec!["cn=sales-all,ou=groups,dc=embark,dc=test".to_owned()]);
    // entryUUID, an operational attribute, is read because it is named.
    assert!(person.external_id.as_deref().is_some_and(|id| uuid::Uuid::parse_str(id).is_ok()), "{:?}", person.external_id);

    // Locked accounts are left out by the OpenLDAP filter.
    assert!(!entries.iter().any(|e| e.dn.starts_with("uid=p00025,")));
    let obrien = entries.iter().find(|e| e.email.as_deref() == Some("pat.obrien@embark.test")).unwrap();
    // OpenLDAP names the entry with `\2B` where its LDIF said `\+`.
    assert_eq!(ldap::dn_key(&obrien.dn), ldap::dn_key(r"cn=O\2C Brien\+x,ou=sales,ou=people,dc=embark,dc=test"));
    assert_eq!(obrien.full_name.as_deref(), Some("Pat O'Brien"));
}

#[tokio::test]
async fn starttls_and_a_plain_connection_the_admin_chose_both_read_the_directory() {
    let (url, ca, map) = (env("EMBARK_TEST_LDAP_URL"), test_ca(), AttributeMap::openldap());
    let probe = ldap::probe(&settings(&url, Security::StartTls, Some(&ca), &map)).await.unwrap();
    assert_eq!(probe.found, ACTIVE_PEOPLE);
    assert!(probe.example.is_some_and(|e| e.email.is_some()));
    let probe = ldap::probe(&settings(&url, Security::Plain, None, &map)).await.unwrap();
    assert_eq!(probe.found, ACTIVE_PEOPLE);
}

#[tokio::test]
async fn a_dn_put_into_a_filter_is_escaped() {
    let (url, ca, map) = (env("EMBARK_TEST_LDAPS_URL"), test_ca(), AttributeMap::openldap());
    let obrien = r"cn=O\2C Brien\+x,ou=sales,ou=people,dc=embark,dc=test";
    let filter = format!("(&(objectClass=inetOrgPerson)(manager={}))", ldap3::ldap_escape(obrien));
    let reports = read_everyone(&Directory { filter: &filter, ..settings(&url, Security::Ldaps, Some(&ca), &map) }).await.unwrap();
    assert_eq!(reports.iter().map(|e| e.email.as_deref()).collect::<Vec<_>>(), vec![Some("robin.report@embark.test")]);
    // Unescaped, the DN's backslashes make the filter invalid.
    let raw = format!("(&(objectClass=inetOrgPerson)(manager={obrien}))");
    let refused = ldap::probe(&Directory { filter: &raw, ..settings(&url, Security::Ldaps, Some(&ca), &map) }).await;
    assert_eq!(refused, Err(LdapError::BadFilter));
}

#[tokio::test]
async fn each_way_a_connection_fails_has_its_own_reason() {
    let (ldaps, ldap_url, ca, map) = (env("EMBARK_TEST_LDAPS_URL"), env("EMBARK_TEST_LDAP_URL"), test_ca(), AttributeMap::openldap());
    let good = || settings(&ldaps, Security::Ldaps, Some(&ca), &map);

    let wrong_password = ldap::probe(&Directory { bind_password: "not the password", ..good() }).await;
    assert_eq!(wrong_password, Err(LdapError::InvalidCredentials));

    // The test CA is not among the system's authorities.
    match ldap::probe(&Directory { ca_certificate_pem: None, ..good() }).await {
        Err(LdapError::Certificate(reason)) => assert!(reason.contains("does not trust"), "{reason}"),
        other => panic!("an untrusted certificate must be refused as such: {other:?}"),
    }
    match ldap::probe(&Directory { ca_certificate_pem: Some("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"), ..good() }).await {
        Err(LdapError::BadCaCertificate(_)) => {}
        other => panic!("a pasted CA that is not a certificate must be named: {other:?}"),
    }

    // Nothing listens on port 1.
    match ldap::probe(&Directory { url: "ldaps://127.0.0.1:1", ..good() }).await {
        Err(LdapError::Unreachable { address, reason }) => {
            assert_eq!(address, "127.0.0.1:1");
            assert!(reason.contains("connection refused"), "{reason}");
        }
        other => panic!("an unreachable directory must be named: {other:?}"),
    }
    // A server that accepts the connection and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_url = format!("ldap://{}", silent.local_addr().unwrap());
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let timed_out = ldap::probe(&Directory { url: &silent_url, security: Security::Plain, ..good() }).await;
    assert!(matches!(timed_out, Err(LdapError::TimedOut(_))), "{timed_out:?}");
    holder.abort();

    assert_eq!(ldap::probe(&Directory { security: Security::StartTls, ..good() }).await, Err(LdapError::SchemeMismatch));
    assert_eq!(ldap::probe(&Directory { url: "https://127.0.0.1", ..good() }).await, Err(LdapError::BadUrl("https://127.0.0.1".to_owned())));
    assert_eq!(ldap::probe(&Directory { bind_dn: " ", ..good() }).await, Err(LdapError::NoBindDn));
    assert_eq!(
        ldap::probe(&Directory { base_dn: "ou=nowhere,dc=embark,dc=test", ..good() }).await,
        Err(LdapError::NoSuchBase("ou=nowhere,dc=embark,dc=test".to_owned()))
    );
    assert_eq!(ldap::probe(&Directory { filter: "(objectClass=inetOrgPerson", ..good() }).await, Err(LdapError::BadFilter));
    // StartTLS is checked against the same authorities as ldaps://.
    match ldap::probe(&settings(&ldap_url, Security::StartTls, None, &map)).await {
        Err(LdapError::Certificate(_)) => {}
        other => panic!("StartTLS with an untrusted certificate: {other:?}"),
    }
}

/// The settings form for the test directory, finding active people.
fn settings_form<'a>(url: &'a str, ca: &'a str, password: &'a str) -> Vec<(&'a str, &'a str)> {
    crate::directory_form::settings_form(url, ca, password, OPENLDAP_FILTER)
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn an_owner_saves_the_directory_and_tests_the_connection(pool: sqlx::PgPool) {
    use crate::helpers::{new_client, spawn_app, PASSWORD};
    use reqwest::StatusCode;
    let app = spawn_app(pool).await;
    app.create_admin("owner@example.com").await;
    app.create_claimed_employee("eve@example.com").await;
    let (url, ca) = (env("EMBARK_TEST_LDAPS_URL"), test_ca());
    let owner = new_client();
    app.sign_in(&owner, "owner@example.com", PASSWORD).await;

    let employee = new_client();
    app.sign_in(&employee, "eve@example.com", PASSWORD).await;
    assert_eq!(app.call(&employee, "admin_save_directory_settings", &settings_form(&url, &ca, BIND_PASSWORD)).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.call(&employee, "admin_test_directory_connection", &[]).await.status(), StatusCode::FORBIDDEN);

    // Nothing saved yet: a test says so; a first save needs the password.
    let unsaved = app.call(&owner, "admin_test_directory_connection", &[]).await;
    assert_eq!(unsaved.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unsaved.text().await.unwrap().contains("Save the directory"));
    let no_password = app.call(&owner, "admin_save_directory_settings", &settings_form(&url, &ca, "")).await;
    assert_eq!(no_password.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_password.text().await.unwrap().contains("bind_password"));
    let plain_to_ldaps = app.call(&owner, "admin_save_directory_settings", &settings_form("ldap://127.0.0.1:1", &ca, BIND_PASSWORD)).await;
    assert_eq!(plain_to_ldaps.status(), StatusCode::UNPROCESSABLE_ENTITY, "TLS needs an ldaps:// address");

    assert_eq!(app.call(&owner, "admin_save_directory_settings", &settings_form(&url, &ca, BIND_PASSWORD)).await.status(), StatusCode::OK);
    // The password is kept sealed, never as typed.
    let sealed: Vec<u8> = sqlx::query_scalar("SELECT bind_password_sealed FROM directory_configuration").fetch_one(&app.state.pool).await.unwrap();
    assert!(!sealed.windows(BIND_PASSWORD.len()).any(|w| w == BIND_PASSWORD.as_bytes()));
    let audited: String =
        sqlx::query_scalar("SELECT details::text FROM audit_event WHERE action = 'directory.settings_changed'").fetch_one(&app.state.pool).await.unwrap();
    assert!(!audited.contains(BIND_PASSWORD), "{audited}");

    assert_eq!(app.call(&owner, "admin_test_directory_connection", &[]).await.status(), StatusCode::OK);
    let shown: serde_json::Value = app.call(&owner, "admin_directory_settings", &[]).await.json().await.unwrap();
    assert_eq!(shown[0]["has_bind_password"], true);
    assert_eq!(shown[1]["Connected"]["found"], ACTIVE_PEOPLE);
    let example = &shown[1]["Connected"]["example"];
    assert!(example["details"].as_array().unwrap().iter().any(|d| d[0] == "Email" && d[1].as_str().unwrap().ends_with("@embark.test")), "{example}");
    // Shown once.
    let again: serde_json::Value = app.call(&owner, "admin_directory_settings", &[]).await.json().await.unwrap();
    assert!(again[1].is_null());

    // Saving again without a password keeps it; a wrong one is reported as such.
    assert_eq!(app.call(&owner, "admin_save_directory_settings", &settings_form(&url, &ca, "")).await.status(), StatusCode::OK);
    app.call(&owner, "admin_test_directory_connection", &[]).await;
    let shown: serde_json::Value = app.call(&owner, "admin_directory_settings", &[]).await.json().await.unwrap();
    assert_eq!(shown[1]["Connected"]["found"], ACTIVE_PEOPLE);
    assert_eq!(app.call(&owner, "admin_save_directory_settings", &settings_form(&url, &ca, "wrong")).await.status(), StatusCode::OK);
    app.call(&owner, "admin_test_directory_connection", &[]).await;
    let shown: serde_json::Value = app.call(&owner, "admin_directory_settings", &[]).await.json().await.unwrap();
    assert!(shown[1]["Failed"].as_str().unwrap().contains("invalid credentials"), "{shown}");
}

/// Changes one attribute of one entry in the test directory, as its
/// administrator.
async fn set_in_directory(dn: &str, attribute: &str, value: &str) {
    let (connection, mut admin) = ldap3::LdapConnAsync::new(&env("EMBARK_TEST_LDAP_URL")).await.unwrap();
    ldap3::drive!(connection);
    admin.simple_bind("cn=admin,dc=embark,dc=test", "admin-secret-for-tests").await.unwrap().success().unwrap();
    admin.modify(dn, vec![ldap3::Mod::Replace(attribute, std::collections::HashSet::from([value]))]).await.unwrap().success().unwrap();
    admin.unbind().await.unwrap();
}

/// A test server with an owner, signed in in the returned client.
async fn owner_signed_in(pool: sqlx::PgPool) -> (crate::helpers::TestApp, reqwest::Client) {
    let app = crate::helpers::spawn_app(pool).await;
    app.create_admin("owner@example.com").await;
    let owner = crate::helpers::new_client();
    app.sign_in(&owner, "owner@example.com", crate::helpers::PASSWORD).await;
    (app, owner)
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn a_sync_is_previewed_as_an_import_and_applied_all_or_nothing(pool: sqlx::PgPool) {
    use app::domain::{AccountStatus, Actor};
    use app::server::services::{directory_sync, import};
    let (app, owner) = owner_signed_in(pool).await;
    let (url, ca) = (env("EMBARK_TEST_LDAPS_URL"), test_ca());
    assert_eq!(app.call(&owner, "admin_save_directory_settings", &settings_form(&url, &ca, BIND_PASSWORD)).await.status(), reqwest::StatusCode::OK);
    let now = time::OffsetDateTime::now_utc;

    let first = directory_sync::preview_sync(&app.state, &Actor::system(), now()).await.unwrap();
    let preview = import::load(&app.state, first).await.unwrap();
    assert_eq!((preview.new, preview.updated, preview.unchanged, preview.invalid), (ACTIVE_PEOPLE as i64, 0, 0, 0), "{:?}", preview.invalid_lines);
    let mut groups = preview.new_groups.clone();
    groups.sort();
    assert_eq!(groups, vec!["engineering-all", "managers", "sales-all"]);
    let people: i64 = sqlx::query_scalar("SELECT count(*) FROM account WHERE email LIKE '%@embark.test'").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(people, 0, "a preview changes nobody");

    let applied = import::apply(&app.state, first, None, &Actor::system(), now()).await.unwrap();
    assert_eq!(applied.created, ACTIVE_PEOPLE as i64);
    let (status, title, department, manager): (AccountStatus, String, String, Option<String>) = sqlx::query_as(
        "SELECT a.status, a.title, a.department, m.email FROM account a LEFT JOIN account m ON m.id = a.manager_id WHERE a.email = 'p00030@embark.test'",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(
        (status, title.as_str(), department.as_str(), manager.as_deref()),
        (AccountStatus::Uninvited, "Account executive", "Sales", Some("p00010@embark.test"))
    );
    let robin_manager: Option<String> =
        sqlx::query_scalar("SELECT m.email FROM account a JOIN account m ON m.id = a.manager_id WHERE a.email = 'robin.report@embark.test'")
            .fetch_optional(&app.state.pool)
            .await
            .unwrap();
    assert_eq!(robin_manager.as_deref(), Some("pat.obrien@embark.test"), "a manager DN with escapes is resolved");
    let managers: i64 = sqlx::query_scalar("SELECT count(*) FROM group_membership gm JOIN account_group g ON g.id = gm.group_id WHERE g.name = 'managers'")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(managers, 20);

    // Nothing changed in the directory: nothing to do.
    let again = import::load(&app.state, directory_sync::preview_sync(&app.state, &Actor::system(), now()).await.unwrap()).await.unwrap();
    assert_eq!((again.new, again.updated, again.unchanged), (0, 0, ACTIVE_PEOPLE as i64));

    // A title changed in the directory is an update.
    let dn = "uid=p00042,ou=sales,ou=people,dc=embark,dc=test";
    set_in_directory(dn, "title", "Head of sales").await;
    let changed = directory_sync::preview_sync(&app.state, &Actor::system(), now()).await;
    set_in_directory(dn, "title", "Account executive").await;
    let changed = import::load(&app.state, changed.unwrap()).await.unwrap();
    assert_eq!((changed.new, changed.updated, changed.unchanged), (0, 1, ACTIVE_PEOPLE as i64 - 1));

    // A directory that cannot be read says why, and stages nothing.
    sqlx::query("UPDATE directory_configuration SET base_dn = 'ou=nowhere,dc=embark,dc=test'").execute(&app.state.pool).await.unwrap();
    let refused = directory_sync::preview_sync(&app.state, &Actor::system(), now()).await;
    assert!(matches!(refused, Err(directory_sync::DirectoryError::Directory(LdapError::NoSuchBase(_)))), "{refused:?}");
}

/// The test directory's administrator, for changing what Embark reads.
async fn directory_admin() -> ldap3::Ldap {
    let (connection, mut admin) = ldap3::LdapConnAsync::new(&env("EMBARK_TEST_LDAP_URL")).await.unwrap();
    ldap3::drive!(connection);
    admin.simple_bind("cn=admin,dc=scratch,dc=test", "admin-secret-for-tests").await.unwrap().success().unwrap();
    admin
}

/// A directory of `people` of its own, in an OU of the scratch naming
/// context that no other test reads: person n is `uid=pn` with the email
/// `pn@<ou>.test`. Returns the OU's DN (the base DN to sync).
async fn scratch_directory(people: usize) -> (String, String) {
    let ou = format!("t{}", uuid::Uuid::new_v4().simple());
    let base = format!("ou={ou},dc=scratch,dc=test");
    let mut admin = directory_admin().await;
    admin
        .add(&base, vec![("objectClass", std::collections::HashSet::from(["organizationalUnit"])), ("ou", [ou.as_str()].into())])
        .await
        .unwrap()
        .success()
        .unwrap();
    for n in 0..people {
        add_person(&mut admin, &base, &ou, n).await;
    }
    admin.unbind().await.unwrap();
    (base, ou)
}

async fn add_person(admin: &mut ldap3::Ldap, base: &str, ou: &str, n: usize) {
    let (uid, name, mail) = (format!("p{n}"), format!("Scratch Person {n}"), format!("p{n}@{ou}.test"));
    let attributes = vec![
        ("objectClass", std::collections::HashSet::from(["inetOrgPerson"])),
        ("uid", [uid.as_str()].into()),
        ("cn", [name.as_str()].into()),
        ("sn", ["Person"].into()),
        ("mail", [mail.as_str()].into()),
        ("title", ["Engineer"].into()),
    ];
    admin.add(&format!("uid={uid},{base}"), attributes).await.unwrap().success().unwrap();
}

/// Saves the directory with `base` and the sync rules, as an owner would.
async fn set_up_directory(app: &crate::helpers::TestApp, owner: &reqwest::Client, base: &str, departures: &str, every: &str, invite: bool) {
    let (url, ca) = (env("EMBARK_TEST_LDAPS_URL"), test_ca());
    let mut form = settings_form(&url, &ca, BIND_PASSWORD);
    form.retain(|(name, _)| *name != "base_dn");
    form.push(("base_dn", base));
    assert_eq!(app.call(owner, "admin_save_directory_settings", &form).await.status(), reqwest::StatusCode::OK);
    let mut rules = vec![("departures", departures), ("every", every)];
    if invite {
        rules.push(("invite_automatically", "on"));
    }
    let saved = app.call(owner, "admin_save_directory_rules", &rules).await;
    assert_eq!(saved.status(), reqwest::StatusCode::OK, "{}", saved.text().await.unwrap());
}

async fn status_of(pool: &sqlx::PgPool, email: &str) -> app::domain::AccountStatus {
    sqlx::query_scalar("SELECT status FROM account WHERE email = $1").bind(email).fetch_one(pool).await.unwrap()
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn people_who_leave_the_directory_are_reported_or_deactivated_as_chosen(pool: sqlx::PgPool) {
    use app::domain::{AccountId, AccountStatus, Actor};
    use app::server::services::{directory_sync, import, lifecycle};
    let (app, owner) = owner_signed_in(pool).await;
    app.create_claimed_employee("by-hand@example.com").await;
    let (base, ou) = scratch_directory(5).await;
    let email = |n: usize| format!("p{n}@{ou}.test");
    let now = time::OffsetDateTime::now_utc;
    let pool = &app.state.pool;

    let bad = app.call(&owner, "admin_save_directory_rules", &[("departures", "vanish"), ("every", "7")]).await;
    assert_eq!(bad.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    let bad = bad.text().await.unwrap();
    assert!(bad.contains("departures") && bad.contains("every"), "{bad}");

    set_up_directory(&app, &owner, &base, "report", "", false).await;
    let first = directory_sync::preview_sync(&app.state, &Actor::system(), now()).await.unwrap();
    let preview = import::load(&app.state, first).await.unwrap();
    assert_eq!(preview.new, 5);
    assert_eq!(preview.directory.as_ref().map(|plan| plan.leaving), Some(0), "nobody added by hand leaves a directory");
    import::apply(&app.state, first, None, &Actor::system(), now()).await.unwrap();
    assert_eq!(status_of(pool, &email(0)).await, AccountStatus::Uninvited, "created uninvited");
    // p1 is invited: leaving ends their link and the email still queued.
    let p1: AccountId = sqlx::query_scalar("SELECT id FROM account WHERE email = $1").bind(email(1)).fetch_one(pool).await.unwrap();
    lifecycle::invite(&app.state, p1, &lifecycle::Invitation::default(), &Actor::system(), now()).await.unwrap();
    // p3 became an admin: a sync only ever reports them.
    sqlx::query("UPDATE account SET role = 'people_admin' WHERE email = $1").bind(email(3)).execute(pool).await.unwrap();

    // p1 is deleted from the directory, p2 locked, p3 (an admin) deleted.
    let mut admin = directory_admin().await;
    admin.delete(&format!("uid=p1,{base}")).await.unwrap().success().unwrap();
    admin
        .modify(&format!("uid=p2,{base}"), vec![ldap3::Mod::Add("pwdAccountLockedTime", std::collections::HashSet::from(["000001010000Z"]))])
        .await
        .unwrap()
        .success()
        .unwrap();
    admin.delete(&format!("uid=p3,{base}")).await.unwrap().success().unwrap();
    admin.unbind().await.unwrap();

    // Only reported.
    let reported = directory_sync::preview_sync(&app.state, &Actor::system(), now()).await.unwrap();
    let preview = import::load(&app.state, reported).await.unwrap();
    let plan = preview.directory.clone().unwrap();
    assert_eq!((plan.leaving, plan.deactivating, plan.deactivates), (3, 0, false));
    let mut names: Vec<_> = plan.leaving_shown.iter().map(|p| p.email.clone().unwrap()).collect();
    names.sort();
    assert_eq!(names, vec![email(1), email(2), email(3)]);
    import::apply(&app.state, reported, None, &Actor::system(), now()).await.unwrap();
    assert_eq!(status_of(pool, &email(1)).await, AccountStatus::Invited, "reporting changes nobody");

    // Deactivated, like the admin action; the admin and the person added by hand stay.
    set_up_directory(&app, &owner, &base, "deactivate", "", false).await;
    let deactivating = directory_sync::preview_sync(&app.state, &Actor::system(), now()).await.unwrap();
    let plan = import::load(&app.state, deactivating).await.unwrap().directory.unwrap();
    assert_eq!((plan.leaving, plan.deactivating), (3, 2));
    let admin_row = plan.leaving_shown.iter().find(|p| p.email.as_deref() == Some(email(3).as_str())).unwrap();
    assert!(!admin_row.deactivated);
    let epoch = |id: AccountId| sqlx::query_scalar::<_, i32>("SELECT session_epoch FROM account WHERE id = $1").bind(id).fetch_one(pool);
    let p1_epoch = epoch(p1).await.unwrap();
    let applied = import::apply(&app.state, deactivating, None, &Actor::directory_sync(), now()).await.unwrap();
    assert_eq!(applied.deactivated, 2);
    assert_eq!(epoch(p1).await.unwrap(), p1_epoch + 1, "every session of a person who left ends");
    for (who, expected) in [
        (email(0), AccountStatus::Uninvited),
        (email(1), AccountStatus::Deactivated),
        (email(2), AccountStatus::Deactivated),
        (email(3), AccountStatus::Uninvited),
        (email(4), AccountStatus::Uninvited),
        ("by-hand@example.com".to_owned(), AccountStatus::Claimed),
    ] {
        assert_eq!(status_of(pool, &who).await, expected, "{who}");
    }
    let live_links: i64 =
        sqlx::query_scalar("SELECT count(*) FROM claim_credential WHERE account_id = $1 AND state = 'active'").bind(p1).fetch_one(pool).await.unwrap();
    let queued: i64 =
        sqlx::query_scalar("SELECT count(*) FROM email_outbox WHERE account_id = $1 AND state = 'queued'").bind(p1).fetch_one(pool).await.unwrap();
    assert_eq!((live_links, queued), (0, 0), "deactivation by a sync ends links and queued mail");
    let (actor, details): (String, serde_json::Value) =
        sqlx::query_as("SELECT actor_label, details FROM audit_event WHERE action = 'directory.synced' ORDER BY occurred_at DESC, id DESC LIMIT 1")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(actor, "Directory sync");
    assert_eq!((details["deactivated"].as_i64(), details["left_directory"].as_i64()), (Some(2), Some(3)), "{details}");
    let mut deactivations: Vec<(String, String, serde_json::Value)> =
        sqlx::query_as("SELECT target_label, actor_label, details FROM audit_event WHERE action = 'account.deactivated'").fetch_all(pool).await.unwrap();
    deactivations.iter_mut().for_each(|(label, _, _)| *label = label.rsplit('<').next().unwrap_or_default().trim_end_matches('>').to_owned());
    deactivations.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        deactivations,
        vec![
            (email(1), "Directory sync".to_owned(), serde_json::json!({ "previous_status": "invited" })),
            (email(2), "Directory sync".to_owned(), serde_json::json!({ "previous_status": "uninvited" })),
        ],
        "each deactivation audited with what the person was"
    );

    // Those deactivated are not leaving again, and an entry refused for a
    // problem of its own (an unusable email) still counts as present.
    let mut admin = directory_admin().await;
    let broken = std::collections::HashSet::from(["not an email"]);
    admin.modify(&format!("uid=p4,{base}"), vec![ldap3::Mod::Replace("mail", broken)]).await.unwrap().success().unwrap();
    admin.unbind().await.unwrap();
    let again_batch = directory_sync::preview_sync(&app.state, &Actor::system(), now()).await.unwrap();
    let again = import::load(&app.state, again_batch).await.unwrap();
    assert_eq!((again.new, again.updated, again.invalid), (0, 0, 1));
    // Named by its entry, where the admin fixes it, in the preview and the report.
    assert_eq!(again.invalid_lines[0].label, format!("uid=p4,{base}"), "{:?}", again.invalid_lines);
    assert!(again.invalid_lines[0].problem.starts_with("Email"), "{:?}", again.invalid_lines);
    let (_, report) = import::error_report(&app.state, again_batch).await.unwrap();
    let report = String::from_utf8(report).unwrap();
    let mut lines = report.trim_start_matches('\u{feff}').lines();
    assert_eq!(lines.next(), Some("Directory entry,Problem"));
    assert!(lines.next().is_some_and(|l| l.starts_with(&format!("\"uid=p4,{base}\",Email"))), "{report}");
    assert_eq!(again.directory.map(|plan| plan.leaving), Some(1), "only the admin is still listed");
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn invite_all_makes_the_directory_invite_the_people_it_adds_and_a_schedule_applies_syncs(pool: sqlx::PgPool) {
    use app::domain::{AccountStatus, Actor};
    use app::server::services::directory_sync::{self, ScheduledOutcome};
    use app::server::services::{import, lifecycle};
    use time::Duration;
    let (app, owner) = owner_signed_in(pool).await;
    let (base, ou) = scratch_directory(24).await;
    let email = |n: usize| format!("p{n}@{ou}.test");
    let pool = &app.state.pool;
    let start = time::OffsetDateTime::now_utc();

    set_up_directory(&app, &owner, &base, "deactivate", "15", false).await;
    assert_eq!(directory_sync::run_scheduled(&app.state, start + Duration::days(1)).await.unwrap(), None, "the first sync is always previewed");
    let first = directory_sync::preview_sync(&app.state, &Actor::system(), start).await.unwrap();
    import::apply(&app.state, first, None, &Actor::system(), start).await.unwrap();
    assert_eq!(status_of(pool, &email(0)).await, AccountStatus::Uninvited);

    // Invite All turns inviting automatically on, audited; its confirmation says so.
    let unsent = app::server::services::invitations::unsent(&app.state, None, start).await.unwrap();
    assert_eq!(unsent.integrations_to_switch_on, ["directory sync"]);
    let invited =
        lifecycle::invite_many(&app.state, lifecycle::InviteScope::AllUninvited, &lifecycle::Invitation::default(), &Actor::system(), start).await.unwrap();
    assert_eq!(invited, 24);
    let on: bool = sqlx::query_scalar("SELECT invite_automatically FROM directory_configuration").fetch_one(pool).await.unwrap();
    assert!(on);
    let because: String = sqlx::query_scalar("SELECT details->>'because' FROM audit_event WHERE action = 'directory.settings_changed' AND details ? 'because'")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(because, "invite_all");

    // Someone joins the directory; the schedule is not due before 15 minutes.
    let mut admin = directory_admin().await;
    add_person(&mut admin, &base, &ou, 24).await;
    assert_eq!(directory_sync::run_scheduled(&app.state, start + Duration::minutes(14)).await.unwrap(), None);
    let due = start + Duration::minutes(16);
    let outcome = directory_sync::run_scheduled(&app.state, due).await.unwrap();
    assert_eq!(outcome, Some(ScheduledOutcome::Applied { created: 1, updated: 0, deactivated: 0, invited: 1, refused: 0 }));
    assert_eq!(directory_sync::run_scheduled(&app.state, due).await.unwrap(), None, "claimed once");
    assert_eq!(status_of(pool, &email(24)).await, AccountStatus::Invited, "invited as the directory adds them");
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM email_outbox WHERE recipient = $1").bind(email(24)).fetch_one(pool).await.unwrap();
    assert_eq!(queued, 1);

    // Nothing changed: nothing applied, nothing audited.
    let syncs = || async { sqlx::query_scalar::<_, i64>("SELECT count(*) FROM audit_event WHERE action = 'directory.synced'").fetch_one(pool).await.unwrap() };
    let before = syncs().await;
    let quiet = directory_sync::run_scheduled(&app.state, due + Duration::minutes(16)).await.unwrap();
    assert_eq!(quiet, Some(ScheduledOutcome::NoChanges { refused: 0 }));
    assert_eq!(syncs().await, before);
    // Scheduled syncs keep no staged rows, applied or not, nor unapplied previews.
    let staged: i64 = sqlx::query_scalar("SELECT count(*) FROM import_row WHERE batch_id <> $1").bind(first).fetch_one(pool).await.unwrap();
    let previews: i64 = sqlx::query_scalar("SELECT count(*) FROM import_batch WHERE state = 'previewed'").fetch_one(pool).await.unwrap();
    assert_eq!((staged, previews), (0, 0));

    // Half the directory leaves at once: the schedule waits for an admin.
    for n in 0..12 {
        admin.delete(&format!("uid=p{n},{base}")).await.unwrap().success().unwrap();
    }
    admin.unbind().await.unwrap();
    let held = directory_sync::run_scheduled(&app.state, due + Duration::minutes(32)).await.unwrap();
    assert_eq!(held, Some(ScheduledOutcome::Held { deactivating: 12 }));
    assert_eq!(status_of(pool, &email(0)).await, AccountStatus::Invited, "nobody deactivated");
    let shown: serde_json::Value = app.call(&owner, "admin_directory_settings", &[]).await.json().await.unwrap();
    let last_run = shown[0]["status"]["last_run"][1].as_str().unwrap();
    assert!(last_run.starts_with("Not applied: 12 people left the directory"), "{last_run}");
    // The admin looks and applies it.
    let batch = directory_sync::preview_sync(&app.state, &Actor::system(), due + Duration::minutes(33)).await.unwrap();
    assert_eq!(import::apply(&app.state, batch, None, &Actor::system(), due + Duration::minutes(33)).await.unwrap().deactivated, 12);
    assert_eq!(status_of(pool, &email(0)).await, AccountStatus::Deactivated);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn a_directory_that_finds_nobody_changes_nothing(pool: sqlx::PgPool) {
    use app::domain::Actor;
    use app::server::services::directory_sync;
    let (app, owner) = owner_signed_in(pool).await;
    let (base, _) = scratch_directory(0).await;
    set_up_directory(&app, &owner, &base, "deactivate", "", false).await;
    let refused = directory_sync::preview_sync(&app.state, &Actor::system(), time::OffsetDateTime::now_utc()).await;
    assert!(matches!(refused, Err(directory_sync::DirectoryError::NobodyFound)), "{refused:?}");
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn groups_can_come_from_group_entries_and_their_members(pool: sqlx::PgPool) {
    use app::domain::Actor;
    use app::server::services::{directory_sync, import};
    let (app, owner) = owner_signed_in(pool).await;
    let (base, ou) = scratch_directory(3).await;
    let mut admin = directory_admin().await;
    let members = [format!("uid=p0,{base}"), format!("UID=p2,{base}")];
    let group = vec![
        ("objectClass", std::collections::HashSet::from(["groupOfNames"])),
        ("cn", ["Night shift, Oslo"].into()),
        ("member", members.iter().map(String::as_str).collect()),
    ];
    admin.add(&format!("cn=Night shift\\, Oslo,{base}"), group).await.unwrap().success().unwrap();
    admin.unbind().await.unwrap();

    // The people's memberOf is not read: only the group entries say who is in.
    let (url, ca) = (env("EMBARK_TEST_LDAPS_URL"), test_ca());
    let mut form = settings_form(&url, &ca, BIND_PASSWORD);
    form.retain(|(name, _)| !matches!(*name, "base_dn" | "attr_groups"));
    form.extend([("base_dn", base.as_str()), ("attr_groups", ""), ("group_filter", "(objectClass=groupOfNames)")]);
    assert_eq!(app.call(&owner, "admin_save_directory_settings", &form).await.status(), reqwest::StatusCode::OK);
    let now = time::OffsetDateTime::now_utc();
    let batch = directory_sync::preview_sync(&app.state, &Actor::system(), now).await.unwrap();
    assert_eq!(import::load(&app.state, batch).await.unwrap().new_groups, vec!["Night shift Oslo"]);
    import::apply(&app.state, batch, None, &Actor::system(), now).await.unwrap();
    let mut in_group: Vec<String> = sqlx::query_scalar(
        "SELECT a.email FROM group_membership gm JOIN account_group g ON g.id = gm.group_id JOIN account a ON a.id = gm.account_id \
         WHERE g.name = 'Night shift Oslo'",
    )
    .fetch_all(&app.state.pool)
    .await
    .unwrap();
    in_group.sort();
    assert_eq!(in_group, vec![format!("p0@{ou}.test"), format!("p2@{ou}.test")]);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn a_changed_email_and_manager_are_updated_and_a_failed_apply_changes_nothing(pool: sqlx::PgPool) {
    use app::domain::Actor;
    use app::server::services::{directory_sync, import, lifecycle};
    let (app, owner) = owner_signed_in(pool).await;
    let (base, ou) = scratch_directory(4).await;
    let pool = &app.state.pool;
    let now = time::OffsetDateTime::now_utc;
    set_up_directory(&app, &owner, &base, "deactivate", "", false).await;
    let synced = || async { sqlx::query_scalar::<_, i64>("SELECT count(*) FROM account WHERE in_directory").fetch_one(pool).await.unwrap() };

    // All or nothing: someone added by hand meanwhile takes one of the new
    // people's email addresses, so the apply fails and adds nobody.
    let first = directory_sync::preview_sync(&app.state, &Actor::system(), now()).await.unwrap();
    let taken =
        lifecycle::NewPerson::employee(app::domain::PersonName::parse("Taken").unwrap(), app::domain::EmailAddress::parse(&format!("p2@{ou}.test")).unwrap());
    let (by_hand, _) = lifecycle::create(&app.state, &taken, None, &Actor::system(), now()).await.unwrap();
    let failed = import::apply(&app.state, first, None, &Actor::system(), now()).await;
    assert!(matches!(failed, Err(import::ImportError::Changed(_))), "{failed:?}");
    assert_eq!(synced().await, 0, "nobody was added");
    let people: i64 = sqlx::query_scalar("SELECT count(*) FROM account WHERE email LIKE $1").bind(format!("%@{ou}.test")).fetch_one(pool).await.unwrap();
    assert_eq!(people, 1, "only the person added by hand");
    lifecycle::deactivate(&app.state, by_hand, &Actor::system(), now()).await.unwrap();
    lifecycle::delete(&app.state, by_hand, &Actor::system(), now()).await.unwrap();

    let first = directory_sync::preview_sync(&app.state, &Actor::system(), now()).await.unwrap();
    import::apply(&app.state, first, None, &Actor::system(), now()).await.unwrap();
    assert_eq!(synced().await, 4);

    // p3 changes email (found again by entryUUID) and gets p0 as manager.
    let mut admin = directory_admin().await;
    let p3 = format!("uid=p3,{base}");
    let (new_email, manager) = (format!("p3.renamed@{ou}.test"), format!("uid=p0,{base}"));
    admin
        .modify(
            &p3,
            vec![
                ldap3::Mod::Replace("mail", std::collections::HashSet::from([new_email.as_str()])),
                ldap3::Mod::Add("manager", std::collections::HashSet::from([manager.as_str()])),
            ],
        )
        .await
        .unwrap()
        .success()
        .unwrap();
    admin.unbind().await.unwrap();
    let resync = directory_sync::preview_sync(&app.state, &Actor::system(), now()).await.unwrap();
    let preview = import::load(&app.state, resync).await.unwrap();
    assert_eq!((preview.new, preview.updated, preview.unchanged, preview.directory.map(|plan| plan.leaving)), (0, 1, 3, Some(0)));
    import::apply(&app.state, resync, None, &Actor::system(), now()).await.unwrap();
    let manager_email: Option<String> = sqlx::query_scalar("SELECT m.email FROM account a JOIN account m ON m.id = a.manager_id WHERE a.email = $1")
        .bind(&new_email)
        .fetch_optional(pool)
        .await
        .unwrap();
    assert_eq!(manager_email, Some(format!("p0@{ou}.test")));
    assert_eq!(synced().await, 4, "the same person, not a new one");
}
