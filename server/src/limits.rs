//! Bounds on what any request may cost: body size, time, and how many run
//! at once. Each refusal is an answer in the app's look (413, 408, 503),
//! never a dropped connection or a 500.

use app::error::AppError;
use axum::body::Body;
use axum::error_handling::HandleErrorLayer;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower::layer::util::{Identity, Stack};
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::load_shed::LoadShedLayer;
use tower::ServiceBuilder;

/// Largest body a server function accepts: forms of a few fields (the
/// longest, a personal message, is 2,000 characters). Files go to upload
/// routes with their own caps.
pub const SERVER_FN_BODY_LIMIT: usize = 64 * 1024;

/// Reads a server function's body (`/api/…`) up to [`SERVER_FN_BODY_LIMIT`]
/// and stops reading there, answering 413. (Leptos routes each server
/// function by its own path, so this guards the path prefix.)
pub async fn server_fn_body(request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with("/api/") {
        return next.run(request).await;
    }
    let declared = request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    let wants_html = wants_html(&request);
    if declared.is_some_and(|length| length > SERVER_FN_BODY_LIMIT as u64) {
        return too_large(wants_html);
    }
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, SERVER_FN_BODY_LIMIT).await {
        Ok(bytes) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        Err(_) => too_large(wants_html),
    }
}

fn wants_html(request: &Request) -> bool {
    request.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|accept| accept.contains("text/html"))
}

fn too_large(wants_html: bool) -> Response {
    const MESSAGE: &str = "What you sent is larger than Embark accepts for a form (64 KB). Nothing was changed; please shorten it and try again.";
    if wants_html {
        crate::routes::plain_page(StatusCode::PAYLOAD_TOO_LARGE, "Too much to send", MESSAGE)
    } else {
        // As a server function's error, so the app shows it like any other.
        let body = serde_json::to_string(&AppError::Refused(MESSAGE.to_owned())).unwrap_or_default();
        let mut response = (StatusCode::PAYLOAD_TOO_LARGE, body).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response.headers_mut().insert("serverfnerror", HeaderValue::from_static("/api"));
        response
    }
}

type Overloaded = HandleErrorLayer<fn(tower::BoxError) -> std::future::Ready<Response>, ()>;
/// The layers of [`in_flight`], outermost first: 503 page, shedding, count.
pub type InFlightLimit = ServiceBuilder<Stack<GlobalConcurrencyLimitLayer, Stack<LoadShedLayer, Stack<Overloaded, Identity>>>>;

/// At most `max` requests of a class at once; one more is answered 503 at
/// once rather than queued.
pub fn in_flight(max: usize) -> InFlightLimit {
    ServiceBuilder::new()
        .layer(HandleErrorLayer::new(overloaded as fn(tower::BoxError) -> std::future::Ready<Response>))
        .layer(LoadShedLayer::new())
        .layer(GlobalConcurrencyLimitLayer::new(max))
}

fn overloaded(_: tower::BoxError) -> std::future::Ready<Response> {
    tracing::warn!("refused a request: too many of its kind in flight");
    std::future::ready(crate::routes::plain_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Embark is busy",
        "Too many requests are being handled right now. Nothing was changed; please try again in a few seconds.",
    ))
}

/// Gives bare refusals from the layers above (a timeout's 408) a page in
/// the app's look.
pub async fn refusal_pages(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if response.status() == StatusCode::REQUEST_TIMEOUT && !response.headers().contains_key(header::CONTENT_TYPE) {
        return crate::routes::plain_page(
            StatusCode::REQUEST_TIMEOUT,
            "That took too long",
            "Embark stopped waiting for this request. If you were sending a file, your connection may be slow; please try again.",
        );
    }
    response
}
