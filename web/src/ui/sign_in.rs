//! The sign-in form: company, email and password.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::session;
use crate::state::desk;

#[component]
pub fn SignIn() -> impl IntoView {
    let desk = desk();
    let company = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let failed = RwSignal::new(false);
    let submit = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        let company = company.get_untracked().trim().to_owned();
        let email = email.get_untracked().trim().to_owned();
        let password = password.get_untracked();
        spawn_local(async move {
            if !session::sign_in(desk, &company, &email, &password).await {
                failed.set(true);
            }
        });
    };
    view! {
        <form on:submit=submit aria-label=move || desk.t("sign_in")>
            <label>{move || desk.t("company")} " "
                <input name="company" autocomplete="organization" bind:value=company/></label>
            <label>{move || desk.t("email")} " "
                <input name="email" type="email" autocomplete="username" bind:value=email/></label>
            <label>{move || desk.t("password")} " "
                <input name="password" type="password" autocomplete="current-password" bind:value=password/></label>
            <button type="submit">{move || desk.t("sign_in")}</button>
            <Show when=move || failed.get()>
                <p role="alert">{move || desk.t("sign_in_failed")}</p>
            </Show>
        </form>
    }
}
