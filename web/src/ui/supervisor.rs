//! Supervisors and admins: the tenant's queues now, their agents with listen, whisper and
//! barge on a live call, and a state the supervisor can set for each.

use std::collections::BTreeMap;
use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Deserialize;
use serde_json::Value;
use switchboard_proto::{AgentStatus, ClientMessage, Monitoring, WantedState};
use uuid::Uuid;

use crate::api::request;
use crate::socket;
use crate::state::{desk, id_in};

/// An agent's state in a queue's live figures (`GET /queues/{id}/live`).
fn status_in(agent: &Value) -> Option<AgentStatus> {
    AgentStatus::deserialize(&agent["state"]).ok()
}

/// Set an agent's state; a break's reason is `supervisor`.
fn force(user_id: Uuid, state: WantedState) {
    let reason = (state == WantedState::Break).then(|| "supervisor".to_owned());
    socket::send(&ClientMessage::ForceState {
        user_id,
        state,
        reason,
    });
}

/// Supervisors and admins: the tenant's queues live, their agents with listen, whisper and
/// barge on a live call, and a state the supervisor can set.
#[component]
pub fn Supervisor() -> impl IntoView {
    let desk = desk();
    let live = RwSignal::new(Vec::<(String, Value)>::new());
    let monitoring = RwSignal::new(None::<(Uuid, Monitoring)>);
    set_interval(
        move || {
            let Some(token) = desk.token() else { return };
            let queues = desk.directory.get_untracked()["queues"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            spawn_local(async move {
                let mut out = Vec::new();
                for q in queues {
                    let id = q["id"].as_str().unwrap_or_default();
                    if let Ok(l) =
                        request("GET", &format!("/queues/{id}/live"), Some(&token), None).await
                    {
                        out.push((q["name"].as_str().unwrap_or_default().to_owned(), l));
                    }
                }
                live.set(out);
            });
        },
        Duration::from_secs(2),
    );
    let name_of = move |id: Uuid| {
        desk.directory.get()["colleagues"]
            .as_array()
            .and_then(|c| c.iter().find(|c| id_in(&c["id"]) == Some(id)))
            .and_then(|c| c["name"].as_str().map(str::to_owned))
            .unwrap_or_else(|| id.to_string())
    };
    let monitor = move |call: Uuid, mode: Monitoring| {
        socket::send(&ClientMessage::Monitor {
            call_id: call,
            mode,
        });
        monitoring.set((mode != Monitoring::Off).then_some((call, mode)));
    };
    view! {
        <section aria-label=move || desk.t("supervisor")>
            <h2>{move || desk.t("supervisor")}</h2>
            <table aria-label=move || desk.t("supervisor")>
                <thead><tr><th>{move || desk.t("queue")}</th><th>{move || desk.t("waiting")}</th>
                    <th>{move || desk.t("answered")}</th><th>{move || desk.t("abandoned")}</th><th>{move || desk.t("service_level")}</th></tr></thead>
                <tbody>
                    {move || live.get().into_iter().map(|(name, l)| view! {
                        <tr><td>{name}</td><td>{l["waiting"].as_array().map_or(0, Vec::len)}</td>
                            <td>{l["answered"].as_u64().unwrap_or(0)}</td><td>{l["abandoned"].as_u64().unwrap_or(0)}</td>
                            <td>{l["service_level_percent"].as_f64().map(|p| format!("{p:.0}%")).unwrap_or_default()}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            <h3>{move || desk.t("agents")}</h3>
            <ul>
                {move || {
                    let mut seen = BTreeMap::new();
                    for (_, l) in live.get() {
                        for a in l["agents"].as_array().cloned().unwrap_or_default() {
                            if let Some(id) = id_in(&a["user_id"]) {
                                seen.insert(id, a);
                            }
                        }
                    }
                    seen.into_iter().map(|(id, a)| {
                        let state = status_in(&a);
                        let name = name_of(id);
                        view! {
                            <li>
                                <strong>{name}</strong> " " {state.map(|s| desk.status_text(s))} " "
                                {id_in(&a["call_id"]).filter(|_| state == Some(AgentStatus::OnCall)).map(|call| view! {
                                    <button on:click=move |_| monitor(call, Monitoring::Listen)>{desk.t("listen")}</button>
                                    <button on:click=move |_| monitor(call, Monitoring::Whisper)>{desk.t("whisper")}</button>
                                    <button on:click=move |_| monitor(call, Monitoring::Barge)>{desk.t("barge")}</button>
                                    <Show when=move || monitoring.get().is_some_and(|(c, _)| c == call)>
                                        <button on:click=move |_| monitor(call, Monitoring::Off)>{desk.t("stop_monitoring")}</button>
                                    </Show>
                                })}
                                <button on:click=move |_| force(id, WantedState::Available)>{desk.t("make_available")}</button>
                                <button on:click=move |_| force(id, WantedState::Break)>{desk.t("make_break")}</button>
                                <button on:click=move |_| force(id, WantedState::Offline)>{desk.t("make_offline")}</button>
                            </li>
                        }
                    }).collect_view()
                }}
            </ul>
        </section>
    }
}
