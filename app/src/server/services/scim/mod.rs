//! The SCIM 2.0 service provider (RFC 7643/7644) that identity providers
//! (Okta, Entra ID, scripts) call through an integration's token: people
//! (`users`) and groups (`groups`) as SCIM resources, list filters
//! (`filter`), PATCH (`patch`) and the discovery documents (`discovery`).
//! Writes go through the same lifecycle functions as the admin panel, with
//! the integration as the actor.
//!
//! Attribute names are case-insensitive in SCIM: request bodies have their
//! keys lowercased on the way in ([`fold_keys`]) and are read by lowercase
//! names; responses use the canonical spelling.

pub mod discovery;
pub mod filter;
pub mod groups;
pub mod patch;
pub mod users;

use crate::server::services::lifecycle::LifecycleError;
use serde_json::{json, Map, Value};
use time::OffsetDateTime;

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// Where each person is in Embark's lifecycle, read-only (as Workplace's
/// `accountstatusdetails` extension was).
pub const EMBARK_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:embark:2.0:User";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// The most resources one list answer holds (`count` is clamped to it).
pub const MAX_PAGE: i64 = 200;
/// The longest filter accepted, in bytes.
pub const MAX_FILTER_BYTES: usize = 4_096;
/// The most members one group answer lists.
pub const MAX_MEMBERS_SHOWN: usize = 10_000;

/// A SCIM error answer: the HTTP status, the RFC 7644 §3.12 `scimType`
/// where one fits, and a sentence for the person reading the provider's
/// log.
#[derive(Debug)]
pub struct ScimError {
    pub status: u16,
    pub scim_type: Option<&'static str>,
    pub detail: String,
}

impl ScimError {
    pub fn bad_request(scim_type: &'static str, detail: impl Into<String>) -> Self {
        Self { status: 400, scim_type: Some(scim_type), detail: detail.into() }
    }

    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::bad_request("invalidValue", detail)
    }

    pub fn not_found(what: &str) -> Self {
        Self { status: 404, scim_type: None, detail: format!("There is no {what} with this id.") }
    }

    pub fn uniqueness(detail: impl Into<String>) -> Self {
        Self { status: 409, scim_type: Some("uniqueness"), detail: detail.into() }
    }

    pub fn internal(error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "SCIM request failed");
        Self { status: 500, scim_type: None, detail: "Embark could not do this because of an internal error. It was logged.".to_owned() }
    }

    pub fn body(&self) -> Value {
        let mut body = json!({ "schemas": [ERROR_SCHEMA], "status": self.status.to_string(), "detail": self.detail });
        if let Some(scim_type) = self.scim_type {
            body["scimType"] = json!(scim_type);
        }
        body
    }
}

impl From<sqlx::Error> for ScimError {
    fn from(error: sqlx::Error) -> Self {
        Self::internal(error)
    }
}

impl From<anyhow::Error> for ScimError {
    fn from(error: anyhow::Error) -> Self {
        Self::internal(error)
    }
}

impl From<LifecycleError> for ScimError {
    fn from(error: LifecycleError) -> Self {
        match error {
            LifecycleError::NotFound => Self::not_found("user"),
            LifecycleError::DuplicateEmail => Self::uniqueness("Someone in Embark already has this email address (userName or emails)."),
            LifecycleError::DuplicateExternalId => Self::uniqueness("Someone in Embark already has this externalId."),
            LifecycleError::DuplicateUsername => Self::uniqueness("Someone in Embark already has this userName."),
            LifecycleError::UnknownManager => Self::invalid_value("manager.value is the id of no user in Embark."),
            LifecycleError::LastOwner => Self {
                status: 409,
                scim_type: Some("mutability"),
                detail: "This user is the last owner of Embark who can sign in: make someone else an owner in Embark first.".to_owned(),
            },
            LifecycleError::OwnersOnly => Self { status: 403, scim_type: None, detail: "Only an owner can deactivate or delete an owner.".to_owned() },
            LifecycleError::WrongState(status) => {
                Self { status: 409, scim_type: Some("mutability"), detail: format!("Not possible while the account is {}.", status.label().to_lowercase()) }
            }
            LifecycleError::Unexpected(error) => Self::internal(error),
        }
    }
}

/// A successful answer.
#[derive(Debug)]
pub struct ScimReply {
    pub status: u16,
    pub body: Option<Value>,
    /// `meta.version` of the resource answered with, for the `ETag` header.
    pub etag: Option<String>,
    /// `meta.location` of a created resource, for the `Location` header.
    pub location: Option<String>,
}

impl ScimReply {
    pub fn resource(status: u16, body: Value) -> Self {
        let etag = body.pointer("/meta/version").and_then(Value::as_str).map(str::to_owned);
        let location = (status == 201).then(|| body.pointer("/meta/location").and_then(Value::as_str).map(str::to_owned)).flatten();
        Self { status, body: Some(body), etag, location }
    }

    /// One resource read with `attributes`/`excludedAttributes`: its ETag
    /// stays even when `meta` is not selected.
    pub fn projected(resource: Value, query: &ListQuery) -> Self {
        let etag = resource.pointer("/meta/version").and_then(Value::as_str).map(str::to_owned);
        Self { etag, ..Self::ok(project(resource, query.attributes.as_deref(), query.excluded_attributes.as_deref())) }
    }

    /// 200 with a body that is not one resource (a list, a schema).
    pub fn ok(body: Value) -> Self {
        Self { status: 200, body: Some(body), etag: None, location: None }
    }

    pub fn no_content() -> Self {
        Self { status: 204, body: None, etag: None, location: None }
    }
}

/// The query of a list request (`GET /Users?…`, or a `.search` body).
#[derive(Debug, Default, Clone)]
pub struct ListQuery {
    pub filter: Option<String>,
    pub start_index: Option<i64>,
    pub count: Option<i64>,
    pub attributes: Option<String>,
    pub excluded_attributes: Option<String>,
}

impl ListQuery {
    /// 1-based, at least 1.
    pub fn start_index(&self) -> i64 {
        self.start_index.unwrap_or(1).max(1)
    }

    /// At most [`MAX_PAGE`]; 0 asks only for the total.
    pub fn count(&self) -> i64 {
        self.count.unwrap_or(100).clamp(0, MAX_PAGE)
    }

    /// Reads a `POST …/.search` body (RFC 7644 §3.4.3).
    pub fn from_search_body(body: &Value) -> Result<Self, ScimError> {
        let body = fold_keys(body.clone());
        let text = |key: &str| -> Result<Option<String>, ScimError> {
            match body.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(Value::Array(items)) => Ok(Some(items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(","))),
                Some(_) => Err(ScimError::invalid_value(format!("{key} must be a string."))),
            }
        };
        let number = |key: &str| -> Result<Option<i64>, ScimError> {
            match body.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(value) => value.as_i64().map(Some).ok_or_else(|| ScimError::invalid_value(format!("{key} must be an integer."))),
            }
        };
        Ok(Self {
            filter: text("filter")?,
            start_index: number("startindex")?,
            count: number("count")?,
            attributes: text("attributes")?,
            excluded_attributes: text("excludedattributes")?,
        })
    }
}

/// The `ListResponse` of one page.
pub fn list_response(resources: Vec<Value>, total: i64, start_index: i64) -> Value {
    json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

/// `meta.version`: a weak ETag from the last change's time.
pub fn version(updated_at: OffsetDateTime) -> String {
    format!("W/\"{}\"", updated_at.unix_timestamp_nanos() / 1_000)
}

/// Refuses a write whose `If-Match` names another version (RFC 7644 §3.14).
pub fn check_if_match(if_match: Option<&str>, current: &str) -> Result<(), ScimError> {
    match if_match.map(str::trim) {
        None | Some("*") => Ok(()),
        Some(expected) if expected.split(',').any(|tag| tag.trim() == current) => Ok(()),
        Some(_) => Err(ScimError {
            status: 412,
            scim_type: None,
            detail: "The resource changed since this version was read (If-Match). Read it again and retry.".to_owned(),
        }),
    }
}

/// The object's keys, lowercased at every depth.
pub fn fold_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(map.into_iter().map(|(key, value)| (key.to_lowercase(), fold_keys(value))).collect()),
        Value::Array(items) => Value::Array(items.into_iter().map(fold_keys).collect()),
        other => other,
    }
}

/// Keeps only the attributes asked for (`attributes`), or drops those
/// excluded (`excludedAttributes`); `id` and `schemas` always stay. Names
/// may be `name.givenName`, carry their schema URN, or be an extension's
/// URN alone.
pub fn project(resource: Value, attributes: Option<&str>, excluded: Option<&str>) -> Value {
    let Value::Object(map) = resource else { return resource };
    let wanted = AttributeName::list(attributes);
    let unwanted = AttributeName::list(excluded);
    let mut out = Map::new();
    let mut dropped = Vec::new();
    for (key, value) in map {
        if key == "id" || key == "schemas" {
            out.insert(key, value);
            continue;
        }
        if key.starts_with("urn:") {
            let Value::Object(inner) = value else { continue };
            // The lifecycle extension is "returned": "request": only when
            // `attributes` names it or one of its attributes.
            let kept: Map<String, Value> = if key.eq_ignore_ascii_case(EMBARK_SCHEMA) && !wanted.iter().any(|n| n.is_about_extension(&key)) {
                Map::new()
            } else if !wanted.is_empty() {
                if wanted.iter().any(|n| n.is_extension(&key)) {
                    inner
                } else {
                    inner.into_iter().filter(|(name, _)| wanted.iter().any(|n| n.is_in_extension(&key, name))).collect()
                }
            } else if unwanted.iter().any(|n| n.is_extension(&key)) {
                Map::new()
            } else {
                inner.into_iter().filter(|(name, _)| !unwanted.iter().any(|n| n.is_in_extension(&key, name))).collect()
            };
            if kept.is_empty() {
                dropped.push(key);
            } else {
                out.insert(key, Value::Object(kept));
            }
            continue;
        }
        let subs = |names: &[AttributeName]| -> Option<Vec<String>> {
            let matching: Vec<&AttributeName> = names.iter().filter(|n| n.is_core(&key)).collect();
            if matching.is_empty() {
                return None;
            }
            // Some(empty): the whole attribute is named.
            Some(if matching.iter().any(|n| n.sub.is_none()) { Vec::new() } else { matching.iter().filter_map(|n| n.sub.clone()).collect() })
        };
        let value = if !wanted.is_empty() {
            match (subs(&wanted), value) {
                (None, _) => continue,
                (Some(named), Value::Object(inner)) if !named.is_empty() => {
                    Value::Object(inner.into_iter().filter(|(k, _)| named.iter().any(|s| s.eq_ignore_ascii_case(k))).collect())
                }
                (Some(_), value) => value,
            }
        } else {
            match (subs(&unwanted), value) {
                (Some(named), _) if named.is_empty() => continue,
                (Some(named), Value::Object(inner)) => {
                    Value::Object(inner.into_iter().filter(|(k, _)| !named.iter().any(|s| s.eq_ignore_ascii_case(k))).collect())
                }
                (_, value) => value,
            }
        };
        out.insert(key, value);
    }
    // `schemas` names only the extensions the answer holds.
    if let Some(Value::Array(schemas)) = out.get_mut("schemas") {
        schemas.retain(|schema| !schema.as_str().is_some_and(|urn| dropped.iter().any(|d| d.eq_ignore_ascii_case(urn))));
    }
    Value::Object(out)
}

/// One name in `attributes` or `excludedAttributes`:
/// `[urn:…:]name[.sub]`.
struct AttributeName {
    uri: Option<String>,
    name: String,
    sub: Option<String>,
}

impl AttributeName {
    fn list(text: Option<&str>) -> Vec<Self> {
        text.map(|text| text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(Self::parse).collect()).unwrap_or_default()
    }

    fn parse(text: &str) -> Self {
        let (uri, rest) = match text.rfind(':') {
            Some(at) if text.to_lowercase().starts_with("urn:") => (Some(text[..at].to_owned()), &text[at + 1..]),
            _ => (None, text),
        };
        match rest.split_once('.') {
            Some((name, sub)) => Self { uri, name: name.to_owned(), sub: Some(sub.to_owned()) },
            None => Self { uri, name: rest.to_owned(), sub: None },
        }
    }

    /// Names the whole extension `urn`.
    fn is_extension(&self, urn: &str) -> bool {
        self.sub.is_none() && self.uri.as_deref().is_some_and(|uri| format!("{uri}:{}", self.name).eq_ignore_ascii_case(urn))
    }

    /// Names the extension `urn` or one of its attributes.
    fn is_about_extension(&self, urn: &str) -> bool {
        self.is_extension(urn) || self.uri.as_deref().is_some_and(|uri| uri.eq_ignore_ascii_case(urn))
    }

    /// Names attribute `name` of the extension `urn`.
    fn is_in_extension(&self, urn: &str, name: &str) -> bool {
        self.uri.as_deref().is_some_and(|uri| uri.eq_ignore_ascii_case(urn)) && self.name.eq_ignore_ascii_case(name)
    }

    /// Names core attribute `name` (or one of its sub-attributes).
    fn is_core(&self, name: &str) -> bool {
        let core = self.uri.as_deref().is_none_or(|uri| uri.eq_ignore_ascii_case(USER_SCHEMA) || uri.eq_ignore_ascii_case(GROUP_SCHEMA));
        core && self.name.eq_ignore_ascii_case(name)
    }
}

/// RFC 3339 as SCIM writes times.
pub fn timestamp(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// The string at `key` of a folded object: absent and null are None, a
/// non-string is an error naming the attribute.
pub fn string_at(object: &Map<String, Value>, key: &str, shown: &str) -> Result<Option<String>, ScimError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(ScimError::invalid_value(format!("{shown} must be a string."))),
    }
}

/// `POST /.search`: people, then groups, as one list (RFC 7644 §3.4.3). A
/// filter applies to each type that has the attributes it names; it must fit
/// at least one.
pub async fn search_all(state: &crate::server::AppState, query: &ListQuery, base: &str) -> Result<ScimReply, ScimError> {
    use crate::server::db::scim as rows;
    let (user_filter, group_filter) = match query.filter.as_deref() {
        None => (None, None),
        Some(text) => match (filter::users(text), filter::groups(text)) {
            (Err(error), Err(_)) => return Err(error),
            (users, groups) => (Some(users.ok()), Some(groups.ok())),
        },
    };
    let offset = query.start_index() - 1;
    let count = query.count();
    let attributes = (query.attributes.as_deref(), query.excluded_attributes.as_deref());
    // A type the filter cannot apply to contributes nothing.
    let (found_users, user_total) = match &user_filter {
        Some(None) => (Vec::new(), 0),
        _ => rows::users(&state.pool, user_filter.as_ref().and_then(Option::as_ref), offset, count).await?,
    };
    let mut resources: Vec<Value> = found_users.iter().map(|row| project(users::resource(row, base), attributes.0, attributes.1)).collect();
    let group_offset = (offset - user_total).max(0);
    let group_count = count - resources.len() as i64;
    let (found_groups, group_total) = match &group_filter {
        Some(None) => (Vec::new(), 0),
        _ => rows::groups(&state.pool, group_filter.as_ref().and_then(Option::as_ref), group_offset, group_count).await?,
    };
    let ids: Vec<crate::domain::GroupId> = found_groups.iter().map(|row| row.id).collect();
    let memberships = rows::members_of(&state.pool, &ids).await?;
    for row in &found_groups {
        let members: Vec<crate::domain::AccountId> = memberships.iter().filter(|(group, _)| *group == row.id).map(|(_, member)| *member).collect();
        resources.push(project(groups::resource(row, &members, base), attributes.0, attributes.1));
    }
    Ok(ScimReply::ok(list_response(resources, user_total + group_total, query.start_index())))
}

#[cfg(test)]
mod projection_tests {
    use super::*;

    fn user() -> Value {
        json!({ "schemas": [USER_SCHEMA], "id": "1", "userName": "sam", "name": { "givenName": "Sam", "familyName": "Lee" }, "title": "Buyer",
                ENTERPRISE_SCHEMA: { "department": "Sales", "employeeNumber": "7" } })
    }

    #[test]
    fn attributes_keep_what_is_named_and_id() {
        let only = project(user(), Some("userName,name.givenName,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"), None);
        assert_eq!(
            only,
            json!({ "schemas": [USER_SCHEMA], "id": "1", "userName": "sam", "name": { "givenName": "Sam" }, ENTERPRISE_SCHEMA: { "department": "Sales" } })
        );
        let whole = project(user(), Some(ENTERPRISE_SCHEMA), None);
        assert_eq!(whole[ENTERPRISE_SCHEMA], json!({ "department": "Sales", "employeeNumber": "7" }));
        assert!(whole.get("userName").is_none());
    }

    #[test]
    fn excluded_attributes_drop_what_is_named() {
        let without = project(user(), None, Some("title,name.familyName,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"));
        assert_eq!(without, json!({ "schemas": [USER_SCHEMA], "id": "1", "userName": "sam", "name": { "givenName": "Sam" } }));
    }
}
