//! The Embark server: configuration, start-up, HTTP plumbing around the
//! Leptos app, and the command line. Business logic lives in `app::server`.

pub mod access_codes;
pub mod bulk;
pub mod cli;
pub mod config;
pub mod exports;
pub mod limits;
pub mod middleware;
pub mod routes;
pub mod scim;
pub mod session_store;
pub mod sso;
pub mod startup;
pub mod telemetry;
