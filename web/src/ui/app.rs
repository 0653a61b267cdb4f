//! The root: the sign-in form or the desk, the keyboard shortcuts and the language picker.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use switchboard_proto::{CallState, ClientMessage};

use super::desk::DeskView;
use super::sign_in::SignIn;
use crate::api;
use crate::i18n::Lang;
use crate::session::open_session;
use crate::socket;
use crate::state::{Desk, desk};

/// The root: the sign-in form, or the desk.
#[component]
pub fn App() -> impl IntoView {
    let desk = Desk::new();
    provide_context(desk);
    // A reloaded tab keeps its session.
    if let Some(token) = api::stored("token") {
        spawn_local(async move { open_session(desk, token).await });
    }
    set_interval(
        move || desk.now.set(js_sys::Date::now()),
        Duration::from_secs(1),
    );
    let _keys = window_event_listener(leptos::ev::keydown, move |e| shortcut(desk, &e));
    view! {
        <main lang=move || desk.lang.get().code()>
            <header>
                <h1>{move || desk.t("app")}</h1>
                <LanguagePicker/>
            </header>
            {move || match desk.session.get() {
                None => view! { <SignIn/> }.into_any(),
                Some(_) => view! { <DeskView/> }.into_any(),
            }}
        </main>
    }
}

/// Alt+A answer, Alt+H hang up, Alt+M mute, Alt+O hold.
fn shortcut(desk: Desk, e: &web_sys::KeyboardEvent) {
    if !e.alt_key() {
        return;
    }
    let Some(call) = desk.call.get_untracked() else {
        return;
    };
    let call_id = call.offer.call_id;
    let connected = call.state == CallState::Connected;
    let message = match e.key().to_lowercase().as_str() {
        "a" if call.state == CallState::Ringing => ClientMessage::Accept { call_id },
        "h" => ClientMessage::Hangup { call_id },
        "m" if connected => ClientMessage::Mute {
            call_id,
            on: !call.muted,
        },
        "o" if connected => ClientMessage::Hold {
            call_id,
            on: !call.held,
        },
        _ => return,
    };
    socket::send(&message);
    e.prevent_default();
}

#[component]
fn LanguagePicker() -> impl IntoView {
    let desk = desk();
    view! {
        <label>
            {move || desk.t("language")} " "
            <select aria-label=move || desk.t("language")
                prop:value=move || desk.lang.get().code()
                on:change=move |e| {
                    let lang = Lang::from_locale(&event_target_value(&e));
                    api::store("lang", Some(lang.code()));
                    desk.lang.set(lang);
                }
            >
                <option value="en">"English"</option>
                <option value="bg">"Български"</option>
                <option value="ru">"Русский"</option>
            </select>
        </label>
    }
}
