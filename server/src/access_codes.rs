//! Access codes leaving Embark for people without email: a print sheet (one
//! card each, with a QR code of the code-entry address and the code) and the
//! same as a CSV file. Admins only; each is audited with its row count
//! (`services::access_codes`).

use crate::bulk::{download, PeopleAdmin};
use crate::routes::{error_page, page_with_link};
use app::server::services::access_codes::{self, CodeExport, CodeSelection, CodeSheet};
use app::server::spreadsheet::formula_safe;
use app::server::AppState;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Extension;
use html_escape::{encode_double_quoted_attribute as attribute, encode_text as text};
use qrcode::render::svg;
use qrcode::QrCode;
use serde::Deserialize;

/// Whose codes: `ids` (comma-separated account ids) or `id`, else everyone
/// invited without email, optionally only one `department`.
#[derive(Debug, Deserialize)]
pub struct SelectionQuery {
    id: Option<String>,
    ids: Option<String>,
    department: Option<String>,
}

impl SelectionQuery {
    fn parse(self) -> Result<CodeSelection, SheetProblem> {
        let listed: Vec<&str> = self.id.iter().chain(self.ids.iter()).flat_map(|ids| ids.split(',')).map(str::trim).filter(|s| !s.is_empty()).collect();
        let ids = if listed.is_empty() {
            None
        } else {
            let parsed: Result<Vec<uuid::Uuid>, _> = listed.iter().take(access_codes::PRINT_LIMIT as usize + 1).map(|id| id.parse()).collect();
            Some(parsed.map_err(|_| SheetProblem::BadSelection)?)
        };
        let department = self.department.map(|d| d.trim().chars().take(200).collect::<String>()).filter(|d| !d.is_empty());
        Ok(CodeSelection { ids, department })
    }
}

/// Why no sheet was made.
enum SheetProblem {
    BadSelection,
    Unavailable,
}

impl IntoResponse for SheetProblem {
    fn into_response(self) -> Response {
        match self {
            Self::BadSelection => error_page(StatusCode::BAD_REQUEST, "The list of people is not valid. Go back and choose them again."),
            Self::Unavailable => error_page(StatusCode::SERVICE_UNAVAILABLE, "The access codes could not be read right now. Please try again in a minute."),
        }
    }
}

async fn load(state: &AppState, admin: &PeopleAdmin, query: SelectionQuery, export: CodeExport) -> Result<CodeSheet, SheetProblem> {
    let selection = query.parse()?;
    access_codes::sheet(state, &admin.actor(), &selection, export, time::OffsetDateTime::now_utc()).await.map_err(|error| {
        tracing::error!(error = %error, "access codes: could not be read");
        SheetProblem::Unavailable
    })
}

fn nothing_to_print() -> Response {
    page_with_link(
        StatusCode::OK,
        "Access codes",
        "No access codes to print",
        "Nobody in this selection is invited without an email address with a code that still works. Invite them, or give them a new code, first.",
        "/admin/invitations",
        "Go to Unsent invitations",
    )
}

/// The print-ready sheet.
pub async fn print_sheet(Extension(state): Extension<AppState>, admin: PeopleAdmin, Query(query): Query<SelectionQuery>) -> Response {
    let sheet = match load(&state, &admin, query, CodeExport::PrintSheet).await {
        Ok(sheet) => sheet,
        Err(problem) => return problem.into_response(),
    };
    if sheet.cards.is_empty() {
        return nothing_to_print();
    }
    let organization = if sheet.organization_name.is_empty() { "Embark".to_owned() } else { sheet.organization_name.clone() };
    let mut cards = String::with_capacity(sheet.cards.len() * 6_000);
    for card in &sheet.cards {
        let qr = qr_svg(&card.entry_url_with_code);
        cards.push_str(&format!(
            "<article class=\"code-card\"><p class=\"eyebrow\">{organization}</p><h2>{name}</h2>{department}{username}\
             <p class=\"code-label\">Your access code</p><p class=\"access-code\">{code}</p>\
             <div class=\"code-card-how\"><div>{qr}</div><p>Go to <strong>{entry}</strong> and enter the code, or scan this with your phone's camera. \
             Then choose your password.</p></div><p class=\"hint\">Works until {expires}. Keep it private: it opens your account.</p></article>",
            organization = text(&organization),
            name = text(&card.full_name),
            department = if card.department.is_empty() { String::new() } else { format!("<p>{}</p>", text(&card.department)) },
            username = card.username.as_deref().map_or(String::new(), |u| format!("<p>Suggested username: <strong>{}</strong></p>", text(u))),
            code = text(&card.code),
            entry = text(&sheet.entry_url),
            expires = text(&card.expires),
        ));
    }
    let count = sheet.cards.len();
    let truncated = if sheet.truncated {
        format!(
            "<p class=\"notice notice-error\">Only the first {} codes are on this sheet. Choose one department at a time to print the rest.</p>",
            access_codes::PRINT_LIMIT
        )
    } else {
        String::new()
    };
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\"><title>Access codes · Embark</title><link rel=\"stylesheet\" href=\"/pkg/embark.css\"></head>\
         <body class=\"print-sheet\"><header class=\"no-print\"><h1>{count} access code{plural}</h1>\
         <p>Print this page with your browser (Ctrl+P or ⌘P): one card per person. Hand each card to its person; each code works once.</p>{truncated}\
         <p><a class=\"button button-quiet\" href=\"/admin/invitations\">Back to Unsent invitations</a></p></header>\
         <main class=\"code-cards\">{cards}</main></body></html>",
        plural = if count == 1 { "" } else { "s" },
    );
    (StatusCode::OK, Html(body)).into_response()
}

/// The same codes as a spreadsheet.
pub async fn download_csv(Extension(state): Extension<AppState>, admin: PeopleAdmin, Query(query): Query<SelectionQuery>) -> Response {
    let sheet = match load(&state, &admin, query, CodeExport::Csv).await {
        Ok(sheet) => sheet,
        Err(problem) => return problem.into_response(),
    };
    let mut writer = csv::Writer::from_writer(Vec::with_capacity(sheet.cards.len() * 160 + 128));
    let mut write = |record: [&str; 6]| writer.write_record(record.map(formula_safe));
    let mut written = write(["Full name", "Department", "Username", "Access code", "Enter it at", "Works until"]);
    for card in &sheet.cards {
        written = written
            .and_then(|()| write([&card.full_name, &card.department, card.username.as_deref().unwrap_or(""), &card.code, &sheet.entry_url, &card.expires]));
    }
    match written.and_then(|()| writer.into_inner().map_err(|e| e.into_error().into())) {
        Ok(bytes) => download("embark-access-codes.csv", "text/csv; charset=utf-8", bytes),
        Err(error) => {
            tracing::error!(error = %error, "access codes: the file could not be written");
            error_page(StatusCode::INTERNAL_SERVER_ERROR, "The file could not be made. Please try again.")
        }
    }
}

/// A QR code of `url` as inline SVG, or nothing if the address is too long
/// for one (the card still says where to go).
fn qr_svg(url: &str) -> String {
    match QrCode::new(url.as_bytes()) {
        Ok(code) => {
            let image = code.render::<svg::Color<'_>>().min_dimensions(132, 132).quiet_zone(true).build();
            // Inline in HTML: without the XML declaration, and labelled.
            let start = image.find("<svg").unwrap_or(0);
            image[start..].replacen("<svg", &format!("<svg role=\"img\" aria-label=\"QR code: {}\"", attribute("the address with this code")), 1)
        }
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_is_inline_svg_without_an_xml_declaration() {
        let svg = qr_svg("https://embark.example/claim/code?code=ABCD-EFGH-JKLM-NPQR");
        assert!(svg.starts_with("<svg role=\"img\""), "{}", &svg[..60]);
        assert!(!svg.contains("<?xml"));
    }
}
