//! Outgoing mail: what is queued, sent, failed or cancelled, and why.

use crate::components::{action_error, FormError};
use crate::domain::OutboxId;
use crate::error::AppError;
use crate::pages::errors::LoadError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
const PAGE_SIZE: i64 = 50;
const STATES: [(&str, &str); 5] = [("queued", "Queued"), ("sending", "Sending"), ("sent", "Sent"), ("failed", "Failed"), ("cancelled", "Cancelled")];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailItem {
    pub id: OutboxId,
    pub what: String,
    pub recipient: String,
    pub state: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub queued_at: String,
    pub sent_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailPage {
    pub items: Vec<MailItem>,
    pub next: Option<String>,
    pub smtp_configured: bool,
}

fn state_label(state: &str) -> &'static str {
    STATES.iter().find(|(value, _)| *value == state).map_or("Unknown", |(_, label)| label)
}

/// Admins only.
#[server(endpoint = "admin_mail")]
pub async fn list_mail(state: Option<String>, before: Option<String>) -> Result<MailPage, AppError> {
    use crate::server::context;
    use crate::server::db::outbox::{self, OutboxState};
    context::require_admin()?;
    let app = context::state()?;
    let filter = OutboxState::ALL.into_iter().find(|s| Some(s.as_str()) == state.as_deref());
    // The cursor is "<unix nanos>:<id>"; a malformed one starts from the top.
    let cursor = before.as_deref().and_then(|raw| {
        let (nanos, id) = raw.split_once(':')?;
        let at = time::OffsetDateTime::from_unix_timestamp_nanos(nanos.parse().ok()?).ok()?;
        Some((at, id.parse::<OutboxId>().ok()?))
    });
    let rows = outbox::list(&app.pool, filter, cursor, PAGE_SIZE + 1).await.map_err(context::internal)?;
    let next = (rows.len() as i64 > PAGE_SIZE)
        .then(|| rows.get(PAGE_SIZE as usize - 1).map(|r| format!("{}:{}", r.created_at.unix_timestamp_nanos(), r.id)))
        .flatten();
    let shown = crate::domain::timestamp_label;
    let items = rows
        .into_iter()
        .take(PAGE_SIZE as usize)
        .map(|r| MailItem {
            id: r.id,
            what: match (r.kind.as_str(), &r.full_name) {
                (outbox::CLAIM_INVITATION, Some(name)) => format!("Invitation for {name}"),
                (outbox::CLAIM_INVITATION, None) => "Invitation".to_owned(),
                (other, _) => other.to_owned(),
            },
            recipient: r.recipient,
            state: r.state.as_str().to_owned(),
            attempts: r.attempts,
            last_error: r.last_error,
            queued_at: shown(r.created_at),
            sent_at: r.sent_at.map(shown),
        })
        .collect();
    Ok(MailPage { items, next, smtp_configured: app.mailer.is_some() })
}

/// Admins only: shows a queued invitation's live link (audited).
#[server(endpoint = "admin_reveal_link")]
pub async fn reveal_link(id: OutboxId) -> Result<String, AppError> {
    use crate::server::db::audit::Actor;
    use crate::server::{context, services};
    let admin = context::require_admin()?;
    let state = context::state()?;
    let actor = Actor::viewer(&admin);
    services::outbox::reveal_claim_link(&state, id, &actor, time::OffsetDateTime::now_utc())
        .await
        .map_err(context::internal)?
        .ok_or_else(|| context::fail(AppError::Refused("This invitation's link no longer works (it was replaced, used, or has expired).".into())))
}

#[component]
pub fn OutgoingMailPage() -> impl IntoView {
    let query = use_query_map();
    let state = move || query.with(|q| q.get("state"));
    let before = move || query.with(|q| q.get("before"));
    let reveal = ServerAction::<RevealLink>::new();
    let reveal_error = action_error(reveal);
    let mail = Resource::new(move || (state(), before()), |(state, before)| list_mail(state, before));
    view! {
        <Title text="Outgoing mail"/>
        <h1>"Outgoing mail"</h1>
        <form method="get" action="/admin/mail" class="filters">
            <div class="field">
                <label for="mail-state">"Show"</label>
                <select id="mail-state" name="state">
                    <option value="" selected=move || state().is_none()>"All mail"</option>
                    {STATES.into_iter().map(|(value, label)| view! {
                        <option value=value selected=move || state().as_deref() == Some(value)>{label}</option>
                    }).collect_view()}
                </select>
            </div>
            <button type="submit" class="button-quiet">"Apply"</button>
        </form>
        <FormError error=reveal_error/>
        {move || reveal.value().get().and_then(Result::ok).map(|link| view! {
            <div class="notice notice-info" role="status">
                <label for="revealed-link"><strong>"Claim link: "</strong>"copy it and give it only to this person."</label>
                <input id="revealed-link" type="text" readonly=true value=link/>
            </div>
        })}
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match mail.await {
                    Ok(page) => {
                        let notice = (!page.smtp_configured).then(|| view! {
                            <div class="notice notice-info" role="status"><strong>"SMTP is not configured: "</strong>"mail waits here. Set EMBARK_SMTP_URL and EMBARK_MAIL_FROM to send it, or show an invitation's link and hand it over yourself."</div>
                        });
                        let next = page.next.clone().map(|cursor| {
                            let mut href = format!("/admin/mail?before={}", form_urlencoded::byte_serialize(cursor.as_bytes()).collect::<String>());
                            if let Some(s) = state() { href.push_str(&format!("&state={s}")); }
                            href
                        });
                        let body = if page.items.is_empty() {
                            view! { <div class="empty-state"><h2>"No mail here"</h2><p>"Invitations appear here as soon as they are queued."</p></div> }.into_any()
                        } else {
                            view! {
                                <table class="data-table">
                                    <thead><tr><th scope="col">"Email"</th><th scope="col">"To"</th><th scope="col">"Status"</th><th scope="col">"Queued"</th><th scope="col">"Details"</th></tr></thead>
                                    <tbody>
                                        {page.items.into_iter().map(|item| {
                                            let revealable = matches!(item.state.as_str(), "queued" | "failed" | "sending");
                                            view! {
                                                <tr>
                                                    <th scope="row">{item.what.clone()}</th>
                                                    <td>{item.recipient.clone()}</td>
                                                    <td><span class=format!("status mail-{}", item.state)>{state_label(&item.state)}</span></td>
                                                    <td>{item.queued_at.clone()}</td>
                                                    <td>
                                                        {item.sent_at.clone().map(|at| view! { <span>"Sent " {at}</span> })}
                                                        {item.last_error.clone().map(|e| view! { <span class="mail-error">{format!("After {} attempt(s): {e}", item.attempts)}</span> })}
                                                        {revealable.then(|| view! {
                                                            <ActionForm action=reveal attr:class="inline">
                                                                <input type="hidden" name="id" value=item.id.to_string()/>
                                                                <button type="submit" class="button-quiet">{format!("Show link for {}", item.recipient)}</button>
                                                            </ActionForm>
                                                        })}
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any()
                        };
                        view! { {notice} {body} {next.map(|href| view! { <p><a class="button button-quiet" href=href>"Older mail"</a></p> })} }.into_any()
                    }
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Transition>
    }
}
