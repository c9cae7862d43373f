//! SCIM list filters (RFC 7644 §3.4.2.2): parsed by the `scim_v2` crate
//! (the RFC grammar, with its depth and term limits), then mapped onto the
//! columns Embark stores. An attribute outside that allow-list, or an
//! operator that makes no sense for it, is an `invalidFilter` error naming
//! it.

use super::{ScimError, ENTERPRISE_SCHEMA, GROUP_SCHEMA, MAX_FILTER_BYTES, USER_SCHEMA};
use crate::domain::normalize_identifier;
use crate::server::db::scim::{Comparison, Condition, FilterValue, GroupColumn, UserColumn};
use scim_v2::filter::{AttrExp, AttrPath, CompValue, CompareOp, Filter, ValFilter};

/// How a column is compared.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Compared without case (the value is lowercased).
    Text,
    /// Compared exactly (`externalId`, ids).
    ExactText,
    Bool,
    Time,
}

fn invalid(detail: impl Into<String>) -> ScimError {
    ScimError::bad_request("invalidFilter", detail)
}

pub fn parse(text: &str) -> Result<Filter, ScimError> {
    if text.len() > MAX_FILTER_BYTES {
        return Err(ScimError::bad_request("tooMany", format!("A filter may be at most {MAX_FILTER_BYTES} bytes long.")));
    }
    text.parse::<Filter>().map_err(|error| invalid(format!("This filter could not be read: {error}.")))
}

/// A user filter as a condition on Embark's columns.
pub fn users(text: &str) -> Result<Condition<UserColumn>, ScimError> {
    translate(&parse(text)?, &user_column)
}

/// A group filter as a condition on Embark's columns.
pub fn groups(text: &str) -> Result<Condition<GroupColumn>, ScimError> {
    translate(&parse(text)?, &group_column)
}

type Resolve<C> = dyn Fn(&AttrPath, Option<&str>) -> Option<(C, Kind)>;

fn user_column(path: &AttrPath, within: Option<&str>) -> Option<(UserColumn, Kind)> {
    let uri = path.uri.as_deref().map(str::to_lowercase);
    let name = path.name.to_lowercase();
    let sub = path.sub_attr.as_deref().map(str::to_lowercase);
    let core = uri.as_deref().is_none_or(|u| u == USER_SCHEMA.to_lowercase());
    let enterprise = uri.as_deref() == Some(&ENTERPRISE_SCHEMA.to_lowercase());
    // Inside emails[…] or phoneNumbers[…], `value` is the address; `type`
    // and `primary` are not stored, so they are refused below.
    let (name, sub) = match within {
        Some(outer) => (outer.to_owned(), Some(name)),
        None => (name, sub),
    };
    Some(match (core, enterprise, name.as_str(), sub.as_deref()) {
        (true, _, "id", None) => (UserColumn::Id, Kind::ExactText),
        (true, _, "username", None) => (UserColumn::UserName, Kind::Text),
        (true, _, "externalid", None) => (UserColumn::ExternalId, Kind::ExactText),
        (true, _, "emails", None | Some("value")) => (UserColumn::Email, Kind::Text),
        (true, _, "displayname", None) | (true, _, "name", Some("formatted")) => (UserColumn::FullName, Kind::Text),
        (true, _, "name", Some("givenname")) => (UserColumn::GivenName, Kind::Text),
        (true, _, "name", Some("familyname")) => (UserColumn::FamilyName, Kind::Text),
        (true, _, "title", None) => (UserColumn::Title, Kind::Text),
        (true, _, "phonenumbers", None | Some("value")) => (UserColumn::Phone, Kind::Text),
        (true, _, "active", None) => (UserColumn::Active, Kind::Bool),
        (true, _, "meta", Some("created")) => (UserColumn::Created, Kind::Time),
        (true, _, "meta", Some("lastmodified")) => (UserColumn::LastModified, Kind::Time),
        (_, true, "department", None) | (true, _, "department", None) => (UserColumn::Department, Kind::Text),
        (_, true, "employeenumber", None) => (UserColumn::EmployeeNumber, Kind::Text),
        (_, true, "manager", None | Some("value")) => (UserColumn::Manager, Kind::ExactText),
        _ => return None,
    })
}

fn group_column(path: &AttrPath, within: Option<&str>) -> Option<(GroupColumn, Kind)> {
    let uri = path.uri.as_deref().map(str::to_lowercase);
    if uri.as_deref().is_some_and(|u| u != GROUP_SCHEMA.to_lowercase()) {
        return None;
    }
    let name = path.name.to_lowercase();
    let sub = path.sub_attr.as_deref().map(str::to_lowercase);
    let (name, sub) = match within {
        Some(outer) => (outer.to_owned(), Some(name)),
        None => (name, sub),
    };
    Some(match (name.as_str(), sub.as_deref()) {
        ("id", None) => (GroupColumn::Id, Kind::ExactText),
        ("displayname", None) => (GroupColumn::DisplayName, Kind::Text),
        ("members", None | Some("value")) => (GroupColumn::MemberId, Kind::ExactText),
        ("meta", Some("created")) => (GroupColumn::Created, Kind::Time),
        ("meta", Some("lastmodified")) => (GroupColumn::LastModified, Kind::Time),
        _ => return None,
    })
}

fn translate<C: Copy + PartialEq + IsUserName + 'static>(filter: &Filter, resolve: &Resolve<C>) -> Result<Condition<C>, ScimError> {
    Ok(match filter {
        Filter::Attr(expression) => attribute(expression, None, resolve)?,
        Filter::ValuePath(value_path) => {
            let outer = value_path.attr.name.to_lowercase();
            value_filter(&value_path.filter, &outer, resolve)?
        }
        Filter::Not(inner) => Condition::Not(Box::new(translate(inner, resolve)?)),
        Filter::And(parts) => Condition::All(parts.iter().map(|part| translate(part, resolve)).collect::<Result<_, _>>()?),
        Filter::Or(parts) => Condition::Any(parts.iter().map(|part| translate(part, resolve)).collect::<Result<_, _>>()?),
    })
}

fn value_filter<C: Copy + PartialEq + IsUserName + 'static>(filter: &ValFilter, outer: &str, resolve: &Resolve<C>) -> Result<Condition<C>, ScimError> {
    Ok(match filter {
        ValFilter::Attr(expression) => {
            // `emails[type eq "work"]`: every stored address is the work one.
            if let AttrExp::Comparison(path, CompareOp::Eq, CompValue::Str(kind)) = expression {
                if path.name.eq_ignore_ascii_case("type") && (outer == "emails" || outer == "phonenumbers") {
                    if kind.eq_ignore_ascii_case("work") {
                        return present(outer, resolve);
                    }
                    return Ok(Condition::Not(Box::new(present(outer, resolve)?)));
                }
            }
            if let AttrExp::Comparison(path, CompareOp::Eq, CompValue::True) = expression {
                if path.name.eq_ignore_ascii_case("primary") {
                    return present(outer, resolve);
                }
            }
            attribute(expression, Some(outer), resolve)?
        }
        ValFilter::Not(inner) => Condition::Not(Box::new(value_filter(inner, outer, resolve)?)),
        ValFilter::And(parts) => Condition::All(parts.iter().map(|part| value_filter(part, outer, resolve)).collect::<Result<_, _>>()?),
        ValFilter::Or(parts) => Condition::Any(parts.iter().map(|part| value_filter(part, outer, resolve)).collect::<Result<_, _>>()?),
    })
}

fn present<C: Copy + 'static>(outer: &str, resolve: &Resolve<C>) -> Result<Condition<C>, ScimError> {
    let (column, _) = resolve(&AttrPath::with_name(outer), None).ok_or_else(|| invalid(format!("Embark cannot filter on {outer}.")))?;
    Ok(Condition::Present(column))
}

/// `userName eq` goes to the indexed normalised columns.
pub trait IsUserName {
    fn is_user_name(&self) -> bool;
}

impl IsUserName for UserColumn {
    fn is_user_name(&self) -> bool {
        *self == UserColumn::UserName
    }
}

impl IsUserName for GroupColumn {
    fn is_user_name(&self) -> bool {
        false
    }
}

fn attribute<C: Copy + PartialEq + IsUserName + 'static>(expression: &AttrExp, within: Option<&str>, resolve: &Resolve<C>) -> Result<Condition<C>, ScimError> {
    let path = match expression {
        AttrExp::Present(path) | AttrExp::Comparison(path, ..) => path,
    };
    let Some((column, kind)) = resolve(path, within) else {
        return Err(invalid(format!("Embark cannot filter on {path}: it is not an attribute Embark stores, or not one it can search.")));
    };
    let AttrExp::Comparison(_, operator, value) = expression else {
        return Ok(Condition::Present(column));
    };
    let comparison = match operator {
        CompareOp::Eq => Comparison::Eq,
        CompareOp::Ne => Comparison::Ne,
        CompareOp::Co => Comparison::Contains,
        CompareOp::Sw => Comparison::StartsWith,
        CompareOp::Ew => Comparison::EndsWith,
        CompareOp::Gt => Comparison::Greater,
        CompareOp::Ge => Comparison::GreaterOrEqual,
        CompareOp::Lt => Comparison::Less,
        CompareOp::Le => Comparison::LessOrEqual,
    };
    let value = match (kind, value) {
        (Kind::Text, CompValue::Str(text)) => FilterValue::Text(text.to_lowercase()),
        (Kind::ExactText, CompValue::Str(text)) => FilterValue::Text(text.clone()),
        (Kind::Bool, CompValue::True) => FilterValue::Bool(true),
        (Kind::Bool, CompValue::False) => FilterValue::Bool(false),
        (Kind::Time, CompValue::Str(text)) => FilterValue::Time(
            time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                .map_err(|_| invalid(format!("{path} compares with a date and time such as \"2026-11-28T12:00:00Z\", not \"{text}\".")))?,
        ),
        (_, CompValue::Null) => {
            // `eq null` is "absent" (RFC 7644 §3.4.2.2); `ne null`, present.
            let present = Condition::Present(column);
            return match comparison {
                Comparison::Eq => Ok(Condition::Not(Box::new(present))),
                Comparison::Ne => Ok(present),
                _ => Err(invalid(format!("{path} can only be compared with null by eq or ne."))),
            };
        }
        _ => return Err(invalid(format!("{path} is compared with a {} value.", describe(kind)))),
    };
    let ordering = matches!(comparison, Comparison::Greater | Comparison::GreaterOrEqual | Comparison::Less | Comparison::LessOrEqual);
    let substring = matches!(comparison, Comparison::Contains | Comparison::StartsWith | Comparison::EndsWith);
    if (kind == Kind::Bool && (ordering || substring)) || (kind == Kind::Time && substring) {
        return Err(invalid(format!("{path} cannot be compared with {operator}.")));
    }
    if comparison == Comparison::Eq && column.is_user_name() {
        if let FilterValue::Text(text) = &value {
            return Ok(Condition::SignInNameIs(normalize_identifier(text)));
        }
    }
    Ok(Condition::Compare(column, comparison, value))
}

fn describe(kind: Kind) -> &'static str {
    match kind {
        Kind::Text | Kind::ExactText => "string",
        Kind::Bool => "boolean (true or false)",
        Kind::Time => "date and time",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_use_the_indexed_sign_in_names() {
        assert_eq!(users(r#"userName eq "Ada@Example.com""#).unwrap(), Condition::SignInNameIs("ada@example.com".to_owned()));
    }

    #[test]
    fn value_paths_and_logic_map_to_columns() {
        let condition = users(r#"emails[type eq "work" and value co "@acme"] or not (active eq false)"#).unwrap();
        let Condition::Any(parts) = condition else { panic!("an or") };
        assert_eq!(parts.len(), 2);
        assert!(matches!(&parts[1], Condition::Not(_)));
    }

    #[test]
    fn unknown_attributes_and_nonsense_operators_are_invalid_filters() {
        for text in [r#"password eq "x""#, r#"active co "t""#, r#"meta.created gt "yesterday""#, "userName eq", r#"((((userName pr"#] {
            let error = users(text).unwrap_err();
            assert_eq!((error.status, error.scim_type), (400, Some("invalidFilter")), "{text}");
        }
        assert_eq!(users(&"a".repeat(MAX_FILTER_BYTES + 1)).unwrap_err().scim_type, Some("tooMany"));
    }

    #[test]
    fn group_members_are_filtered_by_id() {
        assert!(matches!(
            groups(r#"members[value eq "0190c0de-0000-7000-8000-000000000000"]"#).unwrap(),
            Condition::Compare(GroupColumn::MemberId, Comparison::Eq, _)
        ));
    }
}
