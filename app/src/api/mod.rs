//! Every type that crosses between a page and a server function: views,
//! reports, and the states pages branch on. Wasm-safe (built for the browser
//! as for the server) and free of server-only types: the server's query
//! services build these from database rows, which never cross the wire
//! themselves.

pub mod audit;
pub mod auth;
pub mod claim;
pub mod directory;
pub mod groups;
pub mod home;
pub mod import;
pub mod integrations;
pub mod invitations;
pub mod mail;
pub mod people;
pub mod settings;
pub mod sso;
pub mod uploads;
