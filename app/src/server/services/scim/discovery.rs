//! The discovery documents (RFC 7644 §4): what Embark supports and, in its
//! `Schemas`, exactly the attributes it stores. An attribute Embark cannot
//! keep as sent is left out (or read-only), so a client never writes what
//! would not read back.

use super::{list_response, ScimError, ScimReply, EMBARK_SCHEMA, ENTERPRISE_SCHEMA, GROUP_SCHEMA, MAX_PAGE, USER_SCHEMA};
use serde_json::{json, Value};

const SPC_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

#[derive(Clone, Copy)]
enum Mutability {
    ReadWrite,
    /// Embark's own facts (the lifecycle extension): shown, never written.
    ReadOnly,
}

/// One attribute definition (RFC 7643 §7).
fn attribute(name: &str, kind: &str, multi: bool, required: bool, mutability: Mutability, description: &str) -> Value {
    json!({
        "name": name,
        "type": kind,
        "multiValued": multi,
        "description": description,
        "required": required,
        "caseExact": matches!(name, "id" | "externalId" | "value" | "$ref"),
        "mutability": match mutability { Mutability::ReadWrite => "readWrite", Mutability::ReadOnly => "readOnly" },
        "returned": if name == "id" { "always" } else { "default" },
        "uniqueness": match name { "id" | "userName" => "server", _ => "none" },
    })
}

fn text(name: &str, description: &str) -> Value {
    attribute(name, "string", false, false, Mutability::ReadWrite, description)
}

fn complex(name: &str, multi: bool, description: &str, sub_attributes: Vec<Value>) -> Value {
    let mut definition = attribute(name, "complex", multi, false, Mutability::ReadWrite, description);
    definition["subAttributes"] = Value::Array(sub_attributes);
    definition
}

fn reference(name: &str, to: &[&str], description: &str) -> Value {
    let mut definition = attribute(name, "reference", false, false, Mutability::ReadWrite, description);
    definition["referenceTypes"] = json!(to);
    definition
}

fn schema(id: &str, name: &str, description: &str, attributes: Vec<Value>, base: &str) -> Value {
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": id,
        "name": name,
        "description": description,
        "attributes": attributes,
        "meta": { "resourceType": "Schema", "location": format!("{base}/Schemas/{id}") },
    })
}

fn schemas(base: &str) -> Vec<Value> {
    let mut user_name =
        attribute("userName", "string", false, true, Mutability::ReadWrite, "The person's email address, or the username of someone without one.");
    user_name["uniqueness"] = json!("server");
    let user = schema(
        USER_SCHEMA,
        "User",
        "A person in Embark",
        vec![
            user_name,
            text("externalId", "The person's id in the identity provider."),
            complex(
                "name",
                false,
                "The person's name as the identity provider holds it.",
                vec![text("givenName", "Given name."), text("familyName", "Family name.")],
            ),
            // Embark always has a name and a state: neither can be removed.
            attribute("displayName", "string", false, true, Mutability::ReadWrite, "The name Embark shows (given and family name when not sent)."),
            complex("emails", true, "The one email address Embark keeps (work).", vec![text("value", "The address.")]),
            complex("phoneNumbers", true, "The one phone number Embark keeps.", vec![text("value", "The number.")]),
            text("title", "Job title."),
            attribute("active", "boolean", false, true, Mutability::ReadWrite, "False deactivates the person: every session, link and queued email ends."),
        ],
        base,
    );
    let enterprise = schema(
        ENTERPRISE_SCHEMA,
        "EnterpriseUser",
        "Enterprise attributes Embark keeps",
        vec![
            text("employeeNumber", "The person's number in the organisation."),
            text("department", "Department."),
            complex(
                "manager",
                false,
                "The person's manager, a user in Embark.",
                vec![text("value", "The manager's id."), reference("$ref", &["User"], "The manager's URI.")],
            ),
        ],
        base,
    );
    // Returned only when asked for (`attributes=urn:…:embark:2.0:User`), so
    // the usual answers stay as lean as the identity provider's own view.
    let read_only = |name: &str, kind: &str, description: &str| {
        let mut definition = attribute(name, kind, false, false, Mutability::ReadOnly, description);
        definition["returned"] = json!("request");
        definition
    };
    let lifecycle = schema(
        EMBARK_SCHEMA,
        "EmbarkUser",
        "Where the person is in Embark: invited, claimed, how they sign in. Read-only.",
        vec![
            {
                let mut status = read_only("status", "string", "uninvited, invited, claimed or deactivated.");
                status["canonicalValues"] = json!(["uninvited", "invited", "claimed", "deactivated"]);
                status
            },
            read_only("invited", "boolean", "Whether the person was ever invited."),
            read_only("inviteDate", "dateTime", "When the person was (last) invited."),
            read_only("claimed", "boolean", "Whether the person has claimed their account."),
            read_only("claimDate", "dateTime", "When the person claimed their account."),
            {
                let mut method = read_only("signInMethod", "string", "password or sso (single sign-on).");
                method["canonicalValues"] = json!(["password", "sso"]);
                method
            },
        ],
        base,
    );
    let group = schema(
        GROUP_SCHEMA,
        "Group",
        "A group of people in Embark",
        vec![
            {
                let mut name = attribute("displayName", "string", false, true, Mutability::ReadWrite, "The group's name (unique).");
                name["uniqueness"] = json!("server");
                name
            },
            complex("members", true, "The people in the group.", vec![text("value", "The person's id."), reference("$ref", &["User"], "The person's URI.")]),
        ],
        base,
    );
    vec![user, enterprise, lifecycle, group]
}

pub fn schemas_list(base: &str) -> ScimReply {
    let all = schemas(base);
    let total = all.len() as i64;
    ScimReply::ok(list_response(all, total, 1))
}

pub fn schema_by_id(base: &str, id: &str) -> Result<ScimReply, ScimError> {
    schemas(base).into_iter().find(|schema| schema["id"].as_str().is_some_and(|s| s.eq_ignore_ascii_case(id))).map(ScimReply::ok).ok_or_else(|| ScimError {
        status: 404,
        scim_type: None,
        detail: format!("Embark has no schema {id}."),
    })
}

fn resource_types(base: &str) -> Vec<Value> {
    vec![
        json!({
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "People",
            "schema": USER_SCHEMA,
            // The lifecycle extension (`EMBARK_SCHEMA`) is in `Schemas` but
            // not listed here: scim2-tester treats each listed extension as
            // writable and PATCHes even a read-only one. It is returned
            // only on request, so no client meets it unasked.
            "schemaExtensions": [
                { "schema": ENTERPRISE_SCHEMA, "required": false },
            ],
            "meta": { "resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/User") },
        }),
        json!({
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "Groups of people",
            "schema": GROUP_SCHEMA,
            "schemaExtensions": [],
            "meta": { "resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/Group") },
        }),
    ]
}

pub fn resource_types_list(base: &str) -> ScimReply {
    let all = resource_types(base);
    let total = all.len() as i64;
    ScimReply::ok(list_response(all, total, 1))
}

pub fn resource_type_by_id(base: &str, id: &str) -> Result<ScimReply, ScimError> {
    resource_types(base).into_iter().find(|kind| kind["id"].as_str().is_some_and(|s| s.eq_ignore_ascii_case(id))).map(ScimReply::ok).ok_or_else(|| ScimError {
        status: 404,
        scim_type: None,
        detail: format!("Embark has no resource type {id}."),
    })
}

pub fn service_provider_config(base: &str) -> ScimReply {
    let body = json!({
        "schemas": [SPC_SCHEMA],
        "patch": { "supported": true },
        "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
        "filter": { "supported": true, "maxResults": MAX_PAGE },
        "changePassword": { "supported": false },
        "sort": { "supported": false },
        "etag": { "supported": true },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "The integration's token from Embark's Integrations page, as Authorization: Bearer <token>.",
            "primary": true,
        }],
        "meta": { "resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig") },
    });
    ScimReply::ok(body)
}
