//! The desk socket's messages, both ways.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    AgentStatus, CallState, ContactCard, ErrorCode, IvrInputs, Live, MediaState, Monitoring,
};

/// The state an agent chooses (or a supervisor sets for them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WantedState {
    Available,
    /// A break, with one of the tenant's break reasons.
    Break,
    Offline,
}

/// From the browser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    /// First message: the access token (a browser cannot set headers on a WebSocket, and a
    /// token in the URL would end up in access logs).
    Auth {
        token: String,
    },
    /// An SDP offer for the user's media session. `restart` renegotiates the live session
    /// (an ICE restart after a network change, same peer connection); otherwise the offer
    /// starts a new session (first sign-in, or a reloaded page), replacing any earlier one.
    Offer {
        sdp: String,
        #[serde(default)]
        restart: bool,
    },
    Accept {
        call_id: Uuid,
    },
    Refuse {
        call_id: Uuid,
    },
    Hangup {
        call_id: Uuid,
    },
    Hold {
        call_id: Uuid,
        on: bool,
    },
    Mute {
        call_id: Uuid,
        on: bool,
    },
    /// Keys pressed on the keypad: 0-9, *, #, A-D.
    Dtmf {
        call_id: Uuid,
        digits: String,
    },
    /// Pause (card numbers!) or resume the call's recording.
    Record {
        call_id: Uuid,
        paused: bool,
    },
    /// Supervisors: listen, whisper, barge, or off.
    Monitor {
        call_id: Uuid,
        mode: Monitoring,
    },
    /// Attended transfer, step 1: ring another agent of the tenant for a consultation (the
    /// caller hears music while the two agents talk).
    Consult {
        call_id: Uuid,
        agent_id: Uuid,
    },
    /// Attended transfer: all three hear each other.
    Conference {
        call_id: Uuid,
    },
    /// Attended transfer, last step: the consulted agent takes the call; this agent is free.
    Transfer {
        call_id: Uuid,
    },
    /// Blind transfer to another agent of the tenant: the caller hears music while their desk
    /// rings (`transferring`), and they take the call when they answer. A refusal, or no
    /// answer within 30 s, gives the call back (`connected`, then `transfer_failed`).
    TransferToAgent {
        call_id: Uuid,
        agent_id: Uuid,
    },
    /// Blind transfer to an outside number (read in the tenant's plan), dialled through the
    /// tenant's trunk: the caller hears music while it rings (`transferring`); when it
    /// answers, the two calls are joined and the agent is free. If it fails, the call is the
    /// agent's again (`transfer_failed`).
    TransferToNumber {
        call_id: Uuid,
        to: String,
    },
    /// Attended transfer abandoned: the consulted agent leaves; back to the caller. Also
    /// cancels a blind transfer that still rings.
    CancelConsult {
        call_id: Uuid,
    },
    /// The agent's availability; a break names one of the tenant's reason codes. Logging
    /// out during a call takes effect when it ends.
    State {
        state: WantedState,
        #[serde(default)]
        reason: Option<String>,
    },
    /// Blind transfer of the agent's connected call to a queue of the tenant (e.g. escalation
    /// to tier 2): the caller hears music until an agent of that queue answers.
    TransferToQueue {
        call_id: Uuid,
        queue_id: Uuid,
    },
    /// Supervisors: set an agent's state.
    ForceState {
        user_id: Uuid,
        state: WantedState,
        #[serde(default)]
        reason: Option<String>,
    },
    /// Dial `to` (any common format, read in the tenant's plan) through the tenant's trunk,
    /// with its caller ID; the desk holds the call (`dialing`, then `connected`).
    Dial {
        to: String,
    },
    /// In wrap-up: `secs` (1-600) more from now before the agent is available again.
    ExtendWrapUp {
        secs: u32,
    },
    /// Supervisors: stream the live state of these queues of the tenant, every second
    /// (`queue_live`); an empty list stops the stream.
    Watch {
        queue_ids: Vec<Uuid>,
    },
    Ping,
}

/// To the browser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// Signed in; the session is live.
    Ready {
        user_id: Uuid,
        tenant_id: Uuid,
    },
    /// The SDP answer to the last offer.
    Answer {
        sdp: String,
    },
    /// The media session's state.
    Media {
        state: MediaState,
    },
    /// A call is offered to this agent, or, with `transfer_from`, another agent consults
    /// them about one (attended transfer).
    Incoming {
        call_id: Uuid,
        from: String,
        to: String,
        /// Set when another agent consults this one about the call (attended transfer).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        transfer_from: Option<Uuid>,
        /// The queue the call waited in.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        queue_id: Option<Uuid>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        queue_name: Option<String>,
        /// What the caller chose and entered in the IVR.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ivr: Option<IvrInputs>,
        /// The tenant's contact with the caller's number, if there is one (the screen pop).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        contact: Option<Box<ContactCard>>,
    },
    /// A call's state changed (also sent after a reconnect).
    Call {
        call_id: Uuid,
        state: CallState,
        from: String,
        to: String,
    },
    /// Quality of the user's media session (from RTCP): jitter, loss, round trip, MOS.
    Quality {
        jitter_ms: f64,
        loss: f64,
        rtt_ms: Option<f64>,
        mos: f64,
    },
    /// A supervisor's monitoring of a call started, changed or stopped (`off`).
    Monitoring {
        call_id: Uuid,
        mode: Monitoring,
    },
    /// A request was refused; the call and the session are unaffected.
    Error {
        code: ErrorCode,
        message: String,
    },
    /// The agent's state as the router sees it; `reason` for `not_ready`: the break's code,
    /// `missed` or `disconnected`.
    AgentState {
        state: AgentStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Another tab or device of this user took over; this one is no longer the desk.
    Replaced,
    /// A watched queue now (see `watch`): the same figures as `GET /queues/{id}/live`.
    QueueLive {
        queue_id: Uuid,
        live: Live,
    },
    Pong,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_keep_their_wire_names_both_ways() {
        let text = r#"{"type":"transfer_to_queue","call_id":"00000000-0000-0000-0000-000000000001","queue_id":"00000000-0000-0000-0000-000000000002"}"#;
        let msg: ClientMessage = serde_json::from_str(text).expect("parses");
        assert!(matches!(msg, ClientMessage::TransferToQueue { .. }));
        assert_eq!(serde_json::to_string(&msg).expect("writes"), text);
        let call = ServerMessage::Call {
            call_id: Uuid::nil(),
            state: CallState::Transferring,
            from: "+1".into(),
            to: "+2".into(),
        };
        let json = serde_json::to_value(&call).expect("writes");
        assert_eq!(json["type"], "call");
        assert_eq!(json["state"], "transferring");
        let error = ServerMessage::Error {
            code: ErrorCode::NoSuchCall,
            message: "no".into(),
        };
        assert_eq!(
            serde_json::to_value(&error).expect("writes")["code"],
            "no_such_call"
        );
    }

    #[test]
    fn unknown_and_malformed_messages_are_refused() {
        for bad in [
            r#"{"type":"explode"}"#,
            r#"{"type":"hold","call_id":"x","on":true}"#,
            r#"{"type":"monitor","call_id":"00000000-0000-0000-0000-000000000001","mode":"consult"}"#,
            "not json",
        ] {
            assert!(serde_json::from_str::<ClientMessage>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_offer_with_its_ivr_choices_and_contact_reads_back() {
        let text = r#"{"type":"incoming","call_id":"00000000-0000-0000-0000-000000000001",
            "from":"+1","to":"+2","queue_name":"support",
            "ivr":{"choices":[{"node":"menu","key":"2"}],"variables":{"topic":"support"}},
            "contact":{"id":"00000000-0000-0000-0000-000000000003","name":"Alice","company":null,
              "email":null,"notes":null,"phones":[],"custom_fields":{}}}"#;
        let Ok(ServerMessage::Incoming { ivr, contact, .. }) = serde_json::from_str(text) else {
            panic!("an offer");
        };
        let ivr = ivr.expect("ivr");
        assert_eq!(ivr.choices[0].key, "2");
        assert_eq!(ivr.variables["topic"], "support");
        assert_eq!(contact.expect("contact").name, "Alice");
    }
}
