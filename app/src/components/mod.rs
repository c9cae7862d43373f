//! Building blocks shared by pages: layout, form fields, notices, and the
//! upload forms (`upload`).

mod upload;

pub use upload::{PictureForm, UploadForm};

use crate::api::auth::Viewer;
use crate::error::AppError;
use crate::AuthContext;
use leptos::prelude::*;
use leptos_router::components::A;

/// The bar at the top of every signed-in page: where to go, who is signed
/// in, and signing out. It waits for who is signed in on its own, so the
/// page around it renders at once (and once).
#[component]
pub fn SiteHeader() -> impl IntoView {
    let auth = expect_context::<AuthContext>();
    view! {
        <Transition fallback=|| view! { <header class="site-header"><a class="brand" href="/">"Embark"</a></header> }>
            {move || Suspend::new(async move { auth.viewer.await.ok().flatten().map(|viewer| header_bar(viewer, auth)) })}
        </Transition>
    }
}

fn header_bar(viewer: Viewer, auth: AuthContext) -> impl IntoView {
    view! {
        <header class="site-header">
            <a class="brand" href="/">"Embark"</a>
            <nav aria-label="Main">
                <A href="/">"Home"</A>
                <A href="/profile">"Your profile"</A>
                {viewer.manages_people().then(|| view! { <A href="/admin">"Admin panel"</A> })}
            </nav>
            <div class="who">
                <span class="who-name">{viewer.full_name.clone()}</span>
                <ActionForm action=auth.sign_out attr:class="inline">
                    <button type="submit" class="button-quiet">"Sign out"</button>
                </ActionForm>
            </div>
        </header>
    }
}

/// Radio buttons for one form field, each with its own label; the one
/// whose value is `checked` is chosen.
pub fn radio_options(name: &'static str, options: impl IntoIterator<Item = (&'static str, &'static str)>, checked: &str) -> impl IntoView {
    options
        .into_iter()
        .map(|(value, label)| {
            let id = format!("field-{name}-{value}");
            view! {
                <div class="radio">
                    <input type="radio" id=id.clone() name=name value=value checked=value == checked/>
                    <label for=id>{label}</label>
                </div>
            }
        })
        .collect_view()
}

/// A labelled text input with its hint and error, wired for screen readers.
#[component]
pub fn TextField(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(optional)] autocomplete: &'static str,
    #[prop(optional, into)] hint: String,
    #[prop(optional)] required: bool,
    #[prop(optional, into)] value: String,
    #[prop(optional, into)] error: MaybeProp<String>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let has_hint = !hint.is_empty();
    let described_by = {
        let hint_id = hint_id.clone();
        let error_id = error_id.clone();
        move || {
            let mut ids = Vec::new();
            if has_hint {
                ids.push(hint_id.clone());
            }
            if error.get().is_some() {
                ids.push(error_id.clone());
            }
            ids.join(" ")
        }
    };
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            {(!hint.is_empty()).then(|| view! { <p class="hint" id=hint_id>{hint.clone()}</p> })}
            <input
                id=id
                name=name
                type=input_type
                autocomplete=(!autocomplete.is_empty()).then_some(autocomplete)
                required=required
                value=value
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=described_by
            />
            {move || error.get().map(|message| view! {
                <p class="field-error" id=error_id.clone()><span aria-hidden="true">"⚠ "</span>{message}</p>
            })}
        </div>
    }
}

/// A form-level message for an error that is not about one field.
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    view! {
        {move || error.get().map(|error| {
            let message = match &error {
                AppError::Invalid(_) => "Please correct the fields marked below.".to_owned(),
                other => other.to_string(),
            };
            view! {
                <div class="notice notice-error" role="alert">
                    <strong>"Error: "</strong>{message}
                </div>
            }
        })}
    }
}

/// The latest error of a server action, if its last run failed.
pub fn action_error<I, O>(action: ServerAction<I>) -> Signal<Option<AppError>>
where
    I: leptos::server_fn::ServerFn<Output = O, Error = AppError> + Clone + Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
{
    // One mapped signal, made here: `value()` makes a new one at each call,
    // and a form reads its error several times per field.
    let value = action.value();
    Signal::derive(move || value.get().and_then(|result| result.err()))
}

/// The error for one field, from an action's latest error.
pub fn field_error(error: Signal<Option<AppError>>, name: &'static str) -> MaybeProp<String> {
    MaybeProp::derive(move || error.get().and_then(|e| e.field(name)))
}

/// The message for one field from an action's latest error, for inputs that
/// are not a [`TextField`] (textareas, checkboxes, selects).
pub fn field_message(error: Signal<Option<AppError>>, name: &'static str) -> impl IntoView {
    move || {
        field_error(error, name).get().map(|message| {
            view! {
                <p class="field-error"><span aria-hidden="true">"⚠ "</span>{message}</p>
            }
        })
    }
}

/// A calm full-width message used for empty states.
#[component]
pub fn EmptyState(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <div class="empty-state">
            <h2>{title}</h2>
            {children()}
        </div>
    }
}
