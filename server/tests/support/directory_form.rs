//! The owner's directory settings form for the private OpenLDAP that
//! scripts/test and scripts/bench start (end2end/support/directory.py),
//! shared by the integration tests and the benchmark.

pub const BASE_DN: &str = "dc=embark,dc=test";
pub const BIND_DN: &str = "cn=embark-sync,ou=services,dc=embark,dc=test";
pub const BIND_PASSWORD: &str = "sync-secret-for-tests";

/// The form that saves the directory at `url` over ldaps:// (trusting
/// `ca`), binding with `password` and finding people with `filter`.
pub fn settings_form<'a>(url: &'a str, ca: &'a str, password: &'a str, filter: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("kind", "open_ldap"),
        ("url", url),
        ("security", "ldaps"),
        ("ca_certificate", ca),
        ("bind_dn", BIND_DN),
        ("bind_password", password),
        ("base_dn", BASE_DN),
        ("filter", filter),
        ("attr_email", "mail"),
        ("attr_external_id", "entryUUID"),
        ("attr_full_name", "displayName, cn"),
        ("attr_title", "title"),
        ("attr_department", "departmentNumber"),
        ("attr_location", "l"),
        ("attr_phone", "telephoneNumber"),
        ("attr_manager", "manager"),
        ("attr_groups", "memberOf"),
    ]
}
