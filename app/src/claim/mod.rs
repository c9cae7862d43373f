//! The claim wizard: terms (when required) → profile → password → groups.
//! The server keeps the answers in the session and enforces the order; each
//! step is a plain form that works before the script loads.

use crate::components::{action_error, field_error, FormError, TextField};
use crate::domain::{GroupId, PASSWORD_MIN_CHARS, PASSWORD_RECOMMENDED_CHARS};
use crate::error::AppError;
use crate::pages::errors::LoadError;
use crate::AuthContext;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

/// One step of the wizard, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Step {
    Terms,
    Profile,
    Password,
    Groups,
}

impl Step {
    pub fn title(self) -> &'static str {
        match self {
            Self::Terms => "Terms of use",
            Self::Profile => "Your profile",
            Self::Password => "Your password",
            Self::Groups => "Your groups",
        }
    }
}

/// Why a claim link did not start a claim, told honestly before any form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkProblem {
    Unknown,
    Expired,
    AlreadyUsed,
    Revoked,
    NotClaimable,
    SignedInAsSomeoneElse,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupChoice {
    pub id: GroupId,
    pub name: String,
    pub description: String,
    pub joined: bool,
}

/// What the current step shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepView {
    pub step: Step,
    pub steps: Vec<Step>,
    pub organization_name: String,
    pub email: Option<String>,
    pub terms_text: String,
    pub full_name: String,
    pub title: String,
    pub department: String,
    pub location: String,
    pub phone: String,
    pub joined_groups: Vec<String>,
    pub suggested_groups: Vec<GroupChoice>,
    pub search: String,
    pub search_results: Vec<GroupChoice>,
    /// A picture was chosen (shown from `/claim/picture`).
    pub has_picture: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClaimView {
    /// This browser has not opened a claim link.
    NoClaim,
    Problem(LinkProblem),
    Step(Box<StepView>),
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::*;
    use crate::server::services::claim::{self as claim_service, ClaimProgress, ClaimSession};
    use crate::server::services::lifecycle::{self, ClaimFailure};
    use crate::server::{context, db, AppState};
    use tower_sessions::Session;

    /// The claim this browser is in the middle of, or the reason it is not.
    pub async fn in_progress() -> Result<(AppState, Session, ClaimProgress, db::settings::SettingsRow), AppError> {
        let state = context::state()?;
        let session = context::session().await?;
        if context::viewer().is_some() {
            return Err(context::fail(AppError::Refused("You're signed in, so this browser can't claim another account. Sign out first.".into())));
        }
        match claim_service::load(&session).await.map_err(context::internal)? {
            Some(ClaimSession::InProgress(progress)) => {
                let settings = db::settings::get(&state.pool).await.map_err(context::internal)?;
                Ok((state, session, progress, settings))
            }
            _ => Err(context::fail(AppError::Refused("Open the link in your invitation email to claim your account.".into()))),
        }
    }

    /// Refuses a step whose earlier steps are not done yet.
    pub fn ensure_reached(progress: &ClaimProgress, settings: &db::settings::SettingsRow, step: Step) -> Result<(), AppError> {
        if step <= progress.next_step(settings.require_terms) {
            Ok(())
        } else {
            Err(context::fail(AppError::Refused("Please complete the earlier steps first.".into())))
        }
    }

    pub fn refusal(failure: ClaimFailure) -> AppError {
        match failure {
            ClaimFailure::Refused(error) => context::fail(AppError::Refused(format!("Your account could not be claimed: {error}."))),
            ClaimFailure::Unexpected(error) => context::internal(error),
        }
    }

    pub async fn ensure_link_still_valid(state: &AppState, session: &Session, progress: &ClaimProgress) -> Result<Option<LinkProblem>, AppError> {
        match lifecycle::inspect_claim_digest(state, &progress.digest_bytes(), time::OffsetDateTime::now_utc()).await {
            Ok(_) => Ok(None),
            Err(ClaimFailure::Refused(error)) => {
                let problem = LinkProblem::from(error);
                session.insert("claim", ClaimSession::Problem { problem, digest: progress.digest.clone() }).await.map_err(context::internal)?;
                Ok(Some(problem))
            }
            Err(ClaimFailure::Unexpected(error)) => Err(context::internal(error)),
        }
    }
}

/// Anyone: what this browser's claim shows now. `search` looks for open
/// groups to join.
#[server(endpoint = "claim_view")]
pub async fn fetch_claim_view(search: Option<String>) -> Result<ClaimView, AppError> {
    use crate::server::services::claim::{self as claim_service, ClaimSession};
    use crate::server::{context, db};

    let state = context::state()?;
    let session = context::session().await?;
    let progress = match claim_service::load(&session).await.map_err(context::internal)? {
        None => return Ok(ClaimView::NoClaim),
        Some(ClaimSession::Problem { problem, .. }) => return Ok(ClaimView::Problem(problem)),
        Some(ClaimSession::InProgress(progress)) => progress,
    };
    if context::viewer().is_some() {
        return Ok(ClaimView::Problem(LinkProblem::SignedInAsSomeoneElse));
    }
    if let Some(problem) = ssr::ensure_link_still_valid(&state, &session, &progress).await? {
        return Ok(ClaimView::Problem(problem));
    }
    let settings = db::settings::get(&state.pool).await.map_err(context::internal)?;
    let account = db::accounts::find(&state.pool, progress.account_id).await.map_err(context::internal)?.ok_or(AppError::NotFound)?;
    let joined = db::groups::of_account(&state.pool, account.id).await.map_err(context::internal)?;
    let is_joined = |id: GroupId| joined.iter().any(|g| g.id == id);
    let choice = |g: db::groups::GroupSummary| GroupChoice { joined: is_joined(g.id), id: g.id, name: g.name, description: g.description };
    let search = search.unwrap_or_default().trim().chars().take(100).collect::<String>();
    let search_results = if search.is_empty() {
        Vec::new()
    } else {
        db::groups::search_open(&state.pool, &search, 20).await.map_err(context::internal)?.into_iter().map(choice).collect()
    };
    let suggested_groups = db::groups::suggested(&state.pool).await.map_err(context::internal)?.into_iter().map(choice).collect();
    let profile = progress.profile.clone();
    let mut steps = vec![Step::Profile, Step::Password, Step::Groups];
    if settings.require_terms {
        steps.insert(0, Step::Terms);
    }
    Ok(ClaimView::Step(Box::new(StepView {
        step: progress.next_step(settings.require_terms),
        steps,
        organization_name: settings.organization_name,
        email: account.email.clone(),
        terms_text: settings.terms_text,
        full_name: profile.as_ref().map_or(account.full_name.clone(), |p| p.full_name.as_ref().to_owned()),
        title: profile.as_ref().map_or(account.title.clone(), |p| p.title.clone()),
        department: profile.as_ref().map_or(account.department.clone(), |p| p.department.clone()),
        location: profile.as_ref().map_or(account.location.clone(), |p| p.location.clone()),
        phone: profile.as_ref().map_or(account.phone.clone(), |p| p.phone.clone()),
        joined_groups: joined.into_iter().map(|g| g.name).collect(),
        suggested_groups,
        search,
        search_results,
        has_picture: progress.picture.is_some(),
    })))
}

/// The person in the middle of a claim (their session), when terms apply.
#[server(endpoint = "claim_accept_terms")]
pub async fn accept_terms(accepted: Option<String>) -> Result<(), AppError> {
    use crate::domain::FieldError;
    use crate::server::{context, services::claim};
    let (_, session, mut progress, settings) = ssr::in_progress().await?;
    ssr::ensure_reached(&progress, &settings, Step::Terms)?;
    if accepted.as_deref() != Some("yes") {
        return Err(context::fail(FieldError::new("accepted", "To use Embark, tick the box to accept the terms.").into()));
    }
    progress.terms_version = Some(settings.terms_version);
    claim::save(&session, progress).await.map_err(context::internal)?;
    leptos_axum::redirect("/claim");
    Ok(())
}

/// The person in the middle of a claim, once earlier steps are done.
#[server(endpoint = "claim_profile")]
pub async fn save_claim_profile(full_name: String, title: String, department: String, location: String, phone: String) -> Result<(), AppError> {
    use crate::domain::ProfileDetails;
    use crate::server::{context, services::claim};
    let (_, session, mut progress, settings) = ssr::in_progress().await?;
    ssr::ensure_reached(&progress, &settings, Step::Profile)?;
    let profile = ProfileDetails::parse(&full_name, &title, &department, &location, &phone).map_err(|e| context::fail(e.into()))?;
    progress.profile = Some(profile);
    claim::save(&session, progress).await.map_err(context::internal)?;
    leptos_axum::redirect("/claim");
    Ok(())
}

/// The person in the middle of a claim, once earlier steps are done.
#[server(endpoint = "claim_password")]
pub async fn choose_password(password: String, password_confirmation: String) -> Result<(), AppError> {
    use crate::domain::{FieldError, Password};
    use crate::server::{context, db, services::claim};
    let (state, session, mut progress, settings) = ssr::in_progress().await?;
    ssr::ensure_reached(&progress, &settings, Step::Password)?;
    let account = db::accounts::find(&state.pool, progress.account_id).await.map_err(context::internal)?.ok_or(AppError::NotFound)?;
    let name = progress.profile.as_ref().map_or(account.full_name.clone(), |p| p.full_name.as_ref().to_owned());
    let email = account.email.clone().unwrap_or_default();
    let password = Password::parse(&password, &[&name, &email]).map_err(|p| context::fail(FieldError::new("password", p.message()).into()))?;
    if password.expose() != password_confirmation {
        return Err(context::fail(FieldError::new("password_confirmation", "The two passwords are not the same.").into()));
    }
    let hash = state.hasher.hash(password.expose()).await.map_err(context::internal)?;
    progress.password_hash = Some(hash);
    claim::save(&session, progress).await.map_err(context::internal)?;
    leptos_axum::redirect("/claim");
    Ok(())
}

/// The person in the middle of a claim, once every other step is done.
/// Claims the account and signs the person in.
#[server(endpoint = "claim_finish")]
pub async fn finish_claim(groups: Option<Vec<GroupId>>) -> Result<(), AppError> {
    use crate::server::services::auth::SignedIn;
    use crate::server::services::lifecycle::{self, ClaimDetails};
    use crate::server::{context, db, services::claim, session as auth_session};
    let (state, session, progress, settings) = ssr::in_progress().await?;
    if progress.next_step(settings.require_terms) != Step::Groups {
        return Err(context::fail(AppError::Refused("Please complete the earlier steps first.".into())));
    }
    let now = time::OffsetDateTime::now_utc();
    let details = ClaimDetails {
        password_hash: progress.password_hash.clone(),
        profile: progress.profile.clone(),
        terms_version: progress.terms_version,
        groups: groups.unwrap_or_default(),
        picture: progress.picture.clone(),
    };
    let account_id = lifecycle::claim_with_digest(&state, &progress.digest_bytes(), &details, now).await.map_err(ssr::refusal)?;
    let account = db::accounts::find(&state.pool, account_id).await.map_err(context::internal)?.ok_or(AppError::NotFound)?;
    claim::forget(&session).await.map_err(context::internal)?;
    let signed_in = SignedIn { account_id, role: account.role, session_epoch: account.session_epoch };
    auth_session::establish(&session, &signed_in, now).await.map_err(context::internal)?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Anyone whose session holds an expired link: mails a new one to the
/// address on file.
#[server(endpoint = "claim_new_link")]
pub async fn request_new_claim_link() -> Result<(), AppError> {
    use crate::server::context;
    use crate::server::services::claim::{self as claim_service, ClaimSession, NewLinkError};
    use base64::Engine as _;
    let state = context::state()?;
    let session = context::session().await?;
    let Some(ClaimSession::Problem { problem: LinkProblem::Expired, digest }) = claim_service::load(&session).await.map_err(context::internal)? else {
        return Err(context::fail(AppError::Refused("Only an expired link can ask for a new one.".into())));
    };
    let digest = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(digest).map_err(context::internal)?;
    match claim_service::request_new_link(&state, &digest, time::OffsetDateTime::now_utc()).await {
        Ok(()) => Ok(()),
        Err(NewLinkError::TooSoon) => {
            Err(context::fail(AppError::Refused("We sent a new link a few minutes ago. Please check your inbox (and spam folder) before asking again.".into())))
        }
        Err(NewLinkError::NotExpired) => {
            Err(context::fail(AppError::Refused("This link can't be renewed. Please ask your administrator for a new invitation.".into())))
        }
        Err(NewLinkError::Unexpected(e)) => Err(context::internal(e)),
    }
}

#[component]
pub fn ClaimPage() -> impl IntoView {
    let auth = expect_context::<AuthContext>();
    let accept = ServerAction::<AcceptTerms>::new();
    let profile = ServerAction::<SaveClaimProfile>::new();
    let password = ServerAction::<ChoosePassword>::new();
    let new_link = ServerAction::<RequestNewClaimLink>::new();
    let finish = auth.finish_claim;
    let search = move || use_query_map().with(|q| q.get("q"));
    let picture_error = move || use_query_map().with(|q| q.get("picture_error")).and_then(|code| crate::domain::PictureProblem::from_code(&code));
    let claim = Resource::new(
        move || (search(), accept.version().get(), profile.version().get(), password.version().get(), finish.version().get()),
        |(search, ..)| fetch_claim_view(search),
    );
    view! {
        <Title text="Claim your account"/>
        <main class="centered-page">
            <div class="card wizard">
                <Transition fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match claim.await {
                            Ok(ClaimView::Step(step)) => step_view(*step, picture_error(), accept, profile, password, finish).into_any(),
                            Ok(ClaimView::Problem(problem)) => problem_view(problem, new_link).into_any(),
                            Ok(ClaimView::NoClaim) => view! {
                                <h1>"Open your invitation link"</h1>
                                <p>"To claim your account, open the link in the invitation email you received. \
                                    If you can't find it, ask your administrator to send it again."</p>
                            }.into_any(),
                            Err(error) => view! { <LoadError error/> }.into_any(),
                        }
                    })}
                </Transition>
            </div>
        </main>
    }
}

fn progress_list(current: Step, steps: &[Step]) -> impl IntoView {
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
                    {step.title()}
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

fn step_view(
    view_data: StepView,
    picture_error: Option<crate::domain::PictureProblem>,
    accept: ServerAction<AcceptTerms>,
    profile: ServerAction<SaveClaimProfile>,
    password: ServerAction<ChoosePassword>,
    finish: ServerAction<FinishClaim>,
) -> impl IntoView {
    let progress = progress_list(view_data.step, &view_data.steps);
    let organization = view_data.organization_name.clone();
    let body = match view_data.step {
        Step::Terms => {
            let error = action_error(accept);
            view! {
                <h1>"Welcome to " {organization.clone()}</h1>
                <p>"Before you start, please read and accept the terms of use."</p>
                <FormError error/>
                <div class="terms" tabindex="0" role="region" aria-label="Terms of use">{view_data.terms_text.clone()}</div>
                <ActionForm action=accept>
                    <div class="field checkbox">
                        <input type="checkbox" id="field-accepted" name="accepted" value="yes" required=true/>
                        <label for="field-accepted">"I have read and accept the terms of use"</label>
                    </div>
                    {crate::components::field_message(error, "accepted")}
                    <button type="submit" class="button">"Accept and continue"</button>
                </ActionForm>
            }
            .into_any()
        }
        Step::Profile => {
            let error = action_error(profile);
            view! {
                <h1>"Check your profile"</h1>
                <p>"This is how colleagues at " {organization.clone()} " will see you. Correct anything that's out of date."</p>
                {crate::components::picture_form("/claim/picture", view_data.has_picture.then_some("/claim/picture"), picture_error)}
                <FormError error/>
                <ActionForm action=profile>
                    <TextField label="Full name" name="full_name" autocomplete="name" required=true value=view_data.full_name.clone() error=field_error(error, "full_name")/>
                    <TextField label="Job title" name="title" autocomplete="organization-title" value=view_data.title.clone() error=field_error(error, "title")/>
                    <TextField label="Department" name="department" value=view_data.department.clone() error=field_error(error, "department")/>
                    <TextField label="Location" name="location" value=view_data.location.clone() error=field_error(error, "location")/>
                    <TextField label="Phone" name="phone" input_type="tel" autocomplete="tel" value=view_data.phone.clone() error=field_error(error, "phone")/>
                    <button type="submit" class="button">"Continue"</button>
                </ActionForm>
            }
            .into_any()
        }
        Step::Password => {
            let error = action_error(password);
            let personal = vec![view_data.full_name.clone(), view_data.email.clone().unwrap_or_default()];
            let (typed, set_typed) = signal(String::new());
            let feedback = move || password_feedback(&typed.get(), &personal);
            view! {
                <h1>"Choose a password"</h1>
                <p>"You'll use it with your email address, " {view_data.email.clone().unwrap_or_default()} ", to sign in."</p>
                <FormError error/>
                <ActionForm action=password>
                    <div class="field">
                        <label for="field-password">"Password"</label>
                        <p class="hint" id="field-password-hint">{format!("At least {PASSWORD_MIN_CHARS} characters; {PASSWORD_RECOMMENDED_CHARS} or more is better. A few unrelated words make a strong, memorable password.")}</p>
                        <input id="field-password" name="password" type="password" autocomplete="new-password" required=true
                            aria-describedby="field-password-hint field-password-feedback"
                            aria-invalid=move || field_error(error, "password").get().is_some().then_some("true")
                            on:input=move |ev| set_typed.set(event_target_value(&ev))/>
                        <p class="password-feedback" id="field-password-feedback" aria-live="polite">{feedback}</p>
                        {crate::components::field_message(error, "password")}
                    </div>
                    <TextField label="Repeat the password" name="password_confirmation" input_type="password" autocomplete="new-password" required=true error=field_error(error, "password_confirmation")/>
                    <button type="submit" class="button">"Set password"</button>
                </ActionForm>
            }
            .into_any()
        }
        Step::Groups => {
            let error = action_error(finish);
            let joined = view_data.joined_groups.clone();
            let mut choices: Vec<GroupChoice> = view_data.suggested_groups.clone();
            for result in &view_data.search_results {
                if !choices.iter().any(|c| c.id == result.id) {
                    choices.push(result.clone());
                }
            }
            let choices: Vec<GroupChoice> = choices.into_iter().filter(|c| !c.joined).collect();
            let has_suggestions = !view_data.suggested_groups.iter().all(|g| g.joined);
            let searched = !view_data.search.is_empty();
            let no_results = searched && view_data.search_results.is_empty();
            view! {
                <h1>"Join your groups"</h1>
                <p>"Groups are where your colleagues share news and work. Pick any that fit you; you can join more later."</p>
                {(!joined.is_empty()).then(|| view! {
                    <h2>"You're already in"</h2>
                    <ul class="joined-groups">{joined.iter().map(|name| view! { <li>{name.clone()}</li> }).collect_view()}</ul>
                })}
                <form method="get" action="/claim" class="group-search" role="search">
                    <label for="field-q">"Search for a group"</label>
                    <div class="inline-field">
                        <input id="field-q" name="q" type="search" value=view_data.search.clone()/>
                        <button type="submit" class="button-quiet">"Search"</button>
                    </div>
                </form>
                {no_results.then(|| view! { <p role="status">"No open group matches “" {view_data.search.clone()} "”."</p> })}
                <FormError error/>
                <ActionForm action=finish>
                    {if choices.is_empty() && !has_suggestions {
                        view! { <p class="hint">"There are no groups to pick from right now."</p> }.into_any()
                    } else {
                        view! {
                            <fieldset class="group-choices">
                                <legend>{if searched { "Suggested groups and search results" } else { "Suggested groups" }}</legend>
                                {choices.into_iter().enumerate().map(|(index, group)| {
                                    let id = format!("group-{}", group.id);
                                    view! {
                                        <div class="field checkbox">
                                            <input type="checkbox" id=id.clone() name=format!("groups[{index}]") value=group.id.to_string()/>
                                            <label for=id>{group.name.clone()}
                                                {(!group.description.is_empty()).then(|| view! { <span class="hint">" — " {group.description.clone()}</span> })}
                                            </label>
                                        </div>
                                    }
                                }).collect_view()}
                            </fieldset>
                        }.into_any()
                    }}
                    <button type="submit" class="button">"Finish and go to Embark"</button>
                </ActionForm>
            }
            .into_any()
        }
    };
    view! { {progress} {body} }
}

/// Plain-language feedback while a password is typed. The common-password
/// check needs the server's dictionary and happens on submit.
fn password_feedback(typed: &str, personal: &[String]) -> String {
    use crate::domain::{Password, PasswordProblem};
    if typed.is_empty() {
        return String::new();
    }
    let personal: Vec<&str> = personal.iter().map(String::as_str).collect();
    let length = typed.chars().count();
    match Password::parse(typed, &personal) {
        Err(PasswordProblem::TooShort) => format!("{length} characters so far: use at least {PASSWORD_MIN_CHARS}."),
        Err(problem) => problem.message(),
        Ok(_) if length < PASSWORD_RECOMMENDED_CHARS => format!("{length} characters: acceptable; {PASSWORD_RECOMMENDED_CHARS} or more is stronger."),
        Ok(_) => format!("{length} characters: good length."),
    }
}

fn problem_view(problem: LinkProblem, new_link: ServerAction<RequestNewClaimLink>) -> impl IntoView {
    let auth = expect_context::<AuthContext>();
    match problem {
        LinkProblem::Unknown => view! {
            <h1>"We don't recognise this link"</h1>
            <p>"Check that you opened the whole link from your invitation email; some email programs split long links. \
                If it still doesn't work, ask your administrator to send a new invitation."</p>
        }
        .into_any(),
        LinkProblem::Expired => {
            let error = action_error(new_link);
            let sent = move || matches!(new_link.value().get(), Some(Ok(())));
            view! {
                <h1>"This link has expired"</h1>
                <p>"Invitation links work for a limited time. We can email a new one to the address your administrator has on file for you."</p>
                <FormError error/>
                <Show when=sent fallback=move || view! {
                    <ActionForm action=new_link>
                        <button type="submit" class="button">"Email me a new link"</button>
                    </ActionForm>
                }>
                    <div class="notice notice-ok" role="status"><strong>"Sent: "</strong>"a new link is on its way to your email address. It may take a few minutes to arrive."</div>
                </Show>
            }
            .into_any()
        }
        LinkProblem::AlreadyUsed => view! {
            <h1>"This account has already been claimed"</h1>
            <p>"The link was used to set up the account, so it can't be used again. Sign in with your email address and password."</p>
            <p><a class="button" href="/sign-in">"Sign in"</a></p>
        }
        .into_any(),
        LinkProblem::Revoked => view! {
            <h1>"This link has been replaced"</h1>
            <p>"A newer invitation was sent to you, and only its link works. Please use the link in the most recent invitation email."</p>
        }
        .into_any(),
        LinkProblem::NotClaimable => view! {
            <h1>"This account can't be claimed right now"</h1>
            <p>"Please contact your administrator."</p>
        }
        .into_any(),
        LinkProblem::SignedInAsSomeoneElse => view! {
            <h1>"You're signed in as someone else"</h1>
            <p>"This browser is signed in to another account, so it can't claim this one. Sign out, then open your invitation link again."</p>
            <ActionForm action=auth.sign_out>
                <button type="submit" class="button">"Sign out"</button>
            </ActionForm>
        }
        .into_any(),
    }
}
