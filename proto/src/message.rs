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
    /// Ready for calls.
    Available,
    /// A break, with one of the tenant's break reasons.
    Break,
    /// Out of the queues.
    Offline,
}

/// From the browser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    /// First message: the access token (a browser cannot set headers on a WebSocket, and a
    /// token in the URL would end up in access logs).
    Auth {
        /// The access token from sign-in.
        token: String,
    },
    /// An SDP offer for the user's media session. `restart` renegotiates the live session
    /// (an ICE restart after a network change, same peer connection); otherwise the offer
    /// starts a new session (first sign-in, or a reloaded page), replacing any earlier one.
    Offer {
        /// The browser's SDP offer.
        sdp: String,
        /// Renegotiate the live session instead of starting a new one.
        #[serde(default)]
        restart: bool,
    },
    /// Answer the offered call (or join the consultation).
    Accept {
        /// The call offered.
        call_id: Uuid,
    },
    /// Refuse the offered call.
    Refuse {
        /// The call offered.
        call_id: Uuid,
    },
    /// Hang up the desk's call (or refuse it while it rings).
    Hangup {
        /// The desk's call.
        call_id: Uuid,
    },
    /// Put the caller on hold (music) or take them off it.
    Hold {
        /// The desk's call.
        call_id: Uuid,
        /// On hold or not.
        on: bool,
    },
    /// Mute the agent's microphone towards the caller, or unmute it.
    Mute {
        /// The desk's call.
        call_id: Uuid,
        /// Muted or not.
        on: bool,
    },
    /// Keys pressed on the keypad, sent to the caller as RFC 4733 events.
    Dtmf {
        /// The desk's call.
        call_id: Uuid,
        /// 1-32 of 0-9, *, #, A-D.
        digits: String,
    },
    /// Pause (card numbers!) or resume the call's recording.
    Record {
        /// The desk's call.
        call_id: Uuid,
        /// Paused or recording.
        paused: bool,
    },
    /// Supervisors: listen, whisper, barge, or off.
    Monitor {
        /// An agent's call of the supervisor's tenant.
        call_id: Uuid,
        /// How to be on it.
        mode: Monitoring,
    },
    /// Attended transfer, step 1: ring another agent of the tenant for a consultation (the
    /// caller hears music while the two agents talk).
    Consult {
        /// The desk's call.
        call_id: Uuid,
        /// The colleague to consult.
        agent_id: Uuid,
    },
    /// Attended transfer: all three hear each other.
    Conference {
        /// The desk's call.
        call_id: Uuid,
    },
    /// Attended transfer, last step: the consulted agent takes the call; this agent is free.
    Transfer {
        /// The desk's call.
        call_id: Uuid,
    },
    /// Blind transfer to another agent of the tenant: the caller hears music while their desk
    /// rings (`transferring`), and they take the call when they answer. A refusal, or no
    /// answer within 30 s, gives the call back (`connected`, then `transfer_failed`).
    TransferToAgent {
        /// The desk's call.
        call_id: Uuid,
        /// The colleague who takes it.
        agent_id: Uuid,
    },
    /// Blind transfer to an outside number (read in the tenant's plan), dialled through the
    /// tenant's trunk: the caller hears music while it rings (`transferring`); when it
    /// answers, the two calls are joined and the agent is free. If it fails, the call is the
    /// agent's again (`transfer_failed`).
    TransferToNumber {
        /// The desk's call.
        call_id: Uuid,
        /// The number, in any common format.
        to: String,
    },
    /// Attended transfer abandoned: the consulted agent leaves; back to the caller. Also
    /// cancels a blind transfer that still rings.
    CancelConsult {
        /// The desk's call.
        call_id: Uuid,
    },
    /// The agent's availability; a break names one of the tenant's reason codes. Logging
    /// out during a call takes effect when it ends.
    State {
        /// The state wanted.
        state: WantedState,
        /// For a break: one of the tenant's break reason codes.
        #[serde(default)]
        reason: Option<String>,
    },
    /// Blind transfer of the agent's connected call to a queue of the tenant (e.g. escalation
    /// to tier 2): the caller hears music until an agent of that queue answers.
    TransferToQueue {
        /// The desk's call.
        call_id: Uuid,
        /// The queue that takes it.
        queue_id: Uuid,
    },
    /// Supervisors: set an agent's state.
    ForceState {
        /// The agent, of the supervisor's tenant.
        user_id: Uuid,
        /// The state to set.
        state: WantedState,
        /// For a break: the reason.
        #[serde(default)]
        reason: Option<String>,
    },
    /// Dial `to` (any common format, read in the tenant's plan) through the tenant's trunk,
    /// with its caller ID; the desk holds the call (`dialing`, then `connected`).
    Dial {
        /// The number to dial.
        to: String,
    },
    /// In wrap-up: more time from now before the agent is available again.
    ExtendWrapUp {
        /// 1-600 seconds.
        secs: u32,
    },
    /// Supervisors: stream the live state of these queues of the tenant, every second
    /// (`queue_live`); an empty list stops the stream.
    Watch {
        /// At most 50 queues of the tenant.
        queue_ids: Vec<Uuid>,
    },
    /// Are you there? Answered with `pong`.
    Ping,
}

/// To the browser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// Signed in; the session is live.
    Ready {
        /// The signed-in user.
        user_id: Uuid,
        /// Their tenant.
        tenant_id: Uuid,
    },
    /// The SDP answer to the last offer.
    Answer {
        /// The server's SDP answer.
        sdp: String,
    },
    /// The media session's state.
    Media {
        /// Connected or closed.
        state: MediaState,
    },
    /// A call is offered to this agent, or, with `transfer_from`, another agent consults
    /// them about one (attended transfer).
    Incoming {
        /// The call.
        call_id: Uuid,
        /// The caller's number.
        from: String,
        /// The number they dialled.
        to: String,
        /// Set when another agent consults this one about the call (attended transfer).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        transfer_from: Option<Uuid>,
        /// The queue the call waited in.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        queue_id: Option<Uuid>,
        /// The queue's name.
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
        /// The call.
        call_id: Uuid,
        /// Its state on this desk now.
        state: CallState,
        /// The caller's number (empty for the agent's own outbound call).
        from: String,
        /// The dialled number.
        to: String,
    },
    /// Quality of the user's media session (from RTCP): jitter, loss, round trip, MOS.
    Quality {
        /// Interarrival jitter of the browser's stream, in ms.
        jitter_ms: f64,
        /// Fraction of the browser's packets lost (0.0-1.0).
        loss: f64,
        /// Round-trip time in ms, once RTCP has measured it.
        rtt_ms: Option<f64>,
        /// Mean opinion score, 1.0-4.5.
        mos: f64,
    },
    /// A supervisor's monitoring of a call started, changed or stopped (`off`).
    Monitoring {
        /// The monitored call.
        call_id: Uuid,
        /// How the supervisor is on it now.
        mode: Monitoring,
    },
    /// A request was refused; the call and the session are unaffected.
    Error {
        /// Why, for programs.
        code: ErrorCode,
        /// Why, for people (English).
        message: String,
    },
    /// The agent's state as the router sees it.
    AgentState {
        /// The state.
        state: AgentStatus,
        /// For `not_ready`: the break's code, `missed` or `disconnected`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Another tab or device of this user took over; this one is no longer the desk.
    Replaced,
    /// A watched queue now (see `watch`): the same figures as `GET /queues/{id}/live`.
    QueueLive {
        /// The queue.
        queue_id: Uuid,
        /// Its figures now.
        live: Live,
    },
    /// The answer to `ping`.
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
