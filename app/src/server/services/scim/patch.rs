//! PATCH (RFC 7644 §3.5.2) applied to a resource's JSON (keys folded to
//! lowercase), which is then written like a PUT. Paths are parsed by the
//! `scim_v2` crate. What Okta and Entra ID really send is accepted:
//! capitalised `op`s, path-less operations whose value has dotted keys
//! (`"name.givenName"`) or an extension URN as a key, value paths such as
//! `emails[type eq "work"].value` and `members[value eq "…"]`, and booleans
//! written as strings (read where the attribute is parsed).

use super::{fold_keys, ScimError, EMBARK_SCHEMA, ENTERPRISE_SCHEMA, GROUP_SCHEMA, PATCH_SCHEMA, USER_SCHEMA};
use scim_v2::filter::{AttrExp, AttrPath, CompValue, CompareOp, PatchPath, ValFilter};
use serde_json::{Map, Value};

/// The most operations one PATCH may carry.
pub const MAX_OPERATIONS: usize = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Replace,
    Remove,
}

fn invalid_path(detail: impl Into<String>) -> ScimError {
    ScimError::bad_request("invalidPath", detail)
}

/// Applies every operation of a PatchOp body to `document`, in order.
pub fn apply(document: &mut Map<String, Value>, body: &Value) -> Result<(), ScimError> {
    let body = fold_keys(body.clone());
    let schemas_ok = body
        .get("schemas")
        .and_then(Value::as_array)
        .is_some_and(|schemas| schemas.iter().any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(PATCH_SCHEMA))));
    if !schemas_ok {
        return Err(ScimError::invalid_value(format!("A PATCH body names the schema {PATCH_SCHEMA}.")));
    }
    let operations = body.get("operations").and_then(Value::as_array).ok_or_else(|| ScimError::invalid_value("A PATCH body has an Operations list."))?;
    if operations.is_empty() || operations.len() > MAX_OPERATIONS {
        return Err(ScimError::invalid_value(format!("A PATCH body has 1 to {MAX_OPERATIONS} operations.")));
    }
    for operation in operations {
        let op = match operation.get("op").and_then(Value::as_str).map(str::to_lowercase).as_deref() {
            Some("add") => Op::Add,
            Some("replace") => Op::Replace,
            Some("remove") => Op::Remove,
            other => return Err(ScimError::invalid_value(format!("Unknown PATCH op {other:?}: use add, replace or remove."))),
        };
        let value = operation.get("value").cloned().map(fold_keys);
        match operation.get("path").and_then(Value::as_str).map(str::trim).filter(|p| !p.is_empty()) {
            Some(path) => apply_path(document, op, path, value)?,
            None => {
                if op == Op::Remove {
                    return Err(ScimError::bad_request("noTarget", "A remove operation names the attribute to remove (path)."));
                }
                let Some(Value::Object(values)) = value else {
                    return Err(ScimError::invalid_value("An add or replace without a path carries an object of attributes as its value."));
                };
                for (key, value) in values {
                    if is_schema_urn(&key) {
                        // {"urn:…:enterprise:2.0:User": {"department": …}}
                        let Value::Object(inner) = value else {
                            return Err(ScimError::invalid_value(format!("The value of {key} is an object of its attributes.")));
                        };
                        for (name, value) in inner {
                            apply_path(document, op, &format!("{key}:{name}"), Some(value))?;
                        }
                    } else {
                        // Plain, dotted ("name.givenName") or URN-prefixed keys.
                        apply_path(document, op, &key, Some(value))?;
                    }
                }
            }
        }
    }
    Ok(())
}

fn is_schema_urn(key: &str) -> bool {
    [USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE_SCHEMA, EMBARK_SCHEMA].iter().any(|urn| key.eq_ignore_ascii_case(urn))
}

/// The object that holds an attribute: the resource, or the extension its
/// URN names (created when absent).
fn container<'a>(document: &'a mut Map<String, Value>, path: &AttrPath) -> Result<&'a mut Map<String, Value>, ScimError> {
    match path.uri.as_deref().map(str::to_lowercase) {
        None => Ok(document),
        Some(uri) if uri == USER_SCHEMA.to_lowercase() || uri == GROUP_SCHEMA.to_lowercase() => Ok(document),
        // Writes to the read-only lifecycle extension land in the document
        // and are ignored when it is read (RFC 7643 §7: readOnly values a
        // client sends are ignored).
        Some(uri) if uri == ENTERPRISE_SCHEMA.to_lowercase() || uri == EMBARK_SCHEMA.to_lowercase() => {
            let entry = document.entry(uri).or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            Ok(entry.as_object_mut().expect("made an object above"))
        }
        Some(uri) => Err(invalid_path(format!("Embark has no schema {uri}."))),
    }
}

fn apply_path(document: &mut Map<String, Value>, op: Op, path: &str, value: Option<Value>) -> Result<(), ScimError> {
    if let Some(urn) = [ENTERPRISE_SCHEMA, EMBARK_SCHEMA].iter().find(|urn| path.eq_ignore_ascii_case(urn)) {
        // The whole extension: {"path": "urn:…:enterprise:2.0:User", "value": {…}}.
        let key = urn.to_lowercase();
        match (op, value) {
            (Op::Remove, _) => {
                document.remove(&key);
            }
            (op, Some(Value::Object(fields))) => match document.get_mut(&key) {
                Some(Value::Object(existing)) if op == Op::Add => existing.extend(fields),
                _ => {
                    document.insert(key, Value::Object(fields));
                }
            },
            _ => return Err(ScimError::invalid_value(format!("The value for {urn} is an object of its attributes."))),
        }
        return Ok(());
    }
    let parsed: PatchPath = path.parse().map_err(|error| invalid_path(format!("The path {path:?} could not be read: {error}.")))?;
    if op != Op::Remove && value.is_none() {
        return Err(ScimError::invalid_value(format!("The {path} operation carries a value.")));
    }
    match parsed {
        PatchPath::Attr(attr) => {
            let name = attr.name.to_lowercase();
            let sub = attr.sub_attr.as_deref().map(str::to_lowercase);
            let target = container(document, &attr)?;
            match (op, sub) {
                (Op::Remove, None) => {
                    target.remove(&name);
                }
                (Op::Remove, Some(sub)) => {
                    if let Some(Value::Object(inner)) = target.get_mut(&name) {
                        inner.remove(&sub);
                    }
                }
                (op, None) => {
                    let value = value.expect("checked above");
                    match (op, target.get_mut(&name), value) {
                        // add to a multi-valued attribute appends what is new.
                        (Op::Add, Some(Value::Array(existing)), Value::Array(new)) => {
                            for item in new {
                                if !existing.contains(&item) {
                                    existing.push(item);
                                }
                            }
                        }
                        (Op::Add, Some(Value::Array(existing)), item @ Value::Object(_)) => {
                            if !existing.contains(&item) {
                                existing.push(item);
                            }
                        }
                        // add or replace of a complex value merges its sub-attributes.
                        (_, Some(Value::Object(existing)), Value::Object(new)) if op == Op::Add || !is_multi_valued(&name) => {
                            existing.extend(new);
                        }
                        (_, _, value) => {
                            target.insert(name, value);
                        }
                    }
                }
                (_, Some(sub)) => {
                    let entry = target.entry(name).or_insert_with(|| Value::Object(Map::new()));
                    if !entry.is_object() {
                        *entry = Value::Object(Map::new());
                    }
                    entry.as_object_mut().expect("made an object above").insert(sub, value.expect("checked above"));
                }
            }
        }
        PatchPath::Value(value_path) => {
            let name = value_path.attr.name.to_lowercase();
            let sub = value_path.sub_attr.as_deref().map(str::to_lowercase);
            let target = container(document, &value_path.attr)?;
            let items = match target.entry(name.clone()).or_insert_with(|| Value::Array(Vec::new())) {
                Value::Array(items) => items,
                other => {
                    *other = Value::Array(Vec::new());
                    other.as_array_mut().expect("made an array above")
                }
            };
            let matching: Vec<usize> = items.iter().enumerate().filter(|(_, item)| matches(&value_path.filter, item)).map(|(i, _)| i).collect();
            match op {
                Op::Remove => match sub {
                    None => {
                        for index in matching.into_iter().rev() {
                            items.remove(index);
                        }
                    }
                    Some(sub) => {
                        for index in matching {
                            if let Value::Object(item) = &mut items[index] {
                                item.remove(&sub);
                            }
                        }
                    }
                },
                Op::Add | Op::Replace => {
                    let value = value.expect("checked above");
                    if matching.is_empty() {
                        // Entra ID adds `emails[type eq "work"].value` to a
                        // person without one: make the element the filter
                        // describes.
                        let mut item = element_from_filter(&value_path.filter)
                            .ok_or_else(|| ScimError::bad_request("noTarget", format!("No value of {name} matches the filter in {path:?}.")))?;
                        match (&sub, value) {
                            (Some(sub), value) => {
                                item.insert(sub.clone(), value);
                            }
                            (None, Value::Object(fields)) => item.extend(fields),
                            (None, _) => return Err(ScimError::invalid_value(format!("The value for {path:?} is an object."))),
                        }
                        items.push(Value::Object(item));
                    } else {
                        for index in matching {
                            match (&sub, &mut items[index], value.clone()) {
                                (Some(sub), Value::Object(item), value) => {
                                    item.insert(sub.clone(), value);
                                }
                                (None, Value::Object(item), Value::Object(fields)) => item.extend(fields),
                                (None, slot, value) => *slot = value,
                                (Some(_), _, _) => {}
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

fn is_multi_valued(name: &str) -> bool {
    matches!(name, "emails" | "phonenumbers" | "members" | "addresses" | "groups")
}

/// An element made from an `eq` filter: `type eq "work"` → {"type": "work"}.
fn element_from_filter(filter: &ValFilter) -> Option<Map<String, Value>> {
    let mut item = Map::new();
    let mut collect = |expression: &AttrExp| match expression {
        AttrExp::Comparison(path, CompareOp::Eq, value) => {
            item.insert(path.name.to_lowercase(), comp_to_json(value));
            true
        }
        _ => false,
    };
    let complete = match filter {
        ValFilter::Attr(expression) => collect(expression),
        ValFilter::And(parts) => parts.iter().all(|part| matches!(part, ValFilter::Attr(e) if collect(e))),
        _ => false,
    };
    complete.then_some(item)
}

fn comp_to_json(value: &CompValue) -> Value {
    match value {
        CompValue::False => Value::Bool(false),
        CompValue::True => Value::Bool(true),
        CompValue::Null => Value::Null,
        CompValue::Number(n) => Value::Number(n.clone()),
        CompValue::Str(text) => Value::String(text.clone()),
    }
}

/// Whether one value of a multi-valued attribute matches a value filter.
/// Strings compare without case, as SCIM's default `caseExact: false`.
pub fn matches(filter: &ValFilter, item: &Value) -> bool {
    match filter {
        ValFilter::Attr(AttrExp::Present(path)) => field(item, path).is_some_and(|v| !v.is_null() && v != &Value::String(String::new())),
        ValFilter::Attr(AttrExp::Comparison(path, operator, expected)) => {
            let actual = field(item, path);
            compare(actual, operator, expected)
        }
        ValFilter::Not(inner) => !matches(inner, item),
        ValFilter::And(parts) => parts.iter().all(|part| matches(part, item)),
        ValFilter::Or(parts) => parts.iter().any(|part| matches(part, item)),
    }
}

fn field<'a>(item: &'a Value, path: &AttrPath) -> Option<&'a Value> {
    match item {
        Value::Object(map) => map.get(&path.name.to_lowercase()),
        // A list of plain values: `value` is the value itself.
        other if path.name.eq_ignore_ascii_case("value") => Some(other),
        _ => None,
    }
}

fn compare(actual: Option<&Value>, operator: &CompareOp, expected: &CompValue) -> bool {
    match (actual, expected) {
        (None | Some(Value::Null), CompValue::Null) => matches!(operator, CompareOp::Eq),
        (Some(_), CompValue::Null) => matches!(operator, CompareOp::Ne),
        (None | Some(Value::Null), _) => matches!(operator, CompareOp::Ne),
        (Some(Value::Bool(actual)), CompValue::True | CompValue::False) => {
            let expected = matches!(expected, CompValue::True);
            match operator {
                CompareOp::Eq => *actual == expected,
                CompareOp::Ne => *actual != expected,
                _ => false,
            }
        }
        (Some(Value::String(actual)), CompValue::Str(expected)) => {
            let (actual, expected) = (actual.to_lowercase(), expected.to_lowercase());
            match operator {
                CompareOp::Eq => actual == expected,
                CompareOp::Ne => actual != expected,
                CompareOp::Co => actual.contains(&expected),
                CompareOp::Sw => actual.starts_with(&expected),
                CompareOp::Ew => actual.ends_with(&expected),
                CompareOp::Gt => actual > expected,
                CompareOp::Ge => actual >= expected,
                CompareOp::Lt => actual < expected,
                CompareOp::Le => actual <= expected,
            }
        }
        (Some(actual), expected) => {
            let expected = comp_to_json(expected);
            match operator {
                CompareOp::Eq => *actual == expected,
                CompareOp::Ne => *actual != expected,
                _ => false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patched(document: Value, body: Value) -> Value {
        let Value::Object(mut document) = fold_keys(document) else { unreachable!() };
        apply(&mut document, &body).unwrap();
        Value::Object(document)
    }

    fn ops(operations: Value) -> Value {
        json!({ "schemas": [PATCH_SCHEMA], "Operations": operations })
    }

    #[test]
    fn entra_id_replaces_with_capitalised_ops_and_string_booleans() {
        let doc = patched(json!({ "userName": "sam@acme.test", "active": true }), ops(json!([{ "op": "Replace", "path": "active", "value": "False" }])));
        assert_eq!(doc["active"], json!("False"));
    }

    #[test]
    fn okta_replaces_without_a_path_with_dotted_keys_and_extension_urns() {
        let doc = patched(
            json!({ "userName": "sam@acme.test", "name": { "givenName": "Sam", "familyName": "Lee" } }),
            ops(json!([{ "op": "replace", "value": {
                "name.givenName": "Samuel",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { "department": "Sales" },
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager": { "value": "m-1" }
            } }])),
        );
        assert_eq!(doc["name"], json!({ "givenname": "Samuel", "familyname": "Lee" }));
        let enterprise = &doc[ENTERPRISE_SCHEMA.to_lowercase()];
        assert_eq!(enterprise["department"], json!("Sales"));
        assert_eq!(enterprise["manager"], json!({ "value": "m-1" }));
    }

    #[test]
    fn a_work_email_is_made_when_entra_id_adds_one_by_value_path() {
        let doc = patched(json!({ "userName": "sam" }), ops(json!([{ "op": "Add", "path": "emails[type eq \"work\"].value", "value": "sam@acme.test" }])));
        assert_eq!(doc["emails"], json!([{ "type": "work", "value": "sam@acme.test" }]));
    }

    #[test]
    fn one_member_is_removed_by_filter_and_others_are_added_once() {
        let doc = patched(
            json!({ "displayName": "Sales", "members": [{ "value": "a" }, { "value": "b" }] }),
            ops(json!([
                { "op": "Remove", "path": "members[value eq \"a\"]" },
                { "op": "Add", "path": "members", "value": [{ "value": "b" }, { "value": "c" }] }
            ])),
        );
        assert_eq!(doc["members"], json!([{ "value": "b" }, { "value": "c" }]));
    }

    #[test]
    fn unreadable_paths_and_unknown_ops_are_refused() {
        let Value::Object(mut doc) = json!({}) else { unreachable!() };
        let error = apply(&mut doc, &ops(json!([{ "op": "replace", "path": "emails[type eq", "value": "x" }]))).unwrap_err();
        assert_eq!(error.scim_type, Some("invalidPath"));
        let error = apply(&mut doc, &ops(json!([{ "op": "move", "path": "title", "value": "x" }]))).unwrap_err();
        assert_eq!(error.scim_type, Some("invalidValue"));
        let error = apply(&mut doc, &ops(json!([{ "op": "remove" }]))).unwrap_err();
        assert_eq!(error.scim_type, Some("noTarget"));
    }
}
