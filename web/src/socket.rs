//! The desk's WebSocket (`/api/v1/ws`): the only module that touches the wire. Server
//! messages (`switchboard_proto::ServerMessage`, read by serde) become [`Event`]s for the app;
//! the app sends `switchboard_proto::ClientMessage`s, written by serde.

use std::cell::RefCell;

use switchboard_proto::{
    AgentStatus, CallState, ClientMessage, ContactCard, ErrorCode, IvrInputs, MediaState,
    ServerMessage,
};
use uuid::Uuid;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{MessageEvent, WebSocket};

/// A call offered to this desk.
#[derive(Debug, Clone, PartialEq)]
pub struct Offer {
    pub call_id: Uuid,
    pub from: String,
    pub to: String,
    pub queue_id: Option<Uuid>,
    pub queue_name: Option<String>,
    /// What the caller chose and entered in the IVR.
    pub ivr: IvrInputs,
    /// The tenant's contact with the caller's number (the screen pop).
    pub contact: Option<ContactCard>,
}

impl Offer {
    /// A call the desk was not offered: the agent's own outbound call, or the live call
    /// re-attached after a reload.
    pub fn bare(call_id: Uuid, from: String, to: String) -> Offer {
        Offer {
            call_id,
            from,
            to,
            queue_id: None,
            queue_name: None,
            ivr: IvrInputs::default(),
            contact: None,
        }
    }
}

/// What the server said.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Ready,
    Answer(String),
    Media(MediaState),
    Incoming(Offer),
    /// A call's state changed; also sent for the desk's live call after a reconnect.
    Call {
        call_id: Uuid,
        state: CallState,
        from: String,
        to: String,
    },
    Quality {
        mos: f64,
        jitter_ms: f64,
        loss: f64,
    },
    AgentState {
        state: AgentStatus,
        reason: Option<String>,
    },
    Replaced,
    Error {
        code: ErrorCode,
        message: String,
    },
    Closed,
}

/// One server message, read; `None` for what is not a server message or means nothing to
/// the desk.
pub fn parse(text: &str) -> Option<Event> {
    Some(match serde_json::from_str::<ServerMessage>(text).ok()? {
        ServerMessage::Ready { .. } => Event::Ready,
        ServerMessage::Answer { sdp } => Event::Answer(sdp),
        ServerMessage::Media { state } => Event::Media(state),
        ServerMessage::Incoming {
            call_id,
            from,
            to,
            transfer_from: _,
            queue_id,
            queue_name,
            ivr,
            contact,
        } => Event::Incoming(Offer {
            call_id,
            from,
            to,
            queue_id,
            queue_name,
            ivr: ivr.unwrap_or_default(),
            contact: contact.map(|c| *c),
        }),
        ServerMessage::Call {
            call_id,
            state,
            from,
            to,
        } => Event::Call {
            call_id,
            state,
            from,
            to,
        },
        ServerMessage::Quality {
            jitter_ms,
            loss,
            rtt_ms: _,
            mos,
        } => Event::Quality {
            mos,
            jitter_ms,
            loss,
        },
        ServerMessage::AgentState { state, reason } => Event::AgentState { state, reason },
        ServerMessage::Replaced => Event::Replaced,
        ServerMessage::Error { code, message } => Event::Error { code, message },
        ServerMessage::Monitoring { .. }
        | ServerMessage::QueueLive { .. }
        | ServerMessage::Pong => {
            return None;
        }
    })
}

/// The name the wire gives a state or a code (`no_such_call`), for showing it as it is.
pub fn wire_name(value: impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
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

/// A client message as the wire carries it.
fn encode(message: &ClientMessage) -> String {
    serde_json::to_string(message).unwrap_or_default()
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
    let auth = encode(&ClientMessage::Auth {
        token: token.to_owned(),
    });
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

/// Send a message; dropped when the socket is not open (the app reconnects).
pub fn send(message: &ClientMessage) {
    let text = encode(message);
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

    const CALL: &str = "00000000-0000-0000-0000-0000000000c1";

    #[test]
    fn an_offer_with_its_ivr_choices_and_contact_is_read() {
        let e = parse(&format!(
            r#"{{"type":"incoming","call_id":"{CALL}","from":"+1","to":"+2",
                "queue_id":"00000000-0000-0000-0000-000000000001",
                "ivr":{{"choices":[{{"node":"menu","key":"2"}}],"variables":{{"topic":"support"}}}},
                "contact":{{"id":"00000000-0000-0000-0000-000000000003","name":"Alice",
                  "company":null,"email":null,"notes":null,"phones":[],"custom_fields":{{}}}}}}"#
        ));
        let Some(Event::Incoming(o)) = e else {
            panic!("{e:?}")
        };
        assert_eq!(o.call_id.to_string(), CALL);
        assert_eq!(o.ivr.choices[0].node, "menu");
        assert_eq!(o.ivr.choices[0].key, "2");
        assert_eq!(o.ivr.variables["topic"], "support");
        assert_eq!(o.contact.expect("contact").name, "Alice");
        assert_eq!(parse(r#"{"type":"pong"}"#), None);
        assert_eq!(parse(r#"{"type":"explode"}"#), None);
        assert_eq!(parse("not json"), None);
    }

    #[test]
    fn states_and_codes_are_typed() {
        let e = parse(&format!(
            r#"{{"type":"call","call_id":"{CALL}","state":"transferring","from":"+1","to":"+2"}}"#
        ));
        assert!(matches!(
            e,
            Some(Event::Call {
                state: CallState::Transferring,
                ..
            })
        ));
        let e = parse(r#"{"type":"agent_state","state":"not_ready","reason":"missed"}"#);
        assert_eq!(
            e,
            Some(Event::AgentState {
                state: AgentStatus::NotReady,
                reason: Some("missed".into())
            })
        );
        let e = parse(r#"{"type":"error","code":"no_such_call","message":"no"}"#);
        let Some(Event::Error { code, .. }) = e else {
            panic!("{e:?}")
        };
        assert_eq!(code, ErrorCode::NoSuchCall);
        assert_eq!(wire_name(code), "no_such_call");
    }

    #[test]
    fn client_messages_are_written_as_the_server_reads_them() {
        let call_id = Uuid::parse_str(CALL).expect("uuid");
        assert_eq!(
            encode(&ClientMessage::Hold { call_id, on: true }),
            format!(r#"{{"type":"hold","call_id":"{CALL}","on":true}}"#)
        );
    }
}
