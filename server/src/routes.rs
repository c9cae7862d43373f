//! Plain HTTP routes outside the Leptos app.

use app::api::auth::Viewer;
use app::domain::PictureProblem;
use app::server::client::ClientAddress;
use app::server::AppState;
use axum::extract::{Multipart, Path};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Extension;
use tower_sessions::Session;

/// Liveness and readiness: 200 when the database answers.
pub async fn healthz(Extension(state): Extension<AppState>) -> Response {
    if app::server::services::health::database_reachable(&state).await {
        (StatusCode::OK, "ok").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
    }
}

/// The one-time setup link. Opening it marks this browser's session as
/// allowed to run setup, then moves to `/setup` so the secret leaves the
/// address bar (SECURITY.md rule 7).
pub async fn open_setup_link(Extension(state): Extension<AppState>, session: Session, Path(secret): Path<String>) -> Response {
    let admin_exists = match app::server::services::setup::admin_exists(&state).await {
        Ok(exists) => exists,
        Err(error) => {
            tracing::error!(error = %error, "setup link: database unreachable");
            return error_page(StatusCode::SERVICE_UNAVAILABLE, "Embark can't reach its database right now. Please try again in a minute.");
        }
    };
    let destination = if admin_exists {
        "/sign-in"
    } else if state.setup.opens_with(&secret) {
        if let Err(error) = app::server::session::grant_setup(&session).await {
            tracing::error!(error = %error, "setup link: could not write the session");
            return error_page(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side. Please open the link again.");
        }
        "/setup"
    } else {
        tracing::warn!("setup link: a wrong or outdated secret was presented");
        "/setup"
    };
    let mut response = Redirect::to(destination).into_response();
    let headers = response.headers_mut();
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A claim link from an invitation email. Opening it never spends it (mail
/// scanners open links first): it records what the link is in a fresh session
/// and moves to `/claim`, where the wizard, or an honest explanation of why the
/// link cannot be used, is shown without the secret in the address bar
/// (SECURITY.md rules 2, 3 and 7).
pub async fn open_claim_link(
    Extension(state): Extension<AppState>,
    Extension(client): Extension<ClientAddress>,
    viewer: Option<Extension<Viewer>>,
    session: Session,
    Path(secret): Path<String>,
) -> Response {
    use app::server::services::claim::{self, LinkOpened};
    let now = time::OffsetDateTime::now_utc();
    let viewer = viewer.map(|Extension(viewer)| viewer);
    let mut response = match claim::open_link(&state, &session, client.0, &secret, viewer.as_ref(), now).await {
        Ok(LinkOpened::Recorded) => Redirect::to("/claim").into_response(),
        // Said on the claim page, from the address alone: nothing was stored.
        Ok(LinkOpened::Unknown) => Redirect::to("/claim?link=unknown").into_response(),
        Ok(LinkOpened::Throttled(throttled)) => {
            plain_page(StatusCode::TOO_MANY_REQUESTS, "Too many links that don't work", &throttled.message("open an invitation link"))
        }
        Err(error) => {
            tracing::error!(error = %error, "claim link: could not be looked up");
            error_page(StatusCode::SERVICE_UNAVAILABLE, "Embark can't open your link right now. Please try again in a minute.")
        }
    };
    let headers = response.headers_mut();
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The picture field of a multipart upload. The body limit on the route stops
/// an oversized upload while it streams.
async fn picture_field(mut multipart: Multipart) -> Result<Vec<u8>, PictureProblem> {
    while let Some(field) = multipart.next_field().await.map_err(|_| PictureProblem::TooLarge)? {
        if field.name() == Some("picture") {
            let bytes = field.bytes().await.map_err(|_| PictureProblem::TooLarge)?;
            return if bytes.is_empty() { Err(PictureProblem::Missing) } else { Ok(bytes.to_vec()) };
        }
    }
    Err(PictureProblem::Missing)
}

async fn normalized_upload(multipart: Multipart) -> Result<Vec<u8>, PictureProblem> {
    app::server::picture::normalize_blocking(picture_field(multipart).await?).await
}

/// Uploading a picture in the claim wizard's profile step. Only a browser
/// in the middle of a claim gets its upload decoded.
pub async fn upload_claim_picture(session: Session, multipart: Multipart) -> Response {
    use app::server::services::claim;
    match claim::is_claiming(&session).await {
        Ok(true) => {}
        Ok(false) => return Redirect::to("/claim").into_response(),
        Err(error) => {
            tracing::error!(error = %error, "claim picture: could not read the session");
            return error_page(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side. Please try again.");
        }
    }
    match normalized_upload(multipart).await {
        Ok(jpeg) => match claim::attach_picture(&session, jpeg).await {
            Ok(()) | Err(claim::WizardError::NoClaim) => Redirect::to("/claim").into_response(),
            Err(error) => {
                tracing::error!(error = %error, "claim picture: could not be kept");
                error_page(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side. Please try again.")
            }
        },
        Err(problem) => Redirect::to(&format!("/claim?picture_error={}", problem.code())).into_response(),
    }
}

/// The picture chosen in the claim wizard, before the claim completes.
pub async fn claim_picture(session: Session) -> Response {
    match app::server::services::claim::chosen_picture(&session).await {
        Ok(Some(jpeg)) => jpeg_response(jpeg),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// A signed-in person replacing their picture.
pub async fn upload_profile_picture(Extension(state): Extension<AppState>, viewer: Option<Extension<Viewer>>, multipart: Multipart) -> Response {
    let Some(Extension(viewer)) = viewer else {
        return Redirect::to("/sign-in?next=%2Fprofile").into_response();
    };
    match normalized_upload(multipart).await {
        Ok(jpeg) => match app::server::services::profile::set_picture(&state, &viewer, &jpeg, time::OffsetDateTime::now_utc()).await {
            Ok(()) => Redirect::to("/profile?done=picture").into_response(),
            Err(error) => {
                tracing::error!(error = %error, "profile picture: could not be saved");
                error_page(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side. Please try again.")
            }
        },
        Err(problem) => Redirect::to(&format!("/profile?picture_error={}", problem.code())).into_response(),
    }
}

/// A person's picture, for signed-in colleagues (the page access rules
/// keep everyone else out).
pub async fn person_picture(Extension(state): Extension<AppState>, Path(id): Path<app::domain::AccountId>) -> Response {
    match app::server::services::profile::picture(&state, id).await {
        Ok(Some(jpeg)) => jpeg_response(jpeg),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => {
            tracing::error!(error = %error, "picture: database unreachable");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// Pictures are always Embark's own JPEGs, served with a fixed type (and
/// `nosniff` from the security headers).
fn jpeg_response(jpeg: Vec<u8>) -> Response {
    let mut response = jpeg.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    // Revalidated on every view, so a new picture shows at once.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    response
}

/// A minimal page in the app's look for failures outside the Leptos app.
pub fn error_page(status: StatusCode, message: &str) -> Response {
    plain_page(status, "Something went wrong", message)
}

/// What someone signed in gets for a page that is not theirs to see (the
/// admin panel, for people who are not admins).
pub fn forbidden_page() -> Response {
    plain_page(
        StatusCode::FORBIDDEN,
        "You don't have access to this page",
        "This part of Embark is for administrators. If you need access, ask one of your organisation's administrators.",
    )
}

pub fn owners_only_page() -> Response {
    plain_page(
        StatusCode::FORBIDDEN,
        "Only owners can open this page",
        "Settings, single sign-on and integrations are for the owners of this Embark. Ask an owner if something here needs to change.",
    )
}

pub fn plain_page(status: StatusCode, heading: &str, message: &str) -> Response {
    page_with_link(status, &format!("Error {}", status.as_u16()), heading, message, "/", "Go to your home page")
}

/// [`plain_page`] with its own way on. The words are escaped: some name
/// what an identity provider sent.
pub fn page_with_link(status: StatusCode, eyebrow: &str, heading: &str, message: &str, link: &str, link_text: &str) -> Response {
    use html_escape::{encode_double_quoted_attribute as attribute, encode_text as text};
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{heading} · Embark</title><link rel=\"stylesheet\" href=\"/pkg/embark.css\"></head>\
         <body><main class=\"centered-page\"><div class=\"card\"><p class=\"eyebrow\">{eyebrow}</p><h1>{heading}</h1>\
         <p>{message}</p><p><a class=\"button\" href=\"{link}\">{link_text}</a></p></div></main></body></html>",
        eyebrow = text(eyebrow),
        heading = text(heading),
        message = text(message),
        link = attribute(link),
        link_text = text(link_text),
    );
    (status, Html(body)).into_response()
}

/// What a panicking request gets: the 500 page, never the panic message.
pub fn panic_response(_panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    error_page(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side. Please try again; if it keeps happening, tell your administrator.")
}
