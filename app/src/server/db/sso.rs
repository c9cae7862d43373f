//! Single sign-on: the provider's configuration (one row), the identities
//! bound to accounts, and each person's sign-in method.

use crate::domain::{AccountId, AccountStatus, Role, SignInMethod, SsoPolicy, SsoSettings};
use sqlx::{PgExecutor, Postgres, Transaction};
use time::OffsetDateTime;

/// The provider as configured.
#[derive(Debug, Clone)]
pub struct ConfigurationRow {
    pub issuer_url: String,
    pub client_id: String,
    pub client_secret_sealed: Vec<u8>,
    pub button_label: String,
    pub trusted_domains: Vec<String>,
    pub policy: SsoPolicy,
    pub updated_at: OffsetDateTime,
}

pub async fn configuration(executor: impl PgExecutor<'_>) -> sqlx::Result<Option<ConfigurationRow>> {
    sqlx::query_as!(
        ConfigurationRow,
        r#"SELECT issuer_url, client_id, client_secret_sealed, button_label, trusted_domains, policy AS "policy: SsoPolicy", updated_at
           FROM sso_configuration"#
    )
    .fetch_optional(executor)
    .await
}

/// Saves the configuration; `secret_sealed` None keeps the saved secret
/// (and then one must exist: returns false when none does).
pub async fn save_configuration(
    tx: &mut Transaction<'_, Postgres>,
    settings: &SsoSettings,
    secret_sealed: Option<&[u8]>,
    now: OffsetDateTime,
) -> sqlx::Result<bool> {
    let saved = sqlx::query_scalar!(
        r#"INSERT INTO sso_configuration AS c (id, issuer_url, client_id, client_secret_sealed, button_label, trusted_domains, policy, updated_at)
           SELECT true, $1, $2, coalesce($3, (SELECT client_secret_sealed FROM sso_configuration)), $4, $5, $6, $7
           WHERE $3::bytea IS NOT NULL OR EXISTS (SELECT 1 FROM sso_configuration)
           ON CONFLICT (id) DO UPDATE SET issuer_url = EXCLUDED.issuer_url, client_id = EXCLUDED.client_id,
             client_secret_sealed = EXCLUDED.client_secret_sealed, button_label = EXCLUDED.button_label,
             trusted_domains = EXCLUDED.trusted_domains, policy = EXCLUDED.policy, updated_at = EXCLUDED.updated_at
           RETURNING c.id"#,
        settings.issuer_url,
        settings.client_id,
        secret_sealed,
        settings.button_label,
        &settings.trusted_domains,
        settings.policy as SsoPolicy,
        now,
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(saved.is_some())
}

/// An identity bound to an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityRow {
    pub account_id: AccountId,
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub bound_at: OffsetDateTime,
}

pub async fn identity_by_subject(executor: impl PgExecutor<'_>, issuer: &str, subject: &str) -> sqlx::Result<Option<IdentityRow>> {
    sqlx::query_as!(
        IdentityRow,
        r#"SELECT account_id AS "account_id: AccountId", issuer, subject, email, bound_at FROM sso_identity WHERE issuer = $1 AND subject = $2"#,
        issuer,
        subject,
    )
    .fetch_optional(executor)
    .await
}

pub async fn identity_of(executor: impl PgExecutor<'_>, account: AccountId) -> sqlx::Result<Option<IdentityRow>> {
    sqlx::query_as!(
        IdentityRow,
        r#"SELECT account_id AS "account_id: AccountId", issuer, subject, email, bound_at FROM sso_identity WHERE account_id = $1"#,
        account as AccountId,
    )
    .fetch_optional(executor)
    .await
}

/// Binds an identity. The schema refuses a second identity for the account
/// (`sso_identity_pkey`) and an identity already bound elsewhere
/// (`sso_identity_issuer_subject_key`).
pub async fn bind(
    tx: &mut Transaction<'_, Postgres>,
    account: AccountId,
    issuer: &str,
    subject: &str,
    email: Option<&str>,
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO sso_identity (account_id, issuer, subject, email, bound_at) VALUES ($1, $2, $3, $4, $5)",
        account as AccountId,
        issuer,
        subject,
        email,
        now,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Removes the account's identity, returning it.
pub async fn unlink(tx: &mut Transaction<'_, Postgres>, account: AccountId) -> sqlx::Result<Option<IdentityRow>> {
    sqlx::query_as!(
        IdentityRow,
        r#"DELETE FROM sso_identity WHERE account_id = $1
           RETURNING account_id AS "account_id: AccountId", issuer, subject, email, bound_at"#,
        account as AccountId,
    )
    .fetch_optional(&mut **tx)
    .await
}

/// Sets a person's own sign-in method; false when there is no such account.
pub async fn set_sign_in_method(tx: &mut Transaction<'_, Postgres>, account: AccountId, method: SignInMethod, now: OffsetDateTime) -> sqlx::Result<bool> {
    let updated = sqlx::query!("UPDATE account SET sign_in_method = $2, updated_at = $3 WHERE id = $1", account as AccountId, method as SignInMethod, now,)
        .execute(&mut **tx)
        .await?;
    Ok(updated.rows_affected() == 1)
}

/// An account as single sign-on finds it: what it is, how it signs in (its
/// own method, and the policy over it), and whether an identity is bound to
/// it already.
#[derive(Debug, Clone)]
pub struct SsoAccountRow {
    pub id: AccountId,
    pub status: AccountStatus,
    pub role: Role,
    pub session_epoch: i32,
    pub full_name: String,
    pub email: Option<String>,
    pub sign_in_method: SignInMethod,
    pub policy: SsoPolicy,
    pub has_identity: bool,
}

impl SsoAccountRow {
    /// How the person signs in now: the policy over their own method.
    pub fn signs_in_with(&self) -> SignInMethod {
        self.policy.method_for(self.sign_in_method)
    }
}

/// Which account [`account`] reads.
pub enum AccountKey<'a> {
    Id(AccountId),
    /// A normalised email address.
    Email(&'a str),
}

pub async fn account(executor: impl PgExecutor<'_>, key: AccountKey<'_>) -> sqlx::Result<Option<SsoAccountRow>> {
    let (id, email) = match key {
        AccountKey::Id(id) => (Some(id), None),
        AccountKey::Email(email) => (None, Some(email)),
    };
    sqlx::query_as!(
        SsoAccountRow,
        r#"SELECT a.id AS "id: AccountId", a.status AS "status: AccountStatus", a.role AS "role: Role", a.session_epoch,
                  a.full_name, a.email, a.sign_in_method AS "sign_in_method: SignInMethod",
                  coalesce((SELECT policy FROM sso_configuration), 'nobody') AS "policy!: SsoPolicy",
                  EXISTS (SELECT 1 FROM sso_identity i WHERE i.account_id = a.id) AS "has_identity!"
           FROM account a WHERE a.id = $1 OR a.email_normalized = $2"#,
        id as Option<AccountId>,
        email,
    )
    .fetch_optional(executor)
    .await
}

/// What the sign-in page needs, in one statement: whether setup is over
/// (a claimed administrator exists), and the single sign-on button's words
/// while single sign-on is on.
#[derive(Clone)]
pub struct SignInPageRow {
    pub admin_exists: bool,
    pub sso_button_label: Option<String>,
}

pub async fn sign_in_page(executor: impl PgExecutor<'_>) -> sqlx::Result<SignInPageRow> {
    sqlx::query_as!(
        SignInPageRow,
        r#"SELECT EXISTS (SELECT 1 FROM account WHERE role = 'owner' AND status = 'claimed') AS "admin_exists!",
                  (SELECT button_label FROM sso_configuration WHERE policy <> 'nobody') AS sso_button_label"#
    )
    .fetch_one(executor)
    .await
}
