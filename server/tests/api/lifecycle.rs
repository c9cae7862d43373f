//! Every allowed and every forbidden lifecycle transition.

use crate::helpers::spawn_app;
use app::domain::Actor;
use app::domain::{AccountId, AccountStatus, EmailAddress, PersonName};
use app::server::services::lifecycle::{self, ClaimError, ClaimFailure, ClaimProof, Invitation, LifecycleError, NewPerson};
use app::server::AppState;
use secrecy::ExposeSecret;
use sqlx::PgPool;
use time::{Duration, OffsetDateTime};

fn person(email: &str) -> NewPerson {
    NewPerson::employee(PersonName::parse("Grace Hopper").unwrap(), EmailAddress::parse(email).unwrap())
}

fn now() -> OffsetDateTime {
    // Whole seconds keep comparisons with PostgreSQL's microseconds exact.
    OffsetDateTime::from_unix_timestamp(OffsetDateTime::now_utc().unix_timestamp()).unwrap()
}

async fn status(state: &AppState, id: AccountId) -> AccountStatus {
    sqlx::query_scalar("SELECT status FROM account WHERE id = $1").bind(id).fetch_one(&state.pool).await.unwrap()
}

async fn queued_emails(state: &AppState, id: AccountId) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM email_outbox WHERE account_id = $1 AND state = 'queued'").bind(id).fetch_one(&state.pool).await.unwrap()
}

async fn audit_actions(state: &AppState, id: AccountId) -> Vec<String> {
    sqlx::query_scalar("SELECT action::text FROM audit_event WHERE target_id = $1 ORDER BY id").bind(id).fetch_all(&state.pool).await.unwrap()
}

async fn uninvited(state: &AppState, email: &str) -> AccountId {
    lifecycle::create(state, &person(email), None, &Actor::system(), now()).await.unwrap().0
}

async fn invited(state: &AppState, email: &str) -> (AccountId, String) {
    let (id, link) = lifecycle::create(state, &person(email), Some(&Invitation::default()), &Actor::system(), now()).await.unwrap();
    (id, link.unwrap().secret.expose_secret().to_owned())
}

async fn claimed(state: &AppState, email: &str) -> AccountId {
    let (id, secret) = invited(state, email).await;
    lifecycle::claim(state, &secret, Some("$argon2id$placeholder"), now()).await.unwrap();
    id
}

async fn deactivated(state: &AppState, email: &str) -> AccountId {
    let id = claimed(state, email).await;
    lifecycle::deactivate(state, id, &Actor::system(), now()).await.unwrap();
    id
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn a_provisioned_account_starts_uninvited_and_gets_no_email(pool: PgPool) {
    let app = spawn_app(pool).await;
    let id = uninvited(&app.state, "grace@example.com").await;
    assert_eq!(status(&app.state, id).await, AccountStatus::Uninvited);
    assert_eq!(queued_emails(&app.state, id).await, 0);
    assert_eq!(audit_actions(&app.state, id).await, ["account.created"]);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn an_individually_created_account_is_invited_at_once_with_its_email_queued(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (id, _) = invited(&app.state, "grace@example.com").await;
    assert_eq!(status(&app.state, id).await, AccountStatus::Invited);
    assert_eq!(queued_emails(&app.state, id).await, 1);
    assert_eq!(audit_actions(&app.state, id).await, ["account.created", "account.invited"]);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn inviting_issues_a_link_whose_secret_the_database_does_not_hold(pool: PgPool) {
    let app = spawn_app(pool).await;
    let id = uninvited(&app.state, "grace@example.com").await;
    let link = lifecycle::invite(&app.state, id, &Invitation::default(), &Actor::system(), now()).await.unwrap();
    let secret = link.secret.expose_secret();
    assert!(secret.len() >= 43, "at least 256 bits, base64url");

    let (hash, sealed, expires_at): (Vec<u8>, Vec<u8>, OffsetDateTime) =
        sqlx::query_as("SELECT secret_hash, secret_sealed, expires_at FROM claim_credential WHERE account_id = $1")
            .bind(id)
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert_ne!(hash, secret.as_bytes());
    assert!(!sealed.windows(secret.len()).any(|w| w == secret.as_bytes()));
    assert_eq!(app.state.sealer.open(&sealed).unwrap(), secret);
    assert_eq!(expires_at, link.expires_at);
    assert!(link.expires_at - now() > Duration::days(29), "default lifetime is 30 days");
    let outbox_text: String =
        sqlx::query_scalar("SELECT payload::text || recipient FROM email_outbox WHERE account_id = $1").bind(id).fetch_one(&app.state.pool).await.unwrap();
    assert!(!outbox_text.contains(secret), "the outbox never holds a usable link");
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn resending_revokes_the_previous_link(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (id, first) = invited(&app.state, "grace@example.com").await;
    let second = lifecycle::invite(&app.state, id, &Invitation::default(), &Actor::system(), now()).await.unwrap();
    assert_eq!(status(&app.state, id).await, AccountStatus::Invited);
    assert_eq!(queued_emails(&app.state, id).await, 2);
    assert_eq!(lifecycle::claim(&app.state, &first, None, now()).await.unwrap_err().to_string(), ClaimError::Revoked.to_string());
    assert_eq!(lifecycle::claim(&app.state, second.secret.expose_secret(), None, now()).await.unwrap(), id);
    assert_eq!(audit_actions(&app.state, id).await, ["account.created", "account.invited", "account.invitation_resent", "account.claimed"]);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn claimed_and_deactivated_accounts_cannot_be_invited(pool: PgPool) {
    let app = spawn_app(pool).await;
    let claimed_id = claimed(&app.state, "claimed@example.com").await;
    let deactivated_id = deactivated(&app.state, "gone@example.com").await;
    for (id, expected) in [(claimed_id, AccountStatus::Claimed), (deactivated_id, AccountStatus::Deactivated)] {
        let queued_before = queued_emails(&app.state, id).await;
        let error = lifecycle::invite(&app.state, id, &Invitation::default(), &Actor::system(), now()).await.unwrap_err();
        assert!(matches!(error, LifecycleError::WrongState(s) if s == expected), "{error:?}");
        assert_eq!(status(&app.state, id).await, expected);
        assert_eq!(queued_emails(&app.state, id).await, queued_before);
    }
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn a_person_without_email_is_invited_with_an_access_code_and_no_mail(pool: PgPool) {
    let app = spawn_app(pool).await;
    let mut no_email = person("x@example.com");
    no_email.email = None;
    let (id, issued) = lifecycle::create(&app.state, &no_email, Some(&Invitation::default()), &Actor::system(), now()).await.unwrap();
    assert!(issued.unwrap().is_access_code());
    let status: AccountStatus = sqlx::query_scalar("SELECT status FROM account WHERE id = $1").bind(id).fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(status, AccountStatus::Invited);
    let mails: i64 = sqlx::query_scalar("SELECT count(*) FROM email_outbox").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(mails, 0);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn claiming_spends_the_link_and_activates_the_account(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (id, secret) = invited(&app.state, "grace@example.com").await;
    assert_eq!(lifecycle::inspect_claim(&app.state, &ClaimProof::link(&secret), now()).await.unwrap(), id, "looking does not spend");
    assert_eq!(lifecycle::inspect_claim(&app.state, &ClaimProof::link(&secret), now()).await.unwrap(), id);
    assert_eq!(lifecycle::claim(&app.state, &secret, Some("$argon2id$x"), now()).await.unwrap(), id);
    assert_eq!(status(&app.state, id).await, AccountStatus::Claimed);
    let again = lifecycle::claim(&app.state, &secret, None, now()).await.unwrap_err();
    assert!(matches!(again, ClaimFailure::Refused(ClaimError::AlreadyUsed)));
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn fifty_concurrent_completions_of_one_claim_yield_exactly_one_success(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (id, secret) = invited(&app.state, "grace@example.com").await;
    let mut attempts = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let state = app.state.clone();
        let secret = secret.clone();
        attempts.spawn(async move { lifecycle::claim(&state, &secret, Some("$argon2id$x"), now()).await });
    }
    let mut wins = 0;
    while let Some(result) = attempts.join_next().await {
        match result.unwrap() {
            Ok(claimed) => {
                assert_eq!(claimed, id);
                wins += 1;
            }
            Err(error) => assert!(matches!(error, ClaimFailure::Refused(ClaimError::AlreadyUsed)), "{error:?}"),
        }
    }
    assert_eq!(wins, 1);
    assert_eq!(audit_actions(&app.state, id).await.iter().filter(|a| *a == "account.claimed").count(), 1);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn expired_and_unknown_links_are_told_apart_and_claim_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (id, secret) = invited(&app.state, "grace@example.com").await;
    let later = now() + Duration::days(31);
    assert_eq!(lifecycle::inspect_claim(&app.state, &ClaimProof::link(&secret), later).await.unwrap_err().to_string(), ClaimError::Expired.to_string());
    assert!(matches!(lifecycle::claim(&app.state, &secret, None, later).await, Err(ClaimFailure::Refused(ClaimError::Expired))));
    assert!(matches!(lifecycle::claim(&app.state, "no-such-secret", None, now()).await, Err(ClaimFailure::Refused(ClaimError::Unknown))));
    assert_eq!(status(&app.state, id).await, AccountStatus::Invited);
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn deactivation_is_allowed_from_every_active_state_and_revokes_links_and_mail(pool: PgPool) {
    let app = spawn_app(pool).await;
    let from_uninvited = uninvited(&app.state, "u@example.com").await;
    let (from_invited, invited_secret) = invited(&app.state, "i@example.com").await;
    let from_claimed = claimed(&app.state, "c@example.com").await;
    for id in [from_uninvited, from_invited, from_claimed] {
        lifecycle::deactivate(&app.state, id, &Actor::system(), now()).await.unwrap();
        assert_eq!(status(&app.state, id).await, AccountStatus::Deactivated);
        assert_eq!(queued_emails(&app.state, id).await, 0, "no mail goes to a deactivated account");
        assert_eq!(audit_actions(&app.state, id).await.last().unwrap(), "account.deactivated");
    }
    assert!(matches!(lifecycle::claim(&app.state, &invited_secret, None, now()).await, Err(ClaimFailure::Refused(ClaimError::Revoked))));
    let twice = lifecycle::deactivate(&app.state, from_claimed, &Actor::system(), now()).await.unwrap_err();
    assert!(matches!(twice, LifecycleError::WrongState(AccountStatus::Deactivated)));
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn deactivating_many_at_once_passes_over_admins_owners_and_the_already_deactivated(pool: PgPool) {
    let app = spawn_app(pool).await;
    let employee = claimed(&app.state, "e@example.com").await;
    let people_admin = claimed(&app.state, "pa@example.com").await;
    let owner = claimed(&app.state, "o@example.com").await;
    for (id, role) in [(people_admin, "people_admin"), (owner, "owner")] {
        sqlx::query("UPDATE account SET role = $2::account_role WHERE id = $1").bind(id).bind(role).execute(&app.state.pool).await.unwrap();
    }
    let gone_before = deactivated(&app.state, "d@example.com").await;
    let mut tx = app.state.pool.begin().await.unwrap();
    let ids = [employee.0, people_admin.0, owner.0, gone_before.0];
    let count = lifecycle::deactivate_employees_in(&mut tx, &ids, &Actor::system(), now()).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(count, 1, "only the employee still active is deactivated");
    assert_eq!(status(&app.state, employee).await, AccountStatus::Deactivated);
    assert_eq!(status(&app.state, people_admin).await, AccountStatus::Claimed);
    assert_eq!(status(&app.state, owner).await, AccountStatus::Claimed);
    assert_eq!(audit_actions(&app.state, gone_before).await.iter().filter(|a| *a == "account.deactivated").count(), 1, "no second entry");
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn reactivation_returns_claimed_people_to_claimed_and_others_to_awaiting_invitation(pool: PgPool) {
    let app = spawn_app(pool).await;
    let was_claimed = deactivated(&app.state, "c@example.com").await;
    let (was_invited, _) = invited(&app.state, "i@example.com").await;
    lifecycle::deactivate(&app.state, was_invited, &Actor::system(), now()).await.unwrap();

    assert_eq!(lifecycle::reactivate(&app.state, was_claimed, &Actor::system(), now()).await.unwrap(), AccountStatus::Claimed);
    assert_eq!(lifecycle::reactivate(&app.state, was_invited, &Actor::system(), now()).await.unwrap(), AccountStatus::Uninvited);
    assert_eq!(status(&app.state, was_invited).await, AccountStatus::Uninvited);
    let not_deactivated = lifecycle::reactivate(&app.state, was_claimed, &Actor::system(), now()).await.unwrap_err();
    assert!(matches!(not_deactivated, LifecycleError::WrongState(AccountStatus::Claimed)));
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn only_deactivated_accounts_can_be_deleted_and_the_audit_log_keeps_the_fact(pool: PgPool) {
    let app = spawn_app(pool).await;
    let active = claimed(&app.state, "c@example.com").await;
    let error = lifecycle::delete(&app.state, active, &Actor::system(), now()).await.unwrap_err();
    assert!(matches!(error, LifecycleError::WrongState(AccountStatus::Claimed)));

    let gone = deactivated(&app.state, "gone@example.com").await;
    lifecycle::delete(&app.state, gone, &Actor::system(), now()).await.unwrap();
    let remaining: i64 = sqlx::query_scalar("SELECT count(*) FROM account WHERE id = $1").bind(gone).fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(remaining, 0);
    let label: String = sqlx::query_scalar("SELECT target_label FROM audit_event WHERE target_id = $1 AND action = 'account.deleted'")
        .bind(gone)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(label, "Grace Hopper <gone@example.com>");
    assert!(matches!(lifecycle::delete(&app.state, gone, &Actor::system(), now()).await, Err(LifecycleError::NotFound)));
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn emails_and_external_ids_are_unique_whatever_their_case(pool: PgPool) {
    let app = spawn_app(pool).await;
    uninvited(&app.state, "grace@example.com").await;
    let duplicate = lifecycle::create(&app.state, &person("GRACE@Example.com"), None, &Actor::system(), now()).await.unwrap_err();
    assert!(matches!(duplicate, LifecycleError::DuplicateEmail), "{duplicate:?}");

    let mut with_external_id = person("a@example.com");
    with_external_id.external_id = Some("E-1".into());
    lifecycle::create(&app.state, &with_external_id, None, &Actor::system(), now()).await.unwrap();
    let mut same_external_id = person("b@example.com");
    same_external_id.external_id = Some("E-1".into());
    let duplicate = lifecycle::create(&app.state, &same_external_id, None, &Actor::system(), now()).await.unwrap_err();
    assert!(matches!(duplicate, LifecycleError::DuplicateExternalId), "{duplicate:?}");
    let accounts: i64 = sqlx::query_scalar("SELECT count(*) FROM account").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(accounts, 2, "a refused creation leaves nothing behind");
}
