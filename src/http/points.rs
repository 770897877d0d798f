//! Check-in points: creation, printable QR codes and posters, the rotating code, and the
//! provisioning of a rotating point's display device.

use actix_web::{web, HttpResponse};
use chrono::Duration;
use serde::Deserialize;
use uuid::Uuid;

use super::auth::{self, Official, OfficialOrDevice};
use super::state::{created, ok, State};
use crate::db::audit::Actor;
use crate::db::catalog;
use crate::db::models::Point;
use crate::domain::names::Names;
use crate::domain::payload;
use crate::domain::time::{now, to_rfc3339};
use crate::error::AppError;
use crate::service::points::{self as uc, PointBody};
use crate::views::campaigns::PointView;
use crate::views::points::{DeviceActivated, DeviceRevoked, DeviceSetup, PointCode};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/campaigns/{id}/points", web::post().to(create))
        .route("/points/{id}", web::get().to(get))
        .route("/points/{id}/qr.svg", web::get().to(qr_svg_route))
        .route("/points/{id}/qr.png", web::get().to(qr_png_route))
        .route("/points/{id}/poster", web::get().to(poster))
        .route("/points/{id}/code", web::get().to(code))
        .route("/points/{id}/devices", web::post().to(device_setup))
        .route("/devices/activate", web::post().to(device_activate))
        .route("/devices/{id}/revoke", web::post().to(device_revoke));
}

#[utoipa::path(post, path = "/api/v1/campaigns/{id}/points", tag = "points", request_body = PointBody, params(("id" = String, Path, description = "id or slug")),
    responses((status = 201, description = "point, with `payload` and `short_code` for static points", body = PointView), (status = 404, description = "not_found"), (status = 422, description = "validation_failed")))]
pub async fn create(
    state: State,
    who: Official,
    path: web::Path<String>,
    body: web::Json<PointBody>,
) -> Result<HttpResponse, AppError> {
    let (key, body) = (path.into_inner(), body.into_inner());
    let actor = Actor::official(&who.user_id);
    let qr = state.qr.clone();
    let out = state
        .db(move |c| uc::create(c, &qr, &actor, &key, body))
        .await?;
    Ok(created(&out))
}

#[utoipa::path(get, path = "/api/v1/points/{id}", tag = "points", params(("id" = String, Path)),
    responses((status = 200, description = "point, with `payload` and `short_code` for static points", body = PointView), (status = 404, description = "not_found")))]
pub async fn get(
    state: State,
    _who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let qr = state.qr.clone();
    let out = state.db(move |c| uc::show(c, &qr, &id.into())).await?;
    Ok(ok(&out))
}

/// What a printed QR carries (a static point's payload).
async fn printable(state: &State, id: String) -> Result<(Point, String), AppError> {
    let qr = state.qr.clone();
    state.db(move |c| uc::printable(c, &qr, &id.into())).await
}

#[utoipa::path(get, path = "/api/v1/points/{id}/qr.svg", tag = "points", params(("id" = String, Path)), responses((status = 200, description = "SVG", content_type = "image/svg+xml")))]
pub async fn qr_svg_route(
    state: State,
    _who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (_, pl) = printable(&state, path.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml")
        .body(crate::views::qr::svg(&pl)?))
}

#[utoipa::path(get, path = "/api/v1/points/{id}/qr.png", tag = "points", params(("id" = String, Path)), responses((status = 200, description = "PNG", content_type = "image/png")))]
pub async fn qr_png_route(
    state: State,
    _who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (_, pl) = printable(&state, path.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type("image/png")
        .body(crate::views::qr::png(&pl)?))
}

use super::html::esc;

#[utoipa::path(get, path = "/api/v1/points/{id}/poster", tag = "points", params(("id" = String, Path)), responses((status = 200, description = "printable A6 poster (HTML)", content_type = "text/html")))]
pub async fn poster(
    state: State,
    _who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let qr = state.qr.clone();
    let (p, pl, camp, short) = state.db(move |c| uc::poster(c, &qr, &id.into())).await?;
    let short = crate::domain::short_code::display(&short);
    let cn = Names::from_json(&camp.name);
    let pn = Names::from_json(&p.name);
    let svg = crate::views::qr::svg(&pl)?;
    let (zh_hint, pt_hint, en_hint) = if p.kind == crate::types::PointKind::Ar {
        (
            "用手機掃描此AR標記打卡，或輸入下方代碼",
            "Digitalize este marcador AR para registar a visita, ou escreva o código abaixo",
            "Scan this AR marker to check in, or type the code under it",
        )
    } else {
        (
            "用手機掃描此二維碼打卡，或輸入下方代碼",
            "Digitalize este código QR para registar a visita, ou escreva o código abaixo",
            "Scan this QR code to check in, or type the code under it",
        )
    };
    let html = format!(
        r#"<!doctype html><html lang="zh-Hant"><head><meta charset="utf-8"><title>{title}</title>
<style>@page {{ size: A6; margin: 6mm; }} body {{ font-family: "Noto Sans CJK TC", sans-serif; text-align: center; margin: 0; }}
h1 {{ font-size: 16pt; margin: 2mm 0; }} h2 {{ font-size: 12pt; margin: 1mm 0; font-weight: normal; }}
.qr svg {{ width: 70mm; height: 70mm; }} .ar .qr {{ border: 6mm solid #b3261e; display: inline-block; padding: 2mm; }}
p {{ margin: 1mm 0; font-size: 9pt; }} .short-code strong {{ font: bold 16pt monospace; letter-spacing: 1mm; }}</style></head>
<body class="{kind}"><h1>{c_zh}</h1><h2>{c_pt} · {c_en}</h2><div class="qr">{svg}</div>
<p class="short-code">代碼 · Código · Code <strong>{short}</strong></p>
<h1>{p_zh}</h1><h2>{p_pt} · {p_en}</h2><p>{zh_hint}</p><p>{pt_hint}</p><p>{en_hint}</p></body></html>"#,
        title = esc(&pn.zh_hant),
        kind = esc(p.kind.as_str()),
        c_zh = esc(&cn.zh_hant),
        c_pt = esc(&cn.pt),
        c_en = esc(&cn.en),
        p_zh = esc(&pn.zh_hant),
        p_pt = esc(&pn.pt),
        p_en = esc(&pn.en),
        short = esc(&short),
    );
    Ok(super::html::printable(html))
}

#[utoipa::path(get, path = "/api/v1/points/{id}/code", tag = "points", params(("id" = String, Path)),
    responses((status = 200, description = "{payload, valid_until} of a rotating point", body = PointCode)))]
pub async fn code(
    state: State,
    who: OfficialOrDevice,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    if let OfficialOrDevice::Device {
        device_id,
        point_id,
    } = &who
    {
        if point_id != &id {
            return Err(AppError::Forbidden(
                "this device belongs to another point".into(),
            ));
        }
        let did = device_id.clone();
        let active = state
            .db(move |c| crate::db::devices::device_active(c, &did))
            .await?;
        if !active {
            return Err(AppError::Unauthorized(
                "this device has been revoked".into(),
            ));
        }
    }
    let p = state
        .db(move |c| catalog::find_point(c, &id.into()))
        .await?;
    let uid = Uuid::parse_str(&p.id).map_err(|e| AppError::Internal(e.into()))?;
    if !p.rotating {
        return Ok(ok(&PointCode {
            payload: state.qr.static_point(uid),
            valid_until: None,
            rotate_seconds: None,
            rotating: false,
        }));
    }
    let rs = i64::from(p.rotate_seconds);
    let counter = payload::counter_at(chrono::Utc::now().timestamp(), rs);
    let until = chrono::DateTime::from_timestamp(payload::period_end(counter, rs), 0)
        .expect("valid time")
        .naive_utc();
    let code = match &who {
        OfficialOrDevice::Device { device_id, .. } => match Uuid::parse_str(device_id) {
            Ok(d) => state.qr.device_point(uid, d, counter),
            Err(_) => state.qr.rotating_point(uid, counter),
        },
        _ => state.qr.rotating_point(uid, counter),
    };
    Ok(ok(&PointCode {
        payload: code,
        valid_until: Some(to_rfc3339(until)),
        rotate_seconds: Some(rs),
        rotating: true,
    }))
}

#[utoipa::path(post, path = "/api/v1/points/{id}/devices", tag = "points", params(("id" = String, Path)),
    responses((status = 201, description = "{setup_code, expires_at}: a one-time code for the point's display", body = DeviceSetup)))]
pub async fn device_setup(
    state: State,
    who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let code = crate::domain::codes::generate()[..10].to_string();
    let hash = hash_code(&code);
    let expires = now() + Duration::minutes(30);
    let pid = id.clone();
    state
        .db(move |c| uc::setup_device(c, &who.user_id, &pid.into(), &hash, expires))
        .await?;
    Ok(created(&DeviceSetup {
        setup_code: code,
        point_id: id,
        expires_at: to_rfc3339(expires),
    }))
}

fn hash_code(code: &str) -> String {
    use sha2::{Digest, Sha256};
    data_encoding::HEXLOWER.encode(&Sha256::digest(code.trim().to_uppercase().as_bytes()))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ActivateBody {
    pub setup_code: String,
}

#[utoipa::path(post, path = "/api/v1/devices/activate", tag = "points", security(()), request_body = ActivateBody,
    responses((status = 201, description = "{device_token, device_id, point_id, secret, kid, rotate_seconds}", body = DeviceActivated), (status = 401, description = "unknown or used code")))]
pub async fn device_activate(
    state: State,
    body: web::Json<ActivateBody>,
) -> Result<HttpResponse, AppError> {
    let hash = hash_code(&body.setup_code);
    let (device_id, point) = state
        .db(move |c| crate::db::devices::activate_device(c, &hash))
        .await?;
    let uid = Uuid::parse_str(&point.id).map_err(|e| AppError::Internal(e.into()))?;
    let did = Uuid::parse_str(&device_id).map_err(|e| AppError::Internal(e.into()))?;
    let (token, _) = state.jwt.issue(
        auth::device_claims(&device_id, &point.id),
        Duration::days(3650),
    );
    Ok(created(&DeviceActivated {
        device_token: token,
        device_id: device_id.to_string(),
        point_id: point.id.to_string(),
        rotate_seconds: point.rotate_seconds,
        // The display's own secret: it computes its codes offline (`B1:D:…`), and they stop
        // verifying once the device is revoked.
        secret: state.qr.device_secret(did),
        pid: payload::id_b32(uid),
        did: payload::id_b32(did),
        format: "B1:D:{kid}:{pid}:{did}:{counter}:{base32(HMAC-SHA256(secret, 'D:{pid}:{did}:{counter}')[..10])}".to_string(),
        kid: state.settings.qr_keys[0].0.clone(),
    }))
}

#[utoipa::path(post, path = "/api/v1/devices/{id}/revoke", tag = "points", params(("id" = String, Path)), responses((status = 200, description = "revoked", body = DeviceRevoked)))]
pub async fn device_revoke(
    state: State,
    who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let did = crate::types::DeviceId::from(&id);
    let actor = Actor::official(&who.user_id);
    state
        .db(move |c| uc::revoke_device(c, &actor, &did))
        .await?;
    Ok(ok(&DeviceRevoked {
        device_id: id,
        revoked: true,
    }))
}
