//! Groups as SCIM `Group` resources: `displayName` (unique) and `members`
//! (people, by id). Groups an identity provider creates are closed: people
//! are placed in them by the provider, not found and joined in the wizard.

use super::{
    check_if_match, filter, fold_keys, list_response, project, string_at, timestamp, version, ListQuery, ScimError, ScimReply, GROUP_SCHEMA, MAX_MEMBERS_SHOWN,
};
use crate::domain::{account_label, AccountId, AuditAction, AuditTarget, GroupId, GroupSettings};
use crate::server::db::audit::{self, AuditEvent};
use crate::server::db::{self, groups as group_rows, scim as rows};
use crate::server::services::integrations::ScimCaller;
use crate::server::AppState;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use time::OffsetDateTime;

/// The most members one write may name.
pub const MAX_MEMBERS_WRITTEN: usize = 50_000;

pub fn resource(row: &rows::GroupRow, members: &[AccountId], base: &str) -> Value {
    let members: Vec<Value> = members.iter().take(MAX_MEMBERS_SHOWN).map(|id| json!({ "value": id, "$ref": format!("{base}/Users/{id}") })).collect();
    let mut group = Map::new();
    group.insert("schemas".into(), json!([GROUP_SCHEMA]));
    group.insert("id".into(), json!(row.id));
    group.insert("displayName".into(), json!(row.name));
    if let Some(external_id) = &row.external_id {
        group.insert("externalId".into(), json!(external_id));
    }
    if !members.is_empty() {
        group.insert("members".into(), Value::Array(members));
    }
    group.insert(
        "meta".into(),
        json!({
            "resourceType": "Group",
            "created": timestamp(row.created_at),
            "lastModified": timestamp(row.updated_at),
            "location": format!("{base}/Groups/{}", row.id),
            "version": version(row.updated_at),
        }),
    );
    Value::Object(group)
}

/// A Group body, parsed.
struct Desired {
    name: String,
    external_id: Option<String>,
    members: Vec<AccountId>,
}

fn parse(body: &Value) -> Result<Desired, ScimError> {
    let Value::Object(group) = body else {
        return Err(ScimError::invalid_value("A Group is a JSON object."));
    };
    let name = string_at(group, "displayname", "displayName")?.unwrap_or_default();
    let settings = GroupSettings::parse(&name, "", false, false)
        .map_err(|errors| ScimError::invalid_value(format!("displayName: {}", errors.0.into_iter().map(|e| e.message).collect::<Vec<_>>().join(" "))))?;
    let members = match group.get("members") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        Some(_) => return Err(ScimError::invalid_value("members is a list of {\"value\": \"<user id>\"}.")),
    };
    if members.len() > MAX_MEMBERS_WRITTEN {
        return Err(ScimError::bad_request("tooMany", format!("One request may name at most {MAX_MEMBERS_WRITTEN} members.")));
    }
    let mut ids = BTreeSet::new();
    for member in &members {
        let value = match member {
            Value::Object(member) => {
                if member.get("type").and_then(Value::as_str).is_some_and(|t| t.eq_ignore_ascii_case("group")) {
                    return Err(ScimError::invalid_value("Embark groups hold people, not other groups."));
                }
                string_at(member, "value", "members.value")?
            }
            Value::String(value) => Some(value.clone()),
            _ => None,
        };
        let value = value.ok_or_else(|| ScimError::invalid_value("Each member has the id of a user as its value."))?;
        let id = value.trim().parse::<AccountId>().map_err(|_| ScimError::invalid_value(format!("members: {value:?} is not the id of a user in Embark.")))?;
        ids.insert(id);
    }
    let external_id = super::users::bounded(string_at(group, "externalid", "externalId")?, "externalId")?;
    Ok(Desired { name: settings.name, external_id, members: ids.into_iter().collect() })
}

/// A member deleted after the members were checked: the write stops.
fn map_member_error(error: sqlx::Error) -> ScimError {
    match db::foreign_key_violation(&error) {
        Some(_) => ScimError::invalid_value("members: one of the people was deleted meanwhile. Nothing was changed; read the group again."),
        None => ScimError::internal(error),
    }
}

fn map_name_error(error: sqlx::Error) -> ScimError {
    match db::unique_violation(&error).as_deref() {
        Some("account_group_name_normalized_key") => ScimError::uniqueness("A group with this displayName already exists."),
        _ => ScimError::internal(error),
    }
}

async fn read(state: &AppState, id: GroupId, base: &str) -> Result<Value, ScimError> {
    let row = rows::group(&state.pool, id).await?.ok_or_else(|| ScimError::not_found("group"))?;
    let members: Vec<AccountId> = rows::members_of(&state.pool, &[id]).await?.into_iter().map(|(_, member)| member).collect();
    Ok(resource(&row, &members, base))
}

pub async fn get(state: &AppState, id: &str, base: &str, query: &ListQuery) -> Result<ScimReply, ScimError> {
    Ok(ScimReply::projected(read(state, parse_id(id)?, base).await?, query))
}

pub async fn list(state: &AppState, query: &ListQuery, base: &str) -> Result<ScimReply, ScimError> {
    let condition = query.filter.as_deref().map(filter::groups).transpose()?;
    let (found, total) = rows::groups(&state.pool, condition.as_ref(), query.start_index() - 1, query.count()).await?;
    // Members are listed only when asked for or not excluded.
    let ids: Vec<GroupId> = found.iter().map(|row| row.id).collect();
    let memberships = rows::members_of(&state.pool, &ids).await?;
    let resources = found
        .iter()
        .map(|row| {
            let members: Vec<AccountId> = memberships.iter().filter(|(group, _)| *group == row.id).map(|(_, member)| *member).collect();
            project(resource(row, &members, base), query.attributes.as_deref(), query.excluded_attributes.as_deref())
        })
        .collect();
    Ok(ScimReply::ok(list_response(resources, total, query.start_index())))
}

async fn check_members(state: &AppState, members: &[AccountId]) -> Result<(), ScimError> {
    let wanted: Vec<uuid::Uuid> = members.iter().map(|id| id.0).collect();
    let found: BTreeSet<AccountId> = rows::existing_accounts(&state.pool, &wanted).await?.into_iter().collect();
    match members.iter().find(|id| !found.contains(id)) {
        Some(missing) => Err(ScimError::invalid_value(format!("members: {missing} is not the id of a user in Embark."))),
        None => Ok(()),
    }
}

/// One audit entry per person added or removed, so it shows in their history.
async fn audit_membership(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    caller: &ScimCaller,
    group: GroupId,
    name: &str,
    changed: &[AccountId],
    action: AuditAction,
    now: OffsetDateTime,
) -> Result<(), ScimError> {
    if changed.is_empty() {
        return Ok(());
    }
    let people = rows::names_of(&mut **tx, changed).await?;
    let ids: Vec<uuid::Uuid> = people.iter().map(|(id, ..)| id.0).collect();
    let labels: Vec<String> = people.iter().map(|(_, full_name, email)| account_label(full_name, email.as_deref())).collect();
    audit::record_for_accounts(tx, &caller.actor(), action, &ids, &labels, json!({ "group_id": group, "group": name, "via": "scim" }), now).await?;
    Ok(())
}

pub async fn create(state: &AppState, caller: &ScimCaller, body: &Value, base: &str, now: OffsetDateTime) -> Result<ScimReply, ScimError> {
    let desired = parse(&fold_keys(body.clone()))?;
    check_members(state, &desired.members).await?;
    let settings = GroupSettings { name: desired.name.clone(), description: String::new(), is_open: false, suggested_at_claim: false };
    let mut tx = state.pool.begin().await?;
    let id = group_rows::insert(&mut tx, &settings, now).await.map_err(map_name_error)?;
    if desired.external_id.is_some() {
        rows::rename_group(&mut tx, id, &desired.name, desired.external_id.as_deref(), now).await?;
    }
    audit::record(
        &mut *tx,
        AuditEvent {
            actor: &caller.actor(),
            action: AuditAction::GroupCreated,
            target: &AuditTarget::group(id, &desired.name),
            details: json!({ "via": "scim" }),
            now,
        },
    )
    .await?;
    let (added, _) = rows::set_members(&mut tx, id, &desired.members, now).await.map_err(map_member_error)?;
    audit_membership(&mut tx, caller, id, &desired.name, &added, AuditAction::GroupMemberAdded, now).await?;
    tx.commit().await?;
    Ok(ScimReply::resource(201, read(state, id, base).await?))
}

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
    write(state, caller, id, if_match, base, now, |current| {
        let Value::Object(mut document) = fold_keys(current.clone()) else { unreachable!("a resource is an object") };
        super::patch::apply(&mut document, body)?;
        parse(&Value::Object(document))
    })
    .await
}

async fn write(
    state: &AppState,
    caller: &ScimCaller,
    id: GroupId,
    if_match: Option<&str>,
    base: &str,
    now: OffsetDateTime,
    desire: impl FnOnce(&Value) -> Result<Desired, ScimError>,
) -> Result<ScimReply, ScimError> {
    let mut tx = state.pool.begin().await?;
    let row = rows::group_for_update(&mut tx, id).await?.ok_or_else(|| ScimError::not_found("group"))?;
    check_if_match(if_match, &version(row.updated_at))?;
    let members: Vec<AccountId> = rows::members_of(&mut *tx, &[id]).await?.into_iter().map(|(_, member)| member).collect();
    // PATCH works on every member, not only those a resource lists.
    let mut current = resource(&row, &[], base);
    current["members"] = Value::Array(members.iter().map(|id| json!({ "value": id })).collect());
    let desired = desire(&current)?;
    check_members(state, &desired.members).await?;
    if desired.name != row.name || desired.external_id != row.external_id {
        rows::rename_group(&mut tx, id, &desired.name, desired.external_id.as_deref(), now).await.map_err(map_name_error)?;
        audit::record(
            &mut *tx,
            AuditEvent {
                actor: &caller.actor(),
                action: AuditAction::GroupUpdated,
                target: &AuditTarget::group(id, &desired.name),
                details: json!({ "via": "scim", "previous_name": row.name }),
                now,
            },
        )
        .await?;
    }
    if desired.members != members {
        let (added, removed) = rows::set_members(&mut tx, id, &desired.members, now).await.map_err(map_member_error)?;
        audit_membership(&mut tx, caller, id, &desired.name, &added, AuditAction::GroupMemberAdded, now).await?;
        audit_membership(&mut tx, caller, id, &desired.name, &removed, AuditAction::GroupMemberRemoved, now).await?;
    }
    tx.commit().await?;
    Ok(ScimReply::resource(200, read(state, id, base).await?))
}

pub async fn delete(state: &AppState, caller: &ScimCaller, id: &str, if_match: Option<&str>, now: OffsetDateTime) -> Result<ScimReply, ScimError> {
    let id = parse_id(id)?;
    let mut tx = state.pool.begin().await?;
    let row = rows::group_for_update(&mut tx, id).await?.ok_or_else(|| ScimError::not_found("group"))?;
    check_if_match(if_match, &version(row.updated_at))?;
    group_rows::delete(&mut tx, id).await?;
    audit::record(
        &mut *tx,
        AuditEvent {
            actor: &caller.actor(),
            action: AuditAction::GroupDeleted,
            target: &AuditTarget::group(id, &row.name),
            details: json!({ "via": "scim" }),
            now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(ScimReply::no_content())
}

fn parse_id(id: &str) -> Result<GroupId, ScimError> {
    id.parse().map_err(|_| ScimError::not_found("group"))
}
