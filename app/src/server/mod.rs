//! Server-only code: state, services, database access, crypto. Compiled only
//! with the `ssr` feature, so none of it reaches the browser.

pub mod context;
pub mod crypto;
pub mod db;
pub mod mail;
pub mod picture;
pub mod services;
pub mod session;
pub mod spreadsheet;
pub mod state;
pub mod timing;

pub use state::AppState;

/// Session keys of a problem the next page load shows once (set by the
/// upload routes, which answer with a redirect).
pub const FLASH_IMPORT_PROBLEM: &str = "flash.import_problem";
pub const FLASH_SELECTION_PROBLEM: &str = "flash.selection_problem";
