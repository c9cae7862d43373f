//! Unsent Invitations: who is waiting for an invitation, Invite All, and
//! Invite Selected (by an uploaded list). Each sends only after the admin
//! has seen the exact email and confirmed the number of people.

use super::person::EmailPreview;
use crate::components::{action_error, FormError};
use crate::domain::AccountId;
use crate::error::AppError;
use crate::pages::errors::LoadError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// People listed on the page; the People page has everyone.
#[cfg(feature = "ssr")]
const SHOWN: i64 = 25;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitingPerson {
    pub id: AccountId,
    pub full_name: String,
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnsentInvitations {
    /// Uninvited accounts, and how many of them have no email address.
    pub waiting: i64,
    pub without_email: i64,
    pub first: Vec<WaitingPerson>,
    pub preview: Option<EmailPreview>,
    /// A problem with the last uploaded list, shown once.
    pub selection_problem: Option<String>,
}

/// One line of an uploaded list the report names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedLine {
    pub line: usize,
    pub text: String,
    pub reason: String,
}

/// What an uploaded list matched.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectionReport {
    pub file_name: String,
    pub listed: usize,
    /// Uninvited people with an email address: the ones Send invites.
    pub ready: usize,
    pub already_invited: usize,
    /// Claimed, deactivated, or without an email address.
    pub not_eligible: usize,
    pub unmatched: usize,
    /// Lines naming someone an earlier line already named.
    pub repeated: usize,
    pub unmatched_lines: Vec<ListedLine>,
    pub not_eligible_people: Vec<ListedLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectionView {
    pub id: Uuid,
    pub report: SelectionReport,
    /// Whether its invitations went out (they go once).
    pub sent: bool,
    pub preview: Option<EmailPreview>,
}

#[cfg(feature = "ssr")]
async fn sample_preview(state: &crate::server::AppState, first: Option<(&str, &str)>, message: Option<String>) -> Result<Option<EmailPreview>, AppError> {
    use crate::server::{context, services};
    let Some(message) = message else { return Ok(None) };
    let (name, email) = first.unwrap_or(("Alex Example", "alex@example.com"));
    services::outbox::preview_invitation(state, name, email, &message, time::OffsetDateTime::now_utc()).await.map(Some).map_err(context::internal)
}

/// Admins only. With `preview_message`, also the email Invite All would
/// send (shown for the first person waiting).
#[server(endpoint = "admin_unsent_invitations")]
pub async fn fetch_unsent(preview_message: Option<String>) -> Result<UnsentInvitations, AppError> {
    use crate::server::{context, db};
    context::require_admin()?;
    let state = context::state()?;
    let (waiting, without_email) = db::accounts::count_uninvited(&state.pool).await.map_err(context::internal)?;
    let first: Vec<WaitingPerson> = db::accounts::list_people(&state.pool, Some(crate::domain::AccountStatus::Uninvited), None, SHOWN)
        .await
        .map_err(context::internal)?
        .into_iter()
        .map(|p| WaitingPerson { id: p.id, full_name: p.full_name, email: p.email })
        .collect();
    let sample = first.iter().find_map(|p| p.email.as_deref().map(|e| (p.full_name.as_str(), e)));
    let preview = sample_preview(&state, sample, preview_message).await?;
    let session = context::session().await?;
    let selection_problem = session.remove::<String>(crate::server::FLASH_SELECTION_PROBLEM).await.map_err(context::internal)?;
    Ok(UnsentInvitations { waiting, without_email, first, preview, selection_problem })
}

#[cfg(feature = "ssr")]
fn invitation_of(personal_message: &str) -> Result<crate::server::services::lifecycle::Invitation, AppError> {
    use crate::server::{context, services};
    let personal_message = services::outbox::personal_message(personal_message).map_err(|problem| context::fail(AppError::Refused(problem.into())))?;
    Ok(services::lifecycle::Invitation { personal_message })
}

/// Admins only: invites every uninvited person with an email address, in one
/// transaction.
#[server(endpoint = "admin_invite_all")]
pub async fn invite_all(personal_message: String) -> Result<(), AppError> {
    use crate::server::context;
    use crate::server::db::audit::Actor;
    use crate::server::services::lifecycle::{self, InviteScope};
    let admin = context::require_admin()?;
    let state = context::state()?;
    let invitation = invitation_of(&personal_message)?;
    let actor = Actor::viewer(&admin);
    let sent =
        lifecycle::invite_many(&state, InviteScope::AllUninvited, &invitation, &actor, time::OffsetDateTime::now_utc()).await.map_err(context::internal)?;
    leptos_axum::redirect(&format!("/admin/invitations?sent={sent}"));
    Ok(())
}

/// Admins only.
#[server(endpoint = "admin_invite_selection")]
pub async fn fetch_selection(id: Uuid, preview_message: Option<String>) -> Result<SelectionView, AppError> {
    use crate::server::context;
    use crate::server::services::invite_selection::{self, SelectionError};
    context::require_admin()?;
    let state = context::state()?;
    let invite_selection::Selection { report, sent } = invite_selection::load(&state, id).await.map_err(|error| match error {
        SelectionError::Gone => context::fail(AppError::NotFound),
        other => context::internal(other),
    })?;
    let preview = sample_preview(&state, None, preview_message).await?;
    Ok(SelectionView { id, report, sent, preview })
}

/// Admins only: invites the uploaded list's people who are still waiting.
#[server(endpoint = "admin_send_selection")]
pub async fn send_selection(id: Uuid, personal_message: String) -> Result<(), AppError> {
    use crate::server::context;
    use crate::server::db::audit::Actor;
    use crate::server::services::invite_selection::{self, SelectionError};
    let admin = context::require_admin()?;
    let state = context::state()?;
    let invitation = invitation_of(&personal_message)?;
    let actor = Actor::viewer(&admin);
    let sent = invite_selection::send(&state, id, &invitation, &actor, time::OffsetDateTime::now_utc()).await.map_err(|error| match error {
        SelectionError::Unexpected(e) => context::internal(e),
        refused => context::fail(AppError::Refused(refused.to_string())),
    })?;
    leptos_axum::redirect(&format!("/admin/invitations/selected/{id}?sent={sent}"));
    Ok(())
}

/// An upload form that shows progress while the browser sends the file and
/// the server checks it (large files take a few seconds).
#[component]
pub fn UploadForm(action: &'static str, accept: &'static str, label: &'static str, button: &'static str, children: Children) -> impl IntoView {
    let busy = RwSignal::new(false);
    view! {
        <form method="post" action=action enctype="multipart/form-data" class="form-narrow upload-form" on:submit=move |_| busy.set(true)>
            <div class="field">
                <label for=format!("upload-{}", action.replace('/', "-"))>{label}</label>
                <input id=format!("upload-{}", action.replace('/', "-")) type="file" name="file" accept=accept required=true/>
                {children()}
            </div>
            <button type="submit" class="button" disabled=move || busy.get()>{button}</button>
            <Show when=move || busy.get()>
                <p class="upload-progress" role="status">
                    <progress aria-label="Uploading and checking the file"></progress>
                    " Uploading and checking the file… large files take a few seconds."
                </p>
            </Show>
        </form>
    }
}

/// The compose → preview → confirm steps every bulk invitation goes
/// through. `base` is the page's path; `send` is the final form.
fn compose_steps(
    base: String,
    count: usize,
    preview: Option<EmailPreview>,
    message: Option<String>,
    confirm: bool,
    send: impl IntoView + 'static,
) -> impl IntoView {
    let people = if count == 1 { "1 person".to_owned() } else { format!("{count} people") };
    let message_text = message.clone().unwrap_or_default();
    match (preview, confirm) {
        (None, _) => view! {
            <form method="get" action=base class="form-narrow">
                <input type="hidden" name="preview" value="1"/>
                <div class="field">
                    <label for="field-message">"Personal message (optional)"</label>
                    <textarea id="field-message" name="message" rows="3" maxlength="2000">{message_text}</textarea>
                    <p class="hint">"Added to the claim email from Settings. Each person gets their own link."</p>
                </div>
                <button type="submit" class="button">"Preview the email"</button>
            </form>
        }
        .into_any(),
        (Some(preview), false) => view! {
            <div class="email-preview" role="region" aria-label="Email preview">
                <p><strong>"To: "</strong>{preview.to}" (one email per person)"</p>
                <p><strong>"Subject: "</strong>{preview.subject}</p>
                <pre>{preview.text}</pre>
            </div>
            <form method="get" action=base.clone() class="inline-form">
                <input type="hidden" name="preview" value="1"/>
                <input type="hidden" name="confirm" value="1"/>
                <input type="hidden" name="message" value=message_text.clone()/>
                <button type="submit" class="button">{format!("Send to {people}…")}</button>
                " "<a class="button button-quiet" href=format!("{base}?message={}", urlencode(&message_text))>"Change the message"</a>
            </form>
        }
        .into_any(),
        (Some(_), true) => view! {
            <div class="notice notice-warning" role="alert">
                <strong>{format!("Send {} now? ", if count == 1 { "1 invitation".to_owned() } else { format!("{count} invitations") })}</strong>
                "Each person gets an email with their own claim link. This cannot be undone, but you can deactivate anyone later."
            </div>
            {send}
        }
        .into_any(),
    }
}

/// What the page says after a bulk invitation went out.
fn sent_notice(count: u64) -> impl IntoView {
    let plural = if count == 1 { "" } else { "s" };
    view! {
        <div class="notice notice-ok" role="status"><strong>"Sent: "</strong>
            {format!("{count} invitation{plural} queued. Follow delivery on the Outgoing mail page.")}
        </div>
    }
}

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[component]
pub fn UnsentInvitationsPage() -> impl IntoView {
    let query = use_query_map();
    let invite = ServerAction::<InviteAll>::new();
    let message = move || query.with(|q| q.get("message"));
    let previewing = move || query.with(|q| q.get("preview")).is_some();
    let confirm = move || query.with(|q| q.get("confirm")).is_some();
    let sent = move || query.with(|q| q.get("sent")).and_then(|n| n.parse::<u64>().ok());
    let unsent = Resource::new(move || (previewing().then(|| message().unwrap_or_default()), invite.version().get()), |(message, _)| fetch_unsent(message));
    let error = action_error(invite);
    view! {
        <Title text="Unsent Invitations"/>
        <h1>"Unsent Invitations"</h1>
        {move || sent().map(sent_notice)}
        <FormError error/>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match unsent.await {
                    Ok(unsent) => unsent_view(unsent, message(), confirm(), invite).into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn unsent_view(unsent: UnsentInvitations, message: Option<String>, confirm: bool, invite: ServerAction<InviteAll>) -> impl IntoView {
    let invitable = usize::try_from(unsent.waiting - unsent.without_email).unwrap_or(0);
    let message_text = message.clone().unwrap_or_default();
    let send = view! {
        <ActionForm action=invite>
            <input type="hidden" name="personal_message" value=message_text/>
            <button type="submit" class="button">{format!("Yes, send {invitable} invitations")}</button>
            " "<a class="button button-quiet" href="/admin/invitations">"Cancel"</a>
        </ActionForm>
    };
    view! {
        <section aria-labelledby="waiting-heading">
            <h2 id="waiting-heading">{format!("{} {} waiting for an invitation", unsent.waiting, if unsent.waiting == 1 { "person is" } else { "people are" })}</h2>
            {(unsent.without_email > 0).then(|| view! {
                <p>{format!("{} of them have no email address, so Invite All skips them.", unsent.without_email)}</p>
            })}
            {if unsent.waiting == 0 {
                view! {
                    <p>"Everyone has been invited. People you import with “Invite later” wait here until you invite them."</p>
                    <p><a class="button button-quiet" href="/admin/import">"Import people"</a></p>
                }.into_any()
            } else {
                view! {
                    <table class="data-table">
                        <caption class="visually-hidden">"People waiting for an invitation"</caption>
                        <thead><tr><th scope="col">"Name"</th><th scope="col">"Email"</th></tr></thead>
                        <tbody>
                            {unsent.first.iter().map(|p| view! {
                                <tr>
                                    <td><a href=format!("/admin/people/{}", p.id)>{p.full_name.clone()}</a></td>
                                    <td>{p.email.clone().unwrap_or_else(|| "no email address".into())}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                    {(unsent.waiting > unsent.first.len() as i64).then(|| view! {
                        <p><a href="/admin/people?status=uninvited">{format!("See all {} in People", unsent.waiting)}</a></p>
                    })}
                }.into_any()
            }}
        </section>
        {(invitable > 0).then(|| view! {
            <section aria-labelledby="all-heading">
                <h2 id="all-heading">"Invite All"</h2>
                <p>{format!("Send an invitation to all {invitable} people waiting who have an email address.")}</p>
                {compose_steps("/admin/invitations".to_owned(), invitable, unsent.preview.clone(), message.clone(), confirm, send)}
            </section>
        })}
        <section aria-labelledby="selected-heading">
            <h2 id="selected-heading">"Invite Selected"</h2>
            <p>
                "Upload a list of the people to invite: a .csv or .xlsx file with an “Email” or “External ID” column, "
                "a .vcf file of contacts, or a .txt file with one email address or external ID per line. "
                <a href="/admin/invitations/template.csv" download="">"Download the template (.csv)"</a>
            </p>
            {unsent.selection_problem.map(|problem| view! {
                <div class="notice notice-error" role="alert"><strong>"The file was not used: "</strong>{problem}</div>
            })}
            <UploadForm action="/admin/invitations/select" accept=".csv,.xlsx,.vcf,.vcard,.txt" label="List of people to invite" button="Check the list">
                <p class="hint">"Up to 200,000 lines and 50 MB. Nothing is sent until you confirm."</p>
            </UploadForm>
        </section>
    }
}

#[component]
pub fn InviteSelectionPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let send = ServerAction::<SendSelection>::new();
    let id = move || params.with(|p| p.get("id")).and_then(|raw| raw.parse::<Uuid>().ok());
    let message = move || query.with(|q| q.get("message"));
    let previewing = move || query.with(|q| q.get("preview")).is_some();
    let confirm = move || query.with(|q| q.get("confirm")).is_some();
    let sent = move || query.with(|q| q.get("sent")).and_then(|n| n.parse::<u64>().ok());
    let selection = Resource::new(
        move || (id(), previewing().then(|| message().unwrap_or_default()), send.version().get()),
        |(id, message, _)| async move {
            match id {
                Some(id) => fetch_selection(id, message).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let error = action_error(send);
    view! {
        <Title text="Invite Selected"/>
        <p><a href="/admin/invitations">"← Unsent Invitations"</a></p>
        <h1>"Invite Selected"</h1>
        {move || sent().map(sent_notice)}
        <FormError error/>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match selection.await {
                    Ok(selection) => selection_view(selection, message(), confirm(), send).into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn selection_view(selection: SelectionView, message: Option<String>, confirm: bool, send: ServerAction<SendSelection>) -> impl IntoView {
    let report = selection.report;
    let base = format!("/admin/invitations/selected/{}", selection.id);
    let ready = report.ready;
    let cancel = base.clone();
    let message_text = message.clone().unwrap_or_default();
    let send_form = view! {
        <ActionForm action=send>
            <input type="hidden" name="id" value=selection.id.to_string()/>
            <input type="hidden" name="personal_message" value=message_text/>
            <button type="submit" class="button">{format!("Yes, send {ready} invitations")}</button>
            " "<a class="button button-quiet" href=cancel>"Cancel"</a>
        </ActionForm>
    };
    view! {
        <p>{format!("“{}” lists {} {}.", report.file_name, report.listed, if report.listed == 1 { "line" } else { "lines" })}</p>
        <ul class="stat-grid" aria-label="What the list matched">
            <li class="stat"><span class="stat-figure">{report.ready}</span><span class="stat-label">"Matched, ready to invite"</span></li>
            <li class="stat"><span class="stat-figure">{report.already_invited}</span><span class="stat-label">"Already invited"</span></li>
            <li class="stat"><span class="stat-figure">{report.not_eligible}</span><span class="stat-label">"Not eligible"</span></li>
            <li class="stat"><span class="stat-figure">{report.unmatched}</span><span class="stat-label">"Not found"</span></li>
        </ul>
        {(report.repeated > 0).then(|| view! { <p>{format!("{} lines named someone an earlier line already named; they count once.", report.repeated)}</p> })}
        {(!report.unmatched_lines.is_empty()).then(|| lines_table("Not found", &report.unmatched_lines, report.unmatched))}
        {(!report.not_eligible_people.is_empty()).then(|| lines_table("Not eligible", &report.not_eligible_people, report.not_eligible))}
        {if selection.sent {
            view! { <p>"These invitations have been sent. To invite more people, upload another list on the Unsent Invitations page."</p> }.into_any()
        } else if ready == 0 {
            view! { <p>"Nobody on this list is waiting for an invitation, so there is nothing to send."</p> }.into_any()
        } else {
            view! {
                <section aria-labelledby="send-heading">
                    <h2 id="send-heading">{format!("Invite the {ready} matched people")}</h2>
                    {compose_steps(base, ready, selection.preview, message, confirm, send_form)}
                </section>
            }.into_any()
        }}
    }
}

fn lines_table(title: &'static str, lines: &[ListedLine], total: usize) -> impl IntoView {
    view! {
        <section>
            <h2>{title}</h2>
            <table class="data-table">
                <thead><tr><th scope="col">"Line"</th><th scope="col">"Listed as"</th><th scope="col">"Why"</th></tr></thead>
                <tbody>
                    {lines.iter().map(|l| view! { <tr><td>{l.line}</td><td>{l.text.clone()}</td><td>{l.reason.clone()}</td></tr> }).collect_view()}
                </tbody>
            </table>
            {(total > lines.len()).then(|| view! { <p>{format!("…and {} more.", total - lines.len())}</p> })}
        </section>
    }
}
