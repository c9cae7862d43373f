//! Upload forms: plain multipart forms that work without the script, posted
//! to the server's upload routes, which answer with a redirect back here.
//! A refused upload comes back with its reason, shown in the form.

use crate::api::uploads::UploadKind;
use crate::domain::PictureProblem;
use crate::error::AppError;
use crate::pages::errors::LoadError;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// Admins only: why the last upload through this form was refused.
#[server(endpoint = "upload_refusal")]
pub async fn fetch_upload_refusal(kind: UploadKind) -> Result<Option<String>, AppError> {
    use crate::server::{context, uploads};
    context::require_people_admin()?;
    let browser = context::session().await?;
    uploads::last_refusal(&browser, kind).await.map_err(context::internal)
}

/// A file upload to one of the server's upload routes. It shows progress
/// while the browser sends the file and the server checks it (large files
/// take a few seconds), and, when the route sent the browser back because
/// it refused the file (`?refused=1`), the reason.
#[component]
pub fn UploadForm(
    kind: UploadKind,
    action: &'static str,
    accept: &'static str,
    label: &'static str,
    button: &'static str,
    children: Children,
) -> impl IntoView {
    let busy = RwSignal::new(false);
    let refused = move || use_query_map().with(|q| q.get("refused").is_some());
    let reason = Resource::new(refused, move |refused| async move {
        if refused {
            fetch_upload_refusal(kind).await
        } else {
            Ok(None)
        }
    });
    let id = format!("upload-{}", action.trim_start_matches('/').replace('/', "-"));
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match reason.await {
                    Ok(Some(reason)) => Some(view! {
                        <div class="notice notice-error" role="alert"><strong>"The file was not accepted: "</strong>{reason}</div>
                    }.into_any()),
                    Ok(None) => None,
                    Err(error) => Some(view! { <LoadError error/> }.into_any()),
                }
            })}
        </Transition>
        <form method="post" action=action enctype="multipart/form-data" class="form-narrow upload-form" on:submit=move |_| busy.set(true)>
            <div class="field">
                <label for=id.clone()>{label}</label>
                <input id=id type="file" name="file" accept=accept required=true/>
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

/// Choosing a profile picture: the current picture if there is one, and why
/// the last upload was refused.
#[component]
pub fn PictureForm(action: &'static str, current: Option<String>, problem: Option<PictureProblem>) -> impl IntoView {
    view! {
        <form method="post" action=action enctype="multipart/form-data" class="picture-form">
            {current.map(|src| view! { <img class="avatar" src=src alt="Your profile picture" width="96" height="96"/> })}
            <div class="field">
                <label for="field-picture">"Profile picture (optional)"</label>
                <p class="hint" id="field-picture-hint">"PNG, JPEG or WebP, up to 5 MB. We crop it to a square."</p>
                <input id="field-picture" name="picture" type="file" accept="image/png,image/jpeg,image/webp"
                    aria-describedby="field-picture-hint" aria-invalid=problem.is_some().then_some("true")/>
                {problem.map(|p| view! { <p class="field-error" role="alert"><span aria-hidden="true">"⚠ "</span>{p.to_string()}</p> })}
            </div>
            <button type="submit" class="button-quiet">"Upload picture"</button>
        </form>
    }
}
