//! Switchboard's router (ACD): one tenant's queues, agents and waiting calls in one sans-IO
//! state machine. It is fed events (a call arrived, an agent changed state, an offer was
//! answered, refused or timed out, a caller hung up) and the time, and emits decisions (offer
//! call X to agent Y, cancel an offer, announce a position, overflow, give up) and agent-state
//! changes. No I/O, no clock, no randomness: the same inputs give the same outputs, so the
//! call controller and the agents' sessions carry out its decisions and tests run shifts of
//! call-center time in milliseconds.
//!
//! Order (documented in `docs/routing.md`): when an agent becomes free, the calls of the
//! queues they serve are taken by queue priority (higher first), then caller priority (higher
//! first), then arrival (earlier first). When a call arrives, the queue's strategy picks among
//! its free eligible agents. Every lookup is an ordered-set lookup, never a scan of agents or
//! calls, so a tenant of 20,000 agents and 10,000 waiting calls decides in microseconds.

#![warn(missing_docs)]

mod router;

pub use router::{
    AgentId, AgentState, CallId, CallOutcome, Decision, NotReadyReason, Overflow, QueueConfig,
    QueueId, QueueStats, Router, RouterError, Strategy,
};
