//! Why an upload was refused, kept in the session between the upload route
//! (which answers with a redirect) and the page that shows it. Reading does
//! not remove it: a page may be rendered more than once (on the server, and
//! again after a navigation), and each time it must say the same thing. The
//! page shows it only when the redirect says a refusal happened; the next
//! refusal of the same form replaces it.

use crate::api::uploads::UploadKind;
use tower_sessions::Session;

fn key(kind: UploadKind) -> &'static str {
    match kind {
        UploadKind::PeopleImport => "upload_refusal.people_import",
        UploadKind::InviteSelection => "upload_refusal.invite_selection",
    }
}

pub async fn remember_refusal(session: &Session, kind: UploadKind, reason: &str) -> Result<(), tower_sessions::session::Error> {
    session.insert(key(kind), reason).await
}

pub async fn last_refusal(session: &Session, kind: UploadKind) -> Result<Option<String>, tower_sessions::session::Error> {
    session.get(key(kind)).await
}
