//! The media plane of this node, as tasks: each call's RTP task with its bridge
//! ([`rtp`]), the WebRTC hub that carries every browser's media on one UDP socket ([`hub`]),
//! the prompts callers hear ([`prompts`]) and call quality as one figure ([`quality`]). The
//! protocol work is in the sans-IO `switchboard-media`; nothing here knows what a call's
//! journey is, only the commands it is given and the events it reports.

pub mod hub;
pub mod prompts;
pub mod quality;
pub mod rtp;

pub use hub::Hub;
