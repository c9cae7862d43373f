//! Business operations. Each takes parsed domain values and `now`, runs in
//! one transaction, and reports failure through its own error enum.

pub mod auth;
pub mod claim;
pub mod demo;
pub mod groups;
pub mod import;
pub mod invite_selection;
pub mod lifecycle;
pub mod outbox;
pub mod profile;
pub mod search_index;
pub mod settings;
pub mod setup;
