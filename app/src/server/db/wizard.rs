//! What the claim wizard's page shows, in one statement: the claim wizard
//! is the page anonymous claimants load most, and each round trip to the
//! database costs both processes more than rendering does.

use super::credentials::{CredentialKind, CredentialRow, CredentialState};
use super::groups::ClaimantGroup;
use crate::domain::{AccountId, AccountStatus, CredentialId, SignInMethod, SsoPolicy};
use sqlx::types::Json;
use sqlx::PgExecutor;

/// The claimant's account and the credential proving the claim (each absent
/// when not found), the settings the wizard needs, and the groups it shows.
#[derive(Debug)]
pub struct WizardPageRow {
    pub credential: Option<CredentialRow>,
    pub account: Option<ClaimantRow>,
    pub organization_name: String,
    pub terms_text: String,
    /// How the claimant will sign in, and the single sign-on button's words.
    pub rules: SignInRules,
    /// The groups suggested to everyone who claims and the claimant's own.
    pub groups: Vec<ClaimantGroup>,
}

/// The claimant's account as the wizard shows it.
#[derive(Debug)]
pub struct ClaimantRow {
    pub id: AccountId,
    pub status: AccountStatus,
    pub email: Option<String>,
    pub username: Option<String>,
    pub full_name: String,
    pub title: String,
    pub department: String,
    pub location: String,
    pub phone: String,
}

/// Reads the page for `account`; `credential` names the credential proving
/// the claim (its SHA-256 and kind), when the proof is one.
pub async fn page(executor: impl PgExecutor<'_>, account: AccountId, credential: Option<(&[u8], CredentialKind)>) -> sqlx::Result<WizardPageRow> {
    let (credential_hash, credential_kind) = credential.unzip();
    let row = sqlx::query!(
        r#"SELECT c.id AS "credential_id?: CredentialId", c.account_id AS "credential_account_id?: AccountId",
                  c.state AS "credential_state?: CredentialState", c.expires_at AS "credential_expires_at?",
                  a.id AS "account_id?: AccountId", a.status AS "status?: AccountStatus", a.email, a.username,
                  a.full_name AS "full_name?", a.title AS "title?", a.department AS "department?",
                  a.location AS "location?", a.phone AS "phone?",
                  s.organization_name, s.require_terms, s.terms_version, s.terms_text,
                  a.sign_in_method AS "sign_in_method?: SignInMethod",
                  coalesce(o.policy, 'nobody') AS "policy!: SsoPolicy", o.button_label AS "sso_button_label?",
                  (SELECT coalesce(json_agg(json_build_object(
                              'id', g.id, 'name', g.name, 'description', g.description,
                              'suggested', g.suggested_at_claim, 'joined', m.account_id IS NOT NULL)
                            ORDER BY g.name_normalized), '[]')
                     FROM account_group g LEFT JOIN group_membership m ON m.group_id = g.id AND m.account_id = $1
                    WHERE g.suggested_at_claim OR m.account_id IS NOT NULL) AS "groups!: Json<Vec<ClaimantGroup>>"
           FROM settings s
           LEFT JOIN account a ON a.id = $1
           LEFT JOIN claim_credential c ON c.secret_hash = $2 AND c.kind = $3
           LEFT JOIN sso_configuration o ON true"#,
        account as AccountId,
        credential_hash,
        credential_kind as Option<CredentialKind>,
    )
    .fetch_one(executor)
    .await?;
    let credential = match (row.credential_id, row.credential_account_id, row.credential_state, row.credential_expires_at) {
        (Some(id), Some(account_id), Some(state), Some(expires_at)) => Some(CredentialRow { id, account_id, state, expires_at }),
        _ => None,
    };
    let account = match (row.account_id, row.status, row.full_name, row.title, row.department, row.location, row.phone) {
        (Some(id), Some(status), Some(full_name), Some(title), Some(department), Some(location), Some(phone)) => {
            Some(ClaimantRow { id, status, email: row.email, username: row.username, full_name, title, department, location, phone })
        }
        _ => None,
    };
    Ok(WizardPageRow {
        credential,
        account,
        organization_name: row.organization_name,
        terms_text: row.terms_text,
        rules: SignInRules {
            require_terms: row.require_terms,
            terms_version: row.terms_version,
            ..SignInRules::new(row.policy, row.sign_in_method.unwrap_or_default(), row.sso_button_label)
        },
        groups: row.groups.0,
    })
}

/// How a claimant signs in once claimed, and what the wizard asks of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInRules {
    pub require_terms: bool,
    pub terms_version: i32,
    pub method: SignInMethod,
    /// The single sign-on button's words, when single sign-on is on.
    pub sso_button_label: Option<String>,
}

impl SignInRules {
    fn new(policy: SsoPolicy, own_method: SignInMethod, sso_button_label: Option<String>) -> Self {
        let method = policy.method_for(own_method);
        Self { require_terms: false, terms_version: 0, method, sso_button_label: sso_button_label.filter(|_| policy != SsoPolicy::Nobody) }
    }
}

/// What the wizard's steps depend on, for `account`.
pub async fn rules(executor: impl PgExecutor<'_>, account: AccountId) -> sqlx::Result<SignInRules> {
    let row = sqlx::query!(
        r#"SELECT s.require_terms, s.terms_version, a.sign_in_method AS "sign_in_method?: SignInMethod",
                  coalesce(o.policy, 'nobody') AS "policy!: SsoPolicy", o.button_label AS "sso_button_label?"
           FROM settings s LEFT JOIN account a ON a.id = $1 LEFT JOIN sso_configuration o ON true"#,
        account as AccountId,
    )
    .fetch_one(executor)
    .await?;
    let rules = SignInRules::new(row.policy, row.sign_in_method.unwrap_or_default(), row.sso_button_label);
    Ok(SignInRules { require_terms: row.require_terms, terms_version: row.terms_version, ..rules })
}
