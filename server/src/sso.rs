//! The two single sign-on routes: `/sso/start` sends the browser to the
//! organisation's identity provider; the provider sends it back to
//! `/sso/callback`. Both are plain GETs (top-level navigations, so the
//! SameSite=Lax session cookie comes along, and no form posts to another
//! origin).

use app::api::auth::Viewer;
use app::server::client::ClientAddress;
use app::server::services::sso::{self, CallbackParams, Finished, Purpose, SsoFailure, SsoRefusal};
use app::server::AppState;
use axum::extract::Query;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use serde::Deserialize;
use tower_sessions::Session;

#[derive(Debug, Deserialize)]
pub struct StartParams {
    purpose: Option<String>,
}

pub async fn start(
    Extension(state): Extension<AppState>,
    Extension(client): Extension<ClientAddress>,
    viewer: Option<Extension<Viewer>>,
    session: Session,
    Query(params): Query<StartParams>,
) -> Response {
    let viewer = viewer.map(|Extension(viewer)| viewer);
    let purpose = Purpose::parse(params.purpose.as_deref());
    match sso::start(&state, &session, viewer.as_ref(), client.0, purpose, time::OffsetDateTime::now_utc()).await {
        Ok(provider_url) => no_store(Redirect::to(&provider_url).into_response()),
        Err(failure) => failure_page(failure),
    }
}

pub async fn callback(
    Extension(state): Extension<AppState>,
    Extension(client): Extension<ClientAddress>,
    viewer: Option<Extension<Viewer>>,
    session: Session,
    Query(params): Query<CallbackParams>,
) -> Response {
    let viewer = viewer.map(|Extension(viewer)| viewer);
    let response = match sso::finish(&state, &session, viewer.as_ref(), client.0, params, time::OffsetDateTime::now_utc()).await {
        Ok(Finished::SignedIn) => Redirect::to("/").into_response(),
        Ok(Finished::Claim) => Redirect::to("/claim").into_response(),
        Ok(Finished::Tested) => Redirect::to("/admin/settings/sso#test-result").into_response(),
        Err(failure) => failure_page(failure),
    };
    // The address carries the provider's one-time code.
    let mut response = no_store(response);
    response.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Each refusal has its own page in the app's look, saying what to do next.
fn failure_page(failure: SsoFailure) -> Response {
    match failure {
        SsoFailure::Refused(refusal) => {
            let status = if matches!(refusal, SsoRefusal::Throttled(_)) { StatusCode::TOO_MANY_REQUESTS } else { StatusCode::FORBIDDEN };
            let (heading, message) = refusal.page();
            crate::routes::page_with_link(status, "Single sign-on", heading, &message, "/sign-in", "Back to sign in")
        }
        SsoFailure::Unexpected(error) => {
            tracing::error!(error = %error, "single sign-on: unexpected failure");
            crate::routes::error_page(StatusCode::SERVICE_UNAVAILABLE, "Embark can't complete your sign-in right now. Please try again in a minute.")
        }
    }
}
