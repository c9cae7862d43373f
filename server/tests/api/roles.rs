//! Roles: owners, people admins and employees; what each may open and call,
//! and the rule that Embark always keeps an owner who can sign in.

use crate::helpers::{new_client, spawn_app, TestApp, PASSWORD};
use app::domain::{AccountId, Actor, Role};
use app::server::services::lifecycle::{self, LifecycleError};
use app::server::services::roles;
use reqwest::header::ACCEPT;
use reqwest::StatusCode;
use sqlx::PgPool;
use time::OffsetDateTime;

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

async fn role_of(app: &TestApp, id: AccountId) -> Role {
    sqlx::query_scalar("SELECT role FROM account WHERE id = $1").bind(id).fetch_one(&app.state.pool).await.unwrap()
}

/// A claimed person with `role`, and a browser signed in as them.
async fn signed_in_as(app: &TestApp, owner: AccountId, email: &str, role: Role) -> (AccountId, reqwest::Client) {
    let id = app.create_claimed_employee(email).await;
    if role != Role::Employee {
        roles::set_role(&app.state, &Actor::account(owner, "Ada Admin").with_role(Role::Owner), id, role, now()).await.unwrap();
    }
    let browser = new_client();
    assert_eq!(app.sign_in(&browser, email, PASSWORD).await.status(), StatusCode::FOUND);
    (id, browser)
}

async fn page(app: &TestApp, browser: &reqwest::Client, path: &str) -> (StatusCode, String) {
    let answer = browser.get(app.url(path)).header(ACCEPT, "text/html").send().await.unwrap();
    (answer.status(), answer.text().await.unwrap())
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn the_first_admin_is_an_owner_and_the_last_owner_keeps_the_role_and_the_account(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = app.create_admin("owner@example.com").await;
    assert_eq!(role_of(&app, owner).await, Role::Owner, "whoever sets Embark up owns it");
    let acting = Actor::account(owner, "Ada Admin").with_role(Role::Owner);

    let demoted = roles::set_role(&app.state, &acting, owner, Role::PeopleAdmin, now()).await;
    assert!(matches!(demoted, Err(LifecycleError::LastOwner)), "{demoted:?}");
    let deactivated = lifecycle::deactivate(&app.state, owner, &Actor::system(), now()).await;
    assert!(matches!(deactivated, Err(LifecycleError::LastOwner)), "not even Embark itself (or an integration) removes the last owner");
    assert_eq!(role_of(&app, owner).await, Role::Owner);

    // With a second owner, either may step down; the change is audited.
    let second = app.create_claimed_employee("second@example.com").await;
    roles::set_role(&app.state, &acting, second, Role::Owner, now()).await.unwrap();
    roles::set_role(&app.state, &acting, owner, Role::Employee, now()).await.unwrap();
    assert_eq!(role_of(&app, owner).await, Role::Employee);
    let changes: Vec<serde_json::Value> =
        sqlx::query_scalar("SELECT details FROM audit_event WHERE action = 'account.role_changed' ORDER BY id").fetch_all(&app.state.pool).await.unwrap();
    assert_eq!(changes, [serde_json::json!({ "from": "employee", "to": "owner" }), serde_json::json!({ "from": "owner", "to": "employee" })]);
    // Now the second is the last one.
    let deactivated = lifecycle::deactivate(&app.state, second, &Actor::account(owner, "Ada").with_role(Role::Owner), now()).await;
    assert!(matches!(deactivated, Err(LifecycleError::LastOwner)));
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn two_owners_demoting_each_other_at_once_leave_one_owner(pool: PgPool) {
    let app = spawn_app(pool).await;
    let first = app.create_admin("first@example.com").await;
    let acting = |id| Actor::account(id, "Owner").with_role(Role::Owner);
    let second = app.create_claimed_employee("second@example.com").await;
    roles::set_role(&app.state, &acting(first), second, Role::Owner, now()).await.unwrap();
    for _ in 0..10 {
        let (by_second, by_first) = (acting(second), acting(first));
        let (a, b) = tokio::join!(
            roles::set_role(&app.state, &by_second, first, Role::Employee, now()),
            roles::set_role(&app.state, &by_first, second, Role::Employee, now()),
        );
        assert!(a.is_ok() != b.is_ok(), "exactly one succeeds: {a:?} {b:?}");
        let owners: i64 = sqlx::query_scalar("SELECT count(*) FROM account WHERE role = 'owner'").fetch_one(&app.state.pool).await.unwrap();
        assert_eq!(owners, 1);
        // Both owners again for the next round.
        sqlx::query("UPDATE account SET role = 'owner'").execute(&app.state.pool).await.unwrap();
    }
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn people_admins_manage_people_but_not_settings_integrations_roles_or_owners(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = app.create_admin("owner@example.com").await;
    let (_, people_admin) = signed_in_as(&app, owner, "pa@example.com", Role::PeopleAdmin).await;
    let worker = app.create_claimed_employee("worker@example.com").await;

    for path in ["/admin", "/admin/people", "/admin/people/export", "/admin/audit", "/admin/invitations", "/admin/groups", "/admin/import"] {
        let (status, _) = page(&app, &people_admin, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    for path in ["/admin/settings", "/admin/settings/sso", "/admin/integrations"] {
        let (status, body) = page(&app, &people_admin, path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(body.contains("Only owners can open this page"), "{path}: {body}");
    }
    // The navigation offers only what the role may open.
    let (_, overview) = page(&app, &people_admin, "/admin").await;
    assert!(overview.contains("href=\"/admin/people\"") && overview.contains("href=\"/admin/audit\""));
    assert!(!overview.contains("href=\"/admin/settings\"") && !overview.contains("href=\"/admin/integrations\""), "{overview}");

    assert_eq!(app.call(&people_admin, "admin_people", &[]).await.status(), StatusCode::OK);
    let worker_id = worker.to_string();
    for (server_fn, form) in [
        ("admin_settings", vec![]),
        ("admin_integrations", vec![]),
        ("admin_sso_settings", vec![]),
        ("admin_create_integration", vec![("name", "Okta"), ("description", "")]),
        ("admin_set_role", vec![("id", worker_id.as_str()), ("role", "owner")]),
    ] {
        assert_eq!(app.call(&people_admin, server_fn, &form).await.status(), StatusCode::FORBIDDEN, "{server_fn}");
    }
    assert_eq!(role_of(&app, worker).await, Role::Employee);

    // People work is theirs, except removing an owner.
    let deactivated = app.call(&people_admin, "admin_deactivate_person", &[("id", &worker.to_string())]).await;
    assert_eq!(deactivated.status(), StatusCode::OK, "{}", deactivated.text().await.unwrap());
    let refused = app.call(&people_admin, "admin_deactivate_person", &[("id", &owner.to_string())]).await;
    let body = refused.text().await.unwrap();
    assert!(body.contains("only an owner can deactivate or delete an owner"), "{body}");
    let status: String = sqlx::query_scalar("SELECT status::text FROM account WHERE id = $1").bind(owner).fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(status, "claimed");
    // Nor may they change how an owner signs in (which could lock them out).
    let refused = app.call(&people_admin, "admin_set_sign_in_method", &[("id", &owner.to_string()), ("method", "sso")]).await;
    assert!(refused.text().await.unwrap().contains("only an owner can change how an owner signs in"));
    let method: String = sqlx::query_scalar("SELECT sign_in_method::text FROM account WHERE id = $1").bind(owner).fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(method, "password");
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn owners_change_roles_on_the_person_page_and_a_change_applies_at_the_next_request(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = app.create_admin("owner@example.com").await;
    let owner_browser = new_client();
    app.sign_in(&owner_browser, "owner@example.com", PASSWORD).await;
    let (employee, employee_browser) = signed_in_as(&app, owner, "emp@example.com", Role::Employee).await;

    let (status, _) = page(&app, &employee_browser, "/admin").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "employees have no admin panel");
    assert_eq!(app.call(&employee_browser, "admin_people", &[]).await.status(), StatusCode::FORBIDDEN);

    // The person page offers the choice to owners.
    let (_, person_page) = page(&app, &owner_browser, &format!("/admin/people/{employee}")).await;
    assert!(person_page.contains("Save role") && person_page.contains("People admin"), "{person_page}");

    let promoted = app.call(&owner_browser, "admin_set_role", &[("id", &employee.to_string()), ("role", "people_admin")]).await;
    assert_eq!(promoted.status(), StatusCode::OK, "{}", promoted.text().await.unwrap());
    assert_eq!(app.call(&employee_browser, "admin_people", &[]).await.status(), StatusCode::OK, "the same session, now a people admin");
    let (_, person_page) = page(&app, &employee_browser, &format!("/admin/people/{employee}")).await;
    assert!(person_page.contains("Only owners can change roles.") && !person_page.contains("Save role"));

    let nonsense = app.call(&owner_browser, "admin_set_role", &[("id", &employee.to_string()), ("role", "superuser")]).await;
    assert_eq!(nonsense.status(), StatusCode::UNPROCESSABLE_ENTITY);
    app.call(&owner_browser, "admin_set_role", &[("id", &employee.to_string()), ("role", "employee")]).await;
    assert_eq!(app.call(&employee_browser, "admin_people", &[]).await.status(), StatusCode::FORBIDDEN, "demoted at once");
}
