//! Integration tests: the real server on a random port, against a real
//! PostgreSQL with a fresh database per test (`#[sqlx::test]`).

#[path = "../support/counting_smtp.rs"]
mod counting_smtp;
#[path = "../support/directory_form.rs"]
mod directory_form;
mod helpers;

mod access_codes;
mod access_matrix;
mod auth;
mod bulk;
mod claim;
mod crash;
mod directory;
mod exports;
mod hardening;
mod integrity;
mod lifecycle;
mod mail;
mod roles;
mod scim;
mod setup;
mod sso;
