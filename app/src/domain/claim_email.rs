//! The claim email's words, from the admin's templates. Shared by the server
//! (which sends it) and the browser (which previews it while the admin types).
//! Placeholders: {first_name}, {organization}, {link}, {expiry_date}.

use time::OffsetDateTime;

pub const PLACEHOLDERS: [&str; 4] = ["{first_name}", "{organization}", "{link}", "{expiry_date}"];

/// What one claim email needs.
pub struct ClaimEmailInput<'a> {
    pub subject_template: &'a str,
    pub body_template: &'a str,
    pub first_name: &'a str,
    pub organization: &'a str,
    pub link: &'a str,
    pub expires_at: OffsetDateTime,
    pub personal_message: Option<&'a str>,
}

/// The email's words, before any HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimEmailText {
    pub subject: String,
    /// The admin's body with placeholders filled (and the link appended if
    /// the template forgot it).
    pub body: String,
    pub personal_message: Option<String>,
    pub footer: String,
    /// The whole plain-text email.
    pub text: String,
}

/// "22 December 2026": unambiguous in every locale.
pub fn long_date(at: OffsetDateTime) -> String {
    format!("{} {} {}", at.day(), at.month(), at.year())
}

fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values.iter().fold(template.to_owned(), |text, (key, value)| text.replace(&format!("{{{key}}}"), value))
}

pub fn render(input: &ClaimEmailInput<'_>) -> ClaimEmailText {
    let expiry = long_date(input.expires_at);
    let values = [("first_name", input.first_name), ("organization", input.organization), ("link", input.link), ("expiry_date", expiry.as_str())];
    // SECURITY: a header value never carries a line break (SECURITY.md rule 20).
    let subject = fill(input.subject_template, &values).replace(['\r', '\n'], " ").trim().to_owned();
    let mut body = fill(input.body_template, &values);
    if !body.contains(input.link) {
        // Whatever the admin wrote, the email must carry the link.
        body.push_str(&format!("\n\n{}", input.link));
    }
    let personal_message = input.personal_message.map(str::trim).filter(|m| !m.is_empty()).map(str::to_owned);
    // The expiry is stated once: in the admin's words, or else here.
    let footer = if body.contains(&expiry) {
        "This link is only for you. If you weren't expecting it, you can ignore this email.".to_owned()
    } else {
        format!("This link works until {expiry} and only for you. If you weren't expecting it, you can ignore this email.")
    };
    let mut text = String::new();
    if let Some(message) = &personal_message {
        text.push_str(message);
        text.push_str("\n\n---\n\n");
    }
    text.push_str(&body);
    text.push_str(&format!("\n\n{footer}\n"));
    ClaimEmailText { subject, body, personal_message, footer, text }
}
