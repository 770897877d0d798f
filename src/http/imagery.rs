//! Campaign covers and shop photos: officials upload (JSON `{image}` with a `data:` URL or
//! base64, so the web app sends a file as it reads it); anyone reads them, with long caching
//! (the URLs in answers carry the picture's hash, so a new upload is a new URL).

use actix_web::{http::header, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::Official;
use super::state::{ok, State};
use crate::db::audit::{self, Actor};
use crate::db::{catalog, images};
use crate::domain::imagery::{self, Kind};
use crate::error::AppError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    let big = || {
        web::JsonConfig::default()
            .limit(imagery::MAX_UPLOAD_BYTES * 4 / 3 + 1024)
            .error_handler(crate::error::json_error)
    };
    cfg.service(
        web::resource("/campaigns/{id}/cover")
            .app_data(big())
            .route(web::get().to(cover))
            .route(web::put().to(put_cover)),
    )
    .service(
        web::resource("/merchants/{id}/photo")
            .app_data(big())
            .route(web::get().to(photo))
            .route(web::put().to(put_photo)),
    );
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ImageBody {
    /// The picture as a `data:image/…;base64,` URL or plain base64 (JPEG, PNG or WebP, ≤ 8 MB).
    pub image: String,
}

/// `cover_url` / `photo_url` for an answer.
pub fn url(owner_kind: &str, owner_id: &str, etag: &str) -> String {
    match owner_kind {
        "campaign" => format!("/api/v1/campaigns/{owner_id}/cover?v={etag}"),
        _ => format!("/api/v1/merchants/{owner_id}/photo?v={etag}"),
    }
}

/// Adds `cover_url` to campaign answers and `photo_url` to their shops, where pictures exist.
pub fn add_urls(
    campaigns: &mut [Value],
    covers: &std::collections::HashMap<String, String>,
    photos: &std::collections::HashMap<String, String>,
) {
    for c in campaigns {
        if let Some(e) = c["id"].as_str().and_then(|id| covers.get(id)) {
            c["cover_url"] = json!(url("campaign", c["id"].as_str().unwrap_or(""), e));
        }
        if let Some(list) = c.get_mut("merchants").and_then(Value::as_array_mut) {
            for m in list {
                if let Some(e) = m["id"].as_str().and_then(|id| photos.get(id)) {
                    m["photo_url"] = json!(url("merchant", m["id"].as_str().unwrap_or(""), e));
                }
            }
        }
    }
}

async fn upload(
    state: &State,
    who: &Official,
    owner_kind: &'static str,
    key: String,
    body: ImageBody,
) -> Result<HttpResponse, AppError> {
    let kind = if owner_kind == "campaign" {
        Kind::Cover
    } else {
        Kind::ShopPhoto
    };
    let bytes = imagery::decode_base64(&body.image)
        .ok_or_else(|| AppError::field("image", "a data: URL or base64 text"))?;
    if bytes.len() > imagery::MAX_UPLOAD_BYTES {
        return Err(AppError::TooLarge);
    }
    let prepared = web::block(move || imagery::prepare(&bytes, kind))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?
        .map_err(|m| AppError::field("image", &m))?;
    let user = who.user_id.clone();
    let etag = prepared.etag.clone();
    let (width, height) = (prepared.width, prepared.height);
    let owner_id = state
        .db(move |c| {
            crate::db::write_tx(c, |c| {
                let owner_id = if owner_kind == "campaign" {
                    catalog::find_campaign(c, &key)?.id
                } else {
                    catalog::find_merchant(c, &key)?.id
                };
                images::put(c, owner_kind, &owner_id, &prepared)?;
                audit::record(
                    c,
                    &Actor::official(&user),
                    "upload_image",
                    owner_kind,
                    &owner_id,
                    None,
                    Some(&json!({"etag": prepared.etag, "bytes": prepared.jpeg.len()})),
                )?;
                Ok(owner_id)
            })
        })
        .await?;
    Ok(ok(&json!({
        "url": url(owner_kind, &owner_id, &etag),
        "width": width,
        "height": height,
    })))
}

async fn serve(
    state: &State,
    req: &HttpRequest,
    owner_kind: &'static str,
    key: String,
) -> Result<HttpResponse, AppError> {
    let found = state
        .db(move |c| {
            let owner_id = if owner_kind == "campaign" {
                catalog::find_campaign(c, &key)?.id
            } else {
                catalog::find_merchant(c, &key)?.id
            };
            images::get(c, owner_kind, &owner_id)
        })
        .await?;
    let Some(img) = found else {
        return Err(AppError::NotFound("no picture yet".into()));
    };
    let etag = format!("\"{}\"", img.etag);
    let cache = "public, max-age=31536000, immutable";
    if req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
    {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, cache))
            .finish());
    }
    Ok(HttpResponse::Ok()
        .content_type(img.content_type)
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache))
        .body(img.data))
}

#[utoipa::path(put, path = "/api/v1/campaigns/{id}/cover", tag = "campaigns", request_body = ImageBody, params(("id" = String, Path)),
    responses((status = 200, description = "{url, width, height}: stored as a 1200×675 JPEG"), (status = 422, description = "validation_failed"), (status = 413, description = "payload_too_large")))]
pub async fn put_cover(
    state: State,
    who: Official,
    path: web::Path<String>,
    body: web::Json<ImageBody>,
) -> Result<HttpResponse, AppError> {
    upload(
        &state,
        &who,
        "campaign",
        path.into_inner(),
        body.into_inner(),
    )
    .await
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}/cover", tag = "campaigns", params(("id" = String, Path)),
    responses((status = 200, description = "the cover (JPEG), cached"), (status = 404, description = "not_found")))]
pub async fn cover(
    state: State,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    serve(&state, &req, "campaign", path.into_inner()).await
}

#[utoipa::path(put, path = "/api/v1/merchants/{id}/photo", tag = "merchants", request_body = ImageBody, params(("id" = String, Path)),
    responses((status = 200, description = "{url, width, height}: stored as a 480×360 JPEG"), (status = 422, description = "validation_failed"), (status = 413, description = "payload_too_large")))]
pub async fn put_photo(
    state: State,
    who: Official,
    path: web::Path<String>,
    body: web::Json<ImageBody>,
) -> Result<HttpResponse, AppError> {
    upload(
        &state,
        &who,
        "merchant",
        path.into_inner(),
        body.into_inner(),
    )
    .await
}

#[utoipa::path(get, path = "/api/v1/merchants/{id}/photo", tag = "merchants", params(("id" = String, Path)),
    responses((status = 200, description = "the shop's photo (JPEG), cached"), (status = 404, description = "not_found")))]
pub async fn photo(
    state: State,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    serve(&state, &req, "merchant", path.into_inner()).await
}
