//! The one error type the UI sees. Internal detail never crosses the wire:
//! the server logs it with a reference id and sends only the reference.

use crate::domain::FieldErrors;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please sign in to continue.")]
    Unauthenticated,
    #[error("You don't have permission to do that.")]
    Forbidden,
    #[error("That was not found. It may have been removed.")]
    NotFound,
    #[error("Please correct the highlighted fields.")]
    Invalid(FieldErrors),
    /// A refusal whose message is safe and useful to show as it is.
    #[error("{0}")]
    Refused(String),
    /// Too much work queued (password hashing, picture decoding): nothing
    /// was done, and trying again shortly will work.
    #[error("Embark is busy right now. Nothing was changed; please try again in a few seconds.")]
    Busy,
    /// Too many attempts from this browser or for this account; the message
    /// says when to try again.
    #[error("{0}")]
    Throttled(String),
    #[error("Something went wrong on our side. If it keeps happening, give your administrator this reference: {0}.")]
    Internal(String),
    #[error("The server could not be reached or did not understand the request ({0}). Please try again.")]
    Transport(String),
}

impl AppError {
    /// The message for one form field, when this is a validation error.
    pub fn field(&self, name: &str) -> Option<String> {
        match self {
            Self::Invalid(errors) => errors.for_field(name).map(str::to_owned),
            _ => None,
        }
    }
}

impl From<crate::domain::FieldError> for AppError {
    fn from(error: crate::domain::FieldError) -> Self {
        Self::Invalid(error.into())
    }
}

impl From<FieldErrors> for AppError {
    fn from(errors: FieldErrors) -> Self {
        Self::Invalid(errors)
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        Self::Transport(value.to_string())
    }
}
