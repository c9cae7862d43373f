//! What a server function needs from its request: the state, the session,
//! the signed-in person, and ways to fail that set the right status and log
//! instead of leaking.

use crate::api::auth::Viewer;
use crate::domain::FieldErrors;
use crate::error::AppError;
use crate::server::AppState;
use axum::http::request::Parts;
use axum::http::StatusCode;
use leptos::prelude::{use_context, with_context};
use tower_sessions::Session;

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| internal("AppState is not in the server function's context"))
}

/// The request's session. Only a request carries one: a server function
/// run outside a request (which would be a bug) fails here.
pub async fn session() -> Result<Session, AppError> {
    from_request::<Session>().ok_or_else(|| internal("no session on the request"))
}

/// The signed-in person, as the request middleware resolved them.
pub fn viewer() -> Option<Viewer> {
    from_request::<Viewer>()
}

/// What a middleware put on the request, read in place (`use_context` would
/// clone the whole request head, and a page render asks several times).
fn from_request<T: Clone + Send + Sync + 'static>() -> Option<T> {
    with_context::<Parts, _>(|parts| parts.extensions.get::<T>().cloned()).flatten()
}

/// The client's address, as the request middleware worked it out.
pub fn client_address() -> std::net::IpAddr {
    from_request::<crate::server::client::ClientAddress>().map_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), |client| client.0)
}

/// Authorisation for server functions any signed-in person may call.
pub fn require_signed_in() -> Result<Viewer, AppError> {
    viewer().ok_or_else(|| fail(AppError::Unauthenticated))
}

/// Authorisation for server functions of the admin panel's people work
/// (people admins and owners).
pub fn require_people_admin() -> Result<Viewer, AppError> {
    let viewer = require_signed_in()?;
    if viewer.manages_people() {
        Ok(viewer)
    } else {
        Err(fail(AppError::Forbidden))
    }
}

/// Authorisation for server functions only owners may call: settings,
/// single sign-on, integrations, roles.
pub fn require_owner() -> Result<Viewer, AppError> {
    let viewer = require_signed_in()?;
    if viewer.is_owner() {
        Ok(viewer)
    } else {
        Err(fail(AppError::Forbidden))
    }
}

/// Logs an unexpected error under a short reference and returns an error
/// that carries only the reference.
pub fn internal(error: impl std::fmt::Display) -> AppError {
    let reference = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    tracing::error!(%reference, error = %error, "unexpected error");
    fail(AppError::Internal(reference))
}

/// A refusal whose words are safe and useful to show as they are.
pub fn refused(message: impl Into<String>) -> AppError {
    fail(AppError::Refused(message.into()))
}

/// Problems with the fields of the submitted form.
pub fn invalid(errors: impl Into<FieldErrors>) -> AppError {
    fail(AppError::Invalid(errors.into()))
}

pub fn not_found() -> AppError {
    fail(AppError::NotFound)
}

/// Sets the HTTP status that fits `error` for API callers, and returns it.
/// Plain HTML form posts keep the redirect that carries the error back to the
/// form, so their status is left alone.
pub fn fail(error: AppError) -> AppError {
    let plain_form = with_context::<Parts, _>(|parts| {
        parts.headers.get(axum::http::header::ACCEPT).is_some_and(|accept| accept.to_str().is_ok_and(|a| a.contains("text/html")))
    })
    .unwrap_or(false);
    if !plain_form {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(status_of(&error));
        }
    }
    error
}

fn status_of(error: &AppError) -> StatusCode {
    match error {
        AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
        AppError::Forbidden => StatusCode::FORBIDDEN,
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::Invalid(_) | AppError::Refused(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Busy => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
        AppError::Internal(_) | AppError::Transport(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Where to go after signing in: a path on Embark's own origin, never
/// another site. `next` is resolved as a browser would resolve it against
/// the public URL (WHATWG parsing drops tabs and newlines and reads `\` as
/// `/`), and kept only when it began as a path and still names this origin.
pub fn safe_local_path(public_url: &str, next: Option<&str>) -> Option<String> {
    let next = next?;
    if !next.starts_with('/') {
        return None;
    }
    let base = url::Url::parse(public_url).ok()?;
    let resolved = base.join(next).ok()?;
    if resolved.origin() != base.origin() || resolved.username() != base.username() || resolved.password().is_some() {
        return None;
    }
    let mut local = resolved.path().to_owned();
    if let Some(query) = resolved.query() {
        local.push('?');
        local.push_str(query);
    }
    // A path that a browser could still read as `//host` is never returned.
    (!local.starts_with("//")).then_some(local)
}

/// An unexpected failure of a service that has no error type of its own:
/// logged under a reference, which is all the browser sees.
impl From<anyhow::Error> for AppError {
    fn from(error: anyhow::Error) -> Self {
        if error.is::<crate::server::work_queue::Busy>() {
            return fail(AppError::Busy);
        }
        internal(format!("{error:#}"))
    }
}

#[cfg(test)]
mod tests {
    use super::safe_local_path;

    const PUBLIC: &str = "https://embark.example.com";

    #[test]
    fn local_paths_are_kept() {
        assert_eq!(safe_local_path(PUBLIC, Some("/admin/people?q=ana")).as_deref(), Some("/admin/people?q=ana"));
        assert_eq!(safe_local_path(PUBLIC, Some("/")).as_deref(), Some("/"));
        assert_eq!(safe_local_path(PUBLIC, Some("/a/../profile")).as_deref(), Some("/profile"));
    }

    #[test]
    fn anything_that_could_leave_the_origin_is_refused() {
        for next in [
            "//evil.example",
            "/\\evil.example",
            "\\/evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "\t//evil.example",
            " //evil.example",
            "/%09/evil.example",
            "https://evil.example/",
            "https://embark.example.com/admin",
            "http://embark.example.com/admin",
            "javascript:alert(1)",
            "evil.example",
            "///evil.example",
            "/\\/evil.example",
            "",
        ] {
            let kept = safe_local_path(PUBLIC, Some(next));
            assert!(
                kept.as_deref().is_none_or(|path| path.starts_with('/') && !path.starts_with("//") && !path.contains(['\\', '\t', '\n'])),
                "{next:?} gave {kept:?}"
            );
            if let Some(path) = kept {
                let resolved = url::Url::parse(PUBLIC).unwrap().join(&path).unwrap();
                assert_eq!(resolved.host_str(), Some("embark.example.com"), "{next:?} gave {path:?}");
            }
        }
        assert_eq!(safe_local_path(PUBLIC, Some("/\t/evil.example")), None);
        assert_eq!(safe_local_path(PUBLIC, Some("/\\evil.example")), None);
        assert_eq!(safe_local_path(PUBLIC, Some("https://evil.example/")), None);
        assert_eq!(safe_local_path(PUBLIC, None), None);
    }
}
