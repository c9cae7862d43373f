//! Claim credentials (links and access codes): stored as a hash for lookup
//! and a sealed copy, spent once.

use crate::domain::{AccountId, AccountStatus, CredentialId};
use sqlx::{PgExecutor, Postgres, Transaction};
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "claim_credential_kind", rename_all = "snake_case")]
pub enum CredentialKind {
    Link,
    AccessCode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "claim_credential_state", rename_all = "snake_case")]
pub enum CredentialState {
    Active,
    Used,
    Revoked,
}

pub struct NewCredential {
    pub id: CredentialId,
    pub account_id: AccountId,
    pub kind: CredentialKind,
    pub secret_hash: Vec<u8>,
    pub secret_sealed: Vec<u8>,
    pub expires_at: OffsetDateTime,
    pub now: OffsetDateTime,
}

pub async fn insert(tx: &mut Transaction<'_, Postgres>, credential: &NewCredential) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO claim_credential (id, account_id, kind, secret_hash, secret_sealed, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        credential.id as CredentialId,
        credential.account_id as AccountId,
        credential.kind as CredentialKind,
        credential.secret_hash,
        credential.secret_sealed,
        credential.now,
        credential.expires_at,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Revokes every live credential of the account (of one kind, or all).
pub async fn revoke_active(tx: &mut Transaction<'_, Postgres>, account_id: AccountId, kind: Option<CredentialKind>, now: OffsetDateTime) -> sqlx::Result<u64> {
    let revoked = sqlx::query!(
        "UPDATE claim_credential SET state = 'revoked', revoked_at = $3 \
         WHERE account_id = $1 AND state = 'active' AND ($2::claim_credential_kind IS NULL OR kind = $2)",
        account_id as AccountId,
        kind as Option<CredentialKind>,
        now,
    )
    .execute(&mut **tx)
    .await?;
    Ok(revoked.rows_affected())
}

/// Revokes every live credential of these accounts (of `kind`, or of every
/// kind), in one statement. A join rather than `account_id = ANY($1)`: at
/// 100,000 accounts the planner can then hash them against the few live
/// links instead of probing the index once per account.
pub async fn revoke_active_of_many(
    tx: &mut Transaction<'_, Postgres>,
    account_ids: &[uuid::Uuid],
    kind: Option<CredentialKind>,
    now: OffsetDateTime,
) -> sqlx::Result<u64> {
    let revoked = sqlx::query!(
        "UPDATE claim_credential c SET state = 'revoked', revoked_at = $2 \
         FROM UNNEST($1::uuid[]) AS a(id) \
         WHERE c.account_id = a.id AND c.state = 'active' AND ($3::claim_credential_kind IS NULL OR c.kind = $3)",
        account_ids,
        now,
        kind as Option<CredentialKind>,
    )
    .execute(&mut **tx)
    .await?;
    Ok(revoked.rows_affected())
}

/// A credential found by its secret, whatever its state.
#[derive(Debug, Clone)]
pub struct CredentialRow {
    pub id: CredentialId,
    pub account_id: AccountId,
    pub state: CredentialState,
    pub expires_at: OffsetDateTime,
}

pub async fn find_by_hash(executor: impl PgExecutor<'_>, secret_hash: &[u8], kind: CredentialKind) -> sqlx::Result<Option<CredentialRow>> {
    sqlx::query_as!(
        CredentialRow,
        r#"SELECT id AS "id: CredentialId", account_id AS "account_id: AccountId", state AS "state: CredentialState", expires_at
           FROM claim_credential WHERE secret_hash = $1 AND kind = $2"#,
        secret_hash,
        kind as CredentialKind,
    )
    .fetch_optional(executor)
    .await
}

/// [`find_by_hash`] with the status of the account the credential is for,
/// in one statement: opening a link or entering a code reads both.
pub async fn find_by_hash_with_account_status(
    executor: impl PgExecutor<'_>,
    secret_hash: &[u8],
    kind: CredentialKind,
) -> sqlx::Result<Option<(CredentialRow, AccountStatus)>> {
    let found = sqlx::query!(
        r#"SELECT c.id AS "id: CredentialId", c.account_id AS "account_id: AccountId", c.state AS "state: CredentialState", c.expires_at,
                  a.status AS "account_status: AccountStatus"
           FROM claim_credential c JOIN account a ON a.id = c.account_id
           WHERE c.secret_hash = $1 AND c.kind = $2"#,
        secret_hash,
        kind as CredentialKind,
    )
    .fetch_optional(executor)
    .await?;
    Ok(found.map(|row| (CredentialRow { id: row.id, account_id: row.account_id, state: row.state, expires_at: row.expires_at }, row.account_status)))
}

/// How many failures a throttle counted, and when the oldest was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureCount {
    pub failures: i64,
    pub oldest: Option<OffsetDateTime>,
}

/// [`find_by_hash_with_account_status`] together with the failures counted
/// in `bucket` against `subject` since `since`, in one statement: opening a
/// claim link checks its address's throttle and looks the link up, the
/// commonest anonymous request after the sign-in page. The caller judges the
/// count before it looks at the credential.
pub async fn find_by_hash_counting_failures(
    executor: impl PgExecutor<'_>,
    secret_hash: &[u8],
    kind: CredentialKind,
    bucket: &str,
    subject: &[u8],
    since: OffsetDateTime,
) -> sqlx::Result<(FailureCount, Option<(CredentialRow, AccountStatus)>)> {
    let row = sqlx::query!(
        r#"SELECT f.failures AS "failures!", f.oldest,
                  c.id AS "id?: CredentialId", c.account_id AS "account_id?: AccountId", c.state AS "state?: CredentialState",
                  c.expires_at AS "expires_at?", a.status AS "account_status?: AccountStatus"
           FROM (SELECT count(*) AS failures, min(failed_at) AS oldest
                 FROM throttle_failure WHERE bucket = $3 AND subject = $4 AND failed_at > $5) f
           LEFT JOIN (claim_credential c JOIN account a ON a.id = c.account_id) ON c.secret_hash = $1 AND c.kind = $2"#,
        secret_hash,
        kind as CredentialKind,
        bucket,
        subject,
        since,
    )
    .fetch_one(executor)
    .await?;
    let count = FailureCount { failures: row.failures, oldest: row.oldest };
    let found = match (row.id, row.account_id, row.state, row.expires_at, row.account_status) {
        (Some(id), Some(account_id), Some(state), Some(expires_at), Some(status)) => Some((CredentialRow { id, account_id, state, expires_at }, status)),
        _ => None,
    };
    Ok((count, found))
}

/// Spends a live, unexpired credential. Exactly one of any number of
/// concurrent callers gets the account id back (SECURITY.md rule 2).
pub async fn spend(
    tx: &mut Transaction<'_, Postgres>,
    secret_hash: &[u8],
    kind: CredentialKind,
    now: OffsetDateTime,
) -> sqlx::Result<Option<(CredentialId, AccountId)>> {
    let spent = sqlx::query!(
        r#"UPDATE claim_credential SET state = 'used', used_at = $2
           WHERE secret_hash = $1 AND kind = $3 AND state = 'active' AND used_at IS NULL AND expires_at > $2
           RETURNING id AS "id: CredentialId", account_id AS "account_id: AccountId""#,
        secret_hash,
        now,
        kind as CredentialKind,
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(spent.map(|row| (row.id, row.account_id)))
}

/// When the account's newest credential was issued.
pub async fn newest_created_at(executor: impl PgExecutor<'_>, account_id: AccountId) -> sqlx::Result<Option<OffsetDateTime>> {
    sqlx::query_scalar!("SELECT max(created_at) FROM claim_credential WHERE account_id = $1", account_id as AccountId).fetch_one(executor).await
}

/// When the account's live claim link expires, if it has one.
pub async fn active_link_expiry(executor: impl PgExecutor<'_>, account_id: AccountId) -> sqlx::Result<Option<OffsetDateTime>> {
    sqlx::query_scalar!("SELECT expires_at FROM claim_credential WHERE account_id = $1 AND kind = 'link' AND state = 'active'", account_id as AccountId)
        .fetch_optional(executor)
        .await
}

/// Claim links or access codes for many accounts at once (bulk
/// invitations): parallel slices, one entry per credential.
pub struct NewCredentials {
    pub kind: CredentialKind,
    pub ids: Vec<uuid::Uuid>,
    pub account_ids: Vec<uuid::Uuid>,
    pub secret_hashes: Vec<Vec<u8>>,
    pub secrets_sealed: Vec<Vec<u8>>,
    pub expires_at: OffsetDateTime,
    pub now: OffsetDateTime,
}

/// Revokes the live credentials of that kind of these accounts, then inserts
/// the new ones, in two statements however many there are.
pub async fn replace_many(tx: &mut Transaction<'_, Postgres>, links: &NewCredentials) -> sqlx::Result<()> {
    revoke_active_of_many(tx, &links.account_ids, Some(links.kind), links.now).await?;
    sqlx::query!(
        "INSERT INTO claim_credential (id, account_id, kind, secret_hash, secret_sealed, created_at, expires_at) \
         SELECT id, account_id, $7, secret_hash, secret_sealed, $5, $6 \
         FROM UNNEST($1::uuid[], $2::uuid[], $3::bytea[], $4::bytea[]) AS t(id, account_id, secret_hash, secret_sealed)",
        &links.ids,
        &links.account_ids,
        &links.secret_hashes,
        &links.secrets_sealed,
        links.now,
        links.expires_at,
        links.kind as CredentialKind,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// An account's newest access code, whatever its state.
#[derive(Debug, Clone)]
pub struct AccessCodeRow {
    pub state: CredentialState,
    pub expires_at: OffsetDateTime,
    pub used_at: Option<OffsetDateTime>,
    pub secret_sealed: Vec<u8>,
}

pub async fn newest_access_code(executor: impl PgExecutor<'_>, account_id: AccountId) -> sqlx::Result<Option<AccessCodeRow>> {
    sqlx::query_as!(
        AccessCodeRow,
        r#"SELECT state AS "state: CredentialState", expires_at, used_at, secret_sealed FROM claim_credential
           WHERE account_id = $1 AND kind = 'access_code' ORDER BY created_at DESC LIMIT 1"#,
        account_id as AccountId,
    )
    .fetch_optional(executor)
    .await
}

/// A live access code with whom it is for, to print or export.
#[derive(Debug, Clone)]
pub struct PrintableCodeRow {
    pub account_id: AccountId,
    pub full_name: String,
    pub department: String,
    pub username: Option<String>,
    pub secret_sealed: Vec<u8>,
    pub expires_at: OffsetDateTime,
}

/// The live, unexpired codes of invited people without email: those in
/// `ids`, or everyone (in `department` when given), by department and
/// name, at most `limit`.
pub async fn printable_codes(
    executor: impl PgExecutor<'_>,
    ids: Option<&[uuid::Uuid]>,
    department: Option<&str>,
    now: OffsetDateTime,
    limit: i64,
) -> sqlx::Result<Vec<PrintableCodeRow>> {
    sqlx::query_as!(
        PrintableCodeRow,
        r#"SELECT a.id AS "account_id: AccountId", a.full_name, a.department, a.username, c.secret_sealed, c.expires_at
           FROM claim_credential c JOIN account a ON a.id = c.account_id
           WHERE c.kind = 'access_code' AND c.state = 'active' AND c.expires_at > $3 AND a.status = 'invited' AND a.email IS NULL
             AND ($1::uuid[] IS NULL OR a.id = ANY($1)) AND ($2::text IS NULL OR lower(a.department) = lower($2))
           ORDER BY a.department, a.full_name, a.id
           LIMIT $4"#,
        ids,
        department,
        now,
        limit,
    )
    .fetch_all(executor)
    .await
}
