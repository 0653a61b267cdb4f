//! The components, in a tree that mirrors the screen: the root ([`app`]), the sign-in form,
//! the agent's desk and the supervisor's view.

pub mod app;
mod desk;
mod sign_in;
mod supervisor;

/// `m:ss` of a duration in milliseconds.
fn duration_text(ms: f64) -> String {
    let secs = (ms / 1000.0).max(0.0) as u64;
    format!("{}:{:02}", secs / 60, secs % 60)
}
