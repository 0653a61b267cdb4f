//! The messages of the signed-in user's WebSocket (`/api/v1/ws`), as JSON objects tagged by
//! `type`. The browser's side is in the test softphone (`server/assets/softphone.html`) and,
//! later, the desktop's socket module; nothing else knows the wire format.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a caller chose and entered in an IVR flow before reaching an agent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IvrInputs {
    /// The key pressed at each menu, in order.
    pub choices: Vec<IvrChoice>,
    /// Digits collected and variables set (`account`, ...).
    pub variables: std::collections::BTreeMap<String, String>,
}

/// One menu choice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IvrChoice {
    pub node: String,
    pub key: String,
}

/// What an agent is told about a call offered to them, besides its numbers.
#[derive(Debug, Clone, Default)]
pub struct OfferDetails {
    pub queue_id: Option<Uuid>,
    pub queue_name: Option<String>,
    pub ivr: Option<IvrInputs>,
    pub contact: Option<Box<crate::store::contact::Contact>>,
}

/// From the browser.
#[derive(Debug, Clone, Deserialize)]
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
    /// Supervisors: `listen`, `whisper`, `barge` or `off`.
    Monitor {
        call_id: Uuid,
        mode: String,
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
    /// The agent's availability: `available`, `break` (with the tenant's reason code) or
    /// `offline`. Logging out during a call takes effect when it ends.
    State {
        state: String,
        #[serde(default)]
        reason: Option<String>,
    },
    /// Blind transfer of the agent's connected call to a queue of the tenant (e.g. escalation
    /// to tier 2): the caller hears music until an agent of that queue answers.
    TransferToQueue {
        call_id: Uuid,
        queue_id: Uuid,
    },
    /// Supervisors: set an agent's state (`available`, `break` with a reason, `offline`).
    ForceState {
        user_id: Uuid,
        state: String,
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
#[derive(Debug, Clone, Serialize)]
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
    /// The media session's state: `connected` or `closed`.
    Media {
        state: &'static str,
    },
    /// A call is offered to this agent, or, with `transfer_from`, another agent consults
    /// them about one (attended transfer).
    Incoming {
        call_id: Uuid,
        from: String,
        to: String,
        /// Set when another agent consults this one about the call (attended transfer).
        #[serde(skip_serializing_if = "Option::is_none")]
        transfer_from: Option<Uuid>,
        /// The queue the call waited in.
        #[serde(skip_serializing_if = "Option::is_none")]
        queue_id: Option<Uuid>,
        #[serde(skip_serializing_if = "Option::is_none")]
        queue_name: Option<String>,
        /// What the caller chose and entered in the IVR.
        #[serde(skip_serializing_if = "Option::is_none")]
        ivr: Option<IvrInputs>,
        /// The tenant's contact with the caller's number, if there is one (the screen pop).
        #[serde(skip_serializing_if = "Option::is_none")]
        contact: Option<Box<crate::store::contact::Contact>>,
    },
    /// A call's state changed: `ringing`, `connected`, `consulting`, `conference`, `ended`
    /// (also sent after a reconnect).
    Call {
        call_id: Uuid,
        state: &'static str,
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
        mode: &'static str,
    },
    /// A request was refused; the call and the session are unaffected.
    Error {
        code: &'static str,
        message: String,
    },
    /// The agent's state as the router sees it: `offline`, `available`, `offered`,
    /// `on_call`, `wrap_up`, `not_ready` (with a reason: the break's code, `missed`,
    /// `disconnected`).
    AgentState {
        state: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Another tab or device of this user took over; this one is no longer the desk.
    Replaced,
    /// A watched queue now (see `watch`): the same figures as `GET /queues/{id}/live`.
    QueueLive {
        queue_id: Uuid,
        live: crate::routing::Live,
    },
    Pong,
}
