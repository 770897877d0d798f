//! Check-in point use cases: create, show, what a printed QR carries, and the display devices
//! of rotating points.

use chrono::NaiveDateTime;
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use crate::db::audit::Actor;
use crate::db::catalog;
use crate::db::models::{Campaign, Point};
use crate::db::{devices, short_codes, write_tx, DbConn};
use crate::domain::names::Names;
use crate::domain::payload::KeyRing;
use crate::domain::time::now;
use crate::error::{AppError, Code, FieldError};
use crate::types::{AuditAction, AuditEntity, CampaignId, DeviceId, PointId, PointKind, UserId};
use crate::views;
use crate::views::campaigns::PointView;

/// What an official sends to add a check-in point to a campaign.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct PointBody {
    pub name: Option<Names>,
    /// qr or ar.
    pub kind: String,
    #[schema(minimum = -90.0, maximum = 90.0)]
    pub lat: f64,
    #[schema(minimum = -180.0, maximum = 180.0)]
    pub lng: f64,
    #[schema(minimum = 5, maximum = 10000)]
    pub radius_m: Option<i64>,
    #[serde(default)]
    pub rotating: bool,
    #[schema(minimum = 10, maximum = 3600)]
    pub rotate_seconds: Option<i64>,
    /// Check-ins need the visitor's location (default true; `require_location` is read too).
    #[serde(default = "location_by_default", alias = "require_location")]
    pub requires_location: bool,
}

fn location_by_default() -> bool {
    true
}

fn point_from(b: PointBody, campaign_id: &CampaignId) -> Result<Point, AppError> {
    let mut errs: Vec<FieldError> = Vec::new();
    let mut err = |f: &str, m: &str| {
        errs.push(FieldError {
            field: f.into(),
            message: m.into(),
        })
    };
    let kind = PointKind::parse(&b.kind);
    if kind.is_none() {
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
        id: PointId::generate(),
        campaign_id: campaign_id.into(),
        name: name.expect("checked").to_json(),
        kind: kind.expect("checked"),
        lat: b.lat,
        lng: b.lng,
        radius_m: radius as i32,
        rotating: b.rotating,
        rotate_seconds: rs as i32,
        require_location: b.requires_location,
        created_at: now(),
    })
}

/// A static point's printable payload; a rotating point has none (its code is on a display).
pub fn static_payload(qr: &KeyRing, p: &Point) -> Option<String> {
    (!p.rotating)
        .then(|| Uuid::parse_str(&p.id).ok().map(|u| qr.static_point(u)))
        .flatten()
}

/// Adds a check-in point to a campaign; a static point gets its printed short code.
pub fn create(
    conn: &mut DbConn,
    qr: &KeyRing,
    actor: &Actor,
    key: &str,
    body: PointBody,
) -> Result<PointView, AppError> {
    let (p, short) = write_tx(conn, |conn| {
        let camp = catalog::find_campaign(conn, key)?;
        let p = point_from(body, &camp.id)?;
        catalog::insert_point(conn, &p)?;
        let short = if p.rotating {
            None
        } else {
            Some(short_codes::assign(conn, &p.id)?)
        };
        super::audit_change(
            conn,
            actor,
            AuditAction::Create,
            AuditEntity::Point,
            &p.id,
            None::<&Value>,
            Some(&views::point(&p, None)),
        )?;
        Ok((p, short))
    })?;
    Ok(views::campaigns::with_short_code(
        PointView::new(&p, static_payload(qr, &p)),
        short.as_deref(),
    ))
}

/// A point with its payload and short code (static points only).
pub fn show(conn: &mut DbConn, qr: &KeyRing, id: &PointId) -> Result<PointView, AppError> {
    let p = catalog::find_point(conn, id)?;
    let short = short_codes::of_point(conn, &p.id)?;
    Ok(views::campaigns::with_short_code(
        PointView::new(&p, static_payload(qr, &p)),
        short.filter(|_| !p.rotating).as_deref(),
    ))
}

/// What a printed QR carries: a static point and its payload; a rotating point has nothing
/// printable (its code lives on the display).
pub fn printable(
    conn: &mut DbConn,
    qr: &KeyRing,
    id: &PointId,
) -> Result<(Point, String), AppError> {
    let p = catalog::find_point(conn, id)?;
    match static_payload(qr, &p) {
        Some(pl) => Ok((p, pl)),
        None => Err(AppError::rule(
            Code::RotatingPoint,
            "A rotating point shows its code on a display; use /points/{id}/code.",
        )),
    }
}

/// What a poster shows: the point, its payload, its campaign and its short code (assigned
/// on first print).
pub fn poster(
    conn: &mut DbConn,
    qr: &KeyRing,
    id: &PointId,
) -> Result<(Point, String, Campaign, String), AppError> {
    let (p, pl) = printable(conn, qr, id)?;
    let camp = catalog::find_campaign(conn, &p.campaign_id)?;
    let short = short_codes::assign(conn, &p.id)?;
    Ok((p, pl, camp, short))
}

/// Records a one-time setup code (by its hash) for a point's display device.
pub fn setup_device(
    conn: &mut DbConn,
    actor_id: &UserId,
    id: &PointId,
    code_hash: &str,
    expires: NaiveDateTime,
) -> Result<(), AppError> {
    let p = catalog::find_point(conn, id)?;
    devices::insert_device_setup(conn, code_hash, &p.id, actor_id, expires)?;
    super::audit_change(
        conn,
        &Actor::official(actor_id),
        AuditAction::DeviceSetup,
        AuditEntity::Point,
        &p.id,
        None::<&Value>,
        None::<&Value>,
    )
}

/// Revokes a display device: its codes stop verifying.
pub fn revoke_device(conn: &mut DbConn, actor: &Actor, id: &DeviceId) -> Result<(), AppError> {
    if !devices::revoke_device(conn, id)? {
        return Err(AppError::NotFound("no such device".into()));
    }
    super::audit_change(
        conn,
        actor,
        AuditAction::Revoke,
        AuditEntity::Device,
        id,
        None::<&Value>,
        None::<&Value>,
    )
}
