//! The words the agent's browser and the server say to each other on the desk socket
//! (`/api/v1/ws`): client and server messages, the details of an offered call, the live
//! figures of a queue, and the states of calls, agents and media as enums.
//!
//! Serde only, no I/O: the server and the desk (`web/`, compiled to wasm) both use these
//! types, so the wire format is written once and neither side parses JSON by hand. Every
//! message is a JSON object tagged by `type`, in `snake_case`.

#![warn(missing_docs)]

mod live;
mod message;
mod offer;
mod state;

pub use live::{Live, LiveAgent, LiveCall};
pub use message::{ClientMessage, ServerMessage, WantedState};
pub use offer::{ContactCard, ContactPhone, IvrChoice, IvrInputs};
pub use state::{AgentStatus, CallState, ErrorCode, MediaState, Monitoring};
