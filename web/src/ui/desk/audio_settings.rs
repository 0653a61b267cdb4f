//! The audio settings: the microphone, the headset, where the ringtone plays, and the
//! microphone's level.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;

use crate::api;
use crate::media;
use crate::session::negotiate;
use crate::state::desk;

#[component]
pub fn AudioSettings() -> impl IntoView {
    let desk = desk();
    let devices = RwSignal::new(Vec::<Value>::new());
    let level = RwSignal::new(0.0);
    spawn_local(async move {
        if let Ok(list) = media::devices().await
            && let Some(text) = list.as_string()
        {
            devices.set(serde_json::from_str(&text).unwrap_or_default());
        }
    });
    set_interval(
        move || level.set(media::mic_level()),
        Duration::from_millis(200),
    );
    let options = move |kind: &'static str| {
        move || {
            devices
                .get()
                .into_iter()
                .filter(|d| d["kind"] == kind)
                .map(|d| {
                    let id = d["id"].as_str().unwrap_or_default().to_owned();
                    view! { <option value=id>{d["label"].as_str().unwrap_or_default().to_owned()}</option> }
                })
                .collect_view()
        }
    };
    view! {
        <details>
            <summary>{move || desk.t("audio_settings")}</summary>
            <label>{move || desk.t("microphone")} " "
                <select aria-label=move || desk.t("microphone") prop:value=move || desk.mic.get() on:change=move |e| {
                    let id = event_target_value(&e);
                    api::store("mic", Some(&id));
                    desk.mic.set(id);
                    media::close();
                    negotiate(desk, false);
                }>
                    <option value="">{move || desk.t("default_device")}</option>
                    {options("audioinput")}
                </select></label>
            <label>{move || desk.t("headset")} " "
                <select aria-label=move || desk.t("headset") prop:value=move || desk.headset.get() on:change=move |e| {
                    let id = event_target_value(&e);
                    api::store("headset", Some(&id));
                    desk.headset.set(id.clone());
                    spawn_local(async move { let _ = media::set_headset(&id).await; });
                }>
                    <option value="">{move || desk.t("default_device")}</option>
                    {options("audiooutput")}
                </select></label>
            <label>{move || desk.t("ringtone_on")} " "
                <select aria-label=move || desk.t("ringtone_on") prop:value=move || desk.ringer.get() on:change=move |e| {
                    let id = event_target_value(&e);
                    api::store("ringer", Some(&id));
                    desk.ringer.set(id);
                }>
                    <option value="">{move || desk.t("default_device")}</option>
                    {options("audiooutput")}
                </select></label>
            <label>{move || desk.t("mic_level")} " "
                <meter min="0" max="1" value=move || level.get()></meter></label>
        </details>
    }
}
