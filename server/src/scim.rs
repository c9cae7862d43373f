//! The SCIM 2.0 API at `/scim/v2` (RFC 7644): a machine API for identity
//! providers, outside the browser's session, CSRF guard and page access.
//! Each request carries an integration's bearer token; bodies are JSON
//! (`application/scim+json` or `application/json`) up to [`MAX_BODY_BYTES`];
//! every answer, errors included, is a SCIM JSON body. The handlers parse
//! the request and call `services::scim`.

use app::domain::IntegrationId;
use app::server::client::ClientAddress;
use app::server::services::integrations::{self, ScimCaller, TokenCheck};
use app::server::services::scim::{self, discovery, groups, users, ListQuery, ScimError, ScimReply};
use app::server::AppState;
use axum::body::Bytes;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::load_shed::LoadShedLayer;
use tower::ServiceBuilder;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};

/// The largest request body: a group of 50,000 members fits.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// SCIM requests handled at once; beyond, 503 with a SCIM error.
const IN_FLIGHT: usize = 32;
const TIMEOUT: Duration = Duration::from_secs(60);
const CONTENT_TYPE: &str = "application/scim+json";

/// Each integration's request budget, on this server.
type RateLimits = Arc<governor::DefaultKeyedRateLimiter<IntegrationId>>;

pub fn router(state: AppState) -> Router {
    let rate = NonZeroU32::new(state.scim_requests_per_second).unwrap_or(NonZeroU32::MIN);
    let burst = rate.saturating_mul(NonZeroU32::new(2).expect("2 is not zero"));
    let limits: RateLimits = Arc::new(governor::RateLimiter::keyed(governor::Quota::per_second(rate).allow_burst(burst)));
    let api = Router::new()
        .route("/ServiceProviderConfig", get(service_provider_config))
        .route("/ResourceTypes", get(resource_types))
        .route("/ResourceTypes/{id}", get(resource_type))
        .route("/Schemas", get(schemas))
        .route("/Schemas/{id}", get(schema))
        .route("/Users", get(list_users).post(create_user))
        .route("/Users/.search", post(search_users))
        .route("/Users/{id}", get(get_user).put(replace_user).patch(patch_user).delete(delete_user))
        .route("/Groups", get(list_groups).post(create_group))
        .route("/Groups/.search", post(search_groups))
        .route("/Groups/{id}", get(get_group).put(replace_group).patch(patch_group).delete(delete_group))
        .route("/.search", post(search_everything))
        .fallback(unknown_endpoint)
        .with_state(state)
        // One `layer` call, outermost first (see startup::router).
        .layer(
            ServiceBuilder::new()
                .layer(RequestBodyTimeoutLayer::new(TIMEOUT))
                .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, TIMEOUT))
                .layer(HandleErrorLayer::new(overloaded))
                .layer(LoadShedLayer::new())
                .layer(GlobalConcurrencyLimitLayer::new(IN_FLIGHT))
                .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
                .layer(axum::Extension(limits)),
        );
    Router::new().nest("/scim/v2", api)
}

/// A SCIM answer as HTTP.
struct Answer(Result<ScimReply, ScimError>);

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let (status, body, etag, location) = match self.0 {
            Ok(reply) => (reply.status, reply.body, reply.etag, reply.location),
            Err(error) => (error.status, Some(error.body()), None, None),
        };
        let mut response = match body {
            Some(body) => (StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), body.to_string()).into_response(),
            None => StatusCode::from_u16(status).unwrap_or(StatusCode::NO_CONTENT).into_response(),
        };
        let headers = response.headers_mut();
        if response_has_body(status) {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        }
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(value) = etag.and_then(|etag| HeaderValue::from_str(&etag).ok()) {
            headers.insert(header::ETAG, value);
        }
        if let Some(value) = location.and_then(|location| HeaderValue::from_str(&location).ok()) {
            headers.insert(header::LOCATION, value);
        }
        response
    }
}

fn response_has_body(status: u16) -> bool {
    status != 204
}

fn overloaded(_: tower::BoxError) -> std::future::Ready<Response> {
    let error =
        ScimError { status: 503, scim_type: None, detail: "Embark is handling too many SCIM requests right now; nothing was changed. Retry shortly.".into() };
    std::future::ready(Answer(Err(error)).into_response())
}

async fn search_everything(State(state): State<AppState>, _: Caller, body: Bytes) -> Answer {
    Answer(async { scim::search_all(&state, &ListQuery::from_search_body(&json_body(&body)?)?, &base(&state)).await }.await)
}

async fn unknown_endpoint() -> Answer {
    Answer(Err(ScimError { status: 404, scim_type: None, detail: "Embark's SCIM API has no such endpoint.".into() }))
}

/// The integration a request acts as: its bearer token, checked, within
/// its request rate.
struct Caller(ScimCaller);

impl FromRequestParts<AppState> for Caller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let refuse = |detail: &str| Answer(Err(ScimError { status: 401, scim_type: None, detail: detail.into() })).into_response();
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
            .map(str::trim);
        let Some(token) = token else {
            return Err(refuse("Send the integration's token as Authorization: Bearer <token>."));
        };
        let address = parts.extensions.get::<ClientAddress>().map_or(std::net::IpAddr::from([0, 0, 0, 0]), |client| client.0);
        let caller = match integrations::authenticate(state, token, address, OffsetDateTime::now_utc()).await {
            Ok(TokenCheck::Valid(caller)) => caller,
            Ok(TokenCheck::Invalid) => {
                return Err(refuse(
                    "This token is not valid: it was mistyped, replaced or revoked. An admin can make a new one on Embark's Integrations page.",
                ));
            }
            Ok(TokenCheck::Throttled(throttled)) => {
                let detail = format!("Too many invalid tokens came from this address: nothing was looked up. {}", throttled.message("use a SCIM token"));
                return Err(too_many_requests(detail, throttled.retry_after.whole_seconds().max(1).unsigned_abs()));
            }
            Err(error) => return Err(Answer(Err(ScimError::internal(error))).into_response()),
        };
        if let Some(limits) = parts.extensions.get::<RateLimits>() {
            if let Err(not_until) = limits.check_key(&caller.id) {
                let wait = not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default()));
                let seconds = wait.as_secs() + 1;
                let detail = format!(
                    "This integration is sending more than {} requests a second. Nothing was changed; retry after {seconds} s.",
                    state.scim_requests_per_second
                );
                return Err(too_many_requests(detail, seconds));
            }
        }
        Ok(Caller(caller))
    }
}

/// 429 with `Retry-After`, as SCIM clients expect (RFC 7644 §3.12).
fn too_many_requests(detail: String, retry_after_seconds: u64) -> Response {
    let mut response = Answer(Err(ScimError { status: 429, scim_type: None, detail })).into_response();
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_seconds));
    response
}

fn base(state: &AppState) -> String {
    format!("{}/scim/v2", state.public_url)
}

/// A JSON body, whichever JSON content type it came as.
fn json_body(body: &Bytes) -> Result<serde_json::Value, ScimError> {
    serde_json::from_slice(body).map_err(|error| ScimError::bad_request("invalidSyntax", format!("The body is not valid JSON: {error}.")))
}

/// `?filter=…&startIndex=…` with SCIM's case-insensitive parameter names.
fn list_query(params: &HashMap<String, String>) -> Result<ListQuery, ScimError> {
    let find = |name: &str| params.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.clone());
    let number = |name: &str| -> Result<Option<i64>, ScimError> {
        find(name)
            .map(|value| value.trim().parse::<i64>().map_err(|_| ScimError::invalid_value(format!("{name} is a whole number, not {value:?}."))))
            .transpose()
    };
    Ok(ListQuery {
        filter: find("filter"),
        start_index: number("startIndex")?,
        count: number("count")?,
        attributes: find("attributes"),
        excluded_attributes: find("excludedAttributes"),
    })
}

fn if_match(headers: &HeaderMap) -> Option<String> {
    headers.get(header::IF_MATCH).and_then(|value| value.to_str().ok()).map(str::to_owned)
}

async fn service_provider_config(State(state): State<AppState>, _: Caller) -> Answer {
    Answer(Ok(discovery::service_provider_config(&base(&state))))
}

async fn resource_types(State(state): State<AppState>, _: Caller) -> Answer {
    Answer(Ok(discovery::resource_types_list(&base(&state))))
}

async fn resource_type(State(state): State<AppState>, _: Caller, Path(id): Path<String>) -> Answer {
    Answer(discovery::resource_type_by_id(&base(&state), &id))
}

async fn schemas(State(state): State<AppState>, _: Caller) -> Answer {
    Answer(Ok(discovery::schemas_list(&base(&state))))
}

async fn schema(State(state): State<AppState>, _: Caller, Path(id): Path<String>) -> Answer {
    Answer(discovery::schema_by_id(&base(&state), &id))
}

async fn list_users(State(state): State<AppState>, _: Caller, Query(params): Query<HashMap<String, String>>) -> Answer {
    Answer(async { users::list(&state, &list_query(&params)?, &base(&state)).await }.await)
}

async fn search_users(State(state): State<AppState>, _: Caller, body: Bytes) -> Answer {
    Answer(async { users::list(&state, &ListQuery::from_search_body(&json_body(&body)?)?, &base(&state)).await }.await)
}

async fn get_user(State(state): State<AppState>, _: Caller, Path(id): Path<String>, Query(params): Query<HashMap<String, String>>) -> Answer {
    Answer(async { users::get(&state, &id, &base(&state), &list_query(&params)?).await }.await)
}

async fn create_user(State(state): State<AppState>, Caller(caller): Caller, body: Bytes) -> Answer {
    Answer(async { users::create(&state, &caller, &json_body(&body)?, &base(&state), OffsetDateTime::now_utc()).await }.await)
}

async fn replace_user(State(state): State<AppState>, Caller(caller): Caller, Path(id): Path<String>, headers: HeaderMap, body: Bytes) -> Answer {
    let if_match = if_match(&headers);
    Answer(async { users::replace(&state, &caller, &id, &json_body(&body)?, if_match.as_deref(), &base(&state), OffsetDateTime::now_utc()).await }.await)
}

async fn patch_user(State(state): State<AppState>, Caller(caller): Caller, Path(id): Path<String>, headers: HeaderMap, body: Bytes) -> Answer {
    let if_match = if_match(&headers);
    Answer(async { users::patch(&state, &caller, &id, &json_body(&body)?, if_match.as_deref(), &base(&state), OffsetDateTime::now_utc()).await }.await)
}

async fn delete_user(State(state): State<AppState>, Caller(caller): Caller, Path(id): Path<String>, headers: HeaderMap) -> Answer {
    Answer(users::delete(&state, &caller, &id, if_match(&headers).as_deref(), OffsetDateTime::now_utc()).await)
}

async fn list_groups(State(state): State<AppState>, _: Caller, Query(params): Query<HashMap<String, String>>) -> Answer {
    Answer(async { groups::list(&state, &list_query(&params)?, &base(&state)).await }.await)
}

async fn search_groups(State(state): State<AppState>, _: Caller, body: Bytes) -> Answer {
    Answer(async { groups::list(&state, &ListQuery::from_search_body(&json_body(&body)?)?, &base(&state)).await }.await)
}

async fn get_group(State(state): State<AppState>, _: Caller, Path(id): Path<String>, Query(params): Query<HashMap<String, String>>) -> Answer {
    Answer(async { groups::get(&state, &id, &base(&state), &list_query(&params)?).await }.await)
}

async fn create_group(State(state): State<AppState>, Caller(caller): Caller, body: Bytes) -> Answer {
    Answer(async { groups::create(&state, &caller, &json_body(&body)?, &base(&state), OffsetDateTime::now_utc()).await }.await)
}

async fn replace_group(State(state): State<AppState>, Caller(caller): Caller, Path(id): Path<String>, headers: HeaderMap, body: Bytes) -> Answer {
    let if_match = if_match(&headers);
    Answer(async { groups::replace(&state, &caller, &id, &json_body(&body)?, if_match.as_deref(), &base(&state), OffsetDateTime::now_utc()).await }.await)
}

async fn patch_group(State(state): State<AppState>, Caller(caller): Caller, Path(id): Path<String>, headers: HeaderMap, body: Bytes) -> Answer {
    let if_match = if_match(&headers);
    Answer(async { groups::patch(&state, &caller, &id, &json_body(&body)?, if_match.as_deref(), &base(&state), OffsetDateTime::now_utc()).await }.await)
}

async fn delete_group(State(state): State<AppState>, Caller(caller): Caller, Path(id): Path<String>, headers: HeaderMap) -> Answer {
    Answer(groups::delete(&state, &caller, &id, if_match(&headers).as_deref(), OffsetDateTime::now_utc()).await)
}
