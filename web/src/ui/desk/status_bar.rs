//! The status bar: who and where, the agent's state and for how long, their queues, the
//! media session, the state buttons, the call's quality and signing out.

use leptos::prelude::*;
use switchboard_proto::{ClientMessage, MediaState, WantedState};

use crate::session;
use crate::socket;
use crate::state::desk;
use crate::ui::duration_text;

/// Ask for a state; a break with its reason.
fn want(state: WantedState, reason: Option<String>) {
    socket::send(&ClientMessage::State { state, reason });
}

#[component]
pub fn StatusBar() -> impl IntoView {
    let desk = desk();
    // The chosen break reason; none chosen: the tenant's first.
    let reason = RwSignal::new(String::new());
    let chosen_reason = move || {
        let r = reason.get_untracked();
        if r.is_empty() {
            desk.breaks
                .get_untracked()
                .first()
                .and_then(|b| b["code"].as_str())
                .unwrap_or("lunch")
                .to_owned()
        } else {
            r
        }
    };
    let state_text = move || {
        let (state, why) = desk.agent_state.get();
        let text = desk.status_text(state);
        match why {
            Some(why) => format!("{text} ({})", desk.reason_text(&why)),
            None => text.to_owned(),
        }
    };
    let quality = move || {
        desk.quality.get().map(|(mos, jitter, loss)| {
            let word = if mos >= 4.0 {
                "quality_good"
            } else if mos >= 3.5 {
                "quality_fair"
            } else {
                "quality_poor"
            };
            format!(
                "{}: {} (MOS {mos:.1}, {} {jitter:.0} ms, {} {:.1}%)",
                desk.t("quality"),
                desk.t(word),
                desk.t("jitter"),
                desk.t("loss"),
                loss * 100.0
            )
        })
    };
    view! {
        <section aria-label=move || desk.t("state") class="status">
            <span>{move || desk.session.get().map(|s| format!("{} · {}", s.name, s.tenant))}</span>
            <output aria-label=move || desk.t("state")>{state_text}</output>
            " " {move || desk.t("in_state_for")} " "
            <span>{move || duration_text(desk.now.get() - desk.since.get())}</span>
            <span>{move || {
                let mine: Vec<String> = desk.directory.get()["queues"]
                    .as_array()
                    .map(|q| q.iter().filter(|q| q["mine"] == true)
                        .filter_map(|q| q["name"].as_str().map(str::to_owned)).collect())
                    .unwrap_or_default();
                format!("{}: {}", desk.t("my_queues"), if mine.is_empty() { "—".to_owned() } else { mine.join(", ") })
            }}</span>
            <span>{move || format!("{}: {}", desk.t("media"),
                if desk.media.get() == Some(MediaState::Connected) { desk.t("media_connected") } else { desk.t("media_connecting") })}</span>
            <button on:click=move |_| want(WantedState::Available, None)>
                {move || desk.t("available")}</button>
            <label>{move || desk.t("reason")} " "
                <select aria-label=move || desk.t("reason") prop:value=move || reason.get() on:change=move |e| reason.set(event_target_value(&e))>
                    {move || desk.breaks.get().into_iter().map(|b| {
                        let code = b["code"].as_str().unwrap_or_default().to_owned();
                        let text = desk.reason_text(&code);
                        view! { <option value=code>{text}</option> }
                    }).collect_view()}
                </select>
            </label>
            <button on:click=move |_| want(WantedState::Break, Some(chosen_reason()))>
                {move || desk.t("break")}</button>
            <button on:click=move |_| want(WantedState::Offline, None)>
                {move || desk.t("offline")}</button>
            <span role="status">{quality}</span>
            <button on:click=move |_| session::sign_out(desk)>{move || desk.t("sign_out")}</button>
            <small>{move || desk.t("shortcuts")}</small>
        </section>
    }
}
