//! Switchboard's media core: RTP and RTCP packets (RFC 3550), G.711 μ-law and A-law (ITU-T
//! G.711), RFC 4733 telephone events (DTMF), reception statistics (jitter, loss) and WAV prompts.
//!
//! Sans-IO: no sockets, no tasks, no clock. Parsers take bytes and never panic on any input;
//! time is always passed in by the caller. The tokio driver that owns the UDP sockets lives
//! elsewhere and feeds these types.

#![warn(missing_docs)]

pub mod bridge;
pub mod dtmf;
pub mod g711;
pub mod liveness;
pub mod opus;
pub mod rtcp;
pub mod rtp;
pub mod service;
pub mod stats;
pub mod wav;
pub mod webrtc;
