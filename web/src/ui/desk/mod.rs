//! The agent's desk: the status bar, then the softphone, the customer and the script side by
//! side, the wrap-up, the audio settings, and for supervisors the queues now.

mod audio_settings;
mod customer;
mod script;
mod softphone;
mod status_bar;
mod transfer;
mod wrap_up;

use leptos::prelude::*;
use serde_json::Value;

use self::audio_settings::AudioSettings;
use self::customer::Customer;
use self::script::ScriptPanel;
use self::softphone::Softphone;
use self::status_bar::StatusBar;
use self::wrap_up::WrapUp;
use super::supervisor::Supervisor;
use crate::session::connect;
use crate::state::desk;

#[component]
pub fn DeskView() -> impl IntoView {
    let desk = desk();
    view! {
        <Show when=move || desk.replaced.get()>
            <section role="alert">
                <p>{move || desk.t("replaced")}</p>
                <button on:click=move |_| {
                    desk.replaced.set(false);
                    if let Some(token) = desk.token() {
                        connect(desk, token);
                    }
                }>{move || desk.t("take_over")}</button>
            </section>
        </Show>
        <StatusBar/>
        <Show when=move || desk.error.get().is_some()>
            <p role="status" class="error">{move || desk.t("error")} ": " {move || desk.error.get()}</p>
        </Show>
        <div class="columns">
            <Softphone/>
            <Customer/>
            <ScriptPanel/>
        </div>
        <WrapUp/>
        <AudioSettings/>
        <Show when=move || desk.session.get().is_some_and(|s| s.role != "agent")>
            <Supervisor/>
        </Show>
    }
}

/// A text field of the contact's card; empty when it has none.
fn field(contact: &Option<Value>, name: &str) -> String {
    contact
        .as_ref()
        .and_then(|c| c[name].as_str())
        .unwrap_or_default()
        .to_owned()
}
