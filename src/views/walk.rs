//! What the visitor's web app reads at start.

use serde::Serialize;

/// The map's tile source.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MapTiles {
    /// URL template of the tiles (`{z}/{x}/{y}`).
    pub tiles: String,
    /// The credit line shown on the map (HTML).
    pub attribution: String,
}

/// Settings the web app reads at start.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClientConfig {
    pub map: MapTiles,
}
