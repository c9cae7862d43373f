//! Business operations. Each takes parsed domain values and `now`, runs in
//! one transaction, and reports failure through its own error enum, which
//! converts into the one error the UI sees (`From<…> for AppError`, next to
//! the enum). Read paths are services too: they return `api` types built
//! from database rows.

pub mod access_codes;
pub mod audit_log;
pub mod auth;
pub mod claim;
pub mod demo;
pub mod directory;
pub mod directory_sync;
pub mod groups;
pub mod health;
pub mod import;
pub mod integrations;
pub mod invitations;
pub mod invite_selection;
pub mod lifecycle;
pub mod outgoing_mail;
pub mod people;
pub mod people_export;
pub mod profile;
pub mod roles;
pub mod scim;
pub mod search_index;
pub mod settings;
pub mod setup;
pub mod sso;
pub mod throttle;
