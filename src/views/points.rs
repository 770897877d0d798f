//! Answers about a point's codes and the display devices of rotating points.

use serde::Serialize;

/// The code a point shows now: a static point's fixed payload, or a rotating point's
/// current one with the end of its period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PointCode {
    /// The text of the QR code.
    pub payload: String,
    /// When a rotating point's code stops being accepted; null for a static point.
    #[schema(required = true)]
    pub valid_until: Option<String>,
    /// Rotating points only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub rotate_seconds: Option<i64>,
    pub rotating: bool,
}

/// A one-time code to set up a display for a rotating point.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeviceSetup {
    /// Ten characters, typed on the display; good for 30 minutes, once.
    pub setup_code: String,
    pub point_id: String,
    pub expires_at: String,
}

/// What a display receives once activated: its token and what it needs to compute its codes
/// offline.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeviceActivated {
    /// The display's bearer token for `GET /points/{id}/code`.
    pub device_token: String,
    pub device_id: String,
    pub point_id: String,
    pub rotate_seconds: i32,
    /// The display's own secret: it computes its codes offline (`B1:D:…`), and they stop
    /// verifying once the device is revoked.
    pub secret: String,
    /// The point's id as it appears in the code (base32).
    pub pid: String,
    /// The device's id as it appears in the code (base32).
    pub did: String,
    /// How a code is made.
    pub format: String,
    /// The id of the key the secret derives from.
    pub kid: String,
}

/// A display device revoked.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeviceRevoked {
    pub device_id: String,
    /// Always `true`.
    pub revoked: bool,
}
