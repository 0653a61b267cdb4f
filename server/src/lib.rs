//! Switchboard: a multi-tenant contact-center platform.
//!
//! This crate is the server: the HTTP API ([`api`]), authentication ([`auth`]), the store on
//! PostgreSQL ([`store`]), domain types ([`domain`]) and the application that wires them
//! together ([`startup`]). `main.rs` only parses the command line and calls into here, so tests,
//! the migrator and load generators reuse everything.

pub mod api;
pub mod auth;
pub mod calls;
pub mod demo;
pub mod desks;
pub mod domain;
pub mod media;
pub mod recording;
pub mod routing;
pub mod settings;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod telephony;

pub use settings::Settings;
pub use startup::Application;
