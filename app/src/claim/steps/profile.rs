//! Step: confirm or correct the profile the admin entered, and optionally
//! choose a picture.

use crate::api::claim::StepView;
use crate::claim::SaveClaimProfile;
use crate::components::{action_error, field_error, FormError, PictureForm, TextField};
use crate::domain::PictureProblem;
use leptos::prelude::*;

pub fn view(step: StepView, picture_problem: Option<PictureProblem>, profile: ServerAction<SaveClaimProfile>) -> impl IntoView {
    let error = action_error(profile);
    let current = step.has_picture.then(|| "/claim/picture".to_owned());
    view! {
        <h1>"Check your profile"</h1>
        <p>"This is how colleagues at " {step.organization_name.clone()} " will see you. Correct anything that's out of date."</p>
        <PictureForm action="/claim/picture" current=current problem=picture_problem/>
        <FormError error/>
        <ActionForm action=profile>
            <TextField label="Full name" name="full_name" autocomplete="name" required=true value=step.full_name.clone() error=field_error(error, "full_name")/>
            <TextField label="Job title" name="title" autocomplete="organization-title" value=step.title.clone() error=field_error(error, "title")/>
            <TextField label="Department" name="department" value=step.department.clone() error=field_error(error, "department")/>
            <TextField label="Location" name="location" value=step.location.clone() error=field_error(error, "location")/>
            <TextField label="Phone" name="phone" input_type="tel" autocomplete="tel" value=step.phone.clone() error=field_error(error, "phone")/>
            <button type="submit" class="button">"Continue"</button>
        </ActionForm>
    }
}
