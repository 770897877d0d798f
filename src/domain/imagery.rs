//! Pictures uploaded by officials (a campaign's cover, a shop's photo): read whatever common
//! format arrives, crop to the shape the pages show, shrink, and store as JPEG.

use image::{imageops::FilterType, ImageReader, Limits};

/// What a picture is for, and the size it is stored at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// 16:9, shown across the campaign card and page.
    Cover,
    /// 4:3, shown beside a shop in the list.
    ShopPhoto,
}

impl Kind {
    pub fn size(self) -> (u32, u32) {
        match self {
            Kind::Cover => (1200, 675),
            Kind::ShopPhoto => (480, 360),
        }
    }
}

pub struct Prepared {
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// A short hash of the stored bytes, for `ETag` and cache-busting URLs.
    pub etag: String,
}

/// Uploads larger than this are refused before decoding.
pub const MAX_UPLOAD_BYTES: usize = 8 * 1024 * 1024;

/// Decodes (JPEG, PNG or WebP, at most 40 megapixels), crops to the kind's shape around the
/// centre, resizes and encodes as JPEG.
pub fn prepare(bytes: &[u8], kind: Kind) -> Result<Prepared, String> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err("larger than 8 MB".into());
    }
    let mut reader = ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(10_000);
    limits.max_image_height = Some(10_000);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let img = reader
        .decode()
        .map_err(|_| "not an image that can be read (JPEG, PNG or WebP)".to_string())?;
    let (w, h) = kind.size();
    from_rgb(
        &img.resize_to_fill(w, h, FilterType::Triangle).to_rgb8(),
        kind,
    )
}

/// Encodes an image already at the kind's size (used for generated pictures).
pub fn from_rgb(img: &image::RgbImage, kind: Kind) -> Result<Prepared, String> {
    let (w, h) = kind.size();
    let img = if img.dimensions() == (w, h) {
        img.clone()
    } else {
        image::imageops::resize(img, w, h, FilterType::Triangle)
    };
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 82)
        .encode_image(&img)
        .map_err(|e| e.to_string())?;
    use sha2::{Digest, Sha256};
    let etag = data_encoding::HEXLOWER.encode(&Sha256::digest(&jpeg)[..8]);
    Ok(Prepared {
        jpeg,
        width: w,
        height: h,
        etag,
    })
}

/// Reads a `data:` URL or plain base64 text.
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let body = match text.split_once(";base64,") {
        Some((head, rest)) if head.starts_with("data:") => rest,
        _ => text,
    };
    let clean: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    data_encoding::BASE64
        .decode(clean.as_bytes())
        .ok()
        .or_else(|| data_encoding::BASE64_NOPAD.decode(clean.as_bytes()).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        });
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn covers_are_cropped_and_resized_to_jpeg() {
        let p = prepare(&png(2000, 2000), Kind::Cover).unwrap();
        assert_eq!((p.width, p.height), (1200, 675));
        assert_eq!(&p.jpeg[..2], &[0xFF, 0xD8]);
        let back = image::load_from_memory(&p.jpeg).unwrap();
        assert_eq!((back.width(), back.height()), (1200, 675));
        let small = prepare(&png(40, 30), Kind::ShopPhoto).unwrap();
        assert_eq!((small.width, small.height), (480, 360));
    }

    #[test]
    fn junk_is_refused() {
        assert!(prepare(b"not an image", Kind::Cover).is_err());
        assert!(decode_base64("data:image/png;base64,iVBORw0KGgo=").is_some());
        assert!(decode_base64("%%%").is_none());
    }
}
