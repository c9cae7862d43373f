//! One file per step of the wizard: each renders its form for the step's
//! server function (in `claim/mod.rs`).

pub mod groups;
pub mod password;
pub mod profile;
pub mod single_sign_on;
pub mod terms;
