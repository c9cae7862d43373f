//! Step: join groups (suggested ones, or open ones found by search), then
//! finish: the account is claimed and the person signed in.

use crate::api::claim::{GroupChoice, StepView};
use crate::claim::FinishClaim;
use crate::components::{action_error, FormError};
use leptos::prelude::*;

pub fn view(step: StepView, finish: ServerAction<FinishClaim>) -> impl IntoView {
    let error = action_error(finish);
    let joined = step.joined_groups.clone();
    let mut choices: Vec<GroupChoice> = step.suggested_groups.clone();
    for result in &step.search_results {
        if !choices.iter().any(|c| c.id == result.id) {
            choices.push(result.clone());
        }
    }
    let choices: Vec<GroupChoice> = choices.into_iter().filter(|c| !c.joined).collect();
    let has_suggestions = !step.suggested_groups.iter().all(|g| g.joined);
    let searched = !step.search.is_empty();
    let no_results = searched && step.search_results.is_empty();
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
                <input id="field-q" name="q" type="search" value=step.search.clone()/>
                <button type="submit" class="button-quiet">"Search"</button>
            </div>
        </form>
        {no_results.then(|| view! { <p role="status">"No open group matches “" {step.search.clone()} "”."</p> })}
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
}
