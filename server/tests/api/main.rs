//! Integration tests: the real server on a random port, against a real
//! PostgreSQL with a fresh database per test (`#[sqlx::test]`).

mod helpers;

mod auth;
mod claim;
mod lifecycle;
mod mail;
mod setup;
