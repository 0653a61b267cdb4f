//! The wrap-up of the call that ended: its disposition, notes and follow-up, or more time.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::json;
use switchboard_proto::{ClientMessage, WantedState};

use crate::api::request;
use crate::events::load_customer;
use crate::socket;
use crate::state::{desk, id_in};

#[component]
pub fn WrapUp() -> impl IntoView {
    let desk = desk();
    let code = RwSignal::new(String::new());
    let notes = RwSignal::new(String::new());
    let follow_up = RwSignal::new(false);
    // The tenant's codes, and the call's queue's.
    let codes = move || {
        let queue = desk.wrap.get().and_then(|o| o.queue_id);
        desk.dispositions
            .get()
            .into_iter()
            .filter(|d| d["queue_id"].is_null() || id_in(&d["queue_id"]) == queue)
            .collect::<Vec<_>>()
    };
    let finish = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        let (Some(offer), Some(token)) = (desk.wrap.get_untracked(), desk.token()) else {
            return;
        };
        let body = json!({
            "disposition": code.get_untracked(),
            "notes": notes.get_untracked(),
            "follow_up": follow_up.get_untracked(),
        });
        spawn_local(async move {
            match request(
                "POST",
                &format!("/calls/{}/wrap-up", offer.call_id),
                Some(&token),
                Some(&body),
            )
            .await
            {
                Ok(_) => {
                    desk.wrap.set(None);
                    code.set(String::new());
                    notes.set(String::new());
                    follow_up.set(false);
                    socket::send(&ClientMessage::State {
                        state: WantedState::Available,
                        reason: None,
                    });
                    // The history shows the call just closed.
                    load_customer(desk, desk.contact.get_untracked());
                }
                Err(e) => desk.error.set(Some(e.message)),
            }
        });
    };
    view! {
        <Show when=move || desk.wrap.get().is_some()>
            <form on:submit=finish aria-label=move || desk.t("wrap_up_title")>
                <h2>{move || desk.t("wrap_up_title")}</h2>
                <label>{move || desk.t("disposition")} " "
                    <select aria-label=move || desk.t("disposition") required prop:value=move || code.get() on:change=move |e| code.set(event_target_value(&e))>
                        <option value="">{move || desk.t("choose")}</option>
                        {move || codes().into_iter().map(|d| view! {
                            <option value=d["code"].as_str().unwrap_or_default().to_owned()>
                                {d["label"].as_str().unwrap_or_default().to_owned()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>{move || desk.t("call_notes")} " " <textarea prop:value=move || notes.get() on:input=move |e| notes.set(event_target_value(&e))></textarea></label>
                <label><input type="checkbox" bind:checked=follow_up/> " " {move || desk.t("follow_up")}</label>
                <button type="submit">{move || desk.t("finish")}</button>
                <button type="button" on:click=move |_| socket::send(&ClientMessage::ExtendWrapUp { secs: 60 })>{move || desk.t("more_time")}</button>
            </form>
        </Show>
    }
}
