//! Groups: create, edit, delete (confirmed), and curate members.

use crate::api::groups::{GroupDetail, GroupListItem};
use crate::components::{action_error, field_error, FormError, TextField};
use crate::domain::{AccountId, GroupId};
use crate::error::AppError;
use crate::pages::errors::LoadError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// Admins only.
#[server(endpoint = "admin_groups")]
pub async fn list_groups() -> Result<Vec<GroupListItem>, AppError> {
    use crate::server::{context, services::groups};
    context::require_people_admin()?;
    let state = context::state()?;
    Ok(groups::list(&state).await?)
}

/// Admins only.
#[server(endpoint = "admin_create_group")]
pub async fn create_group(name: String, description: String, is_open: Option<String>, suggested: Option<String>) -> Result<(), AppError> {
    use crate::domain::GroupSettings;
    use crate::server::{context, services::groups};
    let admin = context::require_people_admin()?;
    let state = context::state()?;
    let settings = GroupSettings::parse(&name, &description, is_open.is_some(), suggested.is_some()).map_err(context::invalid)?;
    let id = groups::create(&state, &settings, &admin.actor(), time::OffsetDateTime::now_utc()).await?;
    leptos_axum::redirect(&format!("/admin/groups/{id}?done=created"));
    Ok(())
}

/// Admins only.
#[server(endpoint = "admin_group")]
pub async fn fetch_group(id: GroupId) -> Result<GroupDetail, AppError> {
    use crate::server::{context, services::groups};
    context::require_people_admin()?;
    let state = context::state()?;
    Ok(groups::detail(&state, id).await?)
}

/// Admins only.
#[server(endpoint = "admin_update_group")]
pub async fn update_group(id: GroupId, name: String, description: String, is_open: Option<String>, suggested: Option<String>) -> Result<(), AppError> {
    use crate::domain::GroupSettings;
    use crate::server::{context, services::groups};
    let admin = context::require_people_admin()?;
    let state = context::state()?;
    let settings = GroupSettings::parse(&name, &description, is_open.is_some(), suggested.is_some()).map_err(context::invalid)?;
    groups::update(&state, id, &settings, &admin.actor(), time::OffsetDateTime::now_utc()).await?;
    leptos_axum::redirect(&format!("/admin/groups/{id}?done=saved"));
    Ok(())
}

/// Admins only.
#[server(endpoint = "admin_delete_group")]
pub async fn delete_group(id: GroupId) -> Result<(), AppError> {
    use crate::server::{context, services::groups};
    let admin = context::require_people_admin()?;
    let state = context::state()?;
    groups::delete(&state, id, &admin.actor(), time::OffsetDateTime::now_utc()).await?;
    leptos_axum::redirect("/admin/groups?done=deleted");
    Ok(())
}

/// Admins only. Adds anyone by email, including people not yet invited.
#[server(endpoint = "admin_add_group_member")]
pub async fn add_group_member(id: GroupId, email: String) -> Result<(), AppError> {
    use crate::domain::EmailAddress;
    use crate::server::{context, services::groups};
    let admin = context::require_people_admin()?;
    let state = context::state()?;
    let email = EmailAddress::parse(&email).map_err(context::invalid)?;
    groups::add_member_by_email(&state, id, &email, &admin.actor(), time::OffsetDateTime::now_utc()).await?;
    leptos_axum::redirect(&format!("/admin/groups/{id}?done=added"));
    Ok(())
}

/// Admins only.
#[server(endpoint = "admin_remove_group_member")]
pub async fn remove_group_member(id: GroupId, account: AccountId) -> Result<(), AppError> {
    use crate::server::{context, services::groups};
    let admin = context::require_people_admin()?;
    let state = context::state()?;
    groups::remove_member(&state, id, account, &admin.actor(), time::OffsetDateTime::now_utc()).await?;
    leptos_axum::redirect(&format!("/admin/groups/{id}?done=removed"));
    Ok(())
}

fn done_notice(done: Option<String>) -> impl IntoView {
    done.map(|done| {
        let message = match done.as_str() {
            "created" => "The group was created.",
            "saved" => "Your changes were saved.",
            "deleted" => "The group was deleted.",
            "added" => "Added to the group.",
            "removed" => "Removed from the group.",
            _ => "Done.",
        };
        view! { <div class="notice notice-ok" role="status"><strong>"Done: "</strong>{message}</div> }
    })
}

fn flag_fields(is_open: bool, suggested: bool) -> impl IntoView {
    view! {
        <div class="field checkbox">
            <input type="checkbox" id="field-is_open" name="is_open" checked=is_open/>
            <label for="field-is_open">"Open: anyone can find and join it when they claim their account"</label>
        </div>
        <div class="field checkbox">
            <input type="checkbox" id="field-suggested" name="suggested" checked=suggested/>
            <label for="field-suggested">"Suggested: offered to everyone in the claim wizard"</label>
        </div>
    }
}

#[component]
pub fn GroupsPage() -> impl IntoView {
    let create = ServerAction::<CreateGroup>::new();
    let error = action_error(create);
    let done = move || use_query_map().with(|q| q.get("done"));
    let groups = Resource::new(|| (), |_| list_groups());
    view! {
        <Title text="Groups"/>
        <h1>"Groups"</h1>
        {done_notice(done())}
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match groups.await {
                    Ok(groups) if groups.is_empty() => view! {
                        <div class="empty-state"><h2>"No groups yet"</h2><p>"Create the first one below. New people can pick suggested and open groups when they claim their account."</p></div>
                    }.into_any(),
                    Ok(groups) => view! {
                        <table class="data-table">
                            <thead><tr><th scope="col">"Group"</th><th scope="col">"Members"</th><th scope="col">"Who can join"</th><th scope="col">"In the claim wizard"</th></tr></thead>
                            <tbody>
                                {groups.into_iter().map(|g| view! {
                                    <tr>
                                        <th scope="row"><a href=format!("/admin/groups/{}", g.id)>{g.name}</a></th>
                                        <td>{g.members}</td>
                                        <td>{if g.is_open { "Open" } else { "Closed" }}</td>
                                        <td>{if g.suggested { "Suggested" } else { "—" }}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Transition>
        <section aria-labelledby="new-group-heading" class="actions">
            <h2 id="new-group-heading">"New group"</h2>
            <FormError error/>
            <ActionForm action=create attr:class="form-narrow">
                <TextField label="Name" name="name" required=true error=field_error(error, "name")/>
                <TextField label="Description" name="description" error=field_error(error, "description")/>
                {flag_fields(true, false)}
                <button type="submit" class="button">"Create group"</button>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn GroupPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let update = ServerAction::<UpdateGroup>::new();
    let delete = ServerAction::<DeleteGroup>::new();
    let add = ServerAction::<AddGroupMember>::new();
    let remove = ServerAction::<RemoveGroupMember>::new();
    let id = move || params.with(|p| p.get("id")).and_then(|raw| raw.parse::<GroupId>().ok());
    let group = Resource::new(
        move || (id(), update.version().get(), add.version().get(), remove.version().get()),
        |(id, ..)| async move {
            match id {
                Some(id) => fetch_group(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let update_error = action_error(update);
    let add_error = action_error(add);
    let other_error = Signal::derive(move || action_error(delete).get().or(action_error(remove).get()));
    view! {
        <Title text="Group"/>
        <p><a href="/admin/groups">"← All groups"</a></p>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let confirm_delete = query.with(|q| q.get("confirm")).as_deref() == Some("delete");
                let done = query.with(|q| q.get("done"));
                match group.await {
                    Ok(detail) => {
                        let g = detail.group.clone();
                        let id = g.id.to_string();
                        let member_group_id = id.clone();
                        let (id_for_update, id_for_add, id_for_delete) = (id.clone(), id.clone(), id.clone());
                        let cancel_href = format!("/admin/groups/{id}");
                        let delete_section = if confirm_delete {
                            view! {
                                <div class="notice notice-error" role="alert"><strong>"Delete this group? "</strong>"Its members stay; only the group and its memberships go. This cannot be undone."</div>
                                <ActionForm action=delete>
                                    <input type="hidden" name="id" value=id_for_delete/>
                                    <button type="submit" class="button button-danger">"Delete group"</button>
                                    " "<a class="button button-quiet" href=cancel_href>"Cancel"</a>
                                </ActionForm>
                            }.into_any()
                        } else {
                            view! { <p><a class="button button-quiet" href=format!("/admin/groups/{id}?confirm=delete")>"Delete group…"</a></p> }.into_any()
                        };
                        view! {
                            <h1>{g.name.clone()}</h1>
                            {done_notice(done)}
                            <FormError error=other_error/>
                            <section aria-labelledby="settings-heading" class="actions">
                                <h2 id="settings-heading">"Settings"</h2>
                                <FormError error=update_error/>
                                <ActionForm action=update attr:class="form-narrow">
                                    <input type="hidden" name="id" value=id_for_update/>
                                    <TextField label="Name" name="name" required=true value=g.name.clone() error=field_error(update_error, "name")/>
                                    <TextField label="Description" name="description" value=g.description.clone() error=field_error(update_error, "description")/>
                                    {flag_fields(g.is_open, g.suggested)}
                                    <button type="submit" class="button">"Save changes"</button>
                                </ActionForm>
                            </section>
                            <section aria-labelledby="members-heading" class="actions">
                                <h2 id="members-heading">{format!("Members ({})", detail.members.len())}</h2>
                                <FormError error=add_error/>
                                <ActionForm action=add attr:class="inline-field">
                                    <input type="hidden" name="id" value=id_for_add/>
                                    <label for="field-member-email" class="visually-hidden">"Email address of the person to add"</label>
                                    <input id="field-member-email" name="email" type="email" required=true placeholder="name@example.com"
                                        aria-invalid=move || field_error(add_error, "email").get().is_some().then_some("true")/>
                                    <button type="submit" class="button">"Add member"</button>
                                </ActionForm>
                                {crate::components::field_message(add_error, "email")}
                                {if detail.members.is_empty() {
                                    view! { <p class="hint">"No members yet."</p> }.into_any()
                                } else {
                                    view! {
                                        <table class="data-table">
                                            <thead><tr><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Status"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                                            <tbody>
                                                {detail.members.into_iter().map(|m| {
                                                    let id = member_group_id.clone();
                                                    view! {
                                                        <tr>
                                                            <th scope="row">{m.full_name.clone()}</th>
                                                            <td>{m.email.clone().unwrap_or_default()}</td>
                                                            <td><span class=format!("status status-{}", m.status.as_str())>{m.status.label()}</span></td>
                                                            <td>
                                                                <ActionForm action=remove attr:class="inline">
                                                                    <input type="hidden" name="id" value=id/>
                                                                    <input type="hidden" name="account" value=m.id.to_string()/>
                                                                    <button type="submit" class="button-quiet">{format!("Remove {}", m.full_name)}</button>
                                                                </ActionForm>
                                                            </td>
                                                        </tr>
                                                    }
                                                }).collect_view()}
                                            </tbody>
                                        </table>
                                    }.into_any()
                                }}
                            </section>
                            <section aria-labelledby="danger-heading" class="actions">
                                <h2 id="danger-heading">"Delete"</h2>
                                {delete_section}
                            </section>
                        }.into_any()
                    }
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Transition>
    }
}
