//! The desk's WebSocket (`/api/v1/ws`): the only module that knows the wire format. Server
//! messages become [`Event`]s for the app; the app's [`Command`]s become client messages.

use std::cell::RefCell;

use serde_json::{Value, json};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{MessageEvent, WebSocket};

/// A call offered to this desk.
#[derive(Debug, Clone, PartialEq)]
pub struct Offer {
    pub call_id: String,
    pub from: String,
    pub to: String,
    pub queue_id: Option<String>,
    pub queue_name: Option<String>,
    /// Menu choices as (menu, key), then variables as (name, value).
    pub choices: Vec<(String, String)>,
    pub variables: Vec<(String, String)>,
    pub contact: Option<Value>,
}

/// What the server said.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Ready,
    Answer(String),
    Media(String),
    Incoming(Offer),
    /// A call's state changed; also sent for the desk's live call after a reconnect.
    Call {
        call_id: String,
        state: String,
        from: String,
        to: String,
    },
    Quality {
        mos: f64,
        jitter_ms: f64,
        loss: f64,
    },
    AgentState {
        state: String,
        reason: Option<String>,
    },
    Replaced,
    Error {
        code: String,
        message: String,
    },
    Closed,
}

/// What the app asks for.
#[derive(Debug, Clone)]
pub enum Command {
    Offer {
        sdp: String,
        restart: bool,
    },
    Accept(String),
    Hangup(String),
    Hold(String, bool),
    Mute(String, bool),
    Dtmf(String, String),
    State(&'static str, Option<String>),
    ExtendWrapUp(u32),
    /// Dial a number out through the tenant's trunk.
    Dial(String),
    /// Supervisors: listen, whisper, barge (or `off`) on an agent's call.
    Monitor(String, &'static str),
    /// Supervisors: set an agent's state.
    ForceState(String, &'static str),
    /// Blind transfer of the call to a queue.
    TransferToQueue(String, String),
    /// Attended transfer: ring a colleague for a consultation, then join all three, hand
    /// the caller over, or return to them.
    Consult(String, String),
    /// Blind transfer to a colleague: they take the call when they answer.
    TransferToAgent(String, String),
    /// Blind transfer to an outside number.
    TransferToNumber(String, String),
    Conference(String),
    Transfer(String),
    CancelConsult(String),
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

fn pairs(v: &Value) -> Vec<(String, String)> {
    v.as_object()
        .map(|o| o.iter().map(|(k, v)| (k.clone(), s(v))).collect())
        .unwrap_or_default()
}

/// One server message, read.
pub fn parse(text: &str) -> Option<Event> {
    let m: Value = serde_json::from_str(text).ok()?;
    Some(match m["type"].as_str()? {
        "ready" => Event::Ready,
        "answer" => Event::Answer(s(&m["sdp"])),
        "media" => Event::Media(s(&m["state"])),
        "incoming" => Event::Incoming(Offer {
            call_id: s(&m["call_id"]),
            from: s(&m["from"]),
            to: s(&m["to"]),
            queue_id: m["queue_id"].as_str().map(str::to_owned),
            queue_name: m["queue_name"].as_str().map(str::to_owned),
            choices: m["ivr"]["choices"]
                .as_array()
                .map(|a| a.iter().map(|c| (s(&c["node"]), s(&c["key"]))).collect())
                .unwrap_or_default(),
            variables: pairs(&m["ivr"]["variables"]),
            contact: m.get("contact").filter(|c| c.is_object()).cloned(),
        }),
        "call" => Event::Call {
            call_id: s(&m["call_id"]),
            state: s(&m["state"]),
            from: s(&m["from"]),
            to: s(&m["to"]),
        },
        "quality" => Event::Quality {
            mos: m["mos"].as_f64().unwrap_or(0.0),
            jitter_ms: m["jitter_ms"].as_f64().unwrap_or(0.0),
            loss: m["loss"].as_f64().unwrap_or(0.0),
        },
        "agent_state" => Event::AgentState {
            state: s(&m["state"]),
            reason: m["reason"].as_str().map(str::to_owned),
        },
        "replaced" => Event::Replaced,
        "error" => Event::Error {
            code: s(&m["code"]),
            message: s(&m["message"]),
        },
        _ => return None,
    })
}

/// The client message of a command.
pub fn encode(command: &Command) -> Value {
    match command {
        Command::Offer { sdp, restart } => {
            json!({ "type": "offer", "sdp": sdp, "restart": restart })
        }
        Command::Accept(id) => json!({ "type": "accept", "call_id": id }),
        Command::Hangup(id) => json!({ "type": "hangup", "call_id": id }),
        Command::Hold(id, on) => json!({ "type": "hold", "call_id": id, "on": on }),
        Command::Mute(id, on) => json!({ "type": "mute", "call_id": id, "on": on }),
        Command::Dtmf(id, digits) => json!({ "type": "dtmf", "call_id": id, "digits": digits }),
        Command::State(state, reason) => {
            json!({ "type": "state", "state": state, "reason": reason })
        }
        Command::ExtendWrapUp(secs) => json!({ "type": "extend_wrap_up", "secs": secs }),
        Command::Dial(to) => json!({ "type": "dial", "to": to }),
        Command::Monitor(id, mode) => json!({ "type": "monitor", "call_id": id, "mode": mode }),
        Command::ForceState(user, state) => {
            let reason = (*state == "break").then_some("supervisor");
            json!({ "type": "force_state", "user_id": user, "state": state, "reason": reason })
        }
        Command::TransferToQueue(id, queue) => {
            json!({ "type": "transfer_to_queue", "call_id": id, "queue_id": queue })
        }
        Command::Consult(id, agent) => {
            json!({ "type": "consult", "call_id": id, "agent_id": agent })
        }
        Command::TransferToAgent(id, agent) => {
            json!({ "type": "transfer_to_agent", "call_id": id, "agent_id": agent })
        }
        Command::TransferToNumber(id, to) => {
            json!({ "type": "transfer_to_number", "call_id": id, "to": to })
        }
        Command::Conference(id) => json!({ "type": "conference", "call_id": id }),
        Command::Transfer(id) => json!({ "type": "transfer", "call_id": id }),
        Command::CancelConsult(id) => json!({ "type": "cancel_consult", "call_id": id }),
    }
}

thread_local! {
    static SOCKET: RefCell<Option<WebSocket>> = const { RefCell::new(None) };
}

/// When the last offer reached the page (`window.switchboardOfferAt`, from
/// `performance.now()`): the tests measure from it to the ringing UI.
fn mark_offer() {
    if let Some(w) = web_sys::window() {
        let now = w.performance().map_or(0.0, |p| p.now());
        let _ = js_sys::Reflect::set(&w, &"switchboardOfferAt".into(), &now.into());
    }
}

/// Open the desk's socket with `token`; every server message goes to `on_event`.
pub fn connect(token: &str, on_event: impl Fn(Event) + 'static) {
    let Some(location) = web_sys::window().map(|w| w.location()) else {
        return;
    };
    let scheme = if location.protocol().ok().as_deref() == Some("https:") {
        "wss"
    } else {
        "ws"
    };
    let host = location.host().unwrap_or_default();
    let Ok(ws) = WebSocket::new(&format!("{scheme}://{host}/api/v1/ws")) else {
        return on_event(Event::Closed);
    };
    let on_event = std::rc::Rc::new(on_event);
    let auth = json!({ "type": "auth", "token": token }).to_string();
    let opener = ws.clone();
    let onopen = Closure::<dyn FnMut()>::new(move || {
        let _ = opener.send_with_str(&auth);
    });
    ws.set_onopen(Some(onopen.as_ref().unchecked_ref()));
    onopen.forget();
    let events = on_event.clone();
    let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        if let Some(text) = e.data().as_string()
            && let Some(event) = parse(&text)
        {
            if matches!(event, Event::Incoming(_)) {
                mark_offer();
            }
            events(event);
        }
    });
    ws.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    onmessage.forget();
    let onclose = Closure::<dyn FnMut()>::new(move || on_event(Event::Closed));
    ws.set_onclose(Some(onclose.as_ref().unchecked_ref()));
    onclose.forget();
    SOCKET.with(|s| {
        if let Some(old) = s.borrow_mut().replace(ws) {
            old.set_onclose(None);
            let _ = old.close();
        }
    });
}

/// Send a command; dropped when the socket is not open (the app reconnects).
pub fn send(command: &Command) {
    let text = encode(command).to_string();
    SOCKET.with(|s| {
        if let Some(ws) = s.borrow().as_ref() {
            let _ = ws.send_with_str(&text);
        }
    });
}

/// Close the socket (signing out).
pub fn disconnect() {
    SOCKET.with(|s| {
        if let Some(ws) = s.borrow_mut().take() {
            ws.set_onclose(None);
            let _ = ws.close();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_offer_with_its_ivr_choices_and_contact_is_read() {
        let e = parse(
            r#"{"type":"incoming","call_id":"c1","from":"+1","to":"+2","queue_id":"q",
                "ivr":{"choices":[{"node":"menu","key":"2"}],"variables":{"topic":"support"}},
                "contact":{"name":"Alice"}}"#,
        );
        let Some(Event::Incoming(o)) = e else {
            panic!("{e:?}")
        };
        assert_eq!(o.choices, [("menu".to_owned(), "2".to_owned())]);
        assert_eq!(o.variables, [("topic".to_owned(), "support".to_owned())]);
        assert_eq!(o.contact.expect("contact")["name"], "Alice");
        assert_eq!(parse(r#"{"type":"pong"}"#), None);
        assert_eq!(parse("not json"), None);
        assert_eq!(
            encode(&Command::Hold("c1".into(), true)),
            json!({ "type": "hold", "call_id": "c1", "on": true })
        );
    }
}
