//! What each server message does to the desk's state ([`on_event`]), and the caller's card
//! and history for the screen pop.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;
use switchboard_proto::CallState;

use crate::api::request;
use crate::media;
use crate::session::{connect, negotiate};
use crate::socket::{self, Event, Offer};
use crate::state::{CallView, Desk};

pub fn on_event(desk: Desk, event: Event) {
    match event {
        Event::Ready => {
            media::close();
            negotiate(desk, false);
        }
        Event::Answer(sdp) => spawn_local(async move {
            let _ = media::apply_answer(&sdp).await;
        }),
        Event::Media(state) => desk.media.set(Some(state)),
        Event::Incoming(offer) => {
            load_customer(
                desk,
                offer
                    .contact
                    .as_ref()
                    .and_then(|c| serde_json::to_value(c).ok()),
            );
            desk.wrap.set(None);
            desk.call.set(Some(CallView {
                offer,
                state: CallState::Ringing,
                held: false,
                muted: false,
            }));
            let ringer = desk.ringer.get_untracked();
            spawn_local(async move {
                let _ = media::ring(true, &ringer).await;
            });
        }
        Event::Call {
            call_id,
            state,
            from,
            to,
        } => {
            if desk.call_id() != Some(call_id) {
                if !matches!(state, CallState::Connected | CallState::Dialing) {
                    return;
                }
                // The agent's own outbound call, or a reloaded page: the server re-attaches
                // the live call and says so.
                find_contact(desk, from.clone());
                desk.call.set(Some(CallView {
                    offer: Offer::bare(call_id, from, to),
                    state,
                    held: false,
                    muted: false,
                }));
                return;
            }
            if state != CallState::Ringing {
                spawn_local(async {
                    let _ = media::ring(false, "").await;
                });
            }
            if state == CallState::Ended {
                let ended = desk.call.get_untracked();
                desk.call.set(None);
                desk.quality.set(None);
                if let Some(c) = ended.filter(|c| c.state != CallState::Ringing) {
                    desk.wrap.set(Some(c.offer));
                }
                desk.compact();
            } else {
                desk.call.update(|c| {
                    if let Some(c) = c {
                        c.state = state;
                    }
                });
            }
        }
        Event::Quality {
            mos,
            jitter_ms,
            loss,
        } => desk.quality.set(Some((mos, jitter_ms, loss))),
        Event::AgentState { state, reason } => {
            desk.agent_state.set((state, reason));
            desk.since.set(js_sys::Date::now());
        }
        Event::Replaced => {
            desk.replaced.set(true);
            media::close();
        }
        Event::Error { code, message } => desk
            .error
            .set(Some(format!("{}: {message}", socket::wire_name(code)))),
        Event::Closed => {
            // A dropped connection comes back (the server keeps the call for the grace
            // period); a replaced desk or a signed-out one does not.
            if !desk.replaced.get_untracked()
                && let Some(token) = desk.token()
            {
                set_timeout(move || connect(desk, token), Duration::from_secs(2));
            }
        }
    }
}

/// The card of the caller `number` (after a reload, when the offer is gone), and its history.
fn find_contact(desk: Desk, number: String) {
    let Some(token) = desk.token() else { return };
    spawn_local(async move {
        let path = format!("/contacts?phone={}", js_sys::encode_uri_component(&number));
        if let Ok(page) = request("GET", &path, Some(&token), None).await
            && let Some(contact) = page["items"].get(0).cloned()
        {
            load_customer(desk, Some(contact));
        }
    });
}

/// The caller's card and history, for the screen pop.
pub fn load_customer(desk: Desk, contact: Option<Value>) {
    let id = contact
        .as_ref()
        .and_then(|c| c["id"].as_str())
        .map(str::to_owned);
    desk.contact.set(contact);
    desk.history.set(Vec::new());
    let Some(id) = id else {
        return;
    };
    let Some(token) = desk.token() else { return };
    spawn_local(async move {
        if let Ok(list) = request("GET", &format!("/contacts/{id}/calls"), Some(&token), None).await
        {
            desk.history
                .set(list.as_array().cloned().unwrap_or_default());
        }
    });
}
