//! Switchboard's SIP core: SDP (RFC 4566) parsing and writing, audio offer/answer (RFC 3264)
//! for G.711 and RFC 4733 telephone events, and the call state machine that decides a call's
//! timers and how it ended.
//!
//! Sans-IO: no sockets, no tasks, no clock. Everything here takes bytes or values and returns
//! values; input from the network is parsed without panicking.

#![warn(missing_docs)]

pub mod call;
pub mod sdp;
pub mod session_timer;
