//! Step: accept the organisation's terms of use (when it requires them).

use crate::api::claim::StepView;
use crate::claim::AcceptTerms;
use crate::components::{action_error, field_message, FormError};
use leptos::prelude::*;

pub fn view(step: StepView, accept: ServerAction<AcceptTerms>) -> impl IntoView {
    let error = action_error(accept);
    view! {
        <h1>"Welcome to " {step.organization_name.clone()}</h1>
        <p>"Before you start, please read and accept the terms of use."</p>
        <FormError error/>
        <div class="terms" tabindex="0" role="region" aria-label="Terms of use">{step.terms_text.clone()}</div>
        <ActionForm action=accept>
            <div class="field checkbox">
                <input type="checkbox" id="field-accepted" name="accepted" value="yes" required=true/>
                <label for="field-accepted">"I have read and accept the terms of use"</label>
            </div>
            {field_message(error, "accepted")}
            <button type="submit" class="button">"Accept and continue"</button>
        </ActionForm>
    }
}
