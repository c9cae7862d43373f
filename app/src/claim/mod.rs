//! The claim wizard: terms (when required) → profile → password, or single
//! sign-on for people who sign in with it (neither when the claim's proof
//! already signed the person in) → groups. The
//! server keeps the answers in the session and enforces the order
//! (`server::services::claim`); each step is a plain form that works before
//! the script loads, in a file of its own under `steps/`.

mod code;
mod problem;
mod steps;

pub use code::{ClaimWithCode, ClaimWithCodePage};

use crate::api::claim::{ClaimView, LinkProblem, Step, StepView};
use crate::domain::{GroupId, PictureProblem};
use crate::error::AppError;
use crate::pages::errors::LoadError;
use crate::AuthContext;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Anyone: what this browser's claim shows now. `search` looks for open
/// groups to join.
#[server(endpoint = "claim_view")]
pub async fn fetch_claim_view(search: Option<String>) -> Result<ClaimView, AppError> {
    use crate::server::{context, services::claim};
    let state = context::state()?;
    let browser = context::session().await?;
    Ok(claim::view(&state, &browser, context::viewer().as_ref(), search.as_deref(), time::OffsetDateTime::now_utc()).await?)
}

/// The person in the middle of a claim (their session), when terms apply.
#[server(endpoint = "claim_accept_terms")]
pub async fn accept_terms(accepted: Option<String>) -> Result<(), AppError> {
    use crate::server::{context, services::claim};
    let state = context::state()?;
    let browser = context::session().await?;
    claim::accept_terms(&state, &browser, context::viewer().as_ref(), accepted.as_deref() == Some("yes")).await?;
    leptos_axum::redirect("/claim");
    Ok(())
}

/// The person in the middle of a claim, once earlier steps are done.
#[server(endpoint = "claim_profile")]
pub async fn save_claim_profile(full_name: String, title: String, department: String, location: String, phone: String) -> Result<(), AppError> {
    use crate::domain::ProfileDetails;
    use crate::server::{context, services::claim};
    let state = context::state()?;
    let browser = context::session().await?;
    let profile = ProfileDetails::parse(&full_name, &title, &department, &location, &phone).map_err(context::invalid)?;
    claim::save_profile(&state, &browser, context::viewer().as_ref(), profile).await?;
    leptos_axum::redirect("/claim");
    Ok(())
}

/// The person in the middle of a claim, once earlier steps are done.
#[server(endpoint = "claim_password")]
pub async fn choose_password(username: Option<String>, password: String, password_confirmation: String) -> Result<(), AppError> {
    use crate::server::{context, services::claim};
    let state = context::state()?;
    let browser = context::session().await?;
    claim::choose_password(&state, &browser, context::viewer().as_ref(), username.as_deref(), &password, &password_confirmation).await?;
    leptos_axum::redirect("/claim");
    Ok(())
}

/// The person in the middle of a claim, once every other step is done.
/// Claims the account and signs the person in.
#[server(endpoint = "claim_finish")]
pub async fn finish_claim(groups: Option<Vec<GroupId>>) -> Result<(), AppError> {
    use crate::server::{context, services::claim};
    let state = context::state()?;
    let browser = context::session().await?;
    claim::finish(&state, &browser, context::viewer().as_ref(), groups.unwrap_or_default(), time::OffsetDateTime::now_utc()).await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Anyone whose session holds an expired link: mails a new one to the
/// address on file.
#[server(endpoint = "claim_new_link")]
pub async fn request_new_claim_link() -> Result<(), AppError> {
    use crate::server::{context, services::claim};
    let state = context::state()?;
    let browser = context::session().await?;
    claim::request_new_link(&state, &browser, time::OffsetDateTime::now_utc()).await?;
    Ok(())
}

/// The actions of the wizard's steps, created once per page.
#[derive(Clone, Copy)]
pub(crate) struct StepActions {
    pub accept: ServerAction<AcceptTerms>,
    pub profile: ServerAction<SaveClaimProfile>,
    pub password: ServerAction<ChoosePassword>,
    pub finish: ServerAction<FinishClaim>,
}

#[component]
pub fn ClaimPage() -> impl IntoView {
    let auth = expect_context::<AuthContext>();
    let actions = StepActions {
        accept: ServerAction::<AcceptTerms>::new(),
        profile: ServerAction::<SaveClaimProfile>::new(),
        password: ServerAction::<ChoosePassword>::new(),
        finish: auth.finish_claim,
    };
    let new_link = ServerAction::<RequestNewClaimLink>::new();
    let search = move || use_query_map().with(|q| q.get("q"));
    let picture_problem = move || use_query_map().with(|q| q.get("picture_error")).and_then(|code| PictureProblem::from_code(&code));
    // Set by the link route for a link that matches nothing (which stores
    // nothing in the session).
    let unknown_link = move || use_query_map().with(|q| q.get("link").as_deref() == Some("unknown"));
    let claim = Resource::new(
        move || (search(), actions.accept.version().get(), actions.profile.version().get(), actions.password.version().get(), actions.finish.version().get()),
        |(search, ..)| fetch_claim_view(search),
    );
    view! {
        <Title text="Claim your account"/>
        <main class="centered-page">
            <div class="card wizard">
                <Transition fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match claim.await {
                            _ if unknown_link() => problem::problem_view(LinkProblem::Unknown, new_link).into_any(),
                            Ok(ClaimView::Step(step)) => step_view(*step, picture_problem(), actions).into_any(),
                            Ok(ClaimView::Problem(problem)) => problem::problem_view(problem, new_link).into_any(),
                            Ok(ClaimView::NoClaim) => view! {
                                <h1>"Open your invitation link"</h1>
                                <p>"To claim your account, open the link in the invitation email you received. \
                                    If you can't find it, ask your administrator to send it again."</p>
                                <p>"Were you given an access code instead? "<a href="/claim/code">"Enter your access code"</a>"."</p>
                            }.into_any(),
                            Err(error) => view! { <LoadError error/> }.into_any(),
                        }
                    })}
                </Transition>
            </div>
        </main>
    }
}

/// The step the server says comes next, under the wizard's progress.
fn step_view(view_data: StepView, picture_problem: Option<PictureProblem>, actions: StepActions) -> impl IntoView {
    let progress = progress_list(view_data.step, &view_data.steps, view_data.sso_button_label.as_deref(), view_data.username.is_some());
    let body = match view_data.step {
        Step::Terms => steps::terms::view(view_data, actions.accept).into_any(),
        Step::Profile => steps::profile::view(view_data, picture_problem, actions.profile).into_any(),
        Step::Password => steps::password::view(view_data, actions.password).into_any(),
        Step::SingleSignOn => steps::single_sign_on::view(view_data).into_any(),
        Step::Groups => steps::groups::view(view_data, actions.finish).into_any(),
    };
    view! { {progress} {body} }
}

/// "Step n of m" and the list of steps, each marked done, current or to do
/// in words as well as by look.
fn progress_list(current: Step, steps: &[Step], sso_button_label: Option<&str>, chooses_username: bool) -> impl IntoView {
    let position = steps.iter().position(|s| *s == current).unwrap_or(0) + 1;
    let total = steps.len();
    let items = steps
        .iter()
        .map(|step| {
            let state = if *step < current {
                "done"
            } else if *step == current {
                "current"
            } else {
                "todo"
            };
            view! {
                <li class=state aria-current=(*step == current).then_some("step")>
                    {(*step < current).then(|| view! { <span aria-hidden="true">"✓ "</span> })}
                    {match (step, sso_button_label) {
                        (Step::SingleSignOn, Some(label)) => label.to_owned(),
                        (Step::Password, _) if chooses_username => "Your username and password".to_owned(),
                        _ => step.title().to_owned(),
                    }}
                    {(*step < current).then(|| view! { <span class="visually-hidden">" (done)"</span> })}
                </li>
            }
        })
        .collect_view();
    view! {
        <p class="eyebrow">{format!("Step {position} of {total}")}</p>
        <ol class="wizard-steps" aria-label="Progress">{items}</ol>
    }
}
