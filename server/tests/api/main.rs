//! API integration tests: one binary, one module per concern. Each test gets its own freshly
//! migrated database on a real PostgreSQL server, the demo tenants, and a server on port 0.

mod auth;
mod contacts;
mod desk;
mod embedded;
mod health;
mod helpers;
mod isolation;
mod rls;
mod roles;
mod routing;
mod telephony;
mod tenants;
mod tokens;
mod users;
mod validation;
