//! QR codes drawn for print and screens (SVG, PNG).

use qrcode::{render::svg, EcLevel, QrCode};

use crate::error::AppError;

fn qr(text: &str) -> Result<QrCode, AppError> {
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::Q)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("QR: {e}")))
}

/// A QR as SVG with a quiet zone, sized for print.
pub fn svg(text: &str) -> Result<String, AppError> {
    Ok(qr(text)?
        .render::<svg::Color>()
        .min_dimensions(320, 320)
        .quiet_zone(true)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build())
}

/// A QR as PNG, 10 pixels a module, with a quiet zone.
pub fn png(text: &str) -> Result<Vec<u8>, AppError> {
    let img = qr(text)?
        .render::<image::Luma<u8>>()
        .module_dimensions(10, 10)
        .quiet_zone(true)
        .build();
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(out.into_inner())
}
