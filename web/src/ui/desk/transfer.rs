//! The transfer box of a call: escalation; blind transfer to a queue, a colleague or a
//! number; attended transfer to a colleague.

use leptos::prelude::*;
use leptos::task::spawn_local;
use switchboard_proto::{CallState, ClientMessage};
use uuid::Uuid;

use crate::session::load_directory;
use crate::state::{desk, id_in};

/// Escalation; blind transfer to a queue, a colleague or a number; attended transfer to a
/// colleague.
#[component]
pub fn Transfer() -> impl IntoView {
    let desk = desk();
    let queue = RwSignal::new(String::new());
    let colleague = RwSignal::new(String::new());
    let number = RwSignal::new(String::new());
    // Who is signed in now, for this call's transfer.
    spawn_local(load_directory(desk));
    let escalate_to = move || {
        let current = desk.call.get().and_then(|c| c.offer.queue_id)?;
        let directory = desk.directory.get();
        let queue = directory["queues"]
            .as_array()?
            .iter()
            .find(|q| id_in(&q["id"]) == Some(current))?;
        id_in(&queue["escalate_to"])
    };
    let consulting = move || {
        matches!(
            desk.call.get().map(|c| c.state),
            Some(CallState::Consulting | CallState::Conference)
        )
    };
    let transferring = move || {
        desk.call
            .get()
            .is_some_and(|c| c.state == CallState::Transferring)
    };
    let idle = move || !consulting() && !transferring();
    let list = move |key: &'static str| {
        desk.directory.get()[key]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    // The colleague chosen, if one is.
    let chosen = move || Uuid::parse_str(&colleague.get_untracked()).ok();
    view! {
        <fieldset>
            <legend>{move || desk.t("transfer")}</legend>
            {move || escalate_to().map(|queue_id| view! {
                <button on:click=move |_| desk.send_on_call(|call_id| ClientMessage::TransferToQueue { call_id, queue_id })>
                    {desk.t("escalate")}</button>
            })}
            <label>{move || desk.t("transfer_queue")} " "
                <select aria-label=move || desk.t("transfer_queue") prop:value=move || queue.get()
                    on:change=move |e| queue.set(event_target_value(&e))>
                    <option value="">{move || desk.t("choose")}</option>
                    {move || list("queues").into_iter().map(|q| view! {
                        <option value=q["id"].as_str().unwrap_or_default().to_owned()>
                            {q["name"].as_str().unwrap_or_default().to_owned()}</option>
                    }).collect_view()}
                </select></label>
            <button on:click=move |_| {
                if let Ok(queue_id) = Uuid::parse_str(&queue.get_untracked()) {
                    desk.send_on_call(|call_id| ClientMessage::TransferToQueue { call_id, queue_id });
                }
            }>{move || desk.t("send_to_queue")}</button>
            <label>{move || desk.t("colleague")} " "
                <select aria-label=move || desk.t("colleague") prop:value=move || colleague.get()
                    on:change=move |e| colleague.set(event_target_value(&e))>
                    <option value="">{move || desk.t("choose")}</option>
                    {move || list("colleagues").into_iter().filter(|c| c["signed_in"] == true).map(|c| view! {
                        <option value=c["id"].as_str().unwrap_or_default().to_owned()>
                            {c["name"].as_str().unwrap_or_default().to_owned()}</option>
                    }).collect_view()}
                </select></label>
            <Show when=idle>
                <button on:click=move |_| {
                    if let Some(agent_id) = chosen() {
                        desk.send_on_call(|call_id| ClientMessage::Consult { call_id, agent_id });
                    }
                }>{move || desk.t("consult")}</button>
                <button on:click=move |_| {
                    if let Some(agent_id) = chosen() {
                        desk.send_on_call(|call_id| ClientMessage::TransferToAgent { call_id, agent_id });
                    }
                }>{move || desk.t("transfer_to_colleague")}</button>
                <label>{move || desk.t("transfer_number")} " " <input type="tel" bind:value=number/></label>
                <button on:click=move |_| {
                    let to = number.get_untracked();
                    if !to.trim().is_empty() {
                        let to = to.trim().to_owned();
                        desk.send_on_call(|call_id| ClientMessage::TransferToNumber { call_id, to });
                    }
                }>{move || desk.t("transfer_to_number")}</button>
            </Show>
            <Show when=transferring>
                <p role="status">{move || desk.t("transferring")}</p>
                <button on:click=move |_| desk.send_on_call(|call_id| ClientMessage::CancelConsult { call_id })>{move || desk.t("cancel_transfer")}</button>
            </Show>
            <Show when=consulting>
                <button on:click=move |_| desk.send_on_call(|call_id| ClientMessage::Transfer { call_id })>{move || desk.t("complete_transfer")}</button>
                <button on:click=move |_| desk.send_on_call(|call_id| ClientMessage::Conference { call_id })>{move || desk.t("conference")}</button>
                <button on:click=move |_| desk.send_on_call(|call_id| ClientMessage::CancelConsult { call_id })>{move || desk.t("return_to_caller")}</button>
            </Show>
        </fieldset>
    }
}
