//! SIP I/O, and nothing of calls: the transports and the gate in front of them, digest
//! authentication of carriers, the number table (which tenant a dialled number belongs to),
//! trunk monitors (registration, keep-alive) and RFC 4028 session-timer headers. The protocol
//! logic is in the sans-IO `switchboard-sip`; the call controller (`calls`) reads what
//! this module receives.

pub mod credentials;
pub mod digest;
mod gate;
pub mod monitor;
pub mod numbers;
pub mod timers;
pub mod transport;
