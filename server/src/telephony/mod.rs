//! Telephony: the SIP edge that carriers reach, its routing table, the RTP media of each call
//! and the built-in services (echo test, prompt + DTMF test). Protocol logic stays in the
//! sans-IO crates `switchboard-sip` and `switchboard-media`; this module is their I/O.

pub mod digest;
mod driver;
pub mod edge;
pub mod media;
mod monitor;
pub mod outbound;
pub mod prompts;
pub mod routing;
mod timers;

pub use edge::SipEdge;
pub use outbound::{CallControl, DialError, DialRequest};
