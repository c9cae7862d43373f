//! Outgoing mail: what is queued, sent, failed or cancelled, and why.

use crate::api::mail::MailPage;
use crate::components::{action_error, FormError};
use crate::domain::{EmailState, OutboxId};
use crate::error::AppError;
use crate::pages::errors::LoadError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Admins only.
#[server(endpoint = "admin_mail")]
pub async fn list_mail(state: Option<String>, before: Option<String>) -> Result<MailPage, AppError> {
    use crate::server::{context, services::outgoing_mail};
    context::require_people_admin()?;
    let app = context::state()?;
    let filter = state.as_deref().and_then(EmailState::from_str_opt);
    Ok(outgoing_mail::page(&app, filter, before.as_deref()).await?)
}

/// Admins only: shows a queued invitation's live link (audited).
#[server(endpoint = "admin_reveal_link")]
pub async fn reveal_link(id: OutboxId) -> Result<String, AppError> {
    use crate::server::{context, services::outgoing_mail};
    let admin = context::require_people_admin()?;
    let state = context::state()?;
    outgoing_mail::reveal_claim_link(&state, id, &admin.actor(), time::OffsetDateTime::now_utc())
        .await?
        .ok_or_else(|| context::refused("This invitation's link no longer works (it was replaced, used, or has expired)."))
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
                    {EmailState::ALL.into_iter().map(|s| view! {
                        <option value=s.as_str() selected=move || state().as_deref() == Some(s.as_str())>{s.label()}</option>
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
                                            let revealable = matches!(item.state, EmailState::Queued | EmailState::Failed | EmailState::Sending);
                                            view! {
                                                <tr>
                                                    <th scope="row">{item.what.clone()}</th>
                                                    <td>{item.recipient.clone()}</td>
                                                    <td><span class=format!("status mail-{}", item.state.as_str())>{item.state.label()}</span></td>
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
