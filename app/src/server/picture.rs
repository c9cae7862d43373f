//! Profile pictures (SECURITY.md rule 19): PNG, JPEG or WebP only, decoded
//! under limits, cropped square, scaled, and re-encoded as a JPEG, which
//! drops any metadata (EXIF location included). SVG and everything else is
//! refused.

use image::{ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// Largest upload accepted.
pub const MAX_UPLOAD_BYTES: usize = 5 * 1024 * 1024;
/// Side of the stored square picture, in pixels.
pub const SIDE: u32 = 256;
const MAX_DIMENSION: u32 = 6_000;

pub use crate::domain::PictureProblem as PictureError;

/// [`normalize`] on the blocking pool: decoding is CPU work.
pub async fn normalize_blocking(bytes: Vec<u8>) -> Result<Vec<u8>, PictureError> {
    tokio::task::spawn_blocking(move || normalize(&bytes)).await.unwrap_or(Err(PictureError::Unreadable))
}

/// Turns uploaded bytes into the stored picture.
pub fn normalize(bytes: &[u8]) -> Result<Vec<u8>, PictureError> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(PictureError::TooLarge);
    }
    // The content decides the format, never the file name or a header.
    let format = image::guess_format(bytes).map_err(|_| PictureError::UnsupportedFormat)?;
    if !matches!(format, ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP) {
        return Err(PictureError::UnsupportedFormat);
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    // 6,000² RGBA is 144 MB: the most one decode may take.
    limits.max_alloc = Some(160 * 1024 * 1024);
    reader.limits(limits);
    let decoded = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => PictureError::TooManyPixels,
        _ => PictureError::Unreadable,
    })?;
    let side = decoded.width().min(decoded.height());
    let square = decoded.crop_imm((decoded.width() - side) / 2, (decoded.height() - side) / 2, side, side);
    let scaled = square.resize_exact(SIDE, SIDE, image::imageops::FilterType::Lanczos3).to_rgb8();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85).encode_image(&scaled).map_err(|_| PictureError::Unreadable)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
        let mut out = Vec::new();
        image::DynamicImage::ImageRgb8(image).write_to(&mut Cursor::new(&mut out), ImageFormat::Png).unwrap();
        out
    }

    #[test]
    fn pictures_become_square_jpegs() {
        let stored = normalize(&png(640, 480)).unwrap();
        assert_eq!(image::guess_format(&stored).unwrap(), ImageFormat::Jpeg);
        let decoded = image::load_from_memory(&stored).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (SIDE, SIDE));
    }

    #[test]
    fn svg_and_other_formats_are_refused() {
        assert_eq!(normalize(b"<svg xmlns='http://www.w3.org/2000/svg'></svg>").unwrap_err(), PictureError::UnsupportedFormat);
        assert_eq!(normalize(b"GIF89a\x01\x00\x01\x00").unwrap_err(), PictureError::UnsupportedFormat);
    }

    #[test]
    fn damaged_and_oversized_pictures_are_refused() {
        let mut damaged = png(32, 32);
        damaged.truncate(60);
        assert_eq!(normalize(&damaged).unwrap_err(), PictureError::Unreadable);
        assert_eq!(normalize(&vec![0u8; MAX_UPLOAD_BYTES + 1]).unwrap_err(), PictureError::TooLarge);
    }
}
