//! `/claim/code`: the way into the claim wizard for people without an
//! email address, who were handed an access code.

use crate::components::{action_error, field_error, FormError, TextField};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Anyone may type a code; unknown ones are throttled per client address and
/// from everyone together. A code that can start a claim starts the wizard.
#[server(endpoint = "claim_with_code")]
pub async fn claim_with_code(code: String) -> Result<(), AppError> {
    use crate::domain::AccessCode;
    use crate::server::context;
    use crate::server::services::claim::{self, CodeEntered};
    use crate::server::services::lifecycle::ClaimError;
    let state = context::state()?;
    let browser = context::session().await?;
    let code = AccessCode::parse(&code).map_err(context::invalid)?;
    let now = time::OffsetDateTime::now_utc();
    match claim::enter_code(&state, &browser, context::client_address(), &code, context::viewer().as_ref(), now).await? {
        CodeEntered::Started => {
            leptos_axum::redirect("/claim");
            Ok(())
        }
        CodeEntered::Throttled(throttled) => Err(context::fail(AppError::Throttled(throttled.message("enter an access code")))),
        CodeEntered::Refused(problem) => Err(context::refused(match problem {
            ClaimError::Unknown => "We don't recognise this code. Check each character against the code you were given and try again.",
            ClaimError::Expired => "This code has expired. Please ask your administrator for a new one.",
            ClaimError::AlreadyUsed => "This code has already been used to set up an account. Sign in with your username and password.",
            ClaimError::Revoked => "This code was replaced by a newer one. Please use the most recent code your administrator gave you.",
            ClaimError::NotClaimable | ClaimError::IdentityInUse | ClaimError::UsernameTaken => {
                "This account can't be claimed right now. Please contact your administrator."
            }
        })),
    }
}

#[component]
pub fn ClaimWithCodePage() -> impl IntoView {
    let enter = ServerAction::<ClaimWithCode>::new();
    let error = action_error(enter);
    // A printed card's QR code carries the code, so scanning it fills it in.
    let scanned = move || use_query_map().with(|q| q.get("code")).unwrap_or_default();
    view! {
        <Title text="Enter your access code"/>
        <main class="centered-page">
            <div class="card narrow">
                <h1>"Enter your access code"</h1>
                <p>"Your administrator gave you a code of 16 letters and digits to set up your account. \
                    Capitals, spaces and dashes don't matter."</p>
                <FormError error/>
                <ActionForm action=enter>
                    <TextField label="Access code" name="code" autocomplete="off" required=true value=scanned()
                        hint="For example ABCD-EFGH-JKLM-NPQR" error=field_error(error, "code")/>
                    <button type="submit" class="button">"Continue"</button>
                </ActionForm>
                <p class="hint">"Got an invitation email instead? Open the link in it. Already set up? "<a href="/sign-in">"Sign in"</a>"."</p>
            </div>
        </main>
    }
}
