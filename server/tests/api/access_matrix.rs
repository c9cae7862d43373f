//! Every server function, plain route and page, called as anonymous, in the
//! middle of a claim, employee, people admin and owner, and the SCIM API
//! with and without its token (SECURITY.md rule 12). The list comes from the application itself,
//! so a new server function fails this test until it is in the table.

use crate::helpers::{new_client, spawn_app, TestApp, PASSWORD};
use app::domain::{AccountId, Actor, EmailAddress, PersonName, Role};
use app::server::services::lifecycle::{self, Invitation, NewPerson};
use app::server::services::roles;
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use sqlx::PgPool;
use std::collections::BTreeSet;

/// Who may call a server function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Caller {
    /// Anyone: sign-in, setup, the claim wizard (which checks the claim in
    /// the session itself).
    Anyone,
    SignedIn,
    PeopleAdmin,
    Owner,
}

const ID: &str = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";

/// A server function's name, who may call it, and a well-formed request.
type ServerFnRow = (&'static str, Caller, Vec<(&'static str, &'static str)>);

fn table() -> Vec<ServerFnRow> {
    use Caller::*;
    vec![
        ("viewer", Anyone, vec![]),
        ("sign_in", Anyone, vec![("email", "nobody@example.com"), ("password", "wrong password")]),
        ("setup_status", Anyone, vec![]),
        ("sign_in_options", Anyone, vec![]),
        (
            "complete_setup",
            Anyone,
            vec![("organization_name", "X"), ("full_name", "X"), ("email", "x@example.com"), ("password", PASSWORD), ("password_confirmation", PASSWORD)],
        ),
        ("claim_view", Anyone, vec![]),
        ("claim_accept_terms", Anyone, vec![("accepted", "on")]),
        ("claim_profile", Anyone, vec![("full_name", "X"), ("title", ""), ("department", ""), ("location", ""), ("phone", "")]),
        // Refused (the two differ), so the claim in progress never finishes
        // and the mid-claim browser stays mid-claim for the rows below.
        ("claim_password", Anyone, vec![("password", PASSWORD), ("password_confirmation", "a different password")]),
        ("claim_finish", Anyone, vec![]),
        ("claim_new_link", Anyone, vec![]),
        ("claim_with_code", Anyone, vec![("code", "AAAA-BBBB-CCCC-DDDD")]),
        ("home", SignedIn, vec![]),
        ("my_profile", SignedIn, vec![]),
        ("my_profile_save", SignedIn, vec![("full_name", "Same Name"), ("title", ""), ("department", ""), ("location", ""), ("phone", "")]),
        ("my_password", SignedIn, vec![("current_password", "not the password"), ("new_password", "x"), ("new_password_confirmation", "x")]),
        ("admin_overview", PeopleAdmin, vec![]),
        ("admin_people", PeopleAdmin, vec![]),
        ("admin_people_export_summary", PeopleAdmin, vec![]),
        ("admin_renew_export_links", PeopleAdmin, vec![]),
        (
            "admin_add_person",
            PeopleAdmin,
            vec![
                ("email", "not an email"),
                ("full_name", ""),
                ("title", ""),
                ("department", ""),
                ("location", ""),
                ("phone", ""),
                ("external_id", ""),
                ("manager_email", ""),
                ("personal_message", ""),
            ],
        ),
        ("admin_person", PeopleAdmin, vec![("id", ID)]),
        ("admin_invite_person", PeopleAdmin, vec![("id", ID), ("personal_message", "")]),
        ("admin_show_access_code", PeopleAdmin, vec![("id", ID)]),
        ("admin_deactivate_person", PeopleAdmin, vec![("id", ID)]),
        ("admin_reactivate_person", PeopleAdmin, vec![("id", ID)]),
        ("admin_delete_person", PeopleAdmin, vec![("id", ID)]),
        ("admin_person_sign_in", PeopleAdmin, vec![("id", ID)]),
        ("admin_set_sign_in_method", PeopleAdmin, vec![("id", ID), ("method", "password")]),
        ("admin_unlink_identity", PeopleAdmin, vec![("id", ID)]),
        ("admin_audit_log", PeopleAdmin, vec![("person", ""), ("action", ""), ("from", ""), ("to", ""), ("before", "")]),
        ("admin_groups", PeopleAdmin, vec![]),
        ("admin_group", PeopleAdmin, vec![("id", ID)]),
        ("admin_create_group", PeopleAdmin, vec![("name", ""), ("description", "")]),
        ("admin_update_group", PeopleAdmin, vec![("id", ID), ("name", "G"), ("description", "")]),
        ("admin_delete_group", PeopleAdmin, vec![("id", ID)]),
        ("admin_add_group_member", PeopleAdmin, vec![("id", ID), ("email", "x@example.com")]),
        ("admin_remove_group_member", PeopleAdmin, vec![("id", ID), ("account", ID)]),
        ("admin_unsent_invitations", PeopleAdmin, vec![]),
        ("admin_invite_all", PeopleAdmin, vec![("personal_message", "")]),
        ("admin_invite_selection", PeopleAdmin, vec![("id", ID)]),
        ("admin_send_selection", PeopleAdmin, vec![("id", ID), ("personal_message", "")]),
        ("admin_import", PeopleAdmin, vec![("id", ID)]),
        ("admin_apply_import", PeopleAdmin, vec![("id", ID), ("invite", "later")]),
        ("upload_refusal", PeopleAdmin, vec![("kind", "PeopleImport")]),
        ("admin_mail", PeopleAdmin, vec![]),
        ("admin_reveal_link", PeopleAdmin, vec![("id", ID)]),
        ("admin_set_role", Owner, vec![("id", ID), ("role", "owner")]),
        ("admin_settings", Owner, vec![]),
        (
            "admin_save_settings",
            Owner,
            vec![("organization_name", ""), ("terms_text", ""), ("link_lifetime_days", "x"), ("claim_email_subject", ""), ("claim_email_body", "")],
        ),
        ("admin_test_email", Owner, vec![]),
        ("admin_sso_settings", Owner, vec![]),
        (
            "admin_save_sso_settings",
            Owner,
            vec![("issuer_url", "x"), ("client_id", ""), ("client_secret", ""), ("button_label", ""), ("trusted_domains", ""), ("policy", "nobody")],
        ),
        ("admin_integrations", Owner, vec![]),
        ("admin_create_integration", Owner, vec![("name", ""), ("description", "")]),
        ("admin_rotate_integration_token", Owner, vec![("id", ID), ("overlap_hours", "0")]),
        ("admin_revoke_integration", Owner, vec![("id", ID)]),
        ("admin_integration_invites", Owner, vec![("id", ID), ("on", "true")]),
        ("admin_directory_settings", Owner, vec![]),
        (
            "admin_save_directory_settings",
            Owner,
            vec![
                ("kind", "open_ldap"),
                ("url", "x"),
                ("security", "ldaps"),
                ("ca_certificate", ""),
                ("bind_dn", ""),
                ("bind_password", ""),
                ("base_dn", ""),
                ("filter", ""),
                ("attr_email", ""),
                ("attr_external_id", ""),
                ("attr_full_name", ""),
                ("attr_title", ""),
                ("attr_department", ""),
                ("attr_location", ""),
                ("attr_phone", ""),
                ("attr_manager", ""),
                ("attr_groups", ""),
            ],
        ),
        ("admin_test_directory_connection", Owner, vec![]),
        ("admin_save_directory_rules", Owner, vec![("departures", "report"), ("every", "")]),
        ("admin_preview_directory_sync", Owner, vec![]),
        // Last: it ends the caller's session.
        ("sign_out", Anyone, vec![]),
    ]
}

/// A browser for each kind of caller: anonymous, in the middle of a claim
/// (both not signed in), employee, people admin, owner.
async fn callers(app: &TestApp, owner: AccountId) -> Vec<(Option<Caller>, reqwest::Client)> {
    let acting = Actor::account(owner, "Owner").with_role(Role::Owner);
    let mut callers = vec![(None, new_client())];
    let claimant = NewPerson::employee(PersonName::parse("Mid Claim").unwrap(), EmailAddress::parse("mid@example.com").unwrap());
    let (_, link) = lifecycle::create(&app.state, &claimant, Some(&Invitation::default()), &Actor::system(), time::OffsetDateTime::now_utc()).await.unwrap();
    let mid_claim = new_client();
    let opened = mid_claim.get(app.url(&format!("/claim/{}", link.unwrap().secret.expose_secret()))).send().await.unwrap();
    assert_eq!(crate::helpers::location(&opened), "/claim", "the browser is in the claim wizard");
    callers.push((None, mid_claim));
    for (email, role, caller) in [("employee@example.com", Role::Employee, Caller::SignedIn), ("pa@example.com", Role::PeopleAdmin, Caller::PeopleAdmin)] {
        let id = app.create_claimed_employee(email).await;
        roles::set_role(&app.state, &acting, id, role, time::OffsetDateTime::now_utc()).await.unwrap();
        let browser = new_client();
        assert!(app.sign_in(&browser, email, PASSWORD).await.status().is_redirection());
        callers.push((Some(caller), browser));
    }
    let browser = new_client();
    assert!(app.sign_in(&browser, "owner@example.com", PASSWORD).await.status().is_redirection());
    callers.push((Some(Caller::Owner), browser));
    callers
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn every_server_function_answers_each_caller_as_the_table_says(pool: PgPool) {
    let app = spawn_app(pool).await;
    let table = table();

    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths().map(|(path, _)| path.trim_start_matches("/api/").to_owned()).collect();
    let listed: BTreeSet<String> = table.iter().map(|(name, ..)| (*name).to_owned()).collect();
    assert_eq!(registered, listed, "every server function the app registers has a row here, and only those");

    let owner = app.create_admin("owner@example.com").await;
    let callers = callers(&app, owner).await;

    let mut wrong = Vec::new();
    for (name, needed, form) in &table {
        for (caller, browser) in &callers {
            let status = app.call(browser, name, form).await.status();
            let allowed = *needed == Caller::Anyone || caller.is_some_and(|caller| caller >= *needed);
            let fine = match (allowed, caller) {
                (false, None) => status == StatusCode::UNAUTHORIZED,
                (false, Some(_)) => status == StatusCode::FORBIDDEN,
                // Allowed callers get the function's own answer (its data, a
                // refusal of the made-up input), never a refusal of who
                // they are, and never a server error.
                (true, _) => !matches!(status, StatusCode::FORBIDDEN) && !status.is_server_error() && (caller.is_none() || status != StatusCode::UNAUTHORIZED),
            };
            if !fine {
                wrong.push(format!("{name} as {caller:?}: {status}"));
            }
        }
    }
    assert!(wrong.is_empty(), "answers that break the table:\n{}", wrong.join("\n"));
}

/// The plain routes as `server/src/startup.rs` and `server/src/scim.rs`
/// declare them: (path, method) for every `.route("…", get(…).post(…))`.
fn declared_routes() -> BTreeSet<(String, &'static str)> {
    let mut routes = BTreeSet::new();
    for (prefix, source) in [("", include_str!("../../src/startup.rs")), ("/scim/v2", include_str!("../../src/scim.rs"))] {
        for declaration in source.split(".route(\"").skip(1) {
            let (path, rest) = declaration.split_once('"').unwrap();
            // The handlers: up to the parenthesis that closes `.route(`.
            let mut depth = 1;
            let end = rest
                .char_indices()
                .find(|(_, c)| {
                    depth += match c {
                        '(' => 1,
                        ')' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .map_or(rest.len(), |(i, _)| i);
            let handlers = &rest[..end];
            for method in ["get", "post", "put", "patch", "delete"] {
                if handlers.contains(&format!("{method}(")) {
                    routes.insert((format!("{prefix}{path}"), method));
                }
            }
        }
    }
    routes
}

/// Who may use a plain route or page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Open(Caller),
    /// The SCIM API: its bearer token, never a browser session.
    ScimToken,
}

/// Each plain route (as declared) and each page (as the app's router lists
/// them): who may use it, and a concrete address to ask.
fn route_table() -> Vec<(&'static str, &'static str, Route, &'static str)> {
    use Caller::*;
    use Route::*;
    let mut table = vec![
        ("/admin/import/upload", "post", Open(PeopleAdmin), "/admin/import/upload"),
        ("/admin/invitations/select", "post", Open(PeopleAdmin), "/admin/invitations/select"),
        ("/claim/picture", "post", Open(Anyone), "/claim/picture"),
        ("/profile/picture", "post", Open(SignedIn), "/profile/picture"),
        // The server functions' own route: the table above covers each.
        ("/api/{*fn_name}", "get", Open(Anyone), "/api/viewer"),
        ("/api/{*fn_name}", "post", Open(Anyone), "/api/viewer"),
        ("/healthz", "get", Open(Anyone), "/healthz"),
        ("/setup/{secret}", "get", Open(Anyone), "/setup/not-the-secret"),
        ("/claim/{secret}", "get", Open(Anyone), "/claim/not-a-link"),
        ("/claim/picture", "get", Open(Anyone), "/claim/picture"),
        ("/sso/start", "get", Open(Anyone), "/sso/start"),
        ("/sso/callback", "get", Open(Anyone), "/sso/callback?state=x&code=y"),
        ("/people/{id}/picture", "get", Open(SignedIn), "/people/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/picture"),
        ("/admin/access-codes/print", "get", Open(PeopleAdmin), "/admin/access-codes/print"),
        ("/admin/access-codes.csv", "get", Open(PeopleAdmin), "/admin/access-codes.csv"),
        ("/admin/people/export.csv", "get", Open(PeopleAdmin), "/admin/people/export.csv"),
        ("/admin/audit.csv", "get", Open(PeopleAdmin), "/admin/audit.csv"),
        ("/admin/import/template.csv", "get", Open(PeopleAdmin), "/admin/import/template.csv"),
        ("/admin/import/template.xlsx", "get", Open(PeopleAdmin), "/admin/import/template.xlsx"),
        ("/admin/import/{id}/problems.csv", "get", Open(PeopleAdmin), "/admin/import/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/problems.csv"),
        ("/admin/invitations/template.csv", "get", Open(PeopleAdmin), "/admin/invitations/template.csv"),
    ];
    for (path, methods) in [
        ("/ServiceProviderConfig", &["get"][..]),
        ("/ResourceTypes", &["get"]),
        ("/ResourceTypes/{id}", &["get"]),
        ("/Schemas", &["get"]),
        ("/Schemas/{id}", &["get"]),
        ("/Users", &["get", "post"]),
        ("/Users/.search", &["post"]),
        ("/Users/{id}", &["get", "put", "patch", "delete"]),
        ("/Groups", &["get", "post"]),
        ("/Groups/.search", &["post"]),
        ("/Groups/{id}", &["get", "put", "patch", "delete"]),
        ("/.search", &["post"]),
    ] {
        let full: &'static str = Box::leak(format!("/scim/v2{path}").into_boxed_str());
        let concrete: &'static str = Box::leak(full.replace("{id}", ID).into_boxed_str());
        for method in methods {
            table.push((full, method, ScimToken, concrete));
        }
    }
    table
}

/// Each page: who may open it, and a concrete address.
fn page_table() -> Vec<(&'static str, Caller, &'static str)> {
    use Caller::*;
    vec![
        ("/", SignedIn, "/"),
        ("/sign-in", Anyone, "/sign-in"),
        ("/profile", SignedIn, "/profile"),
        ("/setup", Anyone, "/setup"),
        ("/claim", Anyone, "/claim"),
        ("/claim/code", Anyone, "/claim/code"),
        ("/admin", PeopleAdmin, "/admin"),
        ("/admin/people", PeopleAdmin, "/admin/people"),
        ("/admin/people/new", PeopleAdmin, "/admin/people/new"),
        ("/admin/people/export", PeopleAdmin, "/admin/people/export"),
        ("/admin/people/{id}", PeopleAdmin, "/admin/people/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"),
        ("/admin/invitations", PeopleAdmin, "/admin/invitations"),
        ("/admin/invitations/selected/{id}", PeopleAdmin, "/admin/invitations/selected/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"),
        ("/admin/import", PeopleAdmin, "/admin/import"),
        ("/admin/import/{id}", PeopleAdmin, "/admin/import/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"),
        ("/admin/groups", PeopleAdmin, "/admin/groups"),
        ("/admin/groups/{id}", PeopleAdmin, "/admin/groups/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"),
        ("/admin/audit", PeopleAdmin, "/admin/audit"),
        ("/admin/mail", PeopleAdmin, "/admin/mail"),
        ("/admin/integrations", Owner, "/admin/integrations"),
        ("/admin/integrations/directory", Owner, "/admin/integrations/directory"),
        ("/admin/integrations/directory/sync/{id}", Owner, "/admin/integrations/directory/sync/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"),
        ("/admin/settings", Owner, "/admin/settings"),
        ("/admin/settings/sso", Owner, "/admin/settings/sso"),
    ]
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn every_route_and_page_answers_each_caller_as_the_tables_say(pool: PgPool) {
    let app = spawn_app(pool).await;
    let routes = route_table();
    let declared = declared_routes();
    let listed: BTreeSet<(String, &'static str)> = routes.iter().map(|(path, method, ..)| ((*path).to_owned(), *method)).collect();
    assert_eq!(declared, listed, "every route the server declares has a row here, and only those");
    let pages = page_table();
    let app_pages: BTreeSet<String> = leptos_axum::generate_route_list(app::App).iter().map(|listing| listing.path().to_owned()).collect();
    let listed_pages: BTreeSet<String> = pages.iter().map(|(path, ..)| (*path).to_owned()).collect();
    assert_eq!(app_pages, listed_pages, "every page the app's router has is listed here, and only those");

    let owner = app.create_admin("owner@example.com").await;
    let acting = Actor::account(owner, "Owner").with_role(Role::Owner);
    let callers = callers(&app, owner).await;

    let mut wrong = Vec::new();
    let refused_as = |caller: Option<Caller>, response: &reqwest::Response| match caller {
        // Not signed in: sent to sign in (pages), or 401.
        None => {
            response.status() == StatusCode::UNAUTHORIZED || (response.status().is_redirection() && crate::helpers::location(response).starts_with("/sign-in"))
        }
        Some(_) => response.status() == StatusCode::FORBIDDEN,
    };
    for (path, method, access, concrete) in &routes {
        for (caller, browser) in &callers {
            let request = match *method {
                "get" => browser.get(app.url(concrete)),
                "post" => browser.post(app.url(concrete)),
                "put" => browser.put(app.url(concrete)),
                "patch" => browser.patch(app.url(concrete)),
                _ => browser.delete(app.url(concrete)),
            };
            let response = request.header(reqwest::header::ORIGIN, &app.address).header(reqwest::header::ACCEPT, "text/html").send().await.unwrap();
            let fine = match access {
                // A browser session never opens the SCIM API.
                Route::ScimToken => response.status() == StatusCode::UNAUTHORIZED,
                // Open to anyone: whatever it answers (a wrong setup link
                // sends to sign-in, single sign-on that is off refuses), it
                // answers without failing.
                Route::Open(Caller::Anyone) => !response.status().is_server_error(),
                Route::Open(needed) => {
                    let allowed = caller.is_some_and(|c| c >= *needed);
                    if allowed {
                        !refused_as(*caller, &response) && !response.status().is_server_error()
                    } else {
                        refused_as(*caller, &response)
                    }
                }
            };
            if !fine {
                wrong.push(format!("{} {path} as {caller:?}: {} {}", method.to_uppercase(), response.status(), crate::helpers::location(&response)));
            }
        }
    }
    for (path, needed, concrete) in &pages {
        for (caller, browser) in &callers {
            let response = browser.get(app.url(concrete)).header(reqwest::header::ACCEPT, "text/html").send().await.unwrap();
            let allowed = *needed == Caller::Anyone || caller.is_some_and(|c| c >= *needed);
            let fine = if allowed { !refused_as(*caller, &response) && !response.status().is_server_error() } else { refused_as(*caller, &response) };
            if !fine {
                wrong.push(format!("page {path} as {caller:?}: {} {}", response.status(), crate::helpers::location(&response)));
            }
        }
    }
    assert!(wrong.is_empty(), "answers that break the tables:\n{}", wrong.join("\n"));

    // And the SCIM API does open with an integration's token.
    let settings = app::domain::IntegrationSettings::parse("Matrix", "").unwrap();
    let token = app::server::services::integrations::create(&app.state, &settings, &acting, time::OffsetDateTime::now_utc()).await.unwrap().token;
    let with_token = reqwest::Client::new().get(app.url("/scim/v2/Users")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(with_token.status(), StatusCode::OK);
}
