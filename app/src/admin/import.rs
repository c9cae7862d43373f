//! Importing people from a spreadsheet: upload → dry-run preview → invite
//! now or later → apply, all or nothing.

use crate::api::import::{Applied, DirectorySyncView, ImportView};
use crate::api::uploads::UploadKind;
use crate::components::{action_error, FormError, UploadForm};
use crate::error::AppError;
use crate::pages::errors::LoadError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

/// Admins only.
#[server(endpoint = "admin_import")]
pub async fn fetch_import(id: Uuid) -> Result<ImportView, AppError> {
    use crate::server::{context, services::import};
    context::require_people_admin()?;
    let state = context::state()?;
    Ok(import::load(&state, id).await?)
}

/// Admins only: applies a previewed file. `invite` is "now" or "later".
#[server(endpoint = "admin_apply_import")]
pub async fn apply_import(id: Uuid, invite: String, personal_message: Option<String>) -> Result<(), AppError> {
    use crate::domain::PersonalMessage;
    use crate::server::context;
    use crate::server::services::{import, lifecycle::Invitation};
    let admin = context::require_people_admin()?;
    let state = context::state()?;
    let invitation = match invite.as_str() {
        "now" => {
            let personal_message =
                PersonalMessage::parse(personal_message.as_deref().unwrap_or_default()).map_err(|problem| context::refused(problem.message))?;
            Some(Invitation { personal_message })
        }
        "later" => None,
        _ => return Err(context::refused("Choose whether to invite these people now or later.")),
    };
    import::apply(&state, id, invitation.as_ref(), &admin.actor(), time::OffsetDateTime::now_utc()).await?;
    leptos_axum::redirect(&format!("/admin/import/{id}"));
    Ok(())
}

#[component]
pub fn ImportPage() -> impl IntoView {
    view! {
        <Title text="Import people"/>
        <p><a href="/admin/people">"← People"</a></p>
        <h1>"Import people"</h1>
        <p>
            "Add or update many people at once from a spreadsheet. You will see exactly what the file changes before anything is saved, "
            "and a file is applied completely or not at all."
        </p>
        <UploadForm kind=UploadKind::PeopleImport action="/admin/import/upload" accept=".csv,.xlsx" label="Spreadsheet of people (.csv or .xlsx)" button="Check the file">
            <p class="hint">"Up to 200,000 rows and 50 MB. Nothing changes until you apply the preview."</p>
        </UploadForm>
        <section aria-labelledby="format-heading">
            <h2 id="format-heading">"What the file should look like"</h2>
            <p>
                "Start from a template: "
                <a href="/admin/import/template.csv" download="">"CSV template"</a>" or "
                <a href="/admin/import/template.xlsx" download="">"Excel template"</a>"."
            </p>
            <ul>
                <li>"The first row names the columns: Email, External ID, Full name, Title, Department, Location, Phone, Manager email, Groups, Sign-in method, Username. Only Email, External ID or Username is required; leave out the columns you don't need."</li>
                <li>"People without an email address claim their account with an access code instead of an email. Give them a username, or an external ID and Embark makes a username from their name."</li>
                <li>"Sign-in method is password or sso. It matters when single sign-on is on for chosen people (Settings → Single sign-on); empty means password for new people."</li>
                <li>"A row updates the person with the same External ID, or else the same email address; other rows add new people, who need an email address and a full name."</li>
                <li>"An empty cell keeps what Embark already has. Separate several groups with semicolons; groups that don't exist yet are created (closed, so only admins add people to them)."</li>
                <li>"CSV files may use commas or semicolons and may be saved with or without a byte-order mark, in UTF-8."</li>
            </ul>
        </section>
    }
}

#[component]
pub fn ImportPreviewPage() -> impl IntoView {
    let params = use_params_map();
    let apply = ServerAction::<ApplyImport>::new();
    let id = move || params.with(|p| p.get("id")).and_then(|raw| raw.parse::<Uuid>().ok());
    let import = Resource::new(
        move || (id(), apply.version().get()),
        |(id, _)| async move {
            match id {
                Some(id) => fetch_import(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let error = action_error(apply);
    view! {
        <Title text="Import preview"/>
        <FormError error/>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match import.await {
                    Ok(import) => preview_view(import, apply).into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn preview_view(import: ImportView, apply: ServerAction<ApplyImport>) -> impl IntoView {
    let deactivating = import.directory.as_ref().map_or(0, |plan| plan.deactivating);
    let changes = import.new + import.updated + deactivating;
    let report = format!("/admin/import/{}/problems.csv", import.id);
    let is_sync = import.directory.is_some();
    let invites_new = import.directory.as_ref().is_some_and(|plan| plan.invites_new);
    let (noun, what) = if is_sync { ("Sync", "What the directory lists") } else { ("Import", "What the file contains") };
    let (back, back_label) = if is_sync { ("/admin/integrations/directory", "← Directory sync") } else { ("/admin/import", "← Import people") };
    let heading = format!("{noun} {}", if import.applied.is_some() { "applied" } else { "preview" });
    view! {
        <Title text=heading.clone()/>
        <p><a href=back>{back_label}</a></p>
        <h1>{heading}</h1>
        <p>{format!("“{}”", import.file_name)}</p>
        {import.applied.map(|Applied { created, updated, invited, deactivated }| view! {
            <div class="notice notice-ok" role="status">
                <strong>"Done: "</strong>
                {format!("{created} people added, {updated} updated")}
                {(deactivated > 0).then(|| format!(", {deactivated} deactivated"))}
                {match (invited, created) {
                    (0, 0) => ".".to_owned(),
                    (0, _) => ". Invite them from Unsent Invitations when you are ready.".to_owned(),
                    _ => format!(", {invited} invited. Follow delivery on the Outgoing mail page."),
                }}
            </div>
        })}
        <ul class="stat-grid" aria-label=what>
            <li class="stat"><span class="stat-figure">{import.new}</span><span class="stat-label">"New"</span></li>
            <li class="stat"><span class="stat-figure">{import.updated}</span><span class="stat-label">"Updated"</span></li>
            <li class="stat"><span class="stat-figure">{import.unchanged}</span><span class="stat-label">"Unchanged"</span></li>
            {import.directory.as_ref().map(|plan| view! {
                <li class="stat"><span class="stat-figure">{plan.leaving}</span><span class="stat-label">"Left the directory"</span></li>
            })}
            <li class="stat"><span class="stat-figure">{import.invalid}</span><span class="stat-label">"Invalid (skipped)"</span></li>
        </ul>
        {import.directory.clone().map(|plan| leaving_view(plan, import.applied.is_some()))}
        {(!import.new_groups.is_empty()).then(|| view! {
            <p>{format!("New groups: {}.", import.new_groups.join(", "))}</p>
        })}
        {(import.invalid > 0).then(|| view! {
            <section aria-labelledby="invalid-heading">
                <h2 id="invalid-heading">{format!("{} invalid {}", import.invalid, match (is_sync, import.invalid == 1) {
                    (true, true) => "entry",
                    (true, false) => "entries",
                    (false, true) => "row",
                    (false, false) => "rows",
                })}</h2>
                <p>
                    {if is_sync {
                        "These entries will be skipped. Fix them in the directory; the next sync picks them up. "
                    } else {
                        "These rows will be skipped. Fix them in your spreadsheet and import it again; rows already imported then count as unchanged. "
                    }}
                    <a href=report.clone() download="">"Download the error report (.csv)"</a>
                </p>
                <table class="data-table">
                    {if is_sync {
                        // An entry is named by its DN: where to fix it in the directory.
                        view! {
                            <thead><tr><th scope="col">"Directory entry"</th><th scope="col">"Problem"</th></tr></thead>
                            <tbody>
                                {import.invalid_lines.iter().map(|r| view! { <tr><td class="dn">{r.label.clone()}</td><td>{r.problem.clone()}</td></tr> }).collect_view()}
                            </tbody>
                        }.into_any()
                    } else {
                        view! {
                            <thead><tr><th scope="col">"Line"</th><th scope="col">"Email or External ID"</th><th scope="col">"Problem"</th></tr></thead>
                            <tbody>
                                {import.invalid_lines.iter().map(|r| view! { <tr><td>{r.line}</td><td>{r.label.clone()}</td><td>{r.problem.clone()}</td></tr> }).collect_view()}
                            </tbody>
                        }.into_any()
                    }}
                </table>
                {(import.invalid > import.invalid_lines.len() as i64).then(|| view! {
                    <p>{format!("Showing the first {}; the error report has all of them.", import.invalid_lines.len())}</p>
                })}
            </section>
        })}
        {match (import.applied.is_some(), changes > 0) {
            (true, _) => view! { <p><a class="button button-quiet" href="/admin/people">"Go to People"</a></p> }.into_any(),
            (false, false) => view! { <p>{if is_sync { "Nothing in the directory would change Embark." } else { "Nothing in this file would change Embark." }}</p> }.into_any(),
            (false, true) if is_sync => view! {
                <ActionForm action=apply attr:class="form-narrow">
                    <input type="hidden" name="id" value=import.id.to_string()/>
                    <input type="hidden" name="invite" value="later"/>
                    <p>{if import.new == 0 {
                        ""
                    } else if invites_new {
                        "This directory invites people automatically: the new people get their claim email when you apply."
                    } else {
                        "The new people are added uninvited and wait in Unsent Invitations (Invite All, or turn on inviting automatically on the Directory sync page)."
                    }}</p>
                    <button type="submit" class="button">{format!("Apply: add {}, update {}, deactivate {}", import.new, import.updated, deactivating)}</button>
                </ActionForm>
            }.into_any(),
            (false, true) => view! {
                <ActionForm action=apply attr:class="form-narrow">
                    <input type="hidden" name="id" value=import.id.to_string()/>
                    <fieldset class="field">
                        <legend>"When should the new people get their invitation?"</legend>
                        <label class="choice"><input type="radio" name="invite" value="later" checked=true/>" Invite later: they wait in Unsent Invitations"</label>
                        <label class="choice"><input type="radio" name="invite" value="now"/>" Invite now: everyone in the file who hasn't been invited yet gets the claim email"</label>
                    </fieldset>
                    <div class="field">
                        <label for="field-message">"Personal message for “Invite now” (optional)"</label>
                        <textarea id="field-message" name="personal_message" rows="3" maxlength="2000"></textarea>
                    </div>
                    <button type="submit" class="button">{format!("Apply: add {} and update {}", import.new, import.updated)}</button>
                </ActionForm>
            }.into_any(),
        }}
    }
}

/// Who a directory sync no longer finds, and what applying does to them.
fn leaving_view(plan: DirectorySyncView, applied: bool) -> impl IntoView {
    (plan.leaving > 0).then(|| {
        let fate = move |deactivated: bool| match (deactivated, applied) {
            (true, false) => "Deactivated when you apply",
            (true, true) => "Deactivated",
            (false, _) if plan.deactivates => "Stays active: has an admin role, deactivate them yourself if they left",
            (false, _) => "Stays as is (this directory only reports departures)",
        };
        view! {
            <section aria-labelledby="leaving-heading">
                <h2 id="leaving-heading">{match plan.leaving { 1 => "1 person left the directory".to_owned(), n => format!("{n} people left the directory") }}</h2>
                <p>"They came from the directory and the filter no longer finds them: they were disabled, deleted, or moved out of the base DN or the filter."</p>
                <table class="data-table">
                    <thead><tr><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"What happens"</th></tr></thead>
                    <tbody>
                        {plan.leaving_shown.iter().map(|person| view! {
                            <tr><td>{person.name.clone()}</td><td>{person.email.clone().unwrap_or_default()}</td><td>{fate(person.deactivated)}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
                {(plan.leaving > plan.leaving_shown.len() as i64).then(|| view! {
                    <p>{format!("Showing the first {} by name.", plan.leaving_shown.len())}</p>
                })}
            </section>
        }
    })
}
