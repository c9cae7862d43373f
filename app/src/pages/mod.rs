pub mod errors;
pub mod home;
pub mod profile;
pub mod setup;
pub mod sign_in;
