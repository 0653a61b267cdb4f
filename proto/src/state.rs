//! The states the desk shows, as the server names them.

use serde::{Deserialize, Serialize};

/// A call's state on a desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallState {
    /// Offered to this desk; not answered yet.
    Ringing,
    /// The agent dialled out; the far end rings.
    Dialing,
    /// The agent and the caller talk.
    Connected,
    /// The agent talks with a consulted colleague; the caller hears music.
    Consulting,
    /// The agent, the colleague and the caller all hear each other.
    Conference,
    /// A blind transfer rings its target; the caller hears music.
    Transferring,
    /// The call is over for this desk.
    Ended,
}

/// The desk's media session (its WebRTC peer connection to the server).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaState {
    /// ICE and DTLS are done: audio flows.
    Connected,
    /// The session is gone (the page offers again).
    Closed,
}

/// An agent's state as the router sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AgentStatus {
    /// Signed out of the queues.
    Offline,
    /// Ready for the next call.
    Available,
    /// A call rings on their desk.
    Offered,
    /// On a call the router gave them.
    OnCall,
    /// After a call, finishing its notes; available again when the wrap-up time is up.
    WrapUp,
    /// A break (with its reason), missed offers or a desk that went away.
    NotReady,
    /// On a call the router did not route: a consultation, a direct line, a flow's call.
    Busy,
}

/// How a supervisor is on an agent's call, or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Monitoring {
    /// Hears both sides; nobody hears them.
    Listen,
    /// Hears both sides; only the agent hears them.
    Whisper,
    /// All three hear each other.
    Barge,
    /// Not on the call (stops monitoring).
    Off,
}

/// Why the server refused a desk's request; the call and the session are unaffected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The first message was not `auth`.
    AuthRequired,
    /// The token is invalid or expired.
    Unauthorized,
    /// The user's role may not do this.
    Forbidden,
    /// Not a message of this protocol, or a value out of range.
    BadMessage,
    /// Keys other than 0-9, *, #, A-D, or too many.
    BadDigits,
    /// A monitoring mode other than listen, whisper, barge or off.
    BadMode,
    /// Not a phone number in the tenant's dial plan.
    BadNumber,
    /// Not a state the agent can choose, or a break without one of the tenant's reasons.
    BadState,
    /// The SDP offer cannot be read.
    BadSdp,
    /// The media session could not be set up.
    OfferRefused,
    /// No such call on this desk (or of this tenant).
    NoSuchCall,
    /// No such queue of this tenant.
    NoSuchQueue,
    /// No such user of this tenant.
    NoSuchUser,
    /// The call is not connected yet.
    NotConnected,
    /// The call is already connected.
    AlreadyAnswered,
    /// Someone else is on the call, or the desk is on another call.
    Busy,
    /// The desk's media session is not connected.
    NoMedia,
    /// The colleague cannot take a call now, or the service is not running on this node.
    Unavailable,
    /// No colleague is consulted on this call.
    NoConsultation,
    /// The consulted colleague has not answered yet.
    NotJoined,
    /// Only calls that came through a queue can go to another queue.
    NotQueued,
    /// The transfer did not happen; the call is the agent's again.
    TransferFailed,
    /// The number could not be dialled.
    DialFailed,
}
