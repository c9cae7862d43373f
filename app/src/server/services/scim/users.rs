//! People as SCIM `User` resources. `userName` is the person's email, or
//! the username of someone without one; `emails` holds the one address
//! Embark keeps, `name` the given and family names as the provider sent
//! them, `displayName` the name Embark shows.

use super::{
    check_if_match, filter, fold_keys, list_response, project, string_at, timestamp, version, ListQuery, ScimError, ScimReply, EMBARK_SCHEMA,
    ENTERPRISE_SCHEMA, USER_SCHEMA,
};
use crate::domain::{optional_line, AccountId, AccountStatus, AuditAction, AuditTarget, EmailAddress, FieldErrors, ProfileDetails, Role, Username};
use crate::server::db::audit::{self, AuditEvent};
use crate::server::db::{self, scim as rows};
use crate::server::services::integrations::ScimCaller;
use crate::server::services::lifecycle::{self, Invitation, LifecycleError, NewPerson};
use crate::server::AppState;
use serde_json::{json, Map, Value};
use sqlx::{Postgres, Transaction};
use time::OffsetDateTime;

/// The resource as the API shows it.
pub fn resource(row: &rows::UserRow, base: &str) -> Value {
    let mut user = Map::new();
    user.insert("schemas".into(), json!([USER_SCHEMA, ENTERPRISE_SCHEMA, EMBARK_SCHEMA]));
    user.insert("id".into(), json!(row.id));
    if let Some(external_id) = &row.external_id {
        user.insert("externalId".into(), json!(external_id));
    }
    user.insert("userName".into(), json!(row.username.as_deref().or(row.email.as_deref()).unwrap_or_default()));
    let mut name = Map::new();
    if let Some(given) = &row.given_name {
        name.insert("givenName".into(), json!(given));
    }
    if let Some(family) = &row.family_name {
        name.insert("familyName".into(), json!(family));
    }
    if !name.is_empty() {
        user.insert("name".into(), Value::Object(name));
    }
    user.insert("displayName".into(), json!(row.full_name));
    if let Some(email) = &row.email {
        user.insert("emails".into(), json!([{ "value": email }]));
    }
    if !row.phone.is_empty() {
        user.insert("phoneNumbers".into(), json!([{ "value": row.phone }]));
    }
    if !row.title.is_empty() {
        user.insert("title".into(), json!(row.title));
    }
    user.insert("active".into(), json!(row.status != AccountStatus::Deactivated));
    let mut enterprise = Map::new();
    if !row.department.is_empty() {
        enterprise.insert("department".into(), json!(row.department));
    }
    if let Some(number) = &row.employee_number {
        enterprise.insert("employeeNumber".into(), json!(number));
    }
    if let Some(manager) = row.manager_id {
        enterprise.insert("manager".into(), json!({ "value": manager, "$ref": format!("{base}/Users/{manager}") }));
    }
    if !enterprise.is_empty() {
        user.insert(ENTERPRISE_SCHEMA.into(), Value::Object(enterprise));
    }
    let mut lifecycle = Map::new();
    lifecycle.insert("status".into(), json!(row.status.as_str()));
    lifecycle.insert("invited".into(), json!(row.invited_at.is_some()));
    if let Some(at) = row.invited_at {
        lifecycle.insert("inviteDate".into(), json!(timestamp(at)));
    }
    lifecycle.insert("claimed".into(), json!(row.claimed_at.is_some()));
    if let Some(at) = row.claimed_at {
        lifecycle.insert("claimDate".into(), json!(timestamp(at)));
    }
    lifecycle.insert("signInMethod".into(), json!(row.sign_in_method.as_str()));
    user.insert(EMBARK_SCHEMA.into(), Value::Object(lifecycle));
    user.insert(
        "meta".into(),
        json!({
            "resourceType": "User",
            "created": timestamp(row.created_at),
            "lastModified": timestamp(row.updated_at),
            "location": format!("{base}/Users/{}", row.id),
            "version": version(row.updated_at),
        }),
    );
    Value::Object(user)
}

/// A User body, parsed into what Embark stores.
#[derive(Debug, Clone, PartialEq)]
struct Desired {
    email: Option<EmailAddress>,
    username: Option<Username>,
    external_id: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    profile: ProfileDetails,
    employee_number: Option<String>,
    manager_id: Option<AccountId>,
    active: bool,
}

fn field_errors(errors: FieldErrors, attribute: &str) -> ScimError {
    let detail = errors.0.into_iter().map(|e| e.message).collect::<Vec<_>>().join(" ");
    ScimError::invalid_value(format!("{attribute}: {detail}"))
}

/// An optional one-line text (the same rule as the admin panel's fields);
/// empty is absent.
pub(super) fn bounded(value: Option<String>, shown: &str) -> Result<Option<String>, ScimError> {
    match value.map(|v| optional_line(shown, &v)).transpose() {
        Ok(text) => Ok(text.filter(|v| !v.is_empty())),
        Err(error) => Err(ScimError::invalid_value(format!("{shown}: {}", error.message))),
    }
}

/// `true`, `false`, or the strings Entra ID sends ("True", "False").
fn boolean(value: Option<&Value>, shown: &str) -> Result<Option<bool>, ScimError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(flag)) => Ok(Some(*flag)),
        Some(Value::String(text)) if text.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Value::String(text)) if text.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(_) => Err(ScimError::invalid_value(format!("{shown} is true or false."))),
    }
}

/// The one value Embark keeps of a multi-valued attribute: the primary one,
/// else the work one, else the first.
fn preferred(values: Option<&Value>, shown: &str) -> Result<Option<String>, ScimError> {
    let items = match values {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(ScimError::invalid_value(format!("{shown} is a list."))),
    };
    let is = |item: &Value, key: &str, expected: &str| item.get(key).and_then(Value::as_str).is_some_and(|v| v.eq_ignore_ascii_case(expected));
    let chosen = items
        .iter()
        .find(|item| item.get("primary").is_some_and(|p| p == &json!(true) || p.as_str().is_some_and(|s| s.eq_ignore_ascii_case("true"))))
        .or_else(|| items.iter().find(|item| is(item, "type", "work")))
        .or_else(|| items.first());
    match chosen {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(Value::Object(item)) => string_at(item, "value", &format!("{shown}.value")),
        Some(_) => Err(ScimError::invalid_value(format!("{shown} holds objects with a value."))),
    }
}

fn parse(body: &Value) -> Result<Desired, ScimError> {
    let Value::Object(user) = body else {
        return Err(ScimError::invalid_value("A User is a JSON object."));
    };
    let user_name = string_at(user, "username", "userName")?.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let Some(user_name) = user_name else {
        return Err(ScimError::invalid_value("userName is required: the person's email address, or a username for someone without one."));
    };
    let listed_email = preferred(user.get("emails"), "emails")?.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    // A userName that is an email address is the person's sign-in and mail
    // address; otherwise it is their username and `emails` gives the address.
    let (email, username) = if user_name.contains('@') {
        (Some(EmailAddress::parse(&user_name).map_err(|e| field_errors(e.into(), "userName"))?), None)
    } else {
        let username = Username::parse(&user_name).map_err(|e| field_errors(e.into(), "userName"))?;
        let email = listed_email.map(|e| EmailAddress::parse(&e).map_err(|e| field_errors(e.into(), "emails.value"))).transpose()?;
        (email, Some(username))
    };
    let external_id = bounded(string_at(user, "externalid", "externalId")?, "externalId")?;
    let name = match user.get("name") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(name)) => name.clone(),
        Some(_) => return Err(ScimError::invalid_value("name is an object (givenName, familyName).")),
    };
    let given_name = bounded(string_at(&name, "givenname", "name.givenName")?, "name.givenName")?;
    let family_name = bounded(string_at(&name, "familyname", "name.familyName")?, "name.familyName")?;
    let display_name = string_at(user, "displayname", "displayName")?.or(string_at(&name, "formatted", "name.formatted")?).filter(|s| !s.trim().is_empty());
    let composed = [given_name.as_deref(), family_name.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
    let full_name = display_name.unwrap_or(if composed.is_empty() { user_name.clone() } else { composed });
    let title = string_at(user, "title", "title")?.unwrap_or_default();
    let phone = preferred(user.get("phonenumbers"), "phoneNumbers")?.unwrap_or_default();
    let enterprise = match user.get(&ENTERPRISE_SCHEMA.to_lowercase()) {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(extension)) => extension.clone(),
        Some(_) => return Err(ScimError::invalid_value(format!("{ENTERPRISE_SCHEMA} is an object."))),
    };
    let department = string_at(&enterprise, "department", "department")?.unwrap_or_default();
    let manager = match enterprise.get("manager") {
        None | Some(Value::Null) => None,
        // Entra ID sends the manager's id as a plain string.
        Some(Value::String(id)) => Some(id.clone()),
        // Its value, else the id at the end of its $ref.
        Some(Value::Object(manager)) => match string_at(manager, "value", "manager.value")? {
            Some(value) => Some(value),
            None => string_at(manager, "$ref", "manager.$ref")?.and_then(|uri| uri.rsplit('/').next().map(str::to_owned)),
        },
        Some(_) => return Err(ScimError::invalid_value("manager is an object with the manager's id as its value.")),
    };
    let manager_id = match manager.map(|m| m.trim().to_owned()).filter(|m| !m.is_empty()) {
        None => None,
        Some(id) => Some(id.parse::<AccountId>().map_err(|_| ScimError::invalid_value(format!("manager.value {id:?} is not the id of a user in Embark.")))?),
    };
    let employee_number = bounded(string_at(&enterprise, "employeenumber", "employeeNumber")?, "employeeNumber")?;
    let active = boolean(user.get("active"), "active")?.unwrap_or(true);
    let profile = ProfileDetails::parse(&full_name, &title, &department, "", &phone).map_err(|errors| field_errors(errors, "The person's details"))?;
    Ok(Desired { email, username, external_id, given_name, family_name, profile, employee_number, manager_id, active })
}

fn details<'a>(desired: &'a Desired) -> rows::UserDetails<'a> {
    rows::UserDetails {
        email: desired.email.as_ref().map(AsRef::as_ref),
        email_normalized: desired.email.as_ref().map(EmailAddress::normalized),
        username: desired.username.as_ref().map(AsRef::as_ref),
        username_normalized: desired.username.as_ref().map(Username::normalized),
        external_id: desired.external_id.as_deref(),
        full_name: desired.profile.full_name.as_ref(),
        given_name: desired.given_name.as_deref(),
        family_name: desired.family_name.as_deref(),
        title: &desired.profile.title,
        department: &desired.profile.department,
        employee_number: desired.employee_number.as_deref(),
        phone: &desired.profile.phone,
        manager_id: desired.manager_id,
    }
}

/// What a write changed, by SCIM attribute, for the audit log.
fn changes(before: &rows::UserRow, after: &Desired) -> Vec<&'static str> {
    let mut changed = Vec::new();
    let mut note = |differs: bool, name: &'static str| {
        if differs {
            changed.push(name);
        }
    };
    note(before.email.as_deref() != after.email.as_ref().map(AsRef::as_ref), "emails");
    note(before.username.as_deref() != after.username.as_ref().map(AsRef::as_ref), "userName");
    note(before.external_id != after.external_id, "externalId");
    note(before.full_name != after.profile.full_name.as_ref(), "displayName");
    note(before.given_name != after.given_name || before.family_name != after.family_name, "name");
    note(before.title != after.profile.title, "title");
    note(before.department != after.profile.department, "department");
    note(before.employee_number != after.employee_number, "employeeNumber");
    note(before.phone != after.profile.phone, "phoneNumbers");
    note(before.manager_id != after.manager_id, "manager");
    changed
}

fn map_write_error(error: sqlx::Error) -> ScimError {
    match db::unique_violation(&error).as_deref() {
        Some(_) => LifecycleError::from(error).into(),
        None if db::foreign_key_violation(&error).is_some() => LifecycleError::UnknownManager.into(),
        None if matches!(&error, sqlx::Error::Database(e) if e.constraint() == Some("account_not_own_manager")) => {
            ScimError::invalid_value("A person cannot be their own manager.")
        }
        None => ScimError::internal(error),
    }
}

async fn read(state: &AppState, id: AccountId, base: &str) -> Result<Value, ScimError> {
    let row = rows::user(&state.pool, id).await?.ok_or_else(|| ScimError::not_found("user"))?;
    Ok(resource(&row, base))
}

pub async fn get(state: &AppState, id: &str, base: &str, query: &ListQuery) -> Result<ScimReply, ScimError> {
    let id = parse_id(id)?;
    Ok(ScimReply::projected(read(state, id, base).await?, query))
}

pub async fn list(state: &AppState, query: &ListQuery, base: &str) -> Result<ScimReply, ScimError> {
    let condition = query.filter.as_deref().map(filter::users).transpose()?;
    let (found, total) = rows::users(&state.pool, condition.as_ref(), query.start_index() - 1, query.count()).await?;
    let resources = found.iter().map(|row| project(resource(row, base), query.attributes.as_deref(), query.excluded_attributes.as_deref())).collect();
    Ok(ScimReply::ok(list_response(resources, total, query.start_index())))
}

pub async fn create(state: &AppState, caller: &ScimCaller, body: &Value, base: &str, now: OffsetDateTime) -> Result<ScimReply, ScimError> {
    let desired = parse(&fold_keys(body.clone()))?;
    let actor = caller.actor();
    let person = NewPerson {
        email: desired.email.clone(),
        external_id: desired.external_id.clone(),
        username: desired.username.clone(),
        profile: desired.profile.clone(),
        manager_id: desired.manager_id,
        role: Role::Employee,
        groups: Vec::new(),
    };
    // The integration's "invite automatically" switch (Invite All turns it on).
    let invitation = (caller.invite_automatically && desired.active).then(Invitation::default);
    let mut tx = state.pool.begin().await?;
    let (id, _) = lifecycle::create_in(state, &mut tx, &person, invitation.as_ref(), &actor, now).await?;
    rows::update_user(&mut tx, id, &details(&desired), now).await.map_err(map_write_error)?;
    if !desired.active {
        lifecycle::deactivate_in(&mut tx, id, &actor, now).await?;
    }
    tx.commit().await?;
    Ok(ScimReply::resource(201, project(read(state, id, base).await?, None, None)))
}

/// PUT: the body replaces what Embark stores of the person.
pub async fn replace(
    state: &AppState,
    caller: &ScimCaller,
    id: &str,
    body: &Value,
    if_match: Option<&str>,
    base: &str,
    now: OffsetDateTime,
) -> Result<ScimReply, ScimError> {
    let id = parse_id(id)?;
    let body = fold_keys(body.clone());
    write(state, caller, id, if_match, base, now, |_| parse(&body)).await
}

/// PATCH: the operations are applied to the person as the API shows them,
/// and the result is written like a PUT.
pub async fn patch(
    state: &AppState,
    caller: &ScimCaller,
    id: &str,
    body: &Value,
    if_match: Option<&str>,
    base: &str,
    now: OffsetDateTime,
) -> Result<ScimReply, ScimError> {
    let id = parse_id(id)?;
    write(state, caller, id, if_match, base, now, |row| {
        let Value::Object(mut document) = fold_keys(resource(row, base)) else { unreachable!("a resource is an object") };
        super::patch::apply(&mut document, body)?;
        parse(&Value::Object(document))
    })
    .await
}

/// Locks the person, works out what they should become from what they are,
/// and writes it with its audit entries, all in one transaction.
async fn write(
    state: &AppState,
    caller: &ScimCaller,
    id: AccountId,
    if_match: Option<&str>,
    base: &str,
    now: OffsetDateTime,
    desire: impl FnOnce(&rows::UserRow) -> Result<Desired, ScimError>,
) -> Result<ScimReply, ScimError> {
    let actor = caller.actor();
    let mut tx = state.pool.begin().await?;
    let current = lock(&mut tx, id).await?;
    check_if_match(if_match, &version(current.updated_at))?;
    let mut desired = desire(&current)?;
    // SCIM does not carry the office location: it stays as it is.
    desired.profile.location = current.location.clone();
    let changed = changes(&current, &desired);
    if !changed.is_empty() {
        rows::update_user(&mut tx, id, &details(&desired), now).await.map_err(map_write_error)?;
        let target = AuditTarget::account(id, desired.profile.full_name.as_ref(), desired.email.as_ref().map(AsRef::as_ref));
        audit::record(
            &mut *tx,
            AuditEvent { actor: &actor, action: AuditAction::AccountUpdated, target: &target, details: json!({ "via": "scim", "changed": changed }), now },
        )
        .await?;
    }
    let email_changed = current.email.as_deref().map(str::to_lowercase) != desired.email.as_ref().map(|e| e.as_ref().to_lowercase());
    if current.status == AccountStatus::Invited && email_changed {
        lifecycle::email_changed_in(state, &mut tx, id, caller.invite_automatically, &actor, now).await?;
    }
    match (current.status == AccountStatus::Deactivated, desired.active) {
        (true, true) => {
            lifecycle::reactivate_in(&mut tx, id, &actor, now).await?;
        }
        (false, false) => lifecycle::deactivate_in(&mut tx, id, &actor, now).await?,
        _ => {}
    }
    tx.commit().await?;
    Ok(ScimReply::resource(200, project(read(state, id, base).await?, None, None)))
}

async fn lock(tx: &mut Transaction<'_, Postgres>, id: AccountId) -> Result<rows::UserRow, ScimError> {
    rows::user_for_update(tx, id).await?.ok_or_else(|| ScimError::not_found("user"))
}

/// DELETE: the person is deactivated (ending every session, link and queued
/// email) and deleted, in one transaction.
pub async fn delete(state: &AppState, caller: &ScimCaller, id: &str, if_match: Option<&str>, now: OffsetDateTime) -> Result<ScimReply, ScimError> {
    let id = parse_id(id)?;
    let actor = caller.actor();
    let mut tx = state.pool.begin().await?;
    let current = lock(&mut tx, id).await?;
    check_if_match(if_match, &version(current.updated_at))?;
    if current.status != AccountStatus::Deactivated {
        lifecycle::deactivate_in(&mut tx, id, &actor, now).await?;
    }
    lifecycle::delete_in(&mut tx, id, &actor, now).await?;
    tx.commit().await?;
    Ok(ScimReply::no_content())
}

fn parse_id(id: &str) -> Result<AccountId, ScimError> {
    id.parse().map_err(|_| ScimError::not_found("user"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desired(body: Value) -> Result<Desired, ScimError> {
        parse(&fold_keys(body))
    }

    #[test]
    fn an_email_user_name_is_the_address_and_other_user_names_are_usernames() {
        let okta = desired(json!({ "userName": "Sam.Lee@acme.test", "name": { "givenName": "Sam", "familyName": "Lee" } })).unwrap();
        assert_eq!(okta.email.unwrap().as_ref(), "Sam.Lee@acme.test");
        assert_eq!(okta.profile.full_name.as_ref(), "Sam Lee");
        let scanner = desired(json!({ "userName": "w.ortiz", "emails": [{ "value": "w@acme.test", "type": "work" }], "displayName": "Wen Ortiz" })).unwrap();
        assert_eq!(scanner.username.unwrap().as_ref(), "w.ortiz");
        assert_eq!(scanner.email.unwrap().as_ref(), "w@acme.test");
        assert_eq!(scanner.profile.full_name.as_ref(), "Wen Ortiz");
    }

    #[test]
    fn active_may_be_a_string_and_bad_values_name_their_attribute() {
        assert!(!desired(json!({ "userName": "sam@acme.test", "active": "False" })).unwrap().active);
        let error = desired(json!({ "userName": "sam@acme.test", "active": "maybe" })).unwrap_err();
        assert_eq!((error.status, error.scim_type), (400, Some("invalidValue")));
        assert!(error.detail.contains("active"));
        assert!(desired(json!({ "name": { "givenName": "Sam" } })).unwrap_err().detail.contains("userName"));
        assert!(desired(json!({ "userName": "not an email@" })).unwrap_err().detail.contains("userName"));
    }
}
