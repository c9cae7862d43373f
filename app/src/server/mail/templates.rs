//! The claim email as sent: the shared words (`domain::claim_email`) in a
//! plain-text and an HTML body.

pub use crate::domain::claim_email::{long_date, ClaimEmailInput};

/// An email ready to send: a subject and two bodies saying the same thing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub fn render_claim_email(input: &ClaimEmailInput<'_>) -> RenderedEmail {
    let words = crate::domain::claim_email::render(input);
    let html = html_body(&words.body, words.personal_message.as_deref(), input.link, &words.footer);
    RenderedEmail { subject: words.subject, text: words.text, html }
}

fn html_body(body: &str, message: Option<&str>, link: &str, footer: &str) -> String {
    use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
    let paragraph = |raw: &str| format!("<p style=\"margin:0 0 16px\">{}</p>", text(raw.trim()).replace('\n', "<br>"));
    let mut html = String::from(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"></head>\
         <body style=\"margin:0;padding:24px;background:#f4f6f8;font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#1b1f24;line-height:1.5\">\
         <div style=\"max-width:560px;margin:0 auto;background:#ffffff;border:1px solid #d7dde4;border-radius:10px;padding:32px\">",
    );
    if let Some(message) = message {
        html.push_str("<div style=\"border-left:4px solid #1f5fbf;padding:8px 16px;margin:0 0 24px;background:#eaf2fd\">");
        html.push_str(&paragraph(message));
        html.push_str("</div>");
    }
    for block in body.split("\n\n").filter(|b| !b.trim().is_empty()) {
        if block.trim() == link {
            html.push_str(&format!(
                "<p style=\"margin:24px 0\"><a href=\"{href}\" style=\"background:#1f5fbf;color:#ffffff;padding:12px 20px;border-radius:6px;text-decoration:none;font-weight:600;display:inline-block\">Claim your account</a></p>\
                 <p style=\"margin:0 0 16px;font-size:13px;color:#4a5360\">Or paste this address into your browser:<br><a href=\"{href}\" style=\"color:#1f5fbf;word-break:break-all\">{shown}</a></p>",
                href = attr(link),
                shown = text(link),
            ));
        } else {
            let escaped = paragraph(block);
            let escaped_link = text(link).into_owned();
            html.push_str(&escaped.replace(&escaped_link, &format!("<a href=\"{}\" style=\"color:#1f5fbf\">{escaped_link}</a>", attr(link))));
        }
    }
    html.push_str(&format!("<p style=\"margin:24px 0 0;font-size:13px;color:#4a5360\">{}</p></div></body></html>", text(footer)));
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn input<'a>(subject: &'a str, body: &'a str, message: Option<&'a str>) -> ClaimEmailInput<'a> {
        ClaimEmailInput {
            subject_template: subject,
            body_template: body,
            first_name: "Grace",
            organization: "Acme <Robotics>",
            link: "https://embark.example.com/claim/abc",
            expires_at: datetime!(2026-12-22 10:00 UTC),
            personal_message: message,
        }
    }

    #[test]
    fn placeholders_are_filled_and_the_expiry_is_stated() {
        let email = render_claim_email(&input("Join {organization}", "Hi {first_name},\n\n{link}\n\nUntil {expiry_date}.", None));
        assert_eq!(email.subject, "Join Acme <Robotics>");
        assert!(email.text.starts_with("Hi Grace,\n\nhttps://embark.example.com/claim/abc\n\nUntil 22 December 2026."));
        assert!(email.html.contains("href=\"https://embark.example.com/claim/abc\""));
        assert!(email.html.contains("22 December 2026"));
    }

    #[test]
    fn html_escapes_what_the_admin_and_data_say() {
        let email = render_claim_email(&input("s", "Welcome to {organization}! {link}", Some("<script>alert(1)</script>")));
        assert!(email.html.contains("Acme &lt;Robotics&gt;"));
        assert!(!email.html.contains("<script>"));
        assert!(email.text.starts_with("<script>alert(1)</script>\n\n---"), "plain text is not escaped");
    }

    #[test]
    fn the_subject_never_carries_a_line_break() {
        let email = render_claim_email(&input("Hello\r\nBcc: victim@example.com", "{link}", None));
        assert!(!email.subject.contains(['\r', '\n']));
    }

    #[test]
    fn the_expiry_is_stated_once_whatever_the_template_says() {
        let with = render_claim_email(&input("s", "{link} until {expiry_date}", None));
        assert_eq!(with.text.matches("22 December 2026").count(), 1);
        let without = render_claim_email(&input("s", "{link}", None));
        assert_eq!(without.text.matches("22 December 2026").count(), 1);
        assert!(without.html.contains("22 December 2026"));
    }

    #[test]
    fn the_link_is_added_when_the_template_forgot_it() {
        let email = render_claim_email(&input("s", "Hi {first_name}", None));
        assert!(email.text.contains("https://embark.example.com/claim/abc"));
        assert!(email.html.contains("Claim your account"));
    }
}
