//! Every account lifecycle transition, and nothing else changes an account's
//! status. Each transition checks its source state in SQL, writes an audit
//! row, and queues its email in the same transaction.
//!
//! ```text
//! create ─► uninvited ─invite─► invited ─claim─► claimed
//!               └──────────┴── deactivate ──┴──► deactivated ─► deleted
//!                                 reactivate ◄──┘
//! ```

use crate::domain::{
    account_label, AccessCode, AccountId, AccountStatus, Actor, AuditAction, AuditTarget, CredentialId, EmailAddress, GroupId, PersonName, PersonalMessage,
    ProfileDetails, Role, Username,
};
use crate::error::AppError;
use crate::server::context;
use crate::server::crypto::{generate_access_code, generate_secret, secret_digest, SecretSealer};
use crate::server::db::accounts::{self, transitions};
use crate::server::db::audit::{self, AuditEvent};
use crate::server::db::credentials::{self, CredentialKind, CredentialState};
use crate::server::db::outbox::{self, EmailKind};
use crate::server::db::{self, groups, sso};
use crate::server::services::roles;
use crate::server::AppState;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{Postgres, Transaction};
use time::{Duration, OffsetDateTime};

#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    #[error("there is no such account")]
    NotFound,
    #[error("this cannot be done while the account is {}", .0.label().to_lowercase())]
    WrongState(AccountStatus),
    #[error("an account with this email address already exists")]
    DuplicateEmail,
    #[error("an account with this external ID already exists")]
    DuplicateExternalId,
    #[error("someone already has this username")]
    DuplicateUsername,
    #[error("the manager is not in Embark (any more)")]
    UnknownManager,
    #[error("this is the last owner who can sign in; make someone else an owner first")]
    LastOwner,
    #[error("only an owner can deactivate or delete an owner")]
    OwnersOnly,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for LifecycleError {
    fn from(error: sqlx::Error) -> Self {
        if db::foreign_key_violation(&error).as_deref() == Some("account_manager_id_fkey") {
            return Self::UnknownManager;
        }
        match db::unique_violation(&error).as_deref() {
            Some("account_email_normalized_key") => Self::DuplicateEmail,
            Some("account_external_id_key") => Self::DuplicateExternalId,
            Some("account_username_normalized_key") => Self::DuplicateUsername,
            _ => Self::Unexpected(error.into()),
        }
    }
}

impl From<LifecycleError> for AppError {
    fn from(error: LifecycleError) -> Self {
        match error {
            LifecycleError::NotFound => context::not_found(),
            LifecycleError::Unexpected(e) => context::internal(e),
            refused => context::refused(format!("Not done: {refused}.")),
        }
    }
}

/// A person to provision, already parsed.
#[derive(Debug, Clone)]
pub struct NewPerson {
    pub email: Option<EmailAddress>,
    pub external_id: Option<String>,
    /// The sign-in name of someone without an email address. When neither is
    /// given, one is made from the name.
    pub username: Option<Username>,
    pub profile: ProfileDetails,
    pub manager_id: Option<AccountId>,
    pub role: Role,
    /// Groups to place the person in from the start.
    pub groups: Vec<GroupId>,
}

impl NewPerson {
    pub fn employee(full_name: PersonName, email: EmailAddress) -> Self {
        let profile = ProfileDetails { full_name, title: String::new(), department: String::new(), location: String::new(), phone: String::new() };
        Self { email: Some(email), external_id: None, username: None, profile, manager_id: None, role: Role::Employee, groups: Vec::new() }
    }
}

/// What the claim email says beyond the standard text.
#[derive(Debug, Clone, Default)]
pub struct Invitation {
    pub personal_message: PersonalMessage,
}

/// A claim link or access code just issued. The secret exists only here and,
/// sealed, in the database; it is never logged.
#[derive(Debug)]
pub struct IssuedCredential {
    pub credential_id: CredentialId,
    pub kind: CredentialKind,
    /// The link's secret, or the access code (normalised).
    pub secret: SecretString,
    pub expires_at: OffsetDateTime,
}

impl IssuedCredential {
    pub fn is_access_code(&self) -> bool {
        self.kind == CredentialKind::AccessCode
    }
}

/// Provisions one person: `uninvited`, or at once `invited` when an
/// invitation is given (individual creation in the admin panel): with a
/// claim link by email, or an access code for someone without email.
pub async fn create(
    state: &AppState,
    person: &NewPerson,
    invitation: Option<&Invitation>,
    actor: &Actor,
    now: OffsetDateTime,
) -> Result<(AccountId, Option<IssuedCredential>), LifecycleError> {
    let mut tx = state.pool.begin().await?;
    let created = create_in(state, &mut tx, person, invitation, actor, now).await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    Ok(created)
}

/// [`create`] inside the caller's transaction (SCIM sets more in the same
/// one).
pub async fn create_in(
    state: &AppState,
    tx: &mut Transaction<'_, Postgres>,
    person: &NewPerson,
    invitation: Option<&Invitation>,
    actor: &Actor,
    now: OffsetDateTime,
) -> Result<(AccountId, Option<IssuedCredential>), LifecycleError> {
    let id = AccountId::new();
    let profile = &person.profile;
    let username = match (&person.username, &person.email) {
        (Some(username), _) => Some(username.clone()),
        (None, None) => Some(free_username(tx, &profile.full_name).await?),
        (None, Some(_)) => None,
    };
    accounts::insert(
        tx,
        &accounts::NewAccountRow {
            id,
            status: AccountStatus::Uninvited,
            role: person.role,
            email: person.email.as_ref().map(AsRef::as_ref),
            email_normalized: person.email.as_ref().map(EmailAddress::normalized),
            external_id: person.external_id.as_deref(),
            username: username.as_ref().map(AsRef::as_ref),
            username_normalized: username.as_ref().map(Username::normalized),
            full_name: profile.full_name.as_ref(),
            title: &profile.title,
            department: &profile.department,
            location: &profile.location,
            phone: &profile.phone,
            manager_id: person.manager_id,
            password_hash: None,
            now,
        },
    )
    .await?;
    let target = AuditTarget::account(id, profile.full_name.as_ref(), person.email.as_ref().map(AsRef::as_ref));
    audit::record(&mut **tx, AuditEvent { actor, action: AuditAction::AccountCreated, target: &target, details: json!({ "role": person.role }), now }).await?;
    groups::join(tx, id, &person.groups, groups::Chooser::Admin, now).await?;
    let issued = match invitation {
        Some(invitation) => Some(invite_in(state, tx, id, invitation, actor, now).await?),
        None => None,
    };
    Ok((id, issued))
}

/// A username made from the name that nobody has yet: "ada.lovelace", else
/// "ada.lovelace2" … Two people created at the same moment may still pick
/// the same one: the unique index refuses the second.
async fn free_username(tx: &mut Transaction<'_, Postgres>, name: &PersonName) -> Result<Username, LifecycleError> {
    let base = Username::suggest(name);
    let candidates: Vec<Username> = std::iter::once(base.clone()).chain((2..=50).map(|n| base.numbered(n))).collect();
    let normalized: Vec<String> = candidates.iter().map(Username::normalized).collect();
    let taken = accounts::usernames_taken(&mut **tx, &normalized).await?;
    candidates.into_iter().find(|c| !taken.contains(&c.normalized())).ok_or(LifecycleError::DuplicateUsername)
}

/// Invites an uninvited account, or re-sends to an invited one. Either way
/// any earlier link (or code) is revoked and a new one issued: a link with
/// the claim email queued, or for someone without email an access code the
/// admin hands over.
pub async fn invite(state: &AppState, id: AccountId, invitation: &Invitation, actor: &Actor, now: OffsetDateTime) -> Result<IssuedCredential, LifecycleError> {
    let mut tx = state.pool.begin().await?;
    let link = invite_in(state, &mut tx, id, invitation, actor, now).await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    Ok(link)
}

async fn invite_in(
    state: &AppState,
    tx: &mut Transaction<'_, Postgres>,
    id: AccountId,
    invitation: &Invitation,
    actor: &Actor,
    now: OffsetDateTime,
) -> Result<IssuedCredential, LifecycleError> {
    let account = lock_account(tx, id).await?;
    let was = account.status;
    if !transitions::mark_invited(tx, id, now).await? {
        return Err(LifecycleError::WrongState(was));
    }
    let action = if was == AccountStatus::Invited { AuditAction::InvitationResent } else { AuditAction::AccountInvited };
    let Some(email) = account.email.clone() else {
        return issue_access_code(state, tx, &account, action, actor, now).await;
    };
    credentials::revoke_active(tx, id, Some(CredentialKind::Link), now).await?;

    let lifetime_days = db::settings::get(&mut **tx).await?.claim_link_lifetime_days;
    let secret = generate_secret();
    let credential = credentials::NewCredential {
        id: CredentialId::new(),
        account_id: id,
        kind: CredentialKind::Link,
        secret_hash: secret_digest(&secret),
        secret_sealed: state.sealer.seal(&secret),
        expires_at: now + Duration::days(i64::from(lifetime_days)),
        now,
    };
    credentials::insert(tx, &credential).await?;
    outbox::enqueue(
        tx,
        outbox::NewEmail {
            kind: EmailKind::ClaimInvitation,
            account_id: Some(id),
            credential_id: Some(credential.id),
            recipient: &email,
            payload: json!({ "personal_message": invitation.personal_message.as_deref() }),
            now,
        },
    )
    .await?;
    let target = AuditTarget::account(id, &account.full_name, Some(&email));
    audit::record(&mut **tx, AuditEvent { actor, action, target: &target, details: json!({ "expires_at": credential.expires_at.unix_timestamp() }), now })
        .await?;
    Ok(IssuedCredential { credential_id: credential.id, kind: CredentialKind::Link, secret: SecretString::from(secret), expires_at: credential.expires_at })
}

/// The access-code half of [`invite_in`]; nothing is mailed.
async fn issue_access_code(
    state: &AppState,
    tx: &mut Transaction<'_, Postgres>,
    account: &accounts::AccountRow,
    action: AuditAction,
    actor: &Actor,
    now: OffsetDateTime,
) -> Result<IssuedCredential, LifecycleError> {
    let lifetime_days = db::settings::get(&mut **tx).await?.access_code_lifetime_days;
    let issued = issue_access_codes(state, tx, &[(account.id, account.full_name.clone())], lifetime_days, action, json!({}), actor, now).await?;
    let (credential_id, code) = issued.codes.into_iter().next().ok_or_else(|| anyhow::anyhow!("one access code was issued"))?;
    Ok(IssuedCredential {
        credential_id,
        kind: CredentialKind::AccessCode,
        secret: SecretString::from(code.as_str().to_owned()),
        expires_at: issued.expires_at,
    })
}

/// Access codes just issued, in the order of the accounts asked for.
struct IssuedCodes {
    codes: Vec<(CredentialId, AccessCode)>,
    expires_at: OffsetDateTime,
}

/// An access code each for `accounts` (id and name), replacing any live one
/// (one per account, SECURITY.md rule 4), in a fixed number of statements;
/// each account's audit row is `action` with `details` and the expiry.
/// Few people lack email, so the codes are made here, on the runtime.
#[allow(clippy::too_many_arguments)]
async fn issue_access_codes(
    state: &AppState,
    tx: &mut Transaction<'_, Postgres>,
    accounts: &[(AccountId, String)],
    lifetime_days: i32,
    action: AuditAction,
    mut details: serde_json::Value,
    actor: &Actor,
    now: OffsetDateTime,
) -> Result<IssuedCodes, LifecycleError> {
    let expires_at = now + Duration::days(i64::from(lifetime_days));
    if accounts.is_empty() {
        return Ok(IssuedCodes { codes: Vec::new(), expires_at });
    }
    let codes: Vec<(CredentialId, AccessCode)> = accounts.iter().map(|_| (CredentialId::new(), generate_access_code())).collect();
    let account_ids: Vec<uuid::Uuid> = accounts.iter().map(|(id, _)| id.0).collect();
    let labels: Vec<String> = accounts.iter().map(|(_, name)| name.clone()).collect();
    details["expires_at"] = json!(expires_at.unix_timestamp());
    details["via"] = json!("access_code");
    audit::record_for_accounts(tx, actor, action, &account_ids, &labels, details, now).await?;
    let new = credentials::NewCredentials {
        kind: CredentialKind::AccessCode,
        ids: codes.iter().map(|(id, _)| id.0).collect(),
        secret_hashes: codes.iter().map(|(_, code)| secret_digest(code.as_str())).collect(),
        secrets_sealed: codes.iter().map(|(_, code)| state.sealer.seal(code.as_str())).collect(),
        account_ids,
        expires_at,
        now,
    };
    credentials::replace_many(tx, &new).await?;
    Ok(IssuedCodes { codes, expires_at })
}

/// New links (or, for people without email, codes) for the invited people
/// `filter` matches whose link or code has expired, revoking the old ones,
/// without mailing anyone: the People export hands them over another way.
/// Audited per person as a new invitation "via export". Returns how many.
pub async fn renew_expired_for_export(
    state: &AppState,
    filter: &db::accounts::export::ExportFilter,
    actor: &Actor,
    now: OffsetDateTime,
) -> Result<u64, LifecycleError> {
    let mut tx = state.pool.begin().await?;
    let expired = db::accounts::export::expired_invitations(&mut tx, filter, now).await?;
    let settings = db::settings::get(&mut *tx).await?;
    let (with_email, without): (Vec<_>, Vec<_>) = expired.iter().partition(|person| person.email.is_some());
    if !with_email.is_empty() {
        let expires_at = now + Duration::days(i64::from(settings.claim_link_lifetime_days));
        let secrets: Vec<String> = with_email.iter().map(|_| generate_secret()).collect();
        let account_ids: Vec<uuid::Uuid> = with_email.iter().map(|person| person.id.0).collect();
        let labels: Vec<String> = with_email.iter().map(|person| account_label(&person.full_name, person.email.as_deref())).collect();
        let new = credentials::NewCredentials {
            kind: CredentialKind::Link,
            ids: secrets.iter().map(|_| CredentialId::new().0).collect(),
            secret_hashes: secrets.iter().map(|secret| secret_digest(secret)).collect(),
            secrets_sealed: secrets.iter().map(|secret| state.sealer.seal(secret)).collect(),
            account_ids,
            expires_at,
            now,
        };
        credentials::replace_many(&mut tx, &new).await?;
        let details = json!({ "via": "export", "expires_at": expires_at.unix_timestamp() });
        audit::record_for_accounts(&mut tx, actor, AuditAction::InvitationResent, &new.account_ids, &labels, details, now).await?;
    }
    let without: Vec<(AccountId, String)> = without.iter().map(|person| (person.id, person.full_name.clone())).collect();
    issue_access_codes(state, &mut tx, &without, settings.access_code_lifetime_days, AuditAction::InvitationResent, json!({ "via": "export" }), actor, now)
        .await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    Ok(expired.len() as u64)
}

/// Why an expired link was not renewed.
#[derive(Debug, thiserror::Error)]
pub enum RenewError {
    #[error("only an expired link can be renewed")]
    NotExpired,
    #[error("a new link was issued less than the interval ago")]
    TooSoon,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for RenewError {
    fn from(error: sqlx::Error) -> Self {
        Self::Unexpected(error.into())
    }
}

/// Mails a fresh link for an expired one (the claimant's "Email me a new
/// link"), at most once per `interval`. The interval is checked under the
/// account's row lock, in the transaction that issues the link, so parallel
/// clicks send one email.
pub async fn renew_expired_link(state: &AppState, digest: &[u8], interval: Duration, now: OffsetDateTime) -> Result<(), RenewError> {
    let mut tx = state.pool.begin().await?;
    let credential = credentials::find_by_hash(&mut *tx, digest, CredentialKind::Link).await?.ok_or(RenewError::NotExpired)?;
    let account = lock_account(&mut tx, credential.account_id).await.map_err(|error| match error {
        LifecycleError::Unexpected(error) => RenewError::Unexpected(error),
        _ => RenewError::NotExpired,
    })?;
    // The interval first: once a new link went out, the old one is revoked,
    // and a second click must hear "too soon", not "cannot be renewed".
    let newest = credentials::newest_created_at(&mut *tx, account.id).await?;
    if newest.is_some_and(|at| now - at < interval) {
        return Err(RenewError::TooSoon);
    }
    let credential = credentials::find_by_hash(&mut *tx, digest, CredentialKind::Link).await?.ok_or(RenewError::NotExpired)?;
    if !(credential.state == CredentialState::Active && credential.expires_at <= now) {
        return Err(RenewError::NotExpired);
    }
    let actor = Actor::account(account.id, account.full_name.clone());
    invite_in(state, &mut tx, account.id, &Invitation::default(), &actor, now).await.map_err(|error| match error {
        LifecycleError::Unexpected(error) => RenewError::Unexpected(error),
        _ => RenewError::NotExpired,
    })?;
    tx.commit().await?;
    Ok(())
}

/// Which accounts a bulk invitation is for.
#[derive(Debug, Clone, Copy)]
pub enum InviteScope<'a> {
    /// Every uninvited account (Invite All): links by email, access codes for people without email.
    AllUninvited,
    /// These accounts, where they are uninvited: Invite Selected (the
    /// selection's id) or an import with "Invite now" (the import's id).
    Selected { source: BulkSource, ids: &'a [uuid::Uuid] },
}

/// What a bulk invitation of chosen people came from, for the audit log.
#[derive(Debug, Clone, Copy)]
pub enum BulkSource {
    Selection(uuid::Uuid),
    Import(uuid::Uuid),
    /// Embark's own sample company (`embark demo`).
    Demo,
}

/// Invites many accounts in the caller's transaction with a fixed number of
/// statements, however many there are: uninvited → invited checked in SQL,
/// a fresh link each, the claim email queued, one audit row each and one for
/// the whole (the invitation batch, which each person's row names). Accounts
/// that are invited, claimed or deactivated are left alone. Returns how many
/// were invited.
pub async fn invite_many_in(
    state: &AppState,
    tx: &mut Transaction<'_, Postgres>,
    scope: InviteScope<'_>,
    invitation: &Invitation,
    actor: &Actor,
    now: OffsetDateTime,
) -> Result<usize, LifecycleError> {
    let (ids, source) = match scope {
        InviteScope::AllUninvited => (None, json!({ "scope": "all" })),
        InviteScope::Selected { source: BulkSource::Selection(id), ids } => (Some(ids), json!({ "scope": "selected", "selection": id })),
        InviteScope::Selected { source: BulkSource::Import(id), ids } => (Some(ids), json!({ "scope": "import", "import": id })),
        InviteScope::Selected { source: BulkSource::Demo, ids } => (Some(ids), json!({ "scope": "demo" })),
    };
    if ids.is_none() {
        // Workplace's launch behaviour: after Invite All, people the
        // identity provider adds are invited as they arrive.
        for (id, name) in db::integrations::invite_automatically_everywhere(tx, now).await? {
            let target = AuditTarget::integration(id.0, &name);
            let details = json!({ "invite_automatically": true, "because": "invite_all" });
            audit::record(&mut **tx, AuditEvent { actor, action: AuditAction::IntegrationChanged, target: &target, details, now }).await?;
        }
        // The seeds' Active Directory Sync: "after inviting all accounts with
        // the Invite All button … newly created accounts will be invited
        // immediately".
        if db::directory::invite_automatically_from_now(tx, now).await? {
            let target = AuditTarget::settings("Directory sync");
            let details = json!({ "invite_automatically": true, "because": "invite_all" });
            audit::record(&mut **tx, AuditEvent { actor, action: AuditAction::DirectorySettingsChanged, target: &target, details, now }).await?;
        }
    }
    let mut steps = crate::server::timing::Steps::start("bulk invitation");
    let invited = transitions::mark_many_invited(tx, ids, now).await?;
    steps.lap("accounts");
    if invited.is_empty() {
        return Ok(0);
    }
    let settings = db::settings::get(&mut **tx).await?;
    let count = invited.len();
    let batch = uuid::Uuid::now_v7();
    let (invited, without_email): (Vec<_>, Vec<_>) = invited.into_iter().partition(|account| account.email.is_some());
    let without_email: Vec<(AccountId, String)> = without_email.into_iter().map(|account| (account.id, account.full_name)).collect();
    let lifetime_days = settings.access_code_lifetime_days;
    issue_access_codes(state, tx, &without_email, lifetime_days, AuditAction::AccountInvited, json!({ "invitation_batch": batch }), actor, now).await?;
    steps.lap("access codes");
    // The links' secrets are made on other threads while PostgreSQL queues
    // the emails and writes the audit rows: an email names its link's
    // credential by the id chosen here, so it can go in before the link (in
    // the same transaction, so nobody sees one without the other).
    let sealing = spawn_link_secrets(&state.sealer, invited.len());
    let credential_ids: Vec<uuid::Uuid> = (0..invited.len()).map(|_| CredentialId::new().0).collect();
    let mut account_ids = Vec::with_capacity(invited.len());
    let mut recipients = Vec::with_capacity(invited.len());
    let mut labels = Vec::with_capacity(invited.len());
    for account in invited {
        let email = account.email.unwrap_or_default();
        account_ids.push(account.id.0);
        labels.push(account_label(&account.full_name, Some(&email)));
        recipients.push(email);
    }
    outbox::enqueue_invitations(tx, &account_ids, &credential_ids, &recipients, json!({ "personal_message": invitation.personal_message.as_deref() }), now)
        .await?;
    steps.lap("outbox");
    let expires_at = now + Duration::days(i64::from(settings.claim_link_lifetime_days));
    let details = json!({ "expires_at": expires_at.unix_timestamp(), "invitation_batch": batch });
    audit::record_for_accounts(tx, actor, AuditAction::AccountInvited, &account_ids, &labels, details, now).await?;
    steps.lap("audit");
    let (secret_hashes, secrets_sealed) = sealing.await.map_err(anyhow::Error::from)?.into_iter().unzip();
    steps.lap("rest of sealing");
    let links = credentials::NewCredentials { kind: CredentialKind::Link, ids: credential_ids, account_ids, secret_hashes, secrets_sealed, expires_at, now };
    credentials::replace_many(tx, &links).await?;
    steps.lap("links");
    let target = AuditTarget::invitation_batch(batch, &format!("{count} invitations"));
    let mut details = source;
    details["count"] = json!(count);
    audit::record(&mut **tx, AuditEvent { actor, action: AuditAction::InvitationsSent, target: &target, details, now }).await?;
    steps.log(count);
    Ok(count)
}

/// `count` new claim secrets, each as (digest, sealed secret), made off the
/// async runtime: at 100,000 links this is 0.4 s of CPU. One core is left
/// to PostgreSQL, which writes the emails meanwhile (sharing both cores
/// slowed that by as much as it saved); the rest share the work.
fn spawn_link_secrets(sealer: &SecretSealer, count: usize) -> tokio::task::JoinHandle<Vec<(Vec<u8>, Vec<u8>)>> {
    let sealer = sealer.clone();
    let make = move |n: usize| -> Vec<(Vec<u8>, Vec<u8>)> {
        (0..n)
            .map(|_| {
                let secret = generate_secret();
                (secret_digest(&secret), sealer.seal(&secret))
            })
            .collect()
    };
    tokio::task::spawn_blocking(move || {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).saturating_sub(1).clamp(1, 8);
        let share = count.div_ceil(threads).max(1);
        std::thread::scope(|scope| {
            let make = &make;
            let workers: Vec<_> = (0..count).step_by(share).map(|start| scope.spawn(move || make(share.min(count - start)))).collect();
            workers.into_iter().flat_map(|worker| worker.join().expect("making a claim secret does not panic")).collect()
        })
    })
}

/// [`invite_many_in`] in its own transaction.
pub async fn invite_many(
    state: &AppState,
    scope: InviteScope<'_>,
    invitation: &Invitation,
    actor: &Actor,
    now: OffsetDateTime,
) -> Result<usize, LifecycleError> {
    let mut tx = state.pool.begin().await?;
    let count = invite_many_in(state, &mut tx, scope, invitation, actor, now).await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    Ok(count)
}

/// What proves that the person in the claim wizard may claim an account. The
/// wizard keeps it in the session, derives its steps from it, and hands it
/// to [`complete_claim`], the one way a claim completes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClaimProof {
    /// A claim link: the SHA-256 of its secret, never the secret, so a copy
    /// of the session store reveals no usable link.
    Link { digest: Vec<u8> },
    /// An access code, typed in: the SHA-256 of its normalised form.
    Code { digest: Vec<u8> },
    /// An identity the organisation's provider asserted, with a verified
    /// email in a trusted domain that is an invited account's (SECURITY.md
    /// rule 14): the person started from the sign-in page.
    Identity { account_id: AccountId, identity: SsoIdentity },
}

/// An identity at the organisation's provider, as bound to an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoIdentity {
    pub issuer: String,
    pub subject: String,
    /// The email the provider asserted, if it did.
    pub email: Option<String>,
}

impl ClaimProof {
    /// The proof a link's secret gives.
    pub fn link(secret: &str) -> Self {
        Self::Link { digest: secret_digest(secret) }
    }

    /// The proof an access code gives.
    pub fn code(code: &AccessCode) -> Self {
        Self::Code { digest: secret_digest(code.as_str()) }
    }

    /// Whether the proof already signs the person in (no password or
    /// single sign-on step).
    pub fn signs_in(&self) -> bool {
        match self {
            Self::Link { .. } | Self::Code { .. } => false,
            Self::Identity { .. } => true,
        }
    }

    /// The kind of credential a `Link` or `Code` proof must find: a code
    /// typed into a link's address (or the reverse) matches nothing, so a
    /// code never escapes its own throttle (SECURITY.md rule 5).
    fn credential_kind(&self) -> CredentialKind {
        match self {
            Self::Code { .. } => CredentialKind::AccessCode,
            Self::Link { .. } | Self::Identity { .. } => CredentialKind::Link,
        }
    }

    /// How the audit log names the proof.
    fn kind(&self) -> &'static str {
        match self {
            Self::Link { .. } => "link",
            Self::Code { .. } => "access_code",
            Self::Identity { .. } => "sso",
        }
    }
}

/// Why a claim was not accepted, in the order a person could understand and
/// act on.
#[derive(Debug, Clone, Copy, thiserror::Error, PartialEq, Eq)]
pub enum ClaimError {
    #[error("this link is not known")]
    Unknown,
    #[error("this link has expired")]
    Expired,
    #[error("this link has already been used")]
    AlreadyUsed,
    #[error("this link was replaced by a newer one")]
    Revoked,
    #[error("this account cannot be claimed right now")]
    NotClaimable,
    #[error("this identity at the provider is already linked to another account")]
    IdentityInUse,
    #[error("someone took this username a moment ago; go back to the password step and choose another")]
    UsernameTaken,
}

#[derive(Debug, thiserror::Error)]
pub enum ClaimFailure {
    #[error(transparent)]
    Refused(#[from] ClaimError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for ClaimFailure {
    fn from(error: sqlx::Error) -> Self {
        Self::Unexpected(error.into())
    }
}

/// Tells whose account a proof would claim, without spending it (opening a
/// link must never spend it: mail scanners open links first). A link or a
/// code is read with its account's status in one statement.
pub async fn inspect_claim(state: &AppState, proof: &ClaimProof, now: OffsetDateTime) -> Result<AccountId, ClaimFailure> {
    match proof {
        ClaimProof::Link { digest } | ClaimProof::Code { digest } => {
            let found = credentials::find_by_hash_with_account_status(&state.pool, digest, proof.credential_kind()).await?;
            Ok(claimable_credential(found, now)?)
        }
        ClaimProof::Identity { account_id, .. } => {
            let status = accounts::find(&state.pool, *account_id).await?.map(|account| account.status);
            ensure_claimable(status.ok_or(ClaimError::Unknown)?)?;
            Ok(*account_id)
        }
    }
}

/// Whose account a link or code would claim, given the credential it
/// matched (if any) and that account's status as read with it.
pub fn claimable_credential(found: Option<(credentials::CredentialRow, AccountStatus)>, now: OffsetDateTime) -> Result<AccountId, ClaimError> {
    let (credential, status) = found.unzip();
    let account_id = classify(credential, now)?.account_id;
    ensure_claimable(status.ok_or(ClaimError::Unknown)?)?;
    Ok(account_id)
}

/// Whether the claim `proof` started for `account_id` can still go on, given
/// the credential the proof names and the account's status as read together
/// (the wizard's page reads them in one statement with what it shows).
pub fn still_claimable(
    proof: &ClaimProof,
    account_id: AccountId,
    credential: Option<credentials::CredentialRow>,
    status: Option<AccountStatus>,
    now: OffsetDateTime,
) -> Result<(), ClaimError> {
    match proof {
        ClaimProof::Link { .. } | ClaimProof::Code { .. } => {
            let credential = classify(credential, now)?;
            if credential.account_id != account_id {
                return Err(ClaimError::Unknown);
            }
        }
        ClaimProof::Identity { account_id: proven, .. } if *proven != account_id => return Err(ClaimError::Unknown),
        ClaimProof::Identity { .. } => {}
    }
    ensure_claimable(status.ok_or(ClaimError::Unknown)?)
}

/// The credential the proof names, when it is one: its SHA-256 and kind.
pub fn credential_of(proof: &ClaimProof) -> Option<(&[u8], CredentialKind)> {
    match proof {
        ClaimProof::Link { digest } | ClaimProof::Code { digest } => Some((digest, proof.credential_kind())),
        ClaimProof::Identity { .. } => None,
    }
}

fn ensure_claimable(status: AccountStatus) -> Result<(), ClaimError> {
    if status == AccountStatus::Invited {
        Ok(())
    } else {
        Err(ClaimError::NotClaimable)
    }
}

fn classify(found: Option<credentials::CredentialRow>, now: OffsetDateTime) -> Result<credentials::CredentialRow, ClaimError> {
    let credential = found.ok_or(ClaimError::Unknown)?;
    match credential.state {
        CredentialState::Used => Err(ClaimError::AlreadyUsed),
        CredentialState::Revoked => Err(ClaimError::Revoked),
        CredentialState::Active if credential.expires_at <= now => Err(ClaimError::Expired),
        CredentialState::Active => Ok(credential),
    }
}

/// What a person chose in the claim wizard; applied in the claiming
/// transaction.
#[derive(Debug, Clone, Default)]
pub struct ClaimDetails {
    /// None when the proof signs the person in another way.
    pub password_hash: Option<String>,
    pub profile: Option<ProfileDetails>,
    pub terms_version: Option<i32>,
    pub groups: Vec<GroupId>,
    /// A normalised profile picture (see `server::picture`).
    pub picture: Option<Vec<u8>>,
    /// The identity to bind, for a person who signs in with single sign-on
    /// and proved the claim with a link.
    pub sso_identity: Option<SsoIdentity>,
    /// The username chosen by someone without email.
    pub username: Option<Username>,
}

/// invited → claimed with a link and a password only (the demo company,
/// and tests).
pub async fn claim(state: &AppState, secret: &str, password_hash: Option<&str>, now: OffsetDateTime) -> Result<AccountId, ClaimFailure> {
    let details = ClaimDetails { password_hash: password_hash.map(str::to_owned), ..ClaimDetails::default() };
    complete_claim(state, &ClaimProof::link(secret), &details, now).await
}

/// invited → claimed: spends the proof and marks the account claimed in one
/// transaction, with the person's choices, so of any number of concurrent
/// completions exactly one wins and a failure leaves nothing half-done.
pub async fn complete_claim(state: &AppState, proof: &ClaimProof, details: &ClaimDetails, now: OffsetDateTime) -> Result<AccountId, ClaimFailure> {
    let mut tx = state.pool.begin().await?;
    let (credential_id, account_id) = match proof {
        ClaimProof::Link { digest } | ClaimProof::Code { digest } => {
            // SECURITY: one lock order for an account and its credentials,
            // account first (as deactivation and invitation take them), so
            // a claim racing a deactivation waits instead of deadlocking.
            let found = classify(credentials::find_by_hash(&mut *tx, digest, proof.credential_kind()).await?, now)?;
            lock_account(&mut tx, found.account_id).await.map_err(|error| match error {
                LifecycleError::Unexpected(error) => ClaimFailure::Unexpected(error),
                _ => ClaimFailure::Refused(ClaimError::Unknown),
            })?;
            match credentials::spend(&mut tx, digest, proof.credential_kind(), now).await? {
                Some((credential_id, account_id)) => (Some(credential_id), account_id),
                None => {
                    drop(tx);
                    let found = credentials::find_by_hash(&state.pool, digest, proof.credential_kind()).await?;
                    // A credential that was live a moment ago lost a race with
                    // a concurrent completion or a deactivation that has since
                    // committed.
                    return Err(classify(found, now).err().unwrap_or(ClaimError::AlreadyUsed).into());
                }
            }
        }
        ClaimProof::Identity { account_id, .. } => {
            lock_account(&mut tx, *account_id).await.map_err(|error| match error {
                LifecycleError::Unexpected(error) => ClaimFailure::Unexpected(error),
                _ => ClaimFailure::Refused(ClaimError::Unknown),
            })?;
            // The invitation's link is not needed any more.
            credentials::revoke_active(&mut tx, *account_id, None, now).await?;
            (None, *account_id)
        }
    };
    let identity = match proof {
        ClaimProof::Identity { identity, .. } => Some(identity),
        ClaimProof::Link { .. } | ClaimProof::Code { .. } => details.sso_identity.as_ref(),
    };
    if !transitions::mark_claimed(&mut tx, account_id, details.password_hash.as_deref(), now).await? {
        return Err(ClaimError::NotClaimable.into());
    }
    if let Some(identity) = identity {
        // SECURITY: the schema allows one identity per account and one
        // account per identity; of concurrent completions one binds.
        if let Err(error) = sso::bind(&mut tx, account_id, &identity.issuer, &identity.subject, identity.email.as_deref(), now).await {
            return Err(match db::unique_violation(&error) {
                Some(_) => ClaimError::IdentityInUse.into(),
                None => error.into(),
            });
        }
    }
    if let Some(username) = &details.username {
        if let Err(error) = transitions::set_username(&mut tx, account_id, username.as_ref(), &username.normalized()).await {
            return Err(match db::unique_violation(&error) {
                Some(_) => ClaimError::UsernameTaken.into(),
                None => error.into(),
            });
        }
    }
    if let Some(profile) = &details.profile {
        transitions::update_profile(&mut tx, account_id, profile, now).await?;
    }
    if let Some(version) = details.terms_version {
        transitions::record_terms_accepted(&mut tx, account_id, version, now).await?;
    }
    if let Some(picture) = &details.picture {
        accounts::pictures::save(&mut tx, account_id, picture, now).await?;
    }
    let joined = groups::join(&mut tx, account_id, &details.groups, groups::Chooser::ClaimingPerson, now).await?;
    let account = accounts::find(&mut *tx, account_id).await?.ok_or(ClaimError::Unknown)?;
    let target = AuditTarget::account(account_id, &account.full_name, account.email.as_deref());
    audit::record(
        &mut *tx,
        AuditEvent {
            actor: &Actor::account(account_id, account.full_name.clone()),
            action: AuditAction::AccountClaimed,
            target: &target,
            details: json!({ "proof": proof.kind(), "credential_id": credential_id, "groups_joined": joined, "terms_version": details.terms_version }),
            now,
        },
    )
    .await?;
    if let Some(identity) = identity {
        audit::record(
            &mut *tx,
            AuditEvent {
                actor: &Actor::account(account_id, account.full_name.clone()),
                action: AuditAction::SsoIdentityBound,
                target: &target,
                details: json!({ "issuer": identity.issuer, "subject": identity.subject, "email": identity.email }),
                now,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(account_id)
}

/// An invited person's email address changed (through SCIM): the link sent
/// to the old address stops working and any claim email still queued is
/// withdrawn; with `reinvite`, a new link goes to the new address (or a code
/// is made when there is none).
pub async fn email_changed_in(
    state: &AppState,
    tx: &mut Transaction<'_, Postgres>,
    id: AccountId,
    reinvite: bool,
    actor: &Actor,
    now: OffsetDateTime,
) -> Result<(), LifecycleError> {
    credentials::revoke_active(tx, id, Some(CredentialKind::Link), now).await?;
    outbox::cancel_queued_for_account(tx, id, "the person's email address changed", now).await?;
    if reinvite {
        invite_in(state, tx, id, &Invitation::default(), actor, now).await?;
    }
    Ok(())
}

/// Ends all access at once: links and codes are revoked, queued mail is
/// withdrawn and every session is refused from its next request on.
pub async fn deactivate(state: &AppState, id: AccountId, actor: &Actor, now: OffsetDateTime) -> Result<(), LifecycleError> {
    let mut tx = state.pool.begin().await?;
    deactivate_in(&mut tx, id, actor, now).await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    Ok(())
}

/// [`deactivate`] inside the caller's transaction.
pub async fn deactivate_in(tx: &mut Transaction<'_, Postgres>, id: AccountId, actor: &Actor, now: OffsetDateTime) -> Result<(), LifecycleError> {
    let owner_locked = roles::lock_if_owner(tx, id).await?;
    let account = lock_account(tx, id).await?;
    roles::check_owner_may_go(tx, &account, actor, owner_locked).await?;
    if !transitions::mark_deactivated(tx, id, now).await? {
        return Err(LifecycleError::WrongState(account.status));
    }
    credentials::revoke_active(tx, id, None, now).await?;
    outbox::cancel_queued_for_account(tx, id, "the account was deactivated", now).await?;
    let target = AuditTarget::account(id, &account.full_name, account.email.as_deref());
    audit::record(
        &mut **tx,
        AuditEvent { actor, action: AuditAction::AccountDeactivated, target: &target, details: json!({ "previous_status": account.status }), now },
    )
    .await?;
    Ok(())
}

/// [`deactivate_in`] for many people at once (a directory's departures), in
/// a handful of statements however many they are. Only employees are
/// deactivated (admins and owners in `ids` are skipped, so the last-owner
/// rule has nothing to check), and people already deactivated are skipped.
/// Returns how many were deactivated.
pub async fn deactivate_employees_in(
    tx: &mut Transaction<'_, Postgres>,
    ids: &[uuid::Uuid],
    actor: &Actor,
    now: OffsetDateTime,
) -> Result<usize, LifecycleError> {
    let gone = transitions::mark_many_employees_deactivated(tx, ids, now).await?;
    if gone.is_empty() {
        return Ok(0);
    }
    let gone_ids: Vec<uuid::Uuid> = gone.iter().map(|a| a.id.0).collect();
    credentials::revoke_active_of_many(tx, &gone_ids, None, now).await?;
    outbox::cancel_queued_for_accounts(tx, &gone_ids, "the account was deactivated", now).await?;
    // One audit statement per previous status (at most three), so each
    // entry says what the person was, as the one-person action's does.
    for previous in [AccountStatus::Uninvited, AccountStatus::Invited, AccountStatus::Claimed] {
        let (ids, labels): (Vec<uuid::Uuid>, Vec<String>) =
            gone.iter().filter(|a| a.previous_status == previous).map(|a| (a.id.0, account_label(&a.full_name, a.email.as_deref()))).unzip();
        if !ids.is_empty() {
            let details = json!({ "previous_status": previous });
            audit::record_for_accounts(tx, actor, AuditAction::AccountDeactivated, &ids, &labels, details, now).await?;
        }
    }
    Ok(gone.len())
}

/// deactivated → claimed for people who had claimed; otherwise → uninvited,
/// since their links were revoked and they need a fresh invitation.
pub async fn reactivate(state: &AppState, id: AccountId, actor: &Actor, now: OffsetDateTime) -> Result<AccountStatus, LifecycleError> {
    let mut tx = state.pool.begin().await?;
    let status = reactivate_in(&mut tx, id, actor, now).await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    Ok(status)
}

/// [`reactivate`] inside the caller's transaction.
pub async fn reactivate_in(tx: &mut Transaction<'_, Postgres>, id: AccountId, actor: &Actor, now: OffsetDateTime) -> Result<AccountStatus, LifecycleError> {
    let account = lock_account(tx, id).await?;
    let Some(status) = transitions::mark_reactivated(tx, id, now).await? else {
        return Err(LifecycleError::WrongState(account.status));
    };
    let target = AuditTarget::account(id, &account.full_name, account.email.as_deref());
    audit::record(&mut **tx, AuditEvent { actor, action: AuditAction::AccountReactivated, target: &target, details: json!({ "status": status }), now }).await?;
    Ok(status)
}

/// Deletes a deactivated account for good; the schema removes what belongs
/// to it. The audit log keeps the fact.
pub async fn delete(state: &AppState, id: AccountId, actor: &Actor, now: OffsetDateTime) -> Result<(), LifecycleError> {
    let mut tx = state.pool.begin().await?;
    delete_in(&mut tx, id, actor, now).await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    Ok(())
}

/// [`delete`] inside the caller's transaction.
pub async fn delete_in(tx: &mut Transaction<'_, Postgres>, id: AccountId, actor: &Actor, now: OffsetDateTime) -> Result<(), LifecycleError> {
    let owner_locked = roles::lock_if_owner(tx, id).await?;
    let account = lock_account(tx, id).await?;
    roles::check_owner_may_go(tx, &account, actor, owner_locked).await?;
    let Some((full_name, email)) = transitions::delete_deactivated(tx, id).await? else {
        return Err(LifecycleError::WrongState(account.status));
    };
    let target = AuditTarget::account(id, &full_name, email.as_deref());
    audit::record(&mut **tx, AuditEvent { actor, action: AuditAction::AccountDeleted, target: &target, details: json!({}), now }).await?;
    Ok(())
}

/// Reads the account and holds its row lock until the transaction ends, so
/// the error a caller sees names the state the transition really met.
async fn lock_account(tx: &mut Transaction<'_, Postgres>, id: AccountId) -> Result<accounts::AccountRow, LifecycleError> {
    accounts::find_for_update(tx, id).await?.ok_or(LifecycleError::NotFound)
}
