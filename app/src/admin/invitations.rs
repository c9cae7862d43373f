//! Unsent Invitations: who is waiting for an invitation, Invite All, and
//! Invite Selected (by an uploaded list). Each sends only after the admin
//! has seen the exact email and confirmed the number of people.

use crate::api::invitations::{ListedLine, SelectionView, UnsentInvitations};
use crate::api::people::EmailPreview;
use crate::api::uploads::UploadKind;
use crate::components::{action_error, FormError, UploadForm};
use crate::error::AppError;
use crate::pages::errors::LoadError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use uuid::Uuid;

/// Admins only. With `preview_message`, also the email Invite All would
/// send (shown for the first person waiting).
#[server(endpoint = "admin_unsent_invitations")]
pub async fn fetch_unsent(preview_message: Option<String>) -> Result<UnsentInvitations, AppError> {
    use crate::server::{context, services::invitations};
    context::require_people_admin()?;
    let state = context::state()?;
    Ok(invitations::unsent(&state, preview_message.as_deref(), time::OffsetDateTime::now_utc()).await?)
}

/// Admins only: invites every uninvited person with an email address, in one
/// transaction.
#[server(endpoint = "admin_invite_all")]
pub async fn invite_all(personal_message: String) -> Result<(), AppError> {
    use crate::domain::PersonalMessage;
    use crate::server::context;
    use crate::server::services::lifecycle::{self, Invitation, InviteScope};
    let admin = context::require_people_admin()?;
    let state = context::state()?;
    let personal_message = PersonalMessage::parse(&personal_message).map_err(|problem| context::refused(problem.message))?;
    let invitation = Invitation { personal_message };
    let sent = lifecycle::invite_many(&state, InviteScope::AllUninvited, &invitation, &admin.actor(), time::OffsetDateTime::now_utc()).await?;
    leptos_axum::redirect(&format!("/admin/invitations?sent={sent}"));
    Ok(())
}

/// Admins only.
#[server(endpoint = "admin_invite_selection")]
pub async fn fetch_selection(id: Uuid, preview_message: Option<String>) -> Result<SelectionView, AppError> {
    use crate::server::{context, services::invite_selection};
    context::require_people_admin()?;
    let state = context::state()?;
    Ok(invite_selection::view(&state, id, preview_message.as_deref(), time::OffsetDateTime::now_utc()).await?)
}

/// Admins only: invites the uploaded list's people who are still waiting.
#[server(endpoint = "admin_send_selection")]
pub async fn send_selection(id: Uuid, personal_message: String) -> Result<(), AppError> {
    use crate::domain::PersonalMessage;
    use crate::server::context;
    use crate::server::services::{invite_selection, lifecycle::Invitation};
    let admin = context::require_people_admin()?;
    let state = context::state()?;
    let personal_message = PersonalMessage::parse(&personal_message).map_err(|problem| context::refused(problem.message))?;
    let sent = invite_selection::send(&state, id, &Invitation { personal_message }, &admin.actor(), time::OffsetDateTime::now_utc()).await?;
    leptos_axum::redirect(&format!("/admin/invitations/selected/{id}?sent={sent}"));
    Ok(())
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
        <section aria-labelledby="codes-heading">
            <h2 id="codes-heading">"Access codes"</h2>
            <p>"People without an email address claim their account with an access code. Print a card for each invited person whose code still works, or download the codes as a spreadsheet."</p>
            <form method="get" action="/admin/access-codes/print" class="form-inline">
                <div class="field">
                    <label for="field-codes-department">"Department (optional)"</label>
                    <input id="field-codes-department" name="department" type="text" autocomplete="off"/>
                </div>
                <button type="submit" class="button">"Print access codes"</button>
                <button type="submit" class="button button-quiet" formaction="/admin/access-codes.csv">"Download as CSV"</button>
            </form>
        </section>
        <section aria-labelledby="selected-heading">
            <h2 id="selected-heading">"Invite Selected"</h2>
            <p>
                "Upload a list of the people to invite: a .csv or .xlsx file with an “Email” or “External ID” column, "
                "a .vcf file of contacts, an .ldif export from your directory (Active Directory, OpenLDAP), "
                "or a .txt file with one email address, external ID or username per line. "
                <a href="/admin/invitations/template.csv" download="">"Download the template (.csv)"</a>
            </p>
            <UploadForm kind=UploadKind::InviteSelection action="/admin/invitations/select" accept=".csv,.xlsx,.vcf,.vcard,.txt,.ldif" label="List of people to invite" button="Check the list">
                <p class="hint">"Up to 200,000 lines and 50 MB. Nothing is sent until you confirm."</p>
            </UploadForm>
        </section>
    }
}

fn unsent_view(unsent: UnsentInvitations, message: Option<String>, confirm: bool, invite: ServerAction<InviteAll>) -> impl IntoView {
    let invitable = usize::try_from(unsent.waiting).unwrap_or(0);
    let by_email = unsent.waiting - unsent.without_email;
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
                <p>{format!("{} of them have no email address: inviting them creates an access code for each, which you print below and hand over.", unsent.without_email)}</p>
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
                <p>{if unsent.without_email == 0 {
                    format!("Send an invitation to all {invitable} people waiting.")
                } else {
                    format!("Email an invitation to the {by_email} people waiting who have an email address, and create an access code for the {} without one.", unsent.without_email)
                }}</p>
                {(!unsent.integrations_to_switch_on.is_empty()).then(|| view! {
                    <p class="notice" role="note">{format!(
                        "Invite All also turns on automatic invitations for {}: people they add from now on are invited as soon as they arrive.",
                        unsent.integrations_to_switch_on.join(", ")
                    )}</p>
                })}
                {compose_steps("/admin/invitations".to_owned(), invitable, unsent.preview.clone(), message.clone(), confirm, send)}
            </section>
        })}
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
        <p>{listed_summary(&report.file_name, report.listed)}</p>
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

/// "“staff.ldif” lists 3 entries": a directory export lists entries, a vCard
/// file contacts, anything else lines.
fn listed_summary(file_name: &str, listed: usize) -> String {
    let extension = file_name.rsplit_once('.').map(|(_, ext)| ext.to_ascii_lowercase()).unwrap_or_default();
    let (one, many) = match extension.as_str() {
        "ldif" => ("entry", "entries"),
        "vcf" | "vcard" => ("contact", "contacts"),
        _ => ("line", "lines"),
    };
    format!("“{file_name}” lists {listed} {}.", if listed == 1 { one } else { many })
}
