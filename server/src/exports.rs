//! Streamed downloads: the People export (`/admin/people/export.csv`) and
//! the audit log (`/admin/audit.csv`). Each is written as the database
//! streams its rows, through a small channel, so memory stays flat whatever
//! the size; the services audit each export.

use crate::bulk::PeopleAdmin;
use crate::routes::error_page;
use app::domain::LogQuery;
use app::server::services::{audit_log, people_export};
use app::server::AppState;
use axum::body::Body;
use axum::extract::Query;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::Deserialize;
use tokio::sync::mpsc;

/// Chunks waiting for a slow reader: the writer pauses beyond this.
const CHUNKS_IN_FLIGHT: usize = 4;

type Chunk = Result<Vec<u8>, std::io::Error>;

/// A download whose body is what arrives on `chunks`.
fn streamed_download(file_name: &'static str, chunks: mpsc::Receiver<Chunk>) -> Response {
    let stream = futures::stream::unfold(chunks, |mut chunks| async move { chunks.recv().await.map(|chunk| (chunk, chunks)) });
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static(file_name));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// An export that failed midway ends the download with an error, so the
/// browser reports a failed download instead of saving half a file.
async fn fail(sender: &mpsc::Sender<Chunk>, what: &str, error: impl std::fmt::Display) {
    tracing::error!(error = %error, "the {what} export failed");
    let _ = sender.send(Err(std::io::Error::other("the export failed"))).await;
}

#[derive(Debug, Deserialize)]
pub struct PeopleExportQuery {
    q: Option<String>,
    status: Option<String>,
}

pub async fn people_csv(Extension(state): Extension<AppState>, admin: PeopleAdmin, Query(query): Query<PeopleExportQuery>) -> Response {
    let filter = people_export::filter(query.q, query.status);
    let (sender, chunks) = mpsc::channel(CHUNKS_IN_FLIGHT);
    tokio::spawn(async move {
        let actor = admin.actor();
        let now = time::OffsetDateTime::now_utc();
        let written = people_export::write_csv(&state, &filter, &actor, now, &sender).await;
        if let Err(error) = written {
            fail(&sender, "people", error).await;
        }
    });
    streamed_download("attachment; filename=\"embark-people.csv\"", chunks)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AuditExportQuery {
    person: String,
    action: String,
    from: String,
    to: String,
}

pub async fn audit_csv(Extension(state): Extension<AppState>, admin: PeopleAdmin, Query(query): Query<AuditExportQuery>) -> Response {
    let query = match LogQuery::parse(&query.person, &query.action, &query.from, &query.to, "") {
        Ok(query) => query,
        Err(errors) => {
            let message: Vec<String> = errors.0.into_iter().map(|e| e.message).collect();
            return error_page(StatusCode::BAD_REQUEST, &message.join(" "));
        }
    };
    let export = match audit_log::start_export(&state, query).await {
        Ok(export) => export,
        Err(unknown @ audit_log::AuditLogError::UnknownPerson(_)) => return error_page(StatusCode::BAD_REQUEST, &unknown.to_string()),
        Err(error) => {
            tracing::error!(error = %error, "the audit log export could not start");
            return error_page(StatusCode::INTERNAL_SERVER_ERROR, "The audit log could not be read. Please try again.");
        }
    };
    let (sender, chunks) = mpsc::channel(CHUNKS_IN_FLIGHT);
    tokio::spawn(async move {
        let actor = admin.actor();
        let now = time::OffsetDateTime::now_utc();
        let written = export.write_csv(&state, &actor, now, &sender).await;
        if let Err(error) = written {
            fail(&sender, "audit log", error).await;
        }
    });
    streamed_download("attachment; filename=\"embark-audit-log.csv\"", chunks)
}
