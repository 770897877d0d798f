//! The visitor's walk: what the web app needs beyond the campaign itself (the map's tile
//! source, from `BAIRRO_MAP_TILES`), and where each spent coupon was spent.

use actix_web::{web, HttpResponse};

use crate::error::AppError;
use crate::views::walk::{ClientConfig, MapTiles};

pub const DEFAULT_TILES: &str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
pub const DEFAULT_ATTRIBUTION: &str =
    "© <a href=\"https://www.openstreetmap.org/copyright\">OpenStreetMap</a> contributors";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/client-config", web::get().to(client_config));
}

/// The map's tile URL template and its attribution, from `BAIRRO_MAP_TILES` and
/// `BAIRRO_MAP_ATTRIBUTION` (OpenStreetMap's by default).
pub fn map_tiles() -> (String, String) {
    let tiles = std::env::var("BAIRRO_MAP_TILES")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_TILES.into());
    let attribution = std::env::var("BAIRRO_MAP_ATTRIBUTION")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| {
            if tiles == DEFAULT_TILES {
                DEFAULT_ATTRIBUTION.into()
            } else {
                String::new()
            }
        });
    (tiles, attribution)
}

#[utoipa::path(get, path = "/api/v1/client-config", tag = "visitors",
    responses((status = 200, description = "Settings the web app reads at start", body = ClientConfig)))]
pub async fn client_config() -> Result<HttpResponse, AppError> {
    let (tiles, attribution) = map_tiles();
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .json(ClientConfig {
            map: MapTiles { tiles, attribution },
        }))
}
