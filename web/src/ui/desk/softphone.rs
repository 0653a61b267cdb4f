//! The softphone: the call on the desk with its buttons, transfer box and keypad, or the
//! dialer when there is none.

use leptos::prelude::*;
use switchboard_proto::{CallState, ClientMessage};

use super::transfer::Transfer;
use crate::socket;
use crate::state::desk;

#[component]
pub fn Softphone() -> impl IntoView {
    let desk = desk();
    let state = move || desk.call.get().map(|c| c.state);
    let keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"];
    view! {
        <section aria-label="softphone" class="phone">
            {move || match desk.call.get() {
                None => view! { <p>{move || desk.t("no_call")}</p> <Dialer/> }.into_any(),
                Some(c) => {
                    let o = c.offer.clone();
                    let title = match c.state {
                        CallState::Ringing => desk.t("incoming"),
                        CallState::Dialing => desk.t("dialing"),
                        _ => desk.t("connected"),
                    };
                    view! {
                        <h2>{title}</h2>
                        <dl>
                            <dt>{desk.t("from")}</dt><dd>{o.from.clone()}</dd>
                            <dt>{desk.t("dialled")}</dt><dd>{o.to.clone()}</dd>
                            {o.queue_name.clone().map(|q| view! { <dt>{desk.t("queue")}</dt><dd>{q}</dd> })}
                            {(!o.ivr.choices.is_empty()).then(|| view! {
                                <dt>{desk.t("ivr_choices")}</dt>
                                <dd>{o.ivr.choices.iter().map(|c| format!("{}: {}", c.node, c.key)).collect::<Vec<_>>().join(", ")}
                                    {o.ivr.variables.iter().map(|(n, v)| format!(" · {n} = {v}")).collect::<String>()}</dd>
                            })}
                            {o.contact.as_ref().map(|c| view! {
                                <dt>{desk.t("customer")}</dt><dd>{c.name.clone()}</dd>
                            })}
                        </dl>
                    }.into_any()
                }
            }}
            <Show when=move || state() == Some(CallState::Ringing)>
                <button aria-keyshortcuts="Alt+A" on:click=move |_| desk.send_on_call(|call_id| ClientMessage::Accept { call_id })>
                    {move || desk.t("answer")}</button>
                <button on:click=move |_| desk.send_on_call(|call_id| ClientMessage::Hangup { call_id })>{move || desk.t("refuse")}</button>
            </Show>
            <Show when=move || matches!(state(), Some(s) if s != CallState::Ringing)>
                <button aria-keyshortcuts="Alt+H" on:click=move |_| desk.send_on_call(|call_id| ClientMessage::Hangup { call_id })>
                    {move || desk.t("hang_up")}</button>
                <button aria-keyshortcuts="Alt+O" aria-pressed=move || desk.call.get().is_some_and(|c| c.held).to_string()
                    on:click=move |_| {
                        let held = desk.call.get_untracked().is_some_and(|c| c.held);
                        desk.send_on_call(|call_id| ClientMessage::Hold { call_id, on: !held });
                        desk.call.update(|c| if let Some(c) = c { c.held = !held });
                    }>
                    {move || if desk.call.get().is_some_and(|c| c.held) { desk.t("resume") } else { desk.t("hold") }}</button>
                <button aria-keyshortcuts="Alt+M" aria-pressed=move || desk.call.get().is_some_and(|c| c.muted).to_string()
                    on:click=move |_| {
                        let muted = desk.call.get_untracked().is_some_and(|c| c.muted);
                        desk.send_on_call(|call_id| ClientMessage::Mute { call_id, on: !muted });
                        desk.call.update(|c| if let Some(c) = c { c.muted = !muted });
                    }>
                    {move || if desk.call.get().is_some_and(|c| c.muted) { desk.t("unmute") } else { desk.t("mute") }}</button>
                <Transfer/>
                <div role="group" aria-label=move || desk.t("keypad")>
                    {keys.iter().map(|k| {
                        let k = *k;
                        view! { <button on:click=move |_| desk.send_on_call(|call_id| ClientMessage::Dtmf { call_id, digits: k.to_owned() })>{k}</button> }
                    }).collect_view()}
                </div>
            </Show>
        </section>
    }
}

/// Manual outbound dialling through the tenant's trunk, with its caller ID.
#[component]
fn Dialer() -> impl IntoView {
    let desk = desk();
    let number = RwSignal::new(String::new());
    let dial = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        let to = number.get_untracked();
        if !to.trim().is_empty() {
            desk.wrap.set(None);
            socket::send(&ClientMessage::Dial {
                to: to.trim().to_owned(),
            });
        }
    };
    view! {
        <form on:submit=dial aria-label=move || desk.t("dial")>
            <label>{move || desk.t("number_to_dial")} " " <input type="tel" bind:value=number/></label>
            <button type="submit">{move || desk.t("call")}</button>
        </form>
    }
}
