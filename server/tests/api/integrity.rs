//! Integrity the schema declares: references to accounts, groups and
//! credentials are foreign keys with their ON DELETE rules (no orphan, even
//! against a concurrent deletion), and the enums the code mirrors are the
//! schema's own.

use sqlx::{PgPool, Postgres, Transaction};
use std::time::Duration;
use uuid::Uuid;

async fn account(pool: &PgPool, email: &str, manager: Option<Uuid>) -> sqlx::Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO account (id, email, email_normalized, full_name, manager_id, created_at, updated_at) \
         VALUES ($1, $2, $2, $2, $3, now(), now())",
    )
    .bind(id)
    .bind(email)
    .bind(manager)
    .execute(pool)
    .await?;
    Ok(id)
}

async fn group(pool: &PgPool, name: &str) -> Uuid {
    let id = Uuid::now_v7();
    sqlx::query("INSERT INTO account_group (id, name, name_normalized, created_at, updated_at) VALUES ($1, $2, $2, now(), now())")
        .bind(id)
        .bind(name)
        .execute(pool)
        .await
        .unwrap();
    id
}

async fn add_member<'e>(executor: impl sqlx::PgExecutor<'e>, group: Uuid, account: Uuid) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO group_membership (group_id, account_id, added_at) VALUES ($1, $2, now())")
        .bind(group)
        .bind(account)
        .execute(executor)
        .await
        .map(drop)
}

async fn credential(pool: &PgPool, account: Uuid) -> sqlx::Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO claim_credential (id, account_id, kind, secret_hash, secret_sealed, created_at, expires_at) \
         VALUES ($1, $2, 'link', $3, '\\x00', now(), now() + interval '1 day')",
    )
    .bind(id)
    .bind(account)
    .bind(Uuid::now_v7().as_bytes().to_vec())
    .execute(pool)
    .await?;
    Ok(id)
}

/// A claim invitation for `account`, carrying `credential`'s link.
async fn email(pool: &PgPool, account: Uuid, credential: Uuid) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO email_outbox (id, kind, account_id, credential_id, recipient, next_attempt_at, created_at) \
         VALUES ($1, 'claim_invitation', $2, $3, 'x@example.com', now(), now())",
    )
    .bind(Uuid::now_v7())
    .bind(account)
    .bind(credential)
    .execute(pool)
    .await
    .map(drop)
}

async fn count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}")).fetch_one(pool).await.unwrap()
}

async fn memberships(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM group_membership").fetch_one(pool).await.unwrap()
}

fn violated_constraint(result: sqlx::Result<()>) -> String {
    match result {
        Err(sqlx::Error::Database(error)) if error.is_foreign_key_violation() => error.constraint().unwrap_or_default().to_owned(),
        other => panic!("expected a foreign key violation, got {other:?}"),
    }
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn memberships_credentials_emails_and_managers_must_name_rows_that_exist(pool: PgPool) {
    let ada = account(&pool, "ada@example.com", None).await.unwrap();
    let staff = group(&pool, "staff").await;
    add_member(&pool, staff, ada).await.unwrap();

    assert_eq!(violated_constraint(add_member(&pool, staff, Uuid::now_v7()).await), "group_membership_account_id_fkey");
    assert_eq!(violated_constraint(add_member(&pool, Uuid::now_v7(), ada).await), "group_membership_group_id_fkey");
    // One bad row fails the whole statement.
    let many = sqlx::query("INSERT INTO group_membership (group_id, account_id, added_at) SELECT $1, id, now() FROM unnest($2::uuid[]) id")
        .bind(group(&pool, "many").await)
        .bind(vec![ada, Uuid::now_v7()])
        .execute(&pool)
        .await
        .map(drop);
    assert_eq!(violated_constraint(many), "group_membership_account_id_fkey");
    assert_eq!(memberships(&pool).await, 1);

    assert_eq!(violated_constraint(credential(&pool, Uuid::now_v7()).await.map(drop)), "claim_credential_account_id_fkey");
    let link = credential(&pool, ada).await.unwrap();
    assert_eq!(violated_constraint(email(&pool, Uuid::now_v7(), link).await), "email_outbox_account_id_fkey");
    email(&pool, ada, link).await.unwrap();

    let nobody = account(&pool, "bob@example.com", Some(Uuid::now_v7())).await.map(drop);
    assert_eq!(violated_constraint(nobody), "account_manager_id_fkey");
    let bob = account(&pool, "bob@example.com", Some(ada)).await.unwrap();
    let reassigned = sqlx::query("UPDATE account SET manager_id = $2 WHERE id = $1").bind(bob).bind(Uuid::now_v7()).execute(&pool).await.map(drop);
    assert_eq!(violated_constraint(reassigned), "account_manager_id_fkey");
    // A manager and their report may arrive in one statement.
    let (boss, report) = (Uuid::now_v7(), Uuid::now_v7());
    sqlx::query(
        "INSERT INTO account (id, email, email_normalized, full_name, manager_id, created_at, updated_at) \
         VALUES ($1, 'boss@example.com', 'boss@example.com', 'Boss', NULL, now(), now()), ($2, 'report@example.com', 'report@example.com', 'Report', $1, now(), now())",
    )
    .bind(boss)
    .bind(report)
    .execute(&pool)
    .await
    .unwrap();
}

#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn deleting_an_account_or_group_removes_what_names_it_and_clears_its_reports_manager(pool: PgPool) {
    let ada = account(&pool, "ada@example.com", None).await.unwrap();
    let bob = account(&pool, "bob@example.com", Some(ada)).await.unwrap();
    let (staff, berlin) = (group(&pool, "staff").await, group(&pool, "berlin").await);
    for (g, a) in [(staff, ada), (staff, bob), (berlin, ada), (berlin, bob)] {
        add_member(&pool, g, a).await.unwrap();
    }
    for person in [ada, bob] {
        let link = credential(&pool, person).await.unwrap();
        email(&pool, person, link).await.unwrap();
    }
    app::server::services::search_index::catch_up(&pool).await.unwrap();
    assert_eq!(count(&pool, "account_search").await, 2);
    sqlx::query("DELETE FROM account WHERE id = $1").bind(ada).execute(&pool).await.unwrap();
    assert_eq!(memberships(&pool).await, 2);
    assert_eq!((count(&pool, "claim_credential").await, count(&pool, "email_outbox").await), (1, 1));
    assert_eq!(count(&pool, "account_search").await, 1, "the search document goes with the account");
    let manager: Option<Uuid> = sqlx::query_scalar("SELECT manager_id FROM account WHERE id = $1").bind(bob).fetch_one(&pool).await.unwrap();
    assert_eq!(manager, None);
    sqlx::query("DELETE FROM account_group WHERE id = $1").bind(berlin).execute(&pool).await.unwrap();
    let left: Vec<(Uuid, Uuid)> = sqlx::query_as("SELECT group_id, account_id FROM group_membership").fetch_all(&pool).await.unwrap();
    assert_eq!(left, [(staff, bob)]);
}

/// Returns once another session of this database is blocked on a lock, as
/// PostgreSQL itself reports it.
async fn until_a_session_waits_for_a_lock(pool: &PgPool) {
    for _ in 0..1_000 {
        let waiting: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")
            .fetch_one(pool)
            .await
            .unwrap();
        if waiting > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no session started waiting for a lock");
}

/// A membership added while its account is being deleted: whichever
/// transaction comes first, no membership outlives its account.
#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn a_deletion_racing_a_new_membership_leaves_no_orphan(pool: PgPool) {
    let staff = group(&pool, "staff").await;

    // The membership first: the deletion waits for it, then removes it.
    let ada = account(&pool, "ada@example.com", None).await.unwrap();
    let mut adding: Transaction<'_, Postgres> = pool.begin().await.unwrap();
    add_member(&mut *adding, staff, ada).await.unwrap();
    let deleting = tokio::spawn({
        let pool = pool.clone();
        async move { sqlx::query("DELETE FROM account WHERE id = $1").bind(ada).execute(&pool).await.map(drop) }
    });
    until_a_session_waits_for_a_lock(&pool).await;
    assert!(!deleting.is_finished(), "the deletion waits for the transaction that added the membership");
    adding.commit().await.unwrap();
    deleting.await.unwrap().unwrap();
    assert_eq!(memberships(&pool).await, 0);

    // The deletion first: the membership waits for it, then fails.
    let bob = account(&pool, "bob@example.com", None).await.unwrap();
    let mut deleting: Transaction<'_, Postgres> = pool.begin().await.unwrap();
    sqlx::query("DELETE FROM account WHERE id = $1").bind(bob).execute(&mut *deleting).await.unwrap();
    let adding = tokio::spawn({
        let pool = pool.clone();
        async move { add_member(&pool, staff, bob).await }
    });
    until_a_session_waits_for_a_lock(&pool).await;
    assert!(!adding.is_finished(), "the membership waits for the transaction deleting its account");
    deleting.commit().await.unwrap();
    assert_eq!(violated_constraint(adding.await.unwrap()), "group_membership_account_id_fkey");
    assert_eq!(memberships(&pool).await, 0);
}

/// The enums the code mirrors hold exactly the schema's labels, so every
/// value written can be read back and every value read is known.
#[sqlx::test(migrator = "server::startup::MIGRATOR")]
async fn the_audit_vocabulary_is_the_schemas(pool: PgPool) {
    use app::domain::{AuditAction, AuditTargetKind};
    let labels = |enum_type: &'static str| {
        let pool = pool.clone();
        async move { sqlx::query_scalar::<_, String>(&format!("SELECT unnest(enum_range(NULL::{enum_type}))::text")).fetch_all(&pool).await.unwrap() }
    };
    let actions: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
    assert_eq!(labels("audit_action").await, actions);
    let kinds: Vec<&str> = AuditTargetKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(labels("audit_target_kind").await, kinds);
    let roles: Vec<&str> = app::domain::Role::ALL.iter().map(|r| r.as_str()).collect();
    assert_eq!(labels("account_role").await, roles, "roles, from least to most");
}
