//! The customer: the caller's card (edit it, or create one for an unknown caller), their
//! call history, and the recordings a supervisor may play.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{Value, json};

use super::field;
use crate::api::{self, request};
use crate::state::desk;
use crate::ui::duration_text;

#[component]
pub fn Customer() -> impl IntoView {
    let desk = desk();
    let name = RwSignal::new(String::new());
    let company = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let notes = RwSignal::new(String::new());
    let saved = RwSignal::new(false);
    // A new card fills the form; the same card again (a re-run) leaves edits alone.
    Effect::new(move |shown: Option<Option<Value>>| {
        let c = desk.contact.get();
        if shown.as_ref() != Some(&c) {
            name.set(field(&c, "name"));
            company.set(field(&c, "company"));
            email.set(field(&c, "email"));
            notes.set(field(&c, "notes"));
            saved.set(false);
        }
        c
    });
    // The caller's number: the call's, or the one being wrapped up.
    let caller = move || {
        desk.call
            .get()
            .map(|c| c.offer.from)
            .or_else(|| desk.wrap.get().map(|offer| offer.from))
    };
    let save = move |_| {
        let Some(token) = desk.token() else { return };
        let opt = |s: String| {
            if s.trim().is_empty() {
                Value::Null
            } else {
                Value::String(s)
            }
        };
        let body = json!({
            "name": name.get_untracked(),
            "company": opt(company.get_untracked()),
            "email": opt(email.get_untracked()),
            "notes": opt(notes.get_untracked()),
        });
        let id = desk
            .contact
            .get_untracked()
            .and_then(|c| c["id"].as_str().map(str::to_owned));
        spawn_local(async move {
            let result = match id {
                Some(id) => {
                    request(
                        "PATCH",
                        &format!("/contacts/{id}"),
                        Some(&token),
                        Some(&body),
                    )
                    .await
                }
                None => Err(api::ApiError {
                    message: "no contact".into(),
                }),
            };
            match result {
                Ok(c) => {
                    desk.contact.set(Some(c));
                    saved.set(true);
                }
                Err(e) => desk.error.set(Some(e.message)),
            }
        });
    };
    let create = move |_| {
        let (Some(token), Some(number)) = (desk.token(), caller()) else {
            return;
        };
        let body = json!({ "name": number, "phones": [{ "number": number }] });
        spawn_local(async move {
            match request("POST", "/contacts", Some(&token), Some(&body)).await {
                Ok(c) => desk.contact.set(Some(c)),
                Err(e) => desk.error.set(Some(e.message)),
            }
        });
    };
    view! {
        <section aria-label=move || desk.t("customer") class="customer">
            <h2>{move || desk.t("customer")}</h2>
            {move || match (desk.contact.get().is_some(), caller()) {
                (false, None) => ().into_any(),
                (false, Some(_)) => view! {
                    <p>{desk.t("unknown_caller")}</p>
                    <button on:click=create>{desk.t("new_contact")}</button>
                }.into_any(),
                (true, _) => view! {
                    <label>{desk.t("name")} " " <input bind:value=name/></label>
                    <label>{desk.t("company_name")} " " <input bind:value=company/></label>
                    <label>{desk.t("email")} " " <input type="email" bind:value=email/></label>
                    <label>{desk.t("contact_notes")} " " <textarea prop:value=move || notes.get() on:input=move |e| notes.set(event_target_value(&e))></textarea></label>
                    <button on:click=save>{desk.t("save_contact")}</button>
                    <Show when=move || saved.get()><span role="status">{desk.t("saved")}</span></Show>
                }.into_any(),
            }}
            <History/>
        </section>
    }
}

/// The contact's earlier calls, with their recordings for those who may hear them.
#[component]
fn History() -> impl IntoView {
    let desk = desk();
    let recordings = move || desk.session.get().is_some_and(|s| s.may_hear_recordings());
    view! {
        <Show when=move || desk.contact.get().is_some()>
            <h3>{move || desk.t("history")}</h3>
            <Show when=move || !desk.history.get().is_empty() fallback=move || view! { <p>{desk.t("no_history")}</p> }>
                <table aria-label=move || desk.t("history")>
                    <thead><tr>
                        <th>{move || desk.t("date")}</th><th>{move || desk.t("direction")}</th><th>{move || desk.t("agent")}</th><th>{move || desk.t("queue")}</th>
                        <th>{move || desk.t("duration")}</th><th>{move || desk.t("disposition")}</th><th>{move || desk.t("notes")}</th><th></th>
                    </tr></thead>
                    <tbody>
                        {move || {
                            // The live call is on the phone, not yet in the history.
                            let live = desk.call.get().map(|c| c.offer.call_id.to_string());
                            desk.history.get().into_iter().filter(move |h| h["id"].as_str() != live.as_deref())
                        }.map(|h| {
                            let id = h["id"].as_str().unwrap_or_default().to_owned();
                            let when = h["started_at"].as_str().unwrap_or_default().replace('T', " ");
                            let when = when.get(..16).unwrap_or(&when).to_owned();
                            let direction = desk.t(h["direction"].as_str().unwrap_or("inbound"));
                            let disposition = h["disposition"].as_str().map(|code| {
                                desk.dispositions.get_untracked().iter()
                                    .find(|d| d["code"] == code)
                                    .and_then(|d| d["label"].as_str())
                                    .unwrap_or(code).to_owned()
                            }).unwrap_or_default();
                            let audio = RwSignal::new(None::<String>);
                            let play = move |_| {
                                let Some(token) = desk.token() else { return };
                                let id = id.clone();
                                spawn_local(async move {
                                    if let Some(url) = recording_url(&id, &token).await {
                                        audio.set(Some(url));
                                    }
                                });
                            };
                            view! {
                                <tr>
                                    <td>{when}</td>
                                    <td>{direction}</td>
                                    <td>{h["agent_name"].as_str().unwrap_or_default().to_owned()}</td>
                                    <td>{h["queue_name"].as_str().unwrap_or_default().to_owned()}</td>
                                    <td>{duration_text(h["duration_ms"].as_f64().unwrap_or(0.0))}</td>
                                    <td>{disposition}</td>
                                    <td>{h["notes"].as_str().unwrap_or_default().to_owned()}</td>
                                    <td>{(recordings() && h["has_recording"] == true).then(|| view! {
                                        <button on:click=play.clone()>{desk.t("play_recording")}</button>
                                        {move || audio.get().map(|src| view! { <audio controls autoplay src=src></audio> })}
                                    })}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </Show>
        </Show>
    }
}

/// Fetch a recording with the token (an `<audio src>` cannot send one) as an object URL.
async fn recording_url(call: &str, token: &str) -> Option<String> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let init = web_sys::RequestInit::new();
    let req =
        web_sys::Request::new_with_str_and_init(&format!("/api/v1/calls/{call}/recording"), &init)
            .ok()?;
    req.headers()
        .set("Authorization", &format!("Bearer {token}"))
        .ok()?;
    let resp: web_sys::Response = JsFuture::from(web_sys::window()?.fetch_with_request(&req))
        .await
        .ok()?
        .dyn_into()
        .ok()?;
    if !resp.ok() {
        return None;
    }
    let blob: web_sys::Blob = JsFuture::from(resp.blob().ok()?)
        .await
        .ok()?
        .dyn_into()
        .ok()?;
    web_sys::Url::create_object_url_with_blob(&blob).ok()
}
