use serde::{Deserialize, Serialize};

/// Why an uploaded profile picture was refused, in words for the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum PictureProblem {
    #[error("The picture is larger than 5 MB. Please choose a smaller one.")]
    TooLarge,
    #[error("Please choose a PNG, JPEG or WebP picture.")]
    UnsupportedFormat,
    #[error("This picture could not be read. It may be damaged; please choose another.")]
    Unreadable,
    #[error("This picture is too large in pixels (at most 6,000 on a side).")]
    TooManyPixels,
    #[error("No picture was chosen.")]
    Missing,
}

impl PictureProblem {
    const ALL: [PictureProblem; 5] = [Self::TooLarge, Self::UnsupportedFormat, Self::Unreadable, Self::TooManyPixels, Self::Missing];

    /// The short form carried in a redirect's query string.
    pub fn code(self) -> &'static str {
        match self {
            Self::TooLarge => "too-large",
            Self::UnsupportedFormat => "format",
            Self::Unreadable => "unreadable",
            Self::TooManyPixels => "pixels",
            Self::Missing => "missing",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }
}
