//! Request plumbing: cross-site request refusal, who is signed in, which
//! pages they may open, security headers, and log spans without secrets.

use app::api::auth::Viewer;
use app::server::client::ClientAddress;
use app::server::AppState;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use tower_sessions::Session;

/// The origin (scheme://host[:port]) of the configured public URL.
#[derive(Clone)]
pub struct AllowedOrigin(Arc<str>);

impl AllowedOrigin {
    pub fn new(public_url: &str) -> Self {
        let after_scheme = public_url.find("://").map_or(0, |i| i + 3);
        let end = public_url[after_scheme..].find('/').map_or(public_url.len(), |i| after_scheme + i);
        Self(public_url[..end].to_ascii_lowercase().into())
    }
}

/// SECURITY: CSRF protection for every state-changing request (SECURITY.md
/// rule 11) by a strict origin check, as browsers report it: the Fetch
/// Metadata header `Sec-Fetch-Site` must say same-origin (or `none`, a
/// person's own navigation), or, from browsers without it, `Origin` must be
/// the configured public origin. A request with neither is refused.
pub async fn csrf_guard(State(allowed): State<AllowedOrigin>, request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(request).await;
    }
    let headers = request.headers();
    let verdict = match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some("same-origin" | "none") => true,
        Some(_) => false,
        None => headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()).is_some_and(|origin| origin.eq_ignore_ascii_case(&allowed.0)),
    };
    if verdict {
        next.run(request).await
    } else {
        tracing::warn!(path = %request.uri().path(), "refused a cross-site state-changing request");
        (StatusCode::FORBIDDEN, "This request came from another site and was refused. Go back to Embark and try again.").into_response()
    }
}

/// Works out the client's address ([`app::server::client::resolve`]) for
/// throttling and the audit log.
pub async fn client_address(State(trusted): State<Arc<[ipnet::IpNet]>>, mut request: Request, next: Next) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
    let forwarded_for = request.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let client = app::server::client::resolve(peer, forwarded_for, &trusted);
    request.extensions_mut().insert(ClientAddress(client));
    next.run(request).await
}

/// Paths that never need the session (static files, health).
fn is_sessionless(path: &str) -> bool {
    path.starts_with("/pkg/") || path == "/healthz" || path == "/favicon.ico"
}

/// Turns the session into a [`Viewer`] request extension, ending sessions
/// whose account was deactivated, changed its password, or timed out.
pub async fn resolve_viewer(State(state): State<AppState>, session: Session, mut request: Request, next: Next) -> Response {
    if !is_sessionless(request.uri().path()) {
        match app::server::session::resolve_viewer(&state, &session, time::OffsetDateTime::now_utc()).await {
            Ok(Some(viewer)) => {
                request.extensions_mut().insert(viewer);
            }
            Ok(None) => {}
            Err(error) => {
                tracing::error!(error = %error, "could not resolve the session");
                return crate::routes::error_page(StatusCode::SERVICE_UNAVAILABLE, "Embark can't reach its database right now. Please try again in a minute.");
            }
        }
    }
    next.run(request).await
}

/// Who may open a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Anyone,
    SignedIn,
    /// The admin panel's people work: people admins and owners.
    PeopleAdmin,
    /// The organisation's settings, single sign-on and integrations.
    Owner,
}

/// The admin pages only owners may open (single sign-on is under settings);
/// the rest of `/admin` is for people admins too.
const OWNER_PAGES: [&str; 2] = ["/admin/settings", "/admin/integrations"];

/// Deny by default: a path is open to anyone only when listed here. Server
/// functions (`/api/…`) authorise themselves, each stating who may call it.
pub fn access_for(path: &str) -> Access {
    const OPEN: [&str; 5] = ["/sign-in", "/setup", "/claim", "/healthz", "/favicon.ico"];
    const OPEN_PREFIXES: [&str; 5] = ["/setup/", "/claim/", "/sso/", "/pkg/", "/api/"];
    let under = |page: &str| path == page || path.strip_prefix(page).is_some_and(|rest| rest.starts_with('/'));
    if OWNER_PAGES.into_iter().any(under) {
        Access::Owner
    } else if under("/admin") {
        Access::PeopleAdmin
    } else if OPEN.contains(&path) || OPEN_PREFIXES.iter().any(|prefix| path.starts_with(prefix)) {
        Access::Anyone
    } else {
        Access::SignedIn
    }
}

/// Sends people who are not signed in to the sign-in page, and answers
/// those whose role does not reach a page with a 403 page saying why.
pub async fn page_access(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let viewer = request.extensions().get::<Viewer>().cloned();
    match (access_for(&path), viewer) {
        (Access::Anyone, _) => next.run(request).await,
        (Access::SignedIn, Some(_)) => next.run(request).await,
        (Access::PeopleAdmin, Some(viewer)) if viewer.manages_people() => next.run(request).await,
        (Access::Owner, Some(viewer)) if viewer.is_owner() => next.run(request).await,
        (Access::PeopleAdmin, Some(_)) => crate::routes::forbidden_page(),
        (Access::Owner, Some(_)) => crate::routes::owners_only_page(),
        (_, None) => {
            let next_path = request.uri().path_and_query().map_or(path.clone(), |pq| pq.as_str().to_owned());
            let encoded: String = form_urlencoded::byte_serialize(next_path.as_bytes()).collect();
            Redirect::to(&format!("/sign-in?next={encoded}")).into_response()
        }
    }
}

/// Headers every response carries.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let is_asset = request.uri().path().starts_with("/pkg/");
    // Claim pages may carry a token (a typed or scanned access code): the
    // address never goes to another site (SECURITY.md rule 7).
    let is_claim = request.uri().path().starts_with("/claim");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Pages the app renders carry their own policy with a script nonce
    // (app::shell); everything else (plain pages, redirects, files) runs no
    // script at all.
    headers.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(
        "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ));
    headers.entry(header::REFERRER_POLICY).or_insert(HeaderValue::from_static(if is_claim { "no-referrer" } else { "strict-origin-when-cross-origin" }));
    if !is_asset {
        // Pages show personal data: keep them out of shared caches and history.
        headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    }
    response
}

/// A log span that names the route pattern, never the raw path (which may
/// carry a token) nor the query string.
pub fn request_span(request: &Request) -> tracing::Span {
    let route = request.extensions().get::<MatchedPath>().map_or_else(|| redacted_path(request.uri().path()), |matched| matched.as_str().to_owned());
    tracing::info_span!("request", method = %request.method(), route = %route)
}

/// Static paths as they are; anything under a token-bearing prefix cut off.
fn redacted_path(path: &str) -> String {
    for prefix in ["/setup/", "/claim/"] {
        if path.starts_with(prefix) {
            return format!("{prefix}…");
        }
    }
    path.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_closed_unless_listed_open() {
        assert_eq!(access_for("/admin"), Access::PeopleAdmin);
        assert_eq!(access_for("/admin/people"), Access::PeopleAdmin);
        assert_eq!(access_for("/admin/settings"), Access::Owner);
        assert_eq!(access_for("/admin/settings/sso"), Access::Owner);
        assert_eq!(access_for("/admin/integrations"), Access::Owner);
        assert_eq!(access_for("/admin/settingsx"), Access::PeopleAdmin);
        assert_eq!(access_for("/administrator"), Access::SignedIn);
        assert_eq!(access_for("/"), Access::SignedIn);
        assert_eq!(access_for("/some/unknown/page"), Access::SignedIn);
        assert_eq!(access_for("/sign-in"), Access::Anyone);
        assert_eq!(access_for("/pkg/embark.js"), Access::Anyone);
    }

    #[test]
    fn the_allowed_origin_is_scheme_host_and_port() {
        assert_eq!(&*AllowedOrigin::new("https://Embark.example.com/base").0, "https://embark.example.com");
        assert_eq!(&*AllowedOrigin::new("http://127.0.0.1:3000").0, "http://127.0.0.1:3000");
    }

    #[test]
    fn token_paths_are_redacted_in_logs() {
        assert_eq!(redacted_path("/claim/abc123"), "/claim/…");
        assert_eq!(redacted_path("/pkg/embark.js"), "/pkg/embark.js");
    }
}
