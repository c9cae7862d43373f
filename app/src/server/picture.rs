//! Profile pictures (SECURITY.md rule 19): PNG, JPEG or WebP only, decoded
//! under limits, cropped square, scaled, and re-encoded as a JPEG, which
//! drops any metadata (EXIF location included). SVG and everything else is
//! refused.

use crate::server::work_queue::WorkQueue;
use image::{ImageFormat, ImageReader, Limits};
use std::io::Cursor;
use std::sync::LazyLock;

/// Largest upload accepted.
pub const MAX_UPLOAD_BYTES: usize = 5 * 1024 * 1024;
/// Side of the stored square picture, in pixels.
pub const SIDE: u32 = 256;
const MAX_DIMENSION: u32 = 8_000;
/// Most pixels a picture may have, read from its header before any decoding:
/// a 12-megapixel phone photo passes; a 105 KB PNG declaring 36 megapixels
/// (which took 88 s to decode in a debug build) does not.
pub const MAX_PIXELS: u64 = 24_000_000;

/// Decoding is CPU and memory work: one picture per core at a time, a few
/// waiting, and the rest told to try again.
static DECODERS: LazyLock<WorkQueue> = LazyLock::new(|| WorkQueue::per_core(2));

pub use crate::domain::PictureProblem as PictureError;

/// [`normalize`] in the bounded decoding queue.
pub async fn normalize_blocking(bytes: Vec<u8>) -> Result<Vec<u8>, PictureError> {
    match DECODERS.run(move || normalize(&bytes)).await {
        Ok(result) => result,
        Err(error) if error.is::<crate::server::work_queue::Busy>() => Err(PictureError::Busy),
        Err(_) => Err(PictureError::Unreadable),
    }
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
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    // 24 megapixels of RGBA is 96 MB: the most one decode may take.
    limits.max_alloc = Some(100 * 1024 * 1024);
    // The header alone says how large the picture is: refuse before decoding.
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format).into_dimensions().map_err(|_| PictureError::Unreadable)?;
    if width > MAX_DIMENSION || height > MAX_DIMENSION || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(PictureError::TooManyPixels);
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits);
    let decoded = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => PictureError::TooManyPixels,
        _ => PictureError::Unreadable,
    })?;
    let side = decoded.width().min(decoded.height());
    let square = decoded.crop_imm((decoded.width() - side) / 2, (decoded.height() - side) / 2, side, side);
    // `thumbnail_exact` averages areas in one pass: as good as Lanczos at
    // 256 pixels, and far cheaper on a large photo.
    let scaled = square.thumbnail_exact(SIDE, SIDE).to_rgb8();
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

    /// A PNG whose header declares `width`×`height` but whose pixel data is
    /// a few bytes: what an attacker sends to make the server decode for
    /// minutes.
    fn declared_png(width: u32, height: u32) -> Vec<u8> {
        let mut real = png(1, 1);
        real[16..20].copy_from_slice(&width.to_be_bytes());
        real[20..24].copy_from_slice(&height.to_be_bytes());
        // The IHDR checksum, so the header itself reads as valid.
        let crc = crc32fast::hash(&real[12..29]);
        real[29..33].copy_from_slice(&crc.to_be_bytes());
        real
    }

    #[test]
    fn pictures_over_the_pixel_limit_are_refused_from_the_header_alone() {
        assert_eq!(normalize(&declared_png(5_990, 5_990)).unwrap_err(), PictureError::TooManyPixels);
        assert_eq!(normalize(&declared_png(8_001, 10)).unwrap_err(), PictureError::TooManyPixels);
        assert_eq!(normalize(&declared_png(60_000, 60_000)).unwrap_err(), PictureError::TooManyPixels);
        // Under the limit the decoder does run, and finds the data missing.
        assert_eq!(
            normalize(&declared_png(4_000, 3_000)).unwrap_err(),
            PictureError::Unreadable,
            "under the limit, the damaged data is decoded and found damaged"
        );
    }
}
