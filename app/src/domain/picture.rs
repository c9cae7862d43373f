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
    #[error("This picture has too many pixels (at most 24 megapixels, 8,000 on a side). Please choose a smaller one.")]
    TooManyPixels,
    #[error("Embark is busy with other pictures right now. Please try again in a few seconds.")]
    Busy,
    #[error("No picture was chosen.")]
    Missing,
}

impl PictureProblem {
    const ALL: [PictureProblem; 6] = [Self::TooLarge, Self::UnsupportedFormat, Self::Unreadable, Self::TooManyPixels, Self::Busy, Self::Missing];

    /// The short form carried in a redirect's query string.
    pub fn code(self) -> &'static str {
        match self {
            Self::TooLarge => "too-large",
            Self::UnsupportedFormat => "format",
            Self::Unreadable => "unreadable",
            Self::TooManyPixels => "pixels",
            Self::Busy => "busy",
            Self::Missing => "missing",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }
}
