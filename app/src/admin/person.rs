//! One person: details, status history, pending invitation, and the
//! lifecycle actions an admin may take, each confirmed before it happens.

use crate::api::people::PersonDetail;
use crate::api::sso::PersonSignIn;
use crate::components::{action_error, FormError};
use crate::domain::{AccountId, AccountStatus, Role, SignInMethod, SsoPolicy};
use crate::error::AppError;
use crate::pages::errors::LoadError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// Admins only. With `preview`, also renders the invitation email the person
/// would receive with `preview_message` as the personal message.
#[server(endpoint = "admin_person")]
pub async fn fetch_person(id: AccountId, preview: Option<bool>, preview_message: Option<String>) -> Result<PersonDetail, AppError> {
    use crate::server::{context, services::people};
    context::require_people_admin()?;
    let state = context::state()?;
    let preview_message = preview.unwrap_or(false).then(|| preview_message.unwrap_or_default());
    Ok(people::detail(&state, id, preview_message.as_deref(), time::OffsetDateTime::now_utc()).await?)
}

/// Admins only: invites an uninvited person, or sends an invited person a
/// new link (the previous one stops working).
#[server(endpoint = "admin_invite_person")]
pub async fn invite_person(id: AccountId, personal_message: String) -> Result<(), AppError> {
    use crate::domain::PersonalMessage;
    use crate::server::{context, services::lifecycle};
    let admin = context::require_people_admin()?;
    let state = context::state()?;
    let personal_message = PersonalMessage::parse(&personal_message).map_err(|problem| context::refused(problem.message))?;
    let issued = lifecycle::invite(&state, id, &lifecycle::Invitation { personal_message }, &admin.actor(), time::OffsetDateTime::now_utc()).await?;
    leptos_axum::redirect(&format!("/admin/people/{id}?done={}", if issued.is_access_code() { "code" } else { "invited" }));
    Ok(())
}

/// Admins only: the person's live access code, to read out or copy
/// (audited).
#[server(endpoint = "admin_show_access_code")]
pub async fn show_access_code(id: AccountId) -> Result<String, AppError> {
    use crate::server::{context, services::access_codes};
    let admin = context::require_people_admin()?;
    let state = context::state()?;
    Ok(access_codes::show(&state, &admin.actor(), id, time::OffsetDateTime::now_utc()).await?)
}

/// Admins only: ends all of the person's access at once.
#[server(endpoint = "admin_deactivate_person")]
pub async fn deactivate_person(id: AccountId) -> Result<(), AppError> {
    use crate::server::{context, services::lifecycle};
    let admin = context::require_people_admin()?;
    if admin.account_id == id {
        return Err(context::refused("You can't deactivate your own account."));
    }
    let state = context::state()?;
    lifecycle::deactivate(&state, id, &admin.actor(), time::OffsetDateTime::now_utc()).await?;
    leptos_axum::redirect(&format!("/admin/people/{id}?done=deactivated"));
    Ok(())
}

/// Admins only.
#[server(endpoint = "admin_reactivate_person")]
pub async fn reactivate_person(id: AccountId) -> Result<(), AppError> {
    use crate::server::{context, services::lifecycle};
    let admin = context::require_people_admin()?;
    let state = context::state()?;
    lifecycle::reactivate(&state, id, &admin.actor(), time::OffsetDateTime::now_utc()).await?;
    leptos_axum::redirect(&format!("/admin/people/{id}?done=reactivated"));
    Ok(())
}

/// Admins only: deletes a deactivated person for good.
#[server(endpoint = "admin_delete_person")]
pub async fn delete_person(id: AccountId) -> Result<(), AppError> {
    use crate::server::{context, services::lifecycle};
    let admin = context::require_people_admin()?;
    let state = context::state()?;
    lifecycle::delete(&state, id, &admin.actor(), time::OffsetDateTime::now_utc()).await?;
    leptos_axum::redirect("/admin/people?deleted=1");
    Ok(())
}

/// Owners only: gives the person a role (audited). The last owner who can
/// sign in keeps theirs.
#[server(endpoint = "admin_set_role")]
pub async fn set_role(id: AccountId, role: String) -> Result<(), AppError> {
    use crate::server::{context, services::roles};
    let owner = context::require_owner()?;
    let state = context::state()?;
    let role = Role::parse(&role).ok_or_else(|| context::refused("Choose employee, people admin or owner."))?;
    roles::set_role(&state, &owner.actor(), id, role, time::OffsetDateTime::now_utc()).await?;
    leptos_axum::redirect(&format!("/admin/people/{id}?done=role"));
    Ok(())
}

/// Admins only: how the person signs in, and their linked identity.
#[server(endpoint = "admin_person_sign_in")]
pub async fn fetch_person_sign_in(id: AccountId) -> Result<PersonSignIn, AppError> {
    use crate::server::{context, services::sso};
    context::require_people_admin()?;
    let state = context::state()?;
    sso::person_sign_in(&state, id).await?.ok_or_else(context::not_found)
}

/// Admins only: sets the person's own sign-in method.
#[server(endpoint = "admin_set_sign_in_method")]
pub async fn set_sign_in_method(id: AccountId, method: String) -> Result<(), AppError> {
    use crate::domain::SignInMethod;
    use crate::server::{context, services::sso};
    let admin = context::require_people_admin()?;
    let state = context::state()?;
    let method = SignInMethod::parse(&method).ok_or_else(|| context::refused("Choose password or single sign-on."))?;
    sso::set_method(&state, &admin.actor(), id, method, time::OffsetDateTime::now_utc()).await?;
    leptos_axum::redirect(&format!("/admin/people/{id}?done=method"));
    Ok(())
}

/// Admins only: unlinks the person's identity at the provider.
#[server(endpoint = "admin_unlink_identity")]
pub async fn unlink_identity(id: AccountId) -> Result<(), AppError> {
    use crate::server::{context, services::sso};
    let admin = context::require_people_admin()?;
    let state = context::state()?;
    sso::unlink(&state, &admin.actor(), id, time::OffsetDateTime::now_utc()).await?;
    leptos_axum::redirect(&format!("/admin/people/{id}?done=unlinked"));
    Ok(())
}

#[component]
pub fn PersonPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let invite = ServerAction::<InvitePerson>::new();
    let deactivate = ServerAction::<DeactivatePerson>::new();
    let reactivate = ServerAction::<ReactivatePerson>::new();
    let delete = ServerAction::<DeletePerson>::new();
    let set_role = ServerAction::<SetRole>::new();
    let auth = expect_context::<crate::AuthContext>();
    let id = move || params.with(|p| p.get("id")).and_then(|raw| raw.parse::<AccountId>().ok());
    let preview_message = move || query.with(|q| q.get("message"));
    let preview_requested = move || query.with(|q| q.get("preview")).is_some();
    let confirm = move || query.with(|q| q.get("confirm"));
    let done = move || query.with(|q| q.get("done"));
    let person = Resource::new(
        move || {
            (
                id(),
                preview_requested(),
                preview_message(),
                invite.version().get(),
                deactivate.version().get(),
                reactivate.version().get(),
                set_role.version().get(),
            )
        },
        |(id, preview, message, ..)| async move {
            match id {
                Some(id) => fetch_person(id, Some(preview), message).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let errors = Signal::derive(move || {
        action_error(invite)
            .get()
            .or(action_error(deactivate).get())
            .or(action_error(reactivate).get())
            .or(action_error(delete).get())
            .or(action_error(set_role).get())
    });
    let actions = PersonActions { invite, deactivate, reactivate, delete, set_role };
    view! {
        <Title text="Person"/>
        <p><a href="/admin/people">"← All people"</a></p>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let viewer_is_owner = auth.viewer.await.ok().flatten().is_some_and(|viewer| viewer.is_owner());
                match person.await {
                    Ok(person) => person_view(person, viewer_is_owner, preview_message(), confirm(), done(), errors, actions).into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Transition>
        <SignInSection/>
    }
}

/// How the person signs in: their own method (used when the organisation
/// lets admins choose), and the identity linked at the provider.
#[component]
fn SignInSection() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let set_method = ServerAction::<SetSignInMethod>::new();
    let unlink = ServerAction::<UnlinkIdentity>::new();
    let id = move || params.with(|p| p.get("id")).and_then(|raw| raw.parse::<AccountId>().ok());
    let confirm = move || query.with(|q| q.get("confirm"));
    let sign_in = Resource::new(
        move || (id(), set_method.version().get(), unlink.version().get()),
        |(id, ..)| async move {
            match id {
                Some(id) => fetch_person_sign_in(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let errors = Signal::derive(move || action_error(set_method).get().or(action_error(unlink).get()));
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let (Ok(sign_in), Some(id)) = (sign_in.await, id()) else { return ().into_any() };
                let base = format!("/admin/people/{id}");
                let effective = match sign_in.effective_method {
                    SignInMethod::Password => "Password",
                    SignInMethod::Sso => "Single sign-on",
                };
                let policy_note = match sign_in.policy {
                    SsoPolicy::Nobody => "Single sign-on is off for everyone (Settings › Single sign-on).",
                    SsoPolicy::Everyone => "Everyone signs in with single sign-on (Settings › Single sign-on).",
                    SsoPolicy::Chosen => "This person's own method applies.",
                };
                view! {
                    <section class="actions" aria-labelledby="sign-in-heading">
                        <h2 id="sign-in-heading">"Sign-in"</h2>
                        <FormError error=errors/>
                        <dl class="facts">
                            <dt>"Signs in with"</dt><dd>{effective} " — " {policy_note}</dd>
                            <dt>"Linked identity"</dt>
                            <dd>{match sign_in.identity.clone() {
                                Some(identity) => format!("{} at {} (linked {}{})", identity.subject, identity.issuer, identity.bound_at,
                                    identity.email.map(|e| format!(", as {e}")).unwrap_or_default()),
                                None => "None".to_owned(),
                            }}</dd>
                        </dl>
                        <ActionForm action=set_method attr:class="form-inline">
                            <input type="hidden" name="id" value=id.to_string()/>
                            <div class="field">
                                <label for="field-method">"Own sign-in method"</label>
                                <select id="field-method" name="method">
                                    <option value="password" selected=sign_in.method == SignInMethod::Password>"Password"</option>
                                    <option value="sso" selected=sign_in.method == SignInMethod::Sso>"Single sign-on"</option>
                                </select>
                            </div>
                            <button type="submit" class="button-quiet">"Save sign-in method"</button>
                        </ActionForm>
                        {sign_in.identity.is_some().then(|| if confirm().as_deref() == Some("unlink") {
                            view! {
                                <div class="notice notice-error" role="alert"><strong>"Unlink the identity? "</strong>
                                    "They can no longer sign in with it. If they haven't claimed yet or you invite them again, they link one when they claim."</div>
                                <ActionForm action=unlink>
                                    <input type="hidden" name="id" value=id.to_string()/>
                                    <button type="submit" class="button button-danger">"Unlink now"</button>
                                    " "<a class="button button-quiet" href=base.clone()>"Cancel"</a>
                                </ActionForm>
                            }.into_any()
                        } else {
                            view! { <p><a class="button button-quiet" href=format!("{base}?confirm=unlink")>"Unlink identity…"</a></p> }.into_any()
                        })}
                    </section>
                }.into_any()
            })}
        </Transition>
    }
}

/// Someone without email: their access code's state, and showing, printing
/// or replacing it.
fn access_code_section(person: &PersonDetail, confirm: Option<&str>, invite: ServerAction<InvitePerson>) -> impl IntoView {
    let show = ServerAction::<ShowAccessCode>::new();
    let show_error = action_error(show);
    let id = person.id.to_string();
    let base = format!("/admin/people/{id}");
    let live = person.access_code.as_ref().is_some_and(|c| c.live);
    let state = person.access_code.as_ref().map_or_else(|| "None yet".to_owned(), |c| c.description.clone());
    let status = person.status;
    let actions = match (status, confirm) {
        (AccountStatus::Uninvited, _) => view! {
            <p>"They are not invited yet. Creating a code invites them; nothing is emailed."</p>
            <ActionForm action=invite>
                <input type="hidden" name="id" value=id.clone()/>
                <input type="hidden" name="personal_message" value=""/>
                <button type="submit" class="button">"Create access code"</button>
            </ActionForm>
        }
        .into_any(),
        (AccountStatus::Invited, Some("new-code")) => view! {
            <div class="notice notice-error" role="alert"><strong>"Make a new code? "</strong>"The current code stops working at once; give them the new one."</div>
            <ActionForm action=invite>
                <input type="hidden" name="id" value=id.clone()/>
                <input type="hidden" name="personal_message" value=""/>
                <button type="submit" class="button button-danger">"Make a new code"</button>
                " "<a class="button button-quiet" href=base.clone()>"Cancel"</a>
            </ActionForm>
        }
        .into_any(),
        (AccountStatus::Invited, _) => view! {
            <div class="button-row">
                {live.then({
                    let (show_id, print_href) = (id.clone(), format!("/admin/access-codes/print?id={id}"));
                    move || view! {
                        <ActionForm action=show attr:class="form-inline">
                            <input type="hidden" name="id" value=show_id/>
                            <button type="submit" class="button">"Show code"</button>
                        </ActionForm>
                        <a class="button button-quiet" href=print_href target="_blank" rel="external">"Print"</a>
                    }
                })}
                <a class="button button-quiet" href=format!("{base}?confirm=new-code")>"New code…"</a>
            </div>
        }
        .into_any(),
        _ => ().into_any(),
    };
    view! {
        <section class="actions" aria-labelledby="code-heading">
            <h2 id="code-heading">"Access code"</h2>
            <FormError error=show_error/>
            <dl class="facts"><dt>"Code"</dt><dd>{state}</dd></dl>
            {move || show.value().get().and_then(Result::ok).map(|code| view! {
                <p class="access-code" role="status"><span class="visually-hidden">"Access code: "</span>{code}</p>
            })}
            {actions}
        </section>
    }
}

/// The forms of the person page's actions.
#[derive(Clone, Copy)]
struct PersonActions {
    invite: ServerAction<InvitePerson>,
    deactivate: ServerAction<DeactivatePerson>,
    reactivate: ServerAction<ReactivatePerson>,
    delete: ServerAction<DeletePerson>,
    set_role: ServerAction<SetRole>,
}

/// The person's role: owners change it; everyone else reads it.
fn role_section(person: &PersonDetail, viewer_is_owner: bool, set_role: ServerAction<SetRole>) -> impl IntoView {
    let current = person.role;
    let form = viewer_is_owner.then(|| {
        let id = person.id.to_string();
        view! {
            <ActionForm action=set_role>
                <input type="hidden" name="id" value=id/>
                <fieldset>
                    <legend class="visually-hidden">"Role"</legend>
                    {Role::ALL.into_iter().map(|role| view! {
                        <label class="choice">
                            <input type="radio" name="role" value=role.as_str() checked=role == current/>
                            <strong>{role.label()}</strong>": "{role.explanation()}
                        </label>
                    }).collect_view()}
                </fieldset>
                <button type="submit" class="button-quiet">"Save role"</button>
            </ActionForm>
        }
    });
    view! {
        <section class="actions" aria-labelledby="role-heading">
            <h2 id="role-heading">"Role"</h2>
            {match form {
                Some(form) => form.into_any(),
                None => view! {
                    <p>{current.label()}" — "{current.explanation()}</p>
                    <p class="hint">"Only owners can change roles."</p>
                }.into_any(),
            }}
        </section>
    }
}

fn person_view(
    person: PersonDetail,
    viewer_is_owner: bool,
    preview_message: Option<String>,
    confirm: Option<String>,
    done: Option<String>,
    errors: Signal<Option<AppError>>,
    actions: PersonActions,
) -> impl IntoView {
    let PersonActions { invite, deactivate, reactivate, delete, set_role } = actions;
    let audit_href = format!("/admin/audit?person={}", person.id);
    let id = person.id.to_string();
    let base = format!("/admin/people/{id}");
    let can_invite = matches!(person.status, AccountStatus::Uninvited | AccountStatus::Invited) && person.email.is_some();
    let code_section = person.email.is_none().then(|| access_code_section(&person, confirm.as_deref(), invite));
    let invite_label = if person.status == AccountStatus::Invited { "Resend invitation" } else { "Invite" };
    let done_message = done.map(|d| match d.as_str() {
        "invited" => "The invitation is on its way. Any earlier link no longer works.",
        "code" => "A new access code is ready: show it or print it below. Any earlier code no longer works.",
        "deactivated" => "Deactivated. Their sessions, links and pending emails ended at once.",
        "reactivated" => "Reactivated.",
        "method" => "Sign-in method saved.",
        "unlinked" => "The identity is unlinked.",
        "role" => "Role saved. It applies from their next click on.",
        _ => "Done.",
    });
    view! {
        <div class="page-heading">
            <h1>{person.full_name.clone()}</h1>
            <span class=format!("status status-{}", person.status.as_str())>{person.status.label()}</span>
        </div>
        {done_message.map(|m| view! { <div class="notice notice-ok" role="status"><strong>"Done: "</strong>{m}</div> })}
        <FormError error=errors/>
        <dl class="facts">
            <dt>"Email"</dt><dd>{person.email.clone().unwrap_or_else(|| "None (claims with an access code)".into())}</dd>
            {person.username.clone().map(|username| view! { <dt>"Username"</dt><dd>{username}</dd> })}
            <dt>"External ID"</dt><dd>{person.external_id.clone().unwrap_or_else(|| "—".into())}</dd>
            <dt>"Job title"</dt><dd>{person.title.clone()}</dd>
            <dt>"Department"</dt><dd>{person.department.clone()}</dd>
            <dt>"Location"</dt><dd>{person.location.clone()}</dd>
            <dt>"Phone"</dt><dd>{person.phone.clone()}</dd>
            {person.email.is_some().then(|| view! {
                <dt>"Pending invitation"</dt>
                <dd>{person.invitation_expires.clone().map_or_else(|| "None".to_owned(), |at| format!("Link works until {at}"))}</dd>
            })}
        </dl>

        {code_section}
        {role_section(&person, viewer_is_owner, set_role)}
        <section class="actions" aria-labelledby="actions-heading">
            <h2 id="actions-heading">"Actions"</h2>
            {can_invite.then({
                let (id, base, preview_message, preview) = (id.clone(), base.clone(), preview_message.clone(), person.preview.clone());
                move || match preview {
                None => view! {
                    <form method="get" action=base.clone() class="form-narrow">
                        <input type="hidden" name="preview" value="1"/>
                        <div class="field">
                            <label for="field-message">"Personal message (optional)"</label>
                            <textarea id="field-message" name="message" rows="3">{preview_message.clone().unwrap_or_default()}</textarea>
                        </div>
                        <button type="submit" class="button">{format!("{invite_label}: preview the email")}</button>
                    </form>
                }.into_any(),
                Some(preview) => view! {
                    <div class="email-preview" role="region" aria-label="Email preview">
                        <p><strong>"To: "</strong>{preview.to}</p>
                        <p><strong>"Subject: "</strong>{preview.subject}</p>
                        <pre>{preview.text}</pre>
                    </div>
                    <ActionForm action=invite>
                        <input type="hidden" name="id" value=id.clone()/>
                        <input type="hidden" name="personal_message" value=preview_message.clone().unwrap_or_default()/>
                        <button type="submit" class="button">{format!("Send this email ({invite_label})")}</button>
                        " "<a class="button button-quiet" href=base.clone()>"Cancel"</a>
                    </ActionForm>
                }.into_any(),
            }})}
            {match (person.status, confirm.as_deref()) {
                (AccountStatus::Deactivated, Some("delete")) => view! {
                    <div class="notice notice-error" role="alert"><strong>"Delete for good? "</strong>"The account and its memberships are removed; the audit log keeps a record that it existed. This cannot be undone."</div>
                    <ActionForm action=delete>
                        <input type="hidden" name="id" value=id.clone()/>
                        <button type="submit" class="button button-danger">"Delete permanently"</button>
                        " "<a class="button button-quiet" href=base.clone()>"Cancel"</a>
                    </ActionForm>
                }.into_any(),
                (AccountStatus::Deactivated, _) => view! {
                    <ActionForm action=reactivate>
                        <input type="hidden" name="id" value=id.clone()/>
                        <button type="submit" class="button">"Reactivate"</button>
                    </ActionForm>
                    <p><a class="button button-quiet" href=format!("{base}?confirm=delete")>"Delete…"</a></p>
                }.into_any(),
                (_, Some("deactivate")) => view! {
                    <div class="notice notice-error" role="alert"><strong>"Deactivate? "</strong>"This signs them out everywhere at once, and their links and pending emails stop working. You can reactivate them later."</div>
                    <ActionForm action=deactivate>
                        <input type="hidden" name="id" value=id.clone()/>
                        <button type="submit" class="button button-danger">"Deactivate now"</button>
                        " "<a class="button button-quiet" href=base.clone()>"Cancel"</a>
                    </ActionForm>
                }.into_any(),
                _ => view! { <p><a class="button button-quiet" href=format!("{base}?confirm=deactivate")>"Deactivate…"</a></p> }.into_any(),
            }}
        </section>

        <section aria-labelledby="history-heading">
            <h2 id="history-heading">"History"</h2>
            <p><a href=audit_href>"Everything they did and that was done to them, in the audit log"</a></p>
            <table class="data-table">
                <thead><tr><th scope="col">"When"</th><th scope="col">"What"</th><th scope="col">"By"</th></tr></thead>
                <tbody>
                    {person.history.into_iter().map(|e| view! { <tr><td>{e.at}</td><td>{e.what}</td><td>{e.actor}</td></tr> }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}
