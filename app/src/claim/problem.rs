//! The honest page shown instead of the wizard when a claim cannot start or
//! go on, before any form is filled.

use super::RequestNewClaimLink;
use crate::api::claim::LinkProblem;
use crate::components::{action_error, FormError};
use crate::AuthContext;
use leptos::prelude::*;

pub fn problem_view(problem: LinkProblem, new_link: ServerAction<RequestNewClaimLink>) -> impl IntoView {
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
        LinkProblem::IdentityInUse => view! {
            <h1>"Your sign-in is linked to another account"</h1>
            <p>"The account you signed in with at your organisation's identity provider is already linked to another Embark account. \
                Please ask your administrator to look at it."</p>
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
