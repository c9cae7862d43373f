//! Plain HTTP routes for bulk work: spreadsheet uploads (import, Invite
//! Selected), streamed under a hard size cap, and the files admins download
//! (templates, error reports).

use crate::routes::error_page;
use app::api::auth::Viewer;
use app::api::uploads::UploadKind;
use app::domain::Actor;
use app::server::services::{import, invite_selection};
use app::server::spreadsheet::MAX_UPLOAD_BYTES;
use app::server::AppState;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Multipart, Path};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use tower_sessions::Session;
use uuid::Uuid;

/// The body limit of upload routes: the file cap plus room for the form.
pub fn upload_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(MAX_UPLOAD_BYTES + 64 * 1024)
}

/// A people admin or owner making the request. The page-access layer
/// already turned away everyone else from `/admin/…` pages, but it lets them
/// reach the page (to show 403 in the app's look), so these routes check
/// themselves.
pub struct PeopleAdmin(pub Viewer);

impl<S: Send + Sync> FromRequestParts<S> for PeopleAdmin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Viewer>() {
            Some(viewer) if viewer.manages_people() => Ok(Self(viewer.clone())),
            Some(_) => Err(error_page(StatusCode::FORBIDDEN, "Only people admins and owners can do this.")),
            None => Err(Redirect::to("/sign-in").into_response()),
        }
    }
}

impl PeopleAdmin {
    pub fn actor(&self) -> Actor {
        self.0.actor()
    }
}

/// Why an upload was not read.
enum UploadProblem {
    Missing,
    TooLarge,
    Broken,
}

impl UploadProblem {
    fn message(&self) -> &'static str {
        match self {
            Self::Missing => "Choose a file to upload.",
            Self::TooLarge => "The file is larger than 50 MB. Split it into smaller files and upload them one by one.",
            Self::Broken => "The upload was interrupted. Please try again.",
        }
    }
}

/// Reads the `file` field, stopping as soon as it passes the cap.
async fn read_file(mut multipart: Multipart) -> Result<(String, Vec<u8>), UploadProblem> {
    while let Some(mut field) = multipart.next_field().await.map_err(|e| classify_multipart(&e))? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or_default().rsplit(['/', '\\']).next().unwrap_or_default().to_owned();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|e| classify_multipart(&e))? {
            if bytes.len() + chunk.len() > MAX_UPLOAD_BYTES {
                return Err(UploadProblem::TooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        if name.is_empty() && bytes.is_empty() {
            return Err(UploadProblem::Missing);
        }
        return Ok((name, bytes));
    }
    Err(UploadProblem::Missing)
}

fn classify_multipart(error: &axum::extract::multipart::MultipartError) -> UploadProblem {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        UploadProblem::TooLarge
    } else {
        UploadProblem::Broken
    }
}

/// Sends the browser back to the upload's page, which shows why the file
/// was refused.
async fn refuse(session: &Session, kind: UploadKind, reason: &str) -> Response {
    if let Err(error) = app::server::uploads::remember_refusal(session, kind, reason).await {
        tracing::error!(error = %error, "could not keep an upload's refusal in the session");
    }
    Redirect::to(kind.refused_location()).into_response()
}

/// Uploading a people file: checked and staged, then the preview page.
pub async fn upload_import(Extension(state): Extension<AppState>, admin: PeopleAdmin, session: Session, multipart: Multipart) -> Response {
    let (name, bytes) = match read_file(multipart).await {
        Ok(file) => file,
        Err(problem) => return refuse(&session, UploadKind::PeopleImport, problem.message()).await,
    };
    let started = std::time::Instant::now();
    match import::preview(&state, &name, bytes, &admin.actor(), time::OffsetDateTime::now_utc()).await {
        Ok(batch_id) => {
            tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "import previewed");
            Redirect::to(&format!("/admin/import/{batch_id}")).into_response()
        }
        Err(import::ImportError::Unexpected(error)) => {
            tracing::error!(error = %error, "import: could not preview");
            error_page(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side while reading the file. Please try again.")
        }
        Err(problem) => refuse(&session, UploadKind::PeopleImport, &problem.to_string()).await,
    }
}

/// Uploading a list for Invite Selected: matched, then the report page.
pub async fn upload_selection(Extension(state): Extension<AppState>, admin: PeopleAdmin, session: Session, multipart: Multipart) -> Response {
    let (name, bytes) = match read_file(multipart).await {
        Ok(file) => file,
        Err(problem) => return refuse(&session, UploadKind::InviteSelection, problem.message()).await,
    };
    match invite_selection::select(&state, &name, bytes, &admin.actor(), time::OffsetDateTime::now_utc()).await {
        Ok(id) => Redirect::to(&format!("/admin/invitations/selected/{id}")).into_response(),
        Err(invite_selection::SelectionError::Unexpected(error)) => {
            tracing::error!(error = %error, "invite selected: could not match the list");
            error_page(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side while reading the file. Please try again.")
        }
        Err(problem) => refuse(&session, UploadKind::InviteSelection, &problem.to_string()).await,
    }
}

pub fn download(file_name: &str, content_type: &'static str, bytes: Vec<u8>) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    let disposition = format!("attachment; filename=\"{}\"", file_name.replace(|c: char| !c.is_ascii_alphanumeric() && !"-_.".contains(c), "_"));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

const CSV: &str = "text/csv; charset=utf-8";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Example rows showing every column.
fn template_rows() -> [[&'static str; 11]; 3] {
    [
        [
            "ada.lovelace@example.com",
            "E1001",
            "Ada Lovelace",
            "Head of Engineering",
            "Engineering",
            "London",
            "+44 20 7946 0001",
            "",
            "Engineering; Leads",
            "password",
            "",
        ],
        ["grace.hopper@example.com", "E1002", "Grace Hopper", "Engineer", "Engineering", "New York", "", "ada.lovelace@example.com", "Engineering", "sso", ""],
        // Someone without email: claims with an access code, signs in with the username.
        ["", "E1003", "Rosa Parks", "Picker", "Warehouse", "Montgomery", "", "grace.hopper@example.com", "Warehouse", "", "rosa.parks"],
    ]
}

pub async fn import_template_csv(_admin: PeopleAdmin) -> Response {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut rows = vec![import::COLUMNS];
    rows.extend(template_rows());
    for row in rows {
        if let Err(error) = writer.write_record(row) {
            tracing::error!(error = %error, "template: could not be written");
        }
    }
    download("embark-people-template.csv", CSV, writer.into_inner().unwrap_or_default())
}

pub async fn import_template_xlsx(_admin: PeopleAdmin) -> Response {
    let mut rows = vec![import::COLUMNS];
    rows.extend(template_rows());
    match xlsx_of(&rows) {
        Ok(bytes) => download("embark-people-template.xlsx", XLSX, bytes),
        Err(error) => {
            tracing::error!(error = %error, "template: could not be written");
            error_page(StatusCode::INTERNAL_SERVER_ERROR, "The template could not be made. Please try again.")
        }
    }
}

/// A one-sheet workbook with a bold header row.
fn xlsx_of(rows: &[[&str; 11]]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (u32::try_from(r).unwrap_or(u32::MAX), u16::try_from(c).unwrap_or(u16::MAX));
            if r == 0 {
                sheet.write_string_with_format(r, c, *cell, &bold)?;
            } else {
                sheet.write_string(r, c, *cell)?;
            }
        }
    }
    sheet.set_column_range_width(0, 8, 22)?;
    workbook.save_to_buffer()
}

pub async fn selection_template_csv(_admin: PeopleAdmin) -> Response {
    download("embark-invite-selected-template.csv", CSV, b"Email,External ID\nada.lovelace@example.com,\n,E1002\n".to_vec())
}

/// Every invalid row of an import, as CSV.
pub async fn import_problems(Extension(state): Extension<AppState>, _admin: PeopleAdmin, Path(id): Path<Uuid>) -> Response {
    match import::error_report(&state, id).await {
        Ok((name, bytes)) => download(&name, CSV, bytes),
        Err(import::ImportError::Gone) => error_page(StatusCode::NOT_FOUND, "This import is no longer available. Upload the file again."),
        Err(error) => {
            tracing::error!(error = %error, "import: error report failed");
            error_page(StatusCode::INTERNAL_SERVER_ERROR, "The report could not be made. Please try again.")
        }
    }
}
