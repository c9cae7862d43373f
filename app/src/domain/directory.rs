//! Directory sync: the settings of the organisation's LDAP directory
//! (Active Directory or OpenLDAP) as typed on its page, valid by
//! construction.

use super::{FieldError, FieldErrors};
use serde::{Deserialize, Serialize};

/// Active Directory's people, leaving out disabled accounts (bit 2 of
/// `userAccountControl`, matched with the bitwise-AND rule).
pub const ACTIVE_DIRECTORY_FILTER: &str = "(&(objectCategory=person)(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))";
/// OpenLDAP's `inetOrgPerson` entries, leaving out accounts the password
/// policy overlay locked for good (`pwdAccountLockedTime` of 000001010000Z).
pub const OPENLDAP_FILTER: &str = "(&(objectClass=inetOrgPerson)(!(pwdAccountLockedTime=000001010000Z)))";

/// Which kind of directory: decides the suggested filter and attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(type_name = "directory_kind", rename_all = "snake_case"))]
#[serde(rename_all = "snake_case")]
pub enum DirectoryKind {
    #[default]
    ActiveDirectory,
    OpenLdap,
}

impl DirectoryKind {
    pub const ALL: [DirectoryKind; 2] = [Self::ActiveDirectory, Self::OpenLdap];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ActiveDirectory => "active_directory",
            Self::OpenLdap => "open_ldap",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::ActiveDirectory => "Active Directory",
            Self::OpenLdap => "OpenLDAP (inetOrgPerson)",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    pub fn suggested_filter(self) -> &'static str {
        match self {
            Self::ActiveDirectory => ACTIVE_DIRECTORY_FILTER,
            Self::OpenLdap => OPENLDAP_FILTER,
        }
    }

    pub fn suggested_attributes(self) -> AttributeMap {
        match self {
            Self::ActiveDirectory => AttributeMap::active_directory(),
            Self::OpenLdap => AttributeMap::openldap(),
        }
    }
}

/// How the connection to the directory is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(type_name = "directory_security", rename_all = "snake_case"))]
#[serde(rename_all = "snake_case")]
pub enum DirectorySecurity {
    /// `ldaps://`: TLS from the first byte.
    #[default]
    Ldaps,
    /// `ldap://` upgraded with StartTLS before anything is sent.
    StartTls,
    /// `ldap://` unencrypted: only when an admin has said they accept it.
    Plain,
}

impl DirectorySecurity {
    pub const ALL: [DirectorySecurity; 3] = [Self::Ldaps, Self::StartTls, Self::Plain];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ldaps => "ldaps",
            Self::StartTls => "start_tls",
            Self::Plain => "plain",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Ldaps => "TLS (an ldaps:// address, usually port 636)",
            Self::StartTls => "StartTLS (an ldap:// address, usually port 389)",
            Self::Plain => "No encryption (an ldap:// address): the bind password and everyone's details cross the network readable",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// What a sync does with people it no longer finds (they left the filter,
/// were disabled or deleted from the directory).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(type_name = "directory_departure", rename_all = "snake_case"))]
#[serde(rename_all = "snake_case")]
pub enum DirectoryDeparture {
    /// Deactivated, like the admin action: sessions, links and queued mail
    /// end at once.
    Deactivate,
    /// Only listed in the sync's preview; an admin decides.
    #[default]
    Report,
}

impl DirectoryDeparture {
    pub const ALL: [DirectoryDeparture; 2] = [Self::Report, Self::Deactivate];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deactivate => "deactivate",
            Self::Report => "report",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Report => "Only report them in the sync's preview (you deactivate them yourself)",
            Self::Deactivate => "Deactivate them: their sessions, claim links and unsent invitations end at once",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == raw)
    }
}

/// How often a scheduled sync runs, in minutes, as offered on the page;
/// None is "only when an admin presses Sync now".
pub const SYNC_INTERVALS: [(Option<i32>, &str); 6] = [
    (None, "Only when I press Sync now"),
    (Some(15), "Every 15 minutes"),
    (Some(60), "Every hour"),
    (Some(240), "Every 4 hours"),
    (Some(720), "Every 12 hours"),
    (Some(1440), "Once a day"),
];

/// What a sync does besides reading: valid by construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SyncRules {
    pub departures: DirectoryDeparture,
    pub invite_automatically: bool,
    /// One of [`SYNC_INTERVALS`].
    pub every_minutes: Option<i32>,
}

impl SyncRules {
    /// The rules form: `every` is empty or a number of minutes the page offers.
    pub fn parse(departures: &str, invite_automatically: bool, every: &str) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let departures = DirectoryDeparture::parse(departures);
        if departures.is_none() {
            errors.push(FieldError::new("departures", "Choose what happens to people who leave the directory."));
        }
        let every_minutes = match every.trim() {
            "" => Some(None),
            minutes => minutes.parse::<i32>().ok().filter(|m| SYNC_INTERVALS.iter().any(|(offered, _)| *offered == Some(*m))).map(Some),
        };
        if every_minutes.is_none() {
            errors.push(FieldError::new("every", "Choose how often Embark syncs."));
        }
        match (departures, every_minutes) {
            (Some(departures), Some(every_minutes)) if errors.is_empty() => Ok(Self { departures, invite_automatically, every_minutes }),
            _ => Err(errors),
        }
    }
}

/// The attribute fields' form names and labels, in the order of
/// [`AttributeMap::values`].
pub const ATTRIBUTE_FIELDS: [(&str, &str); 9] = [
    ("attr_email", "Email"),
    ("attr_external_id", "External ID"),
    ("attr_full_name", "Full name"),
    ("attr_title", "Title"),
    ("attr_department", "Department"),
    ("attr_location", "Location"),
    ("attr_phone", "Phone"),
    ("attr_manager", "Manager (a DN)"),
    ("attr_groups", "Groups (DNs, e.g. memberOf)"),
];

/// Which attribute holds each of a person's details. Each names one
/// attribute or several separated by commas, the first present winning
/// (`mail, userPrincipalName`); an empty one is not read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributeMap {
    pub email: String,
    pub external_id: String,
    pub full_name: String,
    pub title: String,
    pub department: String,
    pub location: String,
    pub phone: String,
    /// The manager's DN (resolved to a person within the same sync).
    pub manager: String,
    /// The DNs of the groups the person is in (`memberOf`); empty: no group sync.
    pub groups: String,
}

impl AttributeMap {
    pub fn active_directory() -> Self {
        Self {
            email: "mail, userPrincipalName".to_owned(),
            external_id: "objectGUID".to_owned(),
            full_name: "displayName, cn".to_owned(),
            title: "title".to_owned(),
            department: "department".to_owned(),
            location: "l, physicalDeliveryOfficeName".to_owned(),
            phone: "telephoneNumber, mobile".to_owned(),
            manager: "manager".to_owned(),
            groups: "memberOf".to_owned(),
        }
    }

    pub fn openldap() -> Self {
        Self {
            email: "mail".to_owned(),
            external_id: "entryUUID".to_owned(),
            full_name: "displayName, cn".to_owned(),
            title: "title".to_owned(),
            department: "departmentNumber, ou".to_owned(),
            location: "l".to_owned(),
            phone: "telephoneNumber, mobile".to_owned(),
            manager: "manager".to_owned(),
            groups: "memberOf".to_owned(),
        }
    }

    /// The nine values, in [`ATTRIBUTE_FIELDS`] order.
    pub fn values(&self) -> [&str; 9] {
        [&self.email, &self.external_id, &self.full_name, &self.title, &self.department, &self.location, &self.phone, &self.manager, &self.groups]
    }

    /// Each field's form name, label and value.
    pub fn fields(&self) -> [(&'static str, &'static str, &str); 9] {
        let values = self.values();
        std::array::from_fn(|i| (ATTRIBUTE_FIELDS[i].0, ATTRIBUTE_FIELDS[i].1, values[i]))
    }

    /// The attribute names of one field, in order.
    pub fn names(spec: &str) -> impl Iterator<Item = &str> {
        spec.split(',').map(str::trim).filter(|n| !n.is_empty())
    }
}

/// The directory's settings as typed on its page.
pub struct DirectoryFields<'a> {
    pub kind: &'a str,
    pub url: &'a str,
    pub security: &'a str,
    /// "I understand" ticked beside an unencrypted connection.
    pub plain_understood: bool,
    pub ca_certificate: &'a str,
    pub bind_dn: &'a str,
    /// Empty keeps the password already saved.
    pub bind_password: &'a str,
    pub base_dn: &'a str,
    pub filter: &'a str,
    /// Empty: groups come only from the people's group attribute.
    pub group_filter: &'a str,
    /// The nine attribute fields, in [`ATTRIBUTE_FIELDS`] order.
    pub attributes: [&'a str; 9],
}

/// The directory's settings, valid by construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectorySettings {
    pub kind: DirectoryKind,
    pub url: String,
    pub security: DirectorySecurity,
    pub ca_certificate: Option<String>,
    pub bind_dn: String,
    /// None keeps the saved password.
    pub bind_password: Option<String>,
    pub base_dn: String,
    pub filter: String,
    /// Finds group entries whose `member` / `uniqueMember` values name
    /// their people, for directories without `memberOf`.
    pub group_filter: Option<String>,
    pub attributes: AttributeMap,
}

impl DirectorySettings {
    pub fn parse(fields: &DirectoryFields<'_>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let kind = DirectoryKind::parse(fields.kind);
        if kind.is_none() {
            errors.push(FieldError::new("kind", "Choose the kind of directory."));
        }
        let security = DirectorySecurity::parse(fields.security);
        if security.is_none() {
            errors.push(FieldError::new("security", "Choose how the connection is protected."));
        }
        let url = fields.url.trim().trim_end_matches('/');
        let scheme = url.split_once("://").map(|(scheme, rest)| (scheme.to_ascii_lowercase(), rest));
        match (&scheme, security) {
            (Some((scheme, host)), _) if (scheme != "ldaps" && scheme != "ldap") || host.is_empty() || host.contains(['/', '?', ' ']) => {
                errors.push(FieldError::new("url", "Enter the directory's address, like ldaps://dc1.example.com or ldap://ldap.example.com:389."));
            }
            (None, _) => errors.push(FieldError::new("url", "Enter the directory's address, like ldaps://dc1.example.com or ldap://ldap.example.com:389.")),
            (Some((scheme, _)), Some(DirectorySecurity::Ldaps)) if scheme != "ldaps" => {
                errors.push(FieldError::new("url", "TLS needs an ldaps:// address. For StartTLS, choose StartTLS below."));
            }
            (Some((scheme, _)), Some(DirectorySecurity::StartTls | DirectorySecurity::Plain)) if scheme != "ldap" => {
                errors.push(FieldError::new("url", "StartTLS and unencrypted connections need an ldap:// address."));
            }
            _ => {}
        }
        if security == Some(DirectorySecurity::Plain) && !fields.plain_understood {
            errors.push(FieldError::new("plain_understood", "To connect without encryption, tick “I understand”; otherwise choose TLS or StartTLS."));
        }
        let ca = fields.ca_certificate.trim();
        if !ca.is_empty() && (!ca.contains("-----BEGIN CERTIFICATE-----") || ca.len() > 64 * 1024) {
            errors.push(FieldError::new("ca_certificate", "Paste the certificate in PEM form, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----."));
        }
        let one_line = |value: &str, limit: usize| !value.chars().any(char::is_control) && value.chars().count() <= limit;
        let bind_dn = fields.bind_dn.trim();
        if bind_dn.is_empty() || !one_line(bind_dn, 1_000) {
            errors.push(FieldError::new(
                "bind_dn",
                "Enter the DN of the account Embark reads the directory as (e.g. CN=Embark,OU=Service Accounts,DC=example,DC=com).",
            ));
        }
        if !one_line(fields.bind_password, 1_000) {
            errors.push(FieldError::new("bind_password", "The password is one line of at most 1,000 characters."));
        }
        let base_dn = fields.base_dn.trim();
        if base_dn.is_empty() || !one_line(base_dn, 1_000) {
            errors.push(FieldError::new("base_dn", "Enter the DN under which people are found (e.g. DC=example,DC=com)."));
        }
        let filter = fields.filter.trim();
        if !filter.starts_with('(') || !filter.ends_with(')') || !one_line(filter, 4_000) || !balanced(filter) {
            errors.push(FieldError::new("filter", "Enter an LDAP search filter in parentheses, e.g. (objectClass=inetOrgPerson)."));
        }
        let group_filter = fields.group_filter.trim();
        if !group_filter.is_empty()
            && (!group_filter.starts_with('(') || !group_filter.ends_with(')') || !one_line(group_filter, 4_000) || !balanced(group_filter))
        {
            errors.push(FieldError::new("group_filter", "Enter an LDAP search filter in parentheses, e.g. (objectClass=groupOfNames), or leave it empty."));
        }
        let [email, external_id, full_name, title, department, location, phone, manager, groups] = std::array::from_fn(|i| {
            let ((name, label), raw) = (ATTRIBUTE_FIELDS[i], fields.attributes[i]);
            let cleaned = AttributeMap::names(raw).collect::<Vec<_>>().join(", ");
            let valid = AttributeMap::names(raw).all(|n| n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.') && n.len() <= 100);
            if !valid {
                errors.push(FieldError::new(name, format!("{label}: attribute names are letters, digits and hyphens, separated by commas.")));
            } else if cleaned.is_empty() && matches!(name, "attr_email" | "attr_external_id") {
                errors.push(FieldError::new(name, format!("{label}: name the attribute Embark reads it from.")));
            }
            cleaned
        });
        let attributes = AttributeMap { email, external_id, full_name, title, department, location, phone, manager, groups };
        match (kind, security) {
            (Some(kind), Some(security)) if errors.is_empty() => Ok(Self {
                kind,
                url: url.to_owned(),
                security,
                ca_certificate: (!ca.is_empty()).then(|| ca.to_owned()),
                bind_dn: bind_dn.to_owned(),
                bind_password: (!fields.bind_password.is_empty()).then(|| fields.bind_password.to_owned()),
                base_dn: base_dn.to_owned(),
                filter: filter.to_owned(),
                group_filter: (!group_filter.is_empty()).then(|| group_filter.to_owned()),
                attributes,
            }),
            _ => Err(errors),
        }
    }
}

/// Whether a filter's parentheses pair up (escaped ones are written \28 and
/// \29, so every literal parenthesis counts). The directory checks the rest.
fn balanced(filter: &str) -> bool {
    let mut depth = 0i32;
    for c in filter.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            return false;
        }
    }
    depth == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields<'a>(url: &'a str, security: &'a str, attributes: [&'a str; 9]) -> DirectoryFields<'a> {
        DirectoryFields {
            kind: "open_ldap",
            url,
            security,
            plain_understood: false,
            ca_certificate: "",
            bind_dn: "cn=embark,dc=example,dc=com",
            bind_password: "secret",
            base_dn: "dc=example,dc=com",
            filter: OPENLDAP_FILTER,
            group_filter: "",
            attributes,
        }
    }

    const ATTRIBUTES: [&str; 9] = ["mail", "entryUUID", "cn", "title", "ou", "l", "telephoneNumber", "manager", "memberOf"];

    #[test]
    fn the_address_must_agree_with_the_protection() {
        assert!(DirectorySettings::parse(&fields("ldaps://dc1.example.com:636/", "ldaps", ATTRIBUTES)).is_ok_and(|s| s.url == "ldaps://dc1.example.com:636"));
        assert!(DirectorySettings::parse(&fields("ldap://dc1.example.com", "start_tls", ATTRIBUTES)).is_ok());
        for (url, security) in
            [("ldap://dc1.example.com", "ldaps"), ("ldaps://dc1.example.com", "plain"), ("https://dc1.example.com", "ldaps"), ("dc1", "ldaps")]
        {
            let errors = DirectorySettings::parse(&fields(url, security, ATTRIBUTES)).unwrap_err();
            assert!(errors.for_field("url").is_some(), "{url} {security}");
        }
        // No encryption only with "I understand" ticked.
        let mut plain = fields("ldap://dc1.example.com", "plain", ATTRIBUTES);
        assert!(DirectorySettings::parse(&plain).unwrap_err().for_field("plain_understood").is_some());
        plain.plain_understood = true;
        assert!(DirectorySettings::parse(&plain).is_ok());
    }

    #[test]
    fn attributes_are_cleaned_and_email_and_external_id_are_required() {
        let mut attributes = ATTRIBUTES;
        attributes[0] = " mail ,, userPrincipalName ";
        let settings = DirectorySettings::parse(&fields("ldaps://dc1", "ldaps", attributes)).unwrap();
        assert_eq!(settings.attributes.email, "mail, userPrincipalName");
        attributes[1] = "";
        attributes[2] = "cn=x";
        let errors = DirectorySettings::parse(&fields("ldaps://dc1", "ldaps", attributes)).unwrap_err();
        assert!(errors.for_field("attr_external_id").is_some() && errors.for_field("attr_full_name").is_some());
    }

    #[test]
    fn filters_need_their_parentheses() {
        let mut typed = fields("ldaps://dc1", "ldaps", ATTRIBUTES);
        for filter in ["objectClass=user", "(&(objectClass=user)", "(a))(", "(cn=x\n)"] {
            typed.filter = filter;
            assert!(DirectorySettings::parse(&typed).unwrap_err().for_field("filter").is_some(), "{filter:?}");
        }
        typed.filter = OPENLDAP_FILTER;
        typed.group_filter = "objectClass=groupOfNames";
        assert!(DirectorySettings::parse(&typed).unwrap_err().for_field("group_filter").is_some());
        typed.group_filter = " (objectClass=groupOfNames) ";
        assert_eq!(DirectorySettings::parse(&typed).unwrap().group_filter.as_deref(), Some("(objectClass=groupOfNames)"));
    }

    #[test]
    fn sync_rules_take_only_what_the_page_offers() {
        let rules = SyncRules::parse("deactivate", true, "60").unwrap();
        assert_eq!(rules, SyncRules { departures: DirectoryDeparture::Deactivate, invite_automatically: true, every_minutes: Some(60) });
        assert_eq!(SyncRules::parse("report", false, "").unwrap().every_minutes, None);
        for every in ["7", "-15", "sixty", "99999"] {
            assert!(SyncRules::parse("report", false, every).unwrap_err().for_field("every").is_some(), "{every}");
        }
        assert!(SyncRules::parse("delete", false, "").unwrap_err().for_field("departures").is_some());
    }
}
