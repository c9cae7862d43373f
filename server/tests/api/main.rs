//! Integration tests: the real server on a random port, against a real
//! PostgreSQL with a fresh database per test (`#[sqlx::test]`).

mod helpers;
#[path = "../support/counting_smtp.rs"]
mod counting_smtp;

mod auth;
mod bulk;
mod crash;
mod claim;
mod lifecycle;
mod mail;
mod references;
mod setup;
