//! Switchboard's SIP core. Today: SDP (RFC 4566) parsing and writing, and audio offer/answer
//! (RFC 3264) for G.711 and RFC 4733 telephone events.
//!
//! Sans-IO: no sockets, no tasks, no clock. Everything here takes bytes or values and returns
//! values; input from the network is parsed without panicking.

pub mod sdp;
