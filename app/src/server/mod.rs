//! Server-only code: state, services, database access, crypto. Compiled only
//! with the `ssr` feature, so none of it reaches the browser.

pub mod client;
pub mod context;
pub mod crypto;
pub mod db;
pub mod ldap;
pub mod mail;
pub mod oidc;
pub mod picture;
pub mod services;
pub mod session;
pub mod spreadsheet;
pub mod state;
pub mod timing;
pub mod uploads;
pub mod work_queue;

pub use state::{AppState, SharedState};
