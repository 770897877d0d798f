//! Campaign covers and shop photos: officials upload (JSON `{image}` with a `data:` URL or
//! base64, so the web app sends a file as it reads it); anyone reads them, with long caching
//! (the URLs in answers carry the picture's hash, so a new upload is a new URL).

use crate::views::campaigns::PictureStored;
use actix_web::{http::header, web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::auth::Official;
use super::state::{ok, State};
use crate::db::audit::Actor;
use crate::domain::imagery::{self, Kind};
use crate::error::AppError;
use crate::service::imagery as uc;

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
    let etag = prepared.etag.clone();
    let (width, height) = (prepared.width, prepared.height);
    let actor = Actor::official(&who.user_id);
    let owner_id = state
        .db(move |c| uc::upload(c, &actor, owner_kind, &key, &prepared))
        .await?;
    Ok(ok(&PictureStored {
        url: crate::views::campaigns::image_url(owner_kind, &owner_id, &etag),
        width,
        height,
    }))
}

async fn serve(
    state: &State,
    req: &HttpRequest,
    owner_kind: &'static str,
    key: String,
) -> Result<HttpResponse, AppError> {
    let found = state.db(move |c| uc::picture(c, owner_kind, &key)).await?;
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
    responses((status = 200, description = "{url, width, height}: stored as a 1200×675 JPEG", body = PictureStored), (status = 422, description = "validation_failed"), (status = 413, description = "payload_too_large")))]
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
    responses((status = 200, description = "the cover (JPEG), cached", content_type = "image/jpeg"), (status = 404, description = "not_found")))]
pub async fn cover(
    state: State,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    serve(&state, &req, "campaign", path.into_inner()).await
}

#[utoipa::path(put, path = "/api/v1/merchants/{id}/photo", tag = "merchants", request_body = ImageBody, params(("id" = String, Path)),
    responses((status = 200, description = "{url, width, height}: stored as a 480×360 JPEG", body = PictureStored), (status = 422, description = "validation_failed"), (status = 413, description = "payload_too_large")))]
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
    responses((status = 200, description = "the shop's photo (JPEG), cached", content_type = "image/jpeg"), (status = 404, description = "not_found")))]
pub async fn photo(
    state: State,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    serve(&state, &req, "merchant", path.into_inner()).await
}
