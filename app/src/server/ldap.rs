//! Reading the organisation's LDAP directory (Active Directory, OpenLDAP)
//! through the `ldap3` crate: TLS (`ldaps://`, or StartTLS on `ldap://`)
//! verified against the system's certificate authorities or the one an admin
//! pasted, a simple bind, and paged searches (RFC 2696) that map each entry
//! to a person as it arrives, so a directory of any size is read in
//! constant memory. Every step has a timeout, so a directory that answers
//! slowly cannot hold a request; each failure says its reason in words an
//! admin can act on. Embark only reads: it never writes to the directory.

use crate::domain::{AttributeMap, DirectorySecurity};
use ldap3::adapters::{Adapter, EntriesOnly, PagedResults};
use ldap3::{LdapConnAsync, LdapConnSettings, ResultEntry, Scope, SearchEntry};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Connecting, TLS and binding together.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Each page of a search, and each other operation.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(30);
/// Entries asked for per page: below the 1,000 Active Directory allows.
const PAGE_SIZE: i32 = 500;

/// Every attribute the search asks for (operational ones such as
/// `entryUUID` and `memberOf` are only returned when named).
fn requested_attributes(map: &AttributeMap) -> Vec<String> {
    let mut names: Vec<String> = map.values().into_iter().flat_map(AttributeMap::names).map(str::to_owned).collect();
    names.sort_unstable_by_key(|n| n.to_ascii_lowercase());
    names.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    if names.is_empty() {
        // RFC 4511: "1.1" asks for no attributes at all.
        names.push("1.1".to_owned());
    }
    names
}

/// Where and how to read the directory.
pub struct Directory<'a> {
    pub url: &'a str,
    pub security: DirectorySecurity,
    /// PEM certificates of the authorities to trust instead of the system's.
    pub ca_certificate_pem: Option<&'a str>,
    /// Never empty: Embark does not bind anonymously.
    pub bind_dn: &'a str,
    pub bind_password: &'a str,
    pub base_dn: &'a str,
    pub filter: &'a str,
    pub attributes: &'a AttributeMap,
}

/// A group entry and the DNs its `member` / `uniqueMember` values name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectoryGroup {
    pub dn: String,
    pub member_dns: Vec<String>,
}

/// One person as the directory describes them, mapped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectoryEntry {
    pub dn: String,
    pub email: Option<String>,
    pub external_id: Option<String>,
    pub full_name: Option<String>,
    pub title: Option<String>,
    pub department: Option<String>,
    pub location: Option<String>,
    pub phone: Option<String>,
    pub manager_dn: Option<String>,
    pub group_dns: Vec<String>,
}

/// What "Test connection" reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// Entries the filter finds under the base DN.
    pub found: usize,
    pub example: Option<DirectoryEntry>,
}

/// Why the directory could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LdapError {
    #[error("“{0}” is not an LDAP address. Write it like ldaps://dc1.example.com or ldap://ldap.example.com:389.")]
    BadUrl(String),
    #[error("An ldaps:// address is encrypted from the first byte; StartTLS and unencrypted connections need an ldap:// address.")]
    SchemeMismatch,
    #[error("There is no bind DN. Enter the DN of the account Embark reads the directory as.")]
    NoBindDn,
    #[error("The CA certificate could not be read ({0}). Paste it in PEM form, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----.")]
    BadCaCertificate(String),
    #[error("Embark could not connect to {address}: {reason}. Check the host name and port, and that this server may reach the directory.")]
    Unreachable { address: String, reason: String },
    #[error("The directory at {0} did not answer in time.")]
    TimedOut(String),
    #[error("The directory's certificate was not accepted: {0}.")]
    Certificate(String),
    #[error("The directory did not accept StartTLS ({0}). Use an ldaps:// address, or check that TLS is configured on the directory.")]
    StartTlsRefused(String),
    #[error("The directory refused the bind DN or password (invalid credentials).")]
    InvalidCredentials,
    #[error("The base DN “{0}” does not exist in the directory, or the bind account may not read it.")]
    NoSuchBase(String),
    #[error(
        "The search filter is not a valid LDAP filter (RFC 4515): check its parentheses, and write *, (, ) and \\ inside values as \\2a, \\28, \\29 and \\5c."
    )]
    BadFilter,
    #[error("The directory refused the {operation}: {message} (LDAP result code {code}).")]
    Refused { operation: &'static str, code: u32, message: String },
    #[error("The directory sent an answer Embark could not read ({0}).")]
    Protocol(String),
}

/// One attribute-value pair of a DN, unescaped (RFC 4514), and whether it
/// begins a new RDN (`,`) or continues a multi-valued one (`+`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnPart {
    pub attribute: String,
    pub value: String,
    pub continues_rdn: bool,
}

/// Splits a DN into its attribute-value pairs, unescaping `\,`, `\+`,
/// `\2C`-style hex pairs and the rest. None when it is not a DN.
pub fn parse_dn(dn: &str) -> Option<Vec<DnPart>> {
    let bytes = dn.as_bytes();
    let mut parts = Vec::new();
    let (mut attribute, mut value) = (Vec::new(), Vec::new());
    let (mut in_value, mut continues_rdn) = (false, false);
    let mut i = 0;
    let finish = |attribute: &mut Vec<u8>, value: &mut Vec<u8>, continues_rdn: bool, parts: &mut Vec<DnPart>| -> Option<()> {
        let attribute = String::from_utf8(std::mem::take(attribute)).ok()?.trim().to_owned();
        let value = String::from_utf8(std::mem::take(value)).ok()?.trim().to_owned();
        if attribute.is_empty() {
            return None;
        }
        parts.push(DnPart { attribute, value, continues_rdn });
        Some(())
    };
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if in_value => {
                let pair = bytes.get(i + 1..i + 3).filter(|pair| pair.iter().all(u8::is_ascii_hexdigit));
                match pair.and_then(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()) {
                    Some(byte) => {
                        value.push(byte);
                        i += 3;
                    }
                    None => {
                        value.push(*bytes.get(i + 1)?);
                        i += 2;
                    }
                }
                continue;
            }
            separator @ (b',' | b'+' | b';') if in_value => {
                finish(&mut attribute, &mut value, continues_rdn, &mut parts)?;
                continues_rdn = separator == b'+';
                in_value = false;
            }
            b'=' if !in_value => in_value = true,
            byte if in_value => value.push(byte),
            byte => attribute.push(byte),
        }
        i += 1;
    }
    if in_value {
        finish(&mut attribute, &mut value, continues_rdn, &mut parts)?;
    } else if !attribute.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    Some(parts)
}

/// A DN in one canonical form, so that two spellings of the same DN compare
/// equal (`cn=O\2C Brien\+x, OU=Sales` and `CN=o\, brien\2Bx,ou=sales`): types
/// and values lowercased (the usual case-insensitive matching), escapes
/// made uniform. A string that is not a DN is its own lowercase.
pub fn dn_key(dn: &str) -> String {
    let Some(parts) = parse_dn(dn) else {
        return dn.to_lowercase();
    };
    let mut key = String::with_capacity(dn.len());
    for (index, part) in parts.iter().enumerate() {
        if index > 0 {
            key.push(if part.continues_rdn { '+' } else { ',' });
        }
        key.push_str(&part.attribute.to_lowercase());
        key.push('=');
        for c in part.value.to_lowercase().chars() {
            match c {
                ',' | '+' | '=' | '\\' | ';' | '"' | '<' | '>' => key.push_str(&format!("\\{:02x}", c as u32)),
                c => key.push(c),
            }
        }
    }
    key
}

/// Active Directory's 16-byte `objectGUID`, written the way Windows shows
/// it (the first three fields little-endian).
pub fn windows_guid(bytes: &[u8]) -> Option<String> {
    let bytes: [u8; 16] = bytes.try_into().ok()?;
    Some(uuid::Uuid::from_bytes_le(bytes).hyphenated().to_string())
}

/// Binds and counts the entries the filter finds (asking for no
/// attributes), then reads the first one mapped: what "Test connection"
/// shows.
pub async fn probe(settings: &Directory<'_>) -> Result<Probe, LdapError> {
    let mut ldap = connect(settings).await?;
    let mut first_dn = None;
    let found = search(&mut ldap, settings, settings.base_dn, Scope::Subtree, settings.filter, vec!["1.1".to_owned()], |entry| {
        first_dn.get_or_insert(entry.dn);
    })
    .await?;
    let mut example = None;
    if let Some(dn) = first_dn {
        let map = settings.attributes;
        search(&mut ldap, settings, &dn, Scope::Base, "(objectClass=*)", requested_attributes(map), |entry| example = Some(map_entry(entry, map))).await?;
    }
    let _ = ldap.unbind().await;
    Ok(Probe { found, example })
}

/// Reads every entry the filter finds, page by page, handing each to
/// `on_entry` mapped, and returns how many there were.
pub async fn read_all(settings: &Directory<'_>, mut on_entry: impl FnMut(DirectoryEntry)) -> Result<usize, LdapError> {
    let mut ldap = connect(settings).await?;
    let map = settings.attributes;
    let count =
        search(&mut ldap, settings, settings.base_dn, Scope::Subtree, settings.filter, requested_attributes(map), |entry| on_entry(map_entry(entry, map)))
            .await?;
    let _ = ldap.unbind().await;
    Ok(count)
}

/// Reads every group entry `group_filter` finds under the base DN with the
/// DNs of its members, for directories whose people carry no `memberOf`.
/// (Active Directory hands out at most 1,500 values of a large group's
/// `member` at a time; read its groups through `memberOf` instead.)
pub async fn read_groups(settings: &Directory<'_>, group_filter: &str) -> Result<Vec<DirectoryGroup>, LdapError> {
    let mut ldap = connect(settings).await?;
    let mut groups = Vec::new();
    let attributes = vec!["member".to_owned(), "uniqueMember".to_owned()];
    search(&mut ldap, settings, settings.base_dn, Scope::Subtree, group_filter, attributes, |entry| {
        // `uniqueMember` may end in an optional UID (`…#'0101'B`).
        let member_dns = entry
            .attrs
            .into_iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case("member") || name.eq_ignore_ascii_case("uniqueMember"))
            .flat_map(|(_, values)| values)
            .map(|dn| match dn.rsplit_once("#'") {
                Some((dn, uid)) if uid.ends_with("'B") => dn.to_owned(),
                _ => dn,
            })
            .collect();
        groups.push(DirectoryGroup { dn: entry.dn, member_dns });
    })
    .await?;
    let _ = ldap.unbind().await;
    Ok(groups)
}

/// One paged search (referrals are skipped: Active Directory returns some
/// for its DNS zones when searched from the domain's root).
async fn search(
    ldap: &mut ldap3::Ldap,
    settings: &Directory<'_>,
    base: &str,
    scope: Scope,
    filter: &str,
    attributes: Vec<String>,
    mut on_entry: impl FnMut(SearchEntry),
) -> Result<usize, LdapError> {
    let adapters: Vec<Box<dyn Adapter<'_, String, Vec<String>>>> = vec![Box::new(EntriesOnly::new()), Box::new(PagedResults::new(PAGE_SIZE))];
    let mut search = ldap
        .with_timeout(OPERATION_TIMEOUT)
        .streaming_search_with(adapters, base, scope, filter, attributes)
        .await
        .map_err(|e| classify(e, settings, "search"))?;
    let mut count = 0;
    loop {
        match search.next().await {
            Ok(Some(raw)) => {
                on_entry(construct(raw)?);
                count += 1;
            }
            Ok(None) => break,
            Err(error) => {
                // The result carries the reason (no such base, a bad filter).
                let result = search.finish().await;
                return Err(if result.rc != 0 { from_result(result.rc, &result.text, settings, "search") } else { classify(error, settings, "search") });
            }
        }
    }
    let result = search.finish().await;
    if result.rc != 0 {
        return Err(from_result(result.rc, &result.text, settings, "search"));
    }
    Ok(count)
}

/// Connects, protects the connection as configured, and binds.
async fn connect(settings: &Directory<'_>) -> Result<ldap3::Ldap, LdapError> {
    let url = url::Url::parse(settings.url).map_err(|_| LdapError::BadUrl(settings.url.to_owned()))?;
    let encrypted_scheme = match url.scheme() {
        "ldaps" => true,
        "ldap" => false,
        _ => return Err(LdapError::BadUrl(settings.url.to_owned())),
    };
    if url.host_str().is_none_or(str::is_empty) {
        return Err(LdapError::BadUrl(settings.url.to_owned()));
    }
    match (encrypted_scheme, settings.security) {
        (true, DirectorySecurity::Ldaps) | (false, DirectorySecurity::StartTls | DirectorySecurity::Plain) => {}
        _ => return Err(LdapError::SchemeMismatch),
    }
    if settings.bind_dn.trim().is_empty() {
        return Err(LdapError::NoBindDn);
    }
    let mut options = LdapConnSettings::new().set_conn_timeout(CONNECT_TIMEOUT).set_starttls(settings.security == DirectorySecurity::StartTls);
    if let Some(pem) = settings.ca_certificate_pem.filter(|pem| !pem.trim().is_empty()) {
        options = options.set_config(tls_config(pem)?);
    }
    let connected = tokio::time::timeout(CONNECT_TIMEOUT, async {
        let (connection, mut ldap) = LdapConnAsync::with_settings(options, settings.url).await.map_err(|e| classify(e, settings, "connection"))?;
        ldap3::drive!(connection);
        let bound =
            ldap.with_timeout(CONNECT_TIMEOUT).simple_bind(settings.bind_dn, settings.bind_password).await.map_err(|e| classify(e, settings, "bind"))?;
        if bound.rc != 0 {
            return Err(from_result(bound.rc, &bound.text, settings, "bind"));
        }
        Ok(ldap)
    })
    .await;
    connected.unwrap_or_else(|_| Err(LdapError::TimedOut(address(settings))))
}

/// Trust only the pasted authorities.
fn tls_config(pem: &str) -> Result<Arc<rustls::ClientConfig>, LdapError> {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::CertificateDer;
    let mut roots = rustls::RootCertStore::empty();
    for certificate in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        let certificate = certificate.map_err(|e| LdapError::BadCaCertificate(e.to_string()))?;
        roots.add(certificate).map_err(|e| LdapError::BadCaCertificate(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(LdapError::BadCaCertificate("no certificate found".to_owned()));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| LdapError::BadCaCertificate(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// `host:port`, for messages (never the bind DN or password).
fn address(settings: &Directory<'_>) -> String {
    url::Url::parse(settings.url)
        .ok()
        .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port().unwrap_or(if u.scheme() == "ldaps" { 636 } else { 389 }))))
        .unwrap_or_default()
}

fn classify(error: ldap3::LdapError, settings: &Directory<'_>, operation: &'static str) -> LdapError {
    match error {
        ldap3::LdapError::Io { source } => {
            if let Some(tls) = source.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
                return certificate_problem(tls);
            }
            let reason = match source.kind() {
                std::io::ErrorKind::ConnectionRefused => "nothing is listening on that port (connection refused)".to_owned(),
                std::io::ErrorKind::TimedOut => "the connection timed out".to_owned(),
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::UnexpectedEof if settings.security == DirectorySecurity::Ldaps => {
                    "the connection was closed during the TLS handshake; is this the directory's ldaps:// port?".to_owned()
                }
                _ => source.to_string(),
            };
            LdapError::Unreachable { address: address(settings), reason }
        }
        ldap3::LdapError::Rustls { source } => certificate_problem(&source),
        ldap3::LdapError::Timeout { .. } => LdapError::TimedOut(address(settings)),
        ldap3::LdapError::FilterParsing => LdapError::BadFilter,
        ldap3::LdapError::UrlParsing { .. } | ldap3::LdapError::UnknownScheme(_) => LdapError::BadUrl(settings.url.to_owned()),
        // Before the bind, a refusal can only be the StartTLS request's.
        ldap3::LdapError::LdapResult { result } if operation == "connection" => {
            LdapError::StartTlsRefused(if result.text.trim().is_empty() { format!("LDAP result code {}", result.rc) } else { result.text.trim().to_owned() })
        }
        ldap3::LdapError::LdapResult { result } => from_result(result.rc, &result.text, settings, operation),
        other => LdapError::Protocol(other.to_string()),
    }
}

fn from_result(rc: u32, text: &str, settings: &Directory<'_>, operation: &'static str) -> LdapError {
    match rc {
        49 => LdapError::InvalidCredentials,
        32 => LdapError::NoSuchBase(settings.base_dn.to_owned()),
        87 => LdapError::BadFilter,
        3 | 85 => LdapError::TimedOut(address(settings)),
        _ => LdapError::Refused { operation, code: rc, message: if text.trim().is_empty() { "no reason given".to_owned() } else { text.trim().to_owned() } },
    }
}

fn certificate_problem(error: &rustls::Error) -> LdapError {
    use rustls::CertificateError;
    let reason = match error {
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            "it is signed by a certificate authority Embark does not trust. Paste the certificate of the authority that signed it (PEM) under “CA certificate”"
                .to_owned()
        }
        rustls::Error::InvalidCertificate(CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }) => {
            "it was not issued for this host name. Use the name the certificate was issued for".to_owned()
        }
        rustls::Error::InvalidCertificate(CertificateError::Expired | CertificateError::ExpiredContext { .. }) => "it has expired".to_owned(),
        rustls::Error::InvalidCertificate(other) => format!("{other:?}"),
        other => other.to_string(),
    };
    LdapError::Certificate(reason)
}

/// `SearchEntry::construct` panics on a malformed entry; a directory's bad
/// answer becomes an error instead.
fn construct(raw: ResultEntry) -> Result<SearchEntry, LdapError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| SearchEntry::construct(raw))).map_err(|_| LdapError::Protocol("a malformed entry".to_owned()))
}

fn map_entry(entry: SearchEntry, map: &AttributeMap) -> DirectoryEntry {
    let text: HashMap<String, Vec<String>> = entry.attrs.into_iter().map(|(name, values)| (name.to_ascii_lowercase(), values)).collect();
    let binary: HashMap<String, Vec<Vec<u8>>> = entry.bin_attrs.into_iter().map(|(name, values)| (name.to_ascii_lowercase(), values)).collect();
    let first = |spec: &str| -> Option<String> {
        AttributeMap::names(spec).find_map(|name| {
            let name = name.to_ascii_lowercase();
            let from_text = text.get(&name).and_then(|values| values.iter().map(|v| v.trim()).find(|v| !v.is_empty())).map(str::to_owned);
            from_text.or_else(|| {
                let value = binary.get(&name)?.first()?;
                Some(windows_guid(value).unwrap_or_else(|| value.iter().map(|b| format!("{b:02x}")).collect()))
            })
        })
    };
    let groups = AttributeMap::names(&map.groups).flat_map(|name| text.get(&name.to_ascii_lowercase()).into_iter().flatten()).cloned().collect();
    DirectoryEntry {
        dn: entry.dn,
        email: first(&map.email),
        external_id: first(&map.external_id),
        full_name: first(&map.full_name),
        title: first(&map.title),
        department: first(&map.department),
        location: first(&map.location),
        phone: first(&map.phone),
        manager_dn: first(&map.manager),
        group_dns: groups,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_compare_whatever_their_escapes() {
        assert_eq!(dn_key(r"cn=O\2C Brien\+x,ou=sales,dc=embark"), dn_key(r"CN=o\, brien\2Bx , OU=Sales,dc=EMBARK"));
        assert_ne!(dn_key(r"cn=a\+b,dc=x"), dn_key("cn=a+b=,dc=x"));
        let parts = parse_dn(r"cn=Caf\C3\A9\+Bar+ou=x,dc=y").unwrap();
        assert_eq!((parts[0].value.as_str(), parts[1].attribute.as_str(), parts[1].continues_rdn), ("Café+Bar", "ou", true));
        assert_eq!(parse_dn("not a dn"), None);
    }

    #[test]
    fn guids_read_as_windows_writes_them() {
        let bytes = [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0];
        assert_eq!(windows_guid(&bytes).as_deref(), Some("78563412-bc9a-f0de-1234-56789abcdef0"));
        assert_eq!(windows_guid(&bytes[..15]), None);
    }

    #[test]
    fn requested_attributes_are_each_named_once() {
        let mut map = AttributeMap::openldap();
        map.location = "L, l".to_owned();
        let requested = requested_attributes(&map);
        assert_eq!(requested.iter().filter(|n| n.eq_ignore_ascii_case("l")).count(), 1);
        assert!(requested.contains(&"entryUUID".to_owned()) && requested.contains(&"memberOf".to_owned()));
    }
}
