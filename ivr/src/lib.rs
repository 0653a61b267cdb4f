//! Switchboard's IVR: a tenant's flow graph (JSON), validated when it is saved, and the
//! interpreter that walks one call through it, sans-IO.
//!
//! The interpreter is fed the call's events (a prompt finished, a key was pressed, the time
//! passed, the answer to an hours check) and emits what to do (play a prompt, stop it, check
//! a schedule, route to a queue or an agent, hang up). No I/O and no clock: the call's driver
//! plays the prompts and evaluates schedules, so flows are tested with a simulated clock.

#![warn(missing_docs)]

mod flow;
mod interpreter;

pub use flow::{Flow, FlowError, Node};
pub use interpreter::{Action, Interpreter, Route};
