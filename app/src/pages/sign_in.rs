use crate::api::auth::SetupStatus;
use crate::auth::fetch_sign_in_options;
use crate::components::{action_error, FormError, TextField};
use crate::AuthContext;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SignInPage() -> impl IntoView {
    let auth = expect_context::<AuthContext>();
    let error = action_error(auth.sign_in);
    let next = move || use_query_map().with(|q| q.get("next")).unwrap_or_default();
    let options = Resource::new(|| (), |_| fetch_sign_in_options());

    view! {
        <Title text="Sign in"/>
        <main class="centered-page">
            <div class="card narrow">
                <h1>"Sign in to Embark"</h1>
                <Transition>
                    {move || Suspend::new(async move {
                        let options = options.await.ok();
                        let needs_setup = options.as_ref().is_some_and(|o| o.setup == SetupStatus::NeedsLink);
                        let sso = options.and_then(|o| o.sso_button_label);
                        view! {
                            {needs_setup.then(|| view! {
                                <div class="notice notice-info" role="status">
                                    <strong>"Embark isn't set up yet. "</strong>
                                    "Open the one-time setup link that the server printed in its log when it started, \
                                     or create an administrator with the "<code>"embark create-admin"</code>" command."
                                </div>
                            })}
                            {sso.map(|label| view! {
                                <a class="button sso-button" href="/sso/start" rel="external">{label}</a>
                                <p class="divider"><span>"or with your email address or username and password"</span></p>
                            })}
                        }
                    })}
                </Transition>
                <FormError error/>
                <ActionForm action=auth.sign_in>
                    <input type="hidden" name="next" value=next/>
                    <TextField label="Email address or username" name="email" autocomplete="username" required=true/>
                    <TextField label="Password" name="password" input_type="password" autocomplete="current-password" required=true/>
                    <button type="submit" class="button">"Sign in"</button>
                </ActionForm>
                <p class="hint">"New here with an access code from your administrator? "<a href="/claim/code">"I have an access code"</a></p>
            </div>
        </main>
    }
}
