//! Check-in points: creation, printable QR codes and posters, the rotating code, and the
//! provisioning of a rotating point's display device.

use actix_web::{web, HttpResponse};
use chrono::Duration;
use qrcode::{render::svg, EcLevel, QrCode};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::auth::{self, Official, OfficialOrDevice};
use super::state::{created, ok, State};
use crate::db::audit::{self, Actor};
use crate::db::catalog::{self, new_id};
use crate::db::models::Point;
use crate::domain::names::Names;
use crate::domain::payload;
use crate::domain::time::{now, to_rfc3339};
use crate::error::{AppError, Code, FieldError};
use crate::views;

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

fn qr(text: &str) -> Result<QrCode, AppError> {
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::Q)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("QR: {e}")))
}

/// A QR as SVG with a quiet zone, sized for print.
pub fn qr_svg(text: &str) -> Result<String, AppError> {
    Ok(qr(text)?
        .render::<svg::Color>()
        .min_dimensions(320, 320)
        .quiet_zone(true)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build())
}

/// A QR as PNG, 10 pixels a module, with a quiet zone.
pub fn qr_png(text: &str) -> Result<Vec<u8>, AppError> {
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

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PointBody {
    pub name: Option<Names>,
    pub kind: String,
    #[schema(minimum = -90.0, maximum = 90.0)]
    pub lat: f64,
    #[schema(minimum = -180.0, maximum = 180.0)]
    pub lng: f64,
    #[schema(minimum = 5, maximum = 10000)]
    pub radius_m: Option<i64>,
    #[serde(default)]
    pub rotating: bool,
    pub rotate_seconds: Option<i64>,
    /// Check-ins need the visitor's location (default true; `require_location` is read too).
    #[serde(default = "location_by_default", alias = "require_location")]
    pub requires_location: bool,
}

fn location_by_default() -> bool {
    true
}

fn point_from(b: PointBody, campaign_id: &str) -> Result<Point, AppError> {
    let mut errs: Vec<FieldError> = Vec::new();
    let mut err = |f: &str, m: &str| {
        errs.push(FieldError {
            field: f.into(),
            message: m.into(),
        })
    };
    if !["qr", "ar"].contains(&b.kind.as_str()) {
        err("kind", "qr or ar");
    }
    if !crate::domain::geo::valid_coordinates(b.lat, b.lng) {
        err("lat", "latitude −90..90 and longitude −180..180");
    }
    let radius = b.radius_m.unwrap_or(100);
    if !(5..=10_000).contains(&radius) {
        err("radius_m", "5 to 10,000 metres");
    }
    let rs = b.rotate_seconds.unwrap_or(30);
    if !(10..=3600).contains(&rs) {
        err("rotate_seconds", "10 to 3600 seconds");
    }
    let name = b.name.map(|n| n.trimmed());
    match &name {
        None => err("name", "required: {zh-Hant, pt, en}"),
        Some(n) => errs.extend(n.problems("name")),
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    Ok(Point {
        id: new_id(),
        campaign_id: campaign_id.into(),
        name: name.expect("checked").to_json(),
        kind: b.kind,
        lat: b.lat,
        lng: b.lng,
        radius_m: radius as i32,
        rotating: b.rotating,
        rotate_seconds: rs as i32,
        require_location: b.requires_location,
        created_at: now(),
    })
}

fn static_payload(state: &State, p: &Point) -> Option<String> {
    (!p.rotating)
        .then(|| {
            Uuid::parse_str(&p.id)
                .ok()
                .map(|u| state.qr.static_point(u))
        })
        .flatten()
}

#[utoipa::path(post, path = "/api/v1/campaigns/{id}/points", tag = "points", request_body = PointBody, params(("id" = String, Path)),
    responses((status = 201, description = "point, with payload for static points"), (status = 422, description = "validation_failed")))]
pub async fn create(
    state: State,
    who: Official,
    path: web::Path<String>,
    body: web::Json<PointBody>,
) -> Result<HttpResponse, AppError> {
    let key = path.into_inner();
    let body = body.into_inner();
    let (p, short) = state
        .db(move |conn| {
            crate::db::write_tx(conn, |conn| {
                let camp = catalog::find_campaign(conn, &key)?;
                let p = point_from(body, &camp.id)?;
                catalog::insert_point(conn, &p)?;
                let short = if p.rotating {
                    None
                } else {
                    Some(crate::db::short_codes::assign(conn, &p.id)?)
                };
                audit::record(
                    conn,
                    &Actor::official(&who.user_id),
                    "create",
                    "point",
                    &p.id,
                    None,
                    Some(&views::point(&p, None)),
                )?;
                Ok((p, short))
            })
        })
        .await?;
    let payload = static_payload(&state, &p);
    Ok(created(&with_short_code(
        views::point(&p, payload),
        short.as_deref(),
    )))
}

#[utoipa::path(get, path = "/api/v1/points/{id}", tag = "points", params(("id" = String, Path)), responses((status = 200, description = "point")))]
pub async fn get(
    state: State,
    _who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let (p, short) = state
        .db(move |c| {
            let p = catalog::find_point(c, &id)?;
            let short = crate::db::short_codes::of_point(c, &p.id)?;
            Ok((p, short))
        })
        .await?;
    let payload = static_payload(&state, &p);
    Ok(ok(&with_short_code(
        views::point(&p, payload),
        short.filter(|_| !p.rotating).as_deref(),
    )))
}

/// Adds a static point's `short_code` (as printed, `ABCD-EFGH`) to its answer.
pub fn with_short_code(mut v: serde_json::Value, code: Option<&str>) -> serde_json::Value {
    if let Some(c) = code {
        v["short_code"] = json!(crate::domain::short_code::display(c));
    }
    v
}

/// What a printed QR carries: a static point's payload, or, for a rotating point, nothing
/// printable (its code lives on the display).
async fn printable(state: &State, id: String) -> Result<(Point, String), AppError> {
    let p = state.db(move |c| catalog::find_point(c, &id)).await?;
    match static_payload(state, &p) {
        Some(pl) => Ok((p, pl)),
        None => Err(AppError::rule(
            Code::RotatingPoint,
            "A rotating point shows its code on a display; use /points/{id}/code.",
        )),
    }
}

#[utoipa::path(get, path = "/api/v1/points/{id}/qr.svg", tag = "points", params(("id" = String, Path)), responses((status = 200, description = "SVG")))]
pub async fn qr_svg_route(
    state: State,
    _who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (_, pl) = printable(&state, path.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml")
        .body(qr_svg(&pl)?))
}

#[utoipa::path(get, path = "/api/v1/points/{id}/qr.png", tag = "points", params(("id" = String, Path)), responses((status = 200, description = "PNG")))]
pub async fn qr_png_route(
    state: State,
    _who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (_, pl) = printable(&state, path.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type("image/png")
        .body(qr_png(&pl)?))
}

use super::html::esc;

#[utoipa::path(get, path = "/api/v1/points/{id}/poster", tag = "points", params(("id" = String, Path)), responses((status = 200, description = "printable A6 poster (HTML)")))]
pub async fn poster(
    state: State,
    _who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (p, pl) = printable(&state, path.into_inner()).await?;
    let cid = p.campaign_id.clone();
    let pid = p.id.clone();
    let (camp, short) = state
        .db(move |c| {
            let camp = catalog::find_campaign(c, &cid)?;
            let short = crate::db::short_codes::assign(c, &pid)?;
            Ok((camp, short))
        })
        .await?;
    let short = crate::domain::short_code::display(&short);
    let cn = Names::from_json(&camp.name);
    let pn = Names::from_json(&p.name);
    let svg = qr_svg(&pl)?;
    let (zh_hint, pt_hint, en_hint) = if p.kind == "ar" {
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
        kind = esc(&p.kind),
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
    responses((status = 200, description = "{payload, valid_until} of a rotating point")))]
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
    let p = state.db(move |c| catalog::find_point(c, &id)).await?;
    let uid = Uuid::parse_str(&p.id).map_err(|e| AppError::Internal(e.into()))?;
    if !p.rotating {
        return Ok(ok(
            &json!({"payload": state.qr.static_point(uid), "valid_until": null, "rotating": false}),
        ));
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
    Ok(ok(&json!({
        "payload": code,
        "valid_until": to_rfc3339(until),
        "rotate_seconds": rs,
        "rotating": true,
    })))
}

#[utoipa::path(post, path = "/api/v1/points/{id}/devices", tag = "points", params(("id" = String, Path)),
    responses((status = 201, description = "{setup_code, expires_at}: a one-time code for the point's display")))]
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
        .db(move |c| {
            let p = catalog::find_point(c, &pid)?;
            crate::db::devices::insert_device_setup(c, &hash, &p.id, &who.user_id, expires)?;
            audit::record(
                c,
                &Actor::official(&who.user_id),
                "device_setup",
                "point",
                &p.id,
                None,
                None,
            )
        })
        .await?;
    Ok(created(
        &json!({"setup_code": code, "point_id": id, "expires_at": to_rfc3339(expires)}),
    ))
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
    responses((status = 201, description = "{device_token, device_id, point_id, secret, kid, rotate_seconds}"), (status = 401, description = "unknown or used code")))]
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
    Ok(created(&json!({
        "device_token": token,
        "device_id": device_id,
        "point_id": point.id,
        "rotate_seconds": point.rotate_seconds,
        // The display's own secret: it computes its codes offline (`B1:D:…`), and they stop
        // verifying once the device is revoked.
        "secret": state.qr.device_secret(did),
        "pid": payload::id_b32(uid),
        "did": payload::id_b32(did),
        "format": "B1:D:{kid}:{pid}:{did}:{counter}:{base32(HMAC-SHA256(secret, 'D:{pid}:{did}:{counter}')[..10])}",
        "kid": state.settings.qr_keys[0].0,
    })))
}

#[utoipa::path(post, path = "/api/v1/devices/{id}/revoke", tag = "points", params(("id" = String, Path)), responses((status = 200, description = "revoked")))]
pub async fn device_revoke(
    state: State,
    who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let did = id.clone();
    state
        .db(move |c| {
            if !crate::db::devices::revoke_device(c, &did)? {
                return Err(AppError::NotFound("no such device".into()));
            }
            audit::record(
                c,
                &Actor::official(&who.user_id),
                "revoke",
                "device",
                &did,
                None,
                None,
            )
        })
        .await?;
    Ok(ok(&json!({"device_id": id, "revoked": true})))
}
