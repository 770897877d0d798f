//! Campaigns (create, edit while draft, publish, end), their offers, and merchants'
//! enrolments with the officials' decisions.

use actix_web::{web, HttpResponse};
use chrono::Duration;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::{MaybeOfficial, MerchantOwner, Official};
use super::state::{created, ok, State};
use crate::db::audit::{self, Actor};
use crate::db::catalog::{self, new_id};
use crate::db::models::*;
use crate::domain::names::Names;
use crate::domain::time::{now, parse_rfc3339};
use crate::error::{AppError, Code, FieldError};
use crate::views;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/campaigns", web::get().to(list))
        .route("/campaigns", web::post().to(create))
        .route("/campaigns/{id}", web::get().to(get))
        .route("/campaigns/{id}", web::patch().to(edit))
        .route("/campaigns/{id}/publish", web::post().to(publish))
        .route("/campaigns/{id}/end", web::post().to(end))
        .route("/campaigns/{id}/offers", web::post().to(create_offer))
        .route("/campaigns/{id}/enrolments", web::post().to(apply))
        .route(
            "/campaigns/{id}/enrolments",
            web::get().to(campaign_enrolments),
        )
        .route("/enrolments", web::get().to(list_enrolments))
        .route("/enrolments/{id}/approve", web::post().to(approve))
        .route("/enrolments/{id}/reject", web::post().to(reject));
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CampaignBody {
    /// Lower-case letters, digits and dashes; never shaped like a UUID.
    #[schema(min_length = 2, max_length = 64, pattern = "^[a-z0-9-]{2,64}$")]
    pub slug: Option<String>,
    pub name: Option<Names>,
    pub district: Option<String>,
    pub description: Option<String>,
    /// RFC 3339, years 1970–2999.
    #[schema(format = DateTime)]
    pub starts_at: Option<String>,
    #[schema(format = DateTime)]
    pub ends_at: Option<String>,
    /// The subsidy ceiling for e-cash coupons (`null` for none).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub budget_avos: Option<Option<i64>>,
    /// A Macau day's ceiling (`null` for none).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub daily_budget_avos: Option<Option<i64>>,
}

/// A field that may be sent as `null` to clear it: absent → None, null → Some(None).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

/// The budgets of a body, checked (at most 10^13 avos each).
fn budgets_of(body: &CampaignBody) -> Result<(), AppError> {
    let mut errs = Vec::new();
    for (f, v) in [
        ("budget_avos", body.budget_avos),
        ("daily_budget_avos", body.daily_budget_avos),
    ] {
        if let Some(Some(n)) = v {
            if !(0..=10_000_000_000_000).contains(&n) {
                errs.push(FieldError {
                    field: f.into(),
                    message: "0 to 10,000,000,000,000 avos, or null for none".into(),
                });
            }
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errs))
    }
}

/// Campaign dates must fall in a plausible range (a year typed as 0202 is refused).
fn plausible(t: chrono::NaiveDateTime) -> bool {
    use chrono::Datelike;
    (2000..2100).contains(&t.year())
}

fn valid_slug(s: &str) -> bool {
    (2..=64).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Checks a campaign body; `base` holds the current values when editing.
fn campaign_from(body: CampaignBody, base: Option<&Campaign>) -> Result<Campaign, AppError> {
    let mut errs: Vec<FieldError> = Vec::new();
    let mut err = |f: &str, m: &str| {
        errs.push(FieldError {
            field: f.into(),
            message: m.into(),
        })
    };
    let slug = body
        .slug
        .or_else(|| base.map(|b| b.slug.clone()))
        .unwrap_or_default()
        .trim()
        .to_lowercase();
    if !valid_slug(&slug) {
        err(
            "slug",
            "2–64 characters: lower-case letters, digits and dashes",
        );
    } else if super::input::looks_like_uuid(&slug) {
        err(
            "slug",
            "must not be shaped like an id (a UUID); campaigns are found by id or slug",
        );
    }
    let name = body
        .name
        .map(|n| n.trimmed())
        .or_else(|| base.map(|b| Names::from_json(&b.name)));
    let district = body
        .district
        .or_else(|| base.map(|b| b.district.clone()))
        .unwrap_or_default()
        .trim()
        .to_string();
    if district.is_empty() || district.chars().count() > 200 {
        err("district", "required, at most 200 characters");
    }
    let parse = |v: Option<String>, keep: Option<chrono::NaiveDateTime>| match v {
        Some(s) => parse_rfc3339(&s).ok_or(()),
        None => keep.ok_or(()),
    };
    let starts = parse(body.starts_at, base.map(|b| b.starts_at));
    let ends = parse(body.ends_at, base.map(|b| b.ends_at));
    if starts.is_err() {
        err("starts_at", "required, RFC 3339 with offset");
    }
    if ends.is_err() {
        err("ends_at", "required, RFC 3339 with offset");
    }
    if starts.is_ok_and(|s| !plausible(s)) {
        err("starts_at", "must be between the years 2000 and 2099");
    }
    if ends.is_ok_and(|e| !plausible(e)) {
        err("ends_at", "must be between the years 2000 and 2099");
    }
    if let (Ok(s), Ok(e)) = (starts, ends) {
        if e <= s {
            err("ends_at", "must be after starts_at");
        }
    }
    match &name {
        None => err("name", "required: {zh-Hant, pt, en}"),
        Some(n) => errs.extend(n.problems("name")),
    }
    let description = body
        .description
        .or_else(|| base.and_then(|b| b.description.clone()));
    if description
        .as_ref()
        .is_some_and(|d| d.chars().count() > 4000)
    {
        errs.push(FieldError {
            field: "description".into(),
            message: "at most 4000 characters".into(),
        });
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let t = now();
    Ok(Campaign {
        id: base.map(|b| b.id.clone()).unwrap_or_else(new_id),
        slug,
        name: name.expect("checked").to_json(),
        district,
        description,
        starts_at: starts.expect("checked"),
        ends_at: ends.expect("checked"),
        status: base
            .map(|b| b.status.clone())
            .unwrap_or_else(|| "draft".into()),
        created_at: base.map(|b| b.created_at).unwrap_or(t),
        updated_at: t,
    })
}

#[utoipa::path(get, path = "/api/v1/campaigns", tag = "campaigns", security((), ("bearer" = [])), responses((status = 200, description = "published campaigns; officials also see drafts")))]
pub async fn list(state: State, who: MaybeOfficial) -> Result<HttpResponse, AppError> {
    let (rows, budgets, covers) = state
        .db(move |c| {
            let rows = catalog::list_campaigns(c, who.0)?;
            let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            let budgets = crate::db::budget::figures(c, &ids)?;
            Ok((rows, budgets, crate::db::images::etags(c, "campaign")?))
        })
        .await?;
    let mut out: Vec<Value> = rows
        .iter()
        .map(|c| {
            let mut v = views::campaign(c);
            v["budget"] = budgets.get(&c.id).cloned().unwrap_or_default().json();
            v
        })
        .collect();
    super::imagery::add_urls(&mut out, &covers, &Default::default());
    Ok(ok(&out))
}

#[utoipa::path(post, path = "/api/v1/campaigns", tag = "campaigns", request_body = CampaignBody,
    responses((status = 201, description = "campaign"), (status = 422, description = "validation_failed")))]
pub async fn create(
    state: State,
    who: Official,
    body: web::Json<CampaignBody>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    budgets_of(&body)?;
    let (budget, daily) = (body.budget_avos.flatten(), body.daily_budget_avos.flatten());
    let c = campaign_from(body, None)?;
    let mut out = views::campaign(&c);
    out["budget"] = crate::db::budget::Figures {
        budget_avos: budget,
        daily_budget_avos: daily,
        ..Default::default()
    }
    .json();
    let after = out.clone();
    state
        .db(move |conn| {
            crate::db::write_tx(conn, |conn| {
                catalog::insert_campaign(conn, &c)?;
                crate::db::budget::set(conn, &c.id, budget, daily)?;
                audit::record(
                    conn,
                    &Actor::official(&who.user_id),
                    "create",
                    "campaign",
                    &c.id,
                    None,
                    Some(&after),
                )
            })
        })
        .await?;
    out["points"] = json!([]);
    out["offers"] = json!([]);
    out["merchants"] = json!([]);
    Ok(created(&out))
}

/// A campaign with its points, offers and participating merchants.
pub async fn full(state: &State, key: String, official: bool) -> Result<Value, AppError> {
    let qr = state.qr.clone();
    state
        .db(move |c| {
            let camp = catalog::find_campaign(c, &key)?;
            if camp.status == "draft" && !official {
                return Err(AppError::NotFound(format!("no campaign '{key}'")));
            }
            let points = catalog::points_of(c, &camp.id)?;
            let offers = catalog::offers_of(c, &camp.id)?;
            let merchants = catalog::participants(c, &camp.id)?;
            let shorts = if official {
                let ids: Vec<String> = points.iter().map(|p| p.id.clone()).collect();
                crate::db::short_codes::of_points(c, &ids)?
            } else {
                Default::default()
            };
            let budget = crate::db::budget::figures_of(c, &camp.id)?;
            let paused = crate::db::operations::paused_offers(c, &camp.id)?;
            let retired = crate::db::operations::retired_points(c, &camp.id)?;
            let mut v = views::campaign(&camp);
            v["budget"] = budget.json();
            v["points"] = json!(points
                .iter()
                .map(|p| {
                    let payload = (official && !p.rotating)
                        .then(|| {
                            uuid::Uuid::parse_str(&p.id)
                                .ok()
                                .map(|u| qr.static_point(u))
                        })
                        .flatten();
                    let short = shorts.get(&p.id).filter(|_| !p.rotating);
                    let mut pv = super::points::with_short_code(
                        views::point(p, payload),
                        short.map(String::as_str),
                    );
                    pv["retired"] = json!(retired.contains(&p.id));
                    pv
                })
                .collect::<Vec<_>>());
            v["offers"] = json!(offers
                .iter()
                .map(|o| {
                    let mut ov = views::offer(o);
                    ov["paused"] = json!(paused.contains(&o.id));
                    ov
                })
                .collect::<Vec<_>>());
            crate::db::draws::decorate_offers(c, &mut v["offers"], official)?;
            v["merchants"] = json!(merchants.iter().map(views::merchant).collect::<Vec<_>>());
            let covers = crate::db::images::etags(c, "campaign")?;
            let photos = crate::db::images::etags(c, "merchant")?;
            super::imagery::add_urls(std::slice::from_mut(&mut v), &covers, &photos);
            Ok(v)
        })
        .await
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "campaigns", security((), ("bearer" = [])), params(("id" = String, Path, description = "id or slug")),
    responses((status = 200, description = "campaign with points, offers and merchants"), (status = 404, description = "not_found")))]
pub async fn get(
    state: State,
    who: MaybeOfficial,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    Ok(ok(&full(&state, path.into_inner(), who.0).await?))
}

#[utoipa::path(patch, path = "/api/v1/campaigns/{id}", tag = "campaigns", request_body = CampaignBody, params(("id" = String, Path)),
    responses((status = 200, description = "campaign"), (status = 409, description = "campaign_ended"), (status = 422, description = "validation_failed")))]
pub async fn edit(
    state: State,
    who: Official,
    path: web::Path<String>,
    body: web::Json<CampaignBody>,
) -> Result<HttpResponse, AppError> {
    let key = path.into_inner();
    let body = body.into_inner();
    budgets_of(&body)?;
    let c = state
        .db(move |conn| {
            crate::db::write_tx(conn, |conn| {
                let before = catalog::find_campaign(conn, &key)?;
                let t = now();
                if before.status == "ended" || (before.status == "published" && before.ends_at <= t)
                {
                    return Err(AppError::rule(
 Code::CampaignEnded,
                        "This campaign has ended; it can no longer be changed.",
                    ));
                }
                let (budget, daily) = (body.budget_avos, body.daily_budget_avos);
                if before.status == "published" {
                    // Once published: names, description, budgets, and a later end; the slug,
                    // district and start only while a draft.
                    let starts_changed = body
                        .starts_at
                        .as_deref()
                        .is_some_and(|s| parse_rfc3339(s) != Some(before.starts_at));
                    if body.slug.as_ref().is_some_and(|s| *s != before.slug)
                        || body.district.as_ref().is_some_and(|d| *d != before.district)
                        || starts_changed
                    {
                        return Err(AppError::rule(
 Code::NotDraft,
                            "Once published, only the names, description, budgets and a later end can change.",
                        ));
                    }
                    let mut errs = Vec::new();
                    if let Some(e) = body.ends_at.as_deref().and_then(parse_rfc3339) {
                        if e < t {
                            errs.push(FieldError {
                                field: "ends_at".into(),
                                message: "cannot be earlier than now".into(),
                            });
                        }
                    }
                    if !errs.is_empty() {
                        return Err(AppError::Validation(errs));
                    }
                }
                let old_budget = crate::db::budget::figures_of(conn, &before.id)?;
                let after = campaign_from(body, Some(&before))?;
                catalog::update_campaign(conn, &after)?;
                let new_budget = budget.unwrap_or(old_budget.budget_avos);
                let new_daily = daily.unwrap_or(old_budget.daily_budget_avos);
                crate::db::budget::set(conn, &after.id, new_budget, new_daily)?;
                let mut b = views::campaign(&before);
                b["budget_avos"] = json!(old_budget.budget_avos);
                b["daily_budget_avos"] = json!(old_budget.daily_budget_avos);
                let mut a = views::campaign(&after);
                a["budget_avos"] = json!(new_budget);
                a["daily_budget_avos"] = json!(new_daily);
                audit::record(
                    conn,
                    &Actor::official(&who.user_id),
                    "edit",
                    "campaign",
                    &after.id,
                    Some(&b),
                    Some(&a),
                )?;
                Ok(after)
            })
        })
        .await?;
    Ok(ok(&full(&state, c.id, true).await?))
}

async fn transition(
    state: State,
    who: Official,
    key: String,
    from: &'static [&'static str],
    to: &'static str,
) -> Result<HttpResponse, AppError> {
    let actor = Actor::official(&who.user_id);
    let id = state
        .db(move |conn| crate::service::campaigns::transition(conn, &actor, &key, from, to))
        .await?;
    Ok(ok(&full(&state, id, true).await?))
}

#[utoipa::path(post, path = "/api/v1/campaigns/{id}/publish", tag = "campaigns", params(("id" = String, Path)), responses((status = 200, description = "campaign")))]
pub async fn publish(
    state: State,
    who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    transition(state, who, path.into_inner(), &["draft"], "published").await
}

#[utoipa::path(post, path = "/api/v1/campaigns/{id}/end", tag = "campaigns", params(("id" = String, Path)), responses((status = 200, description = "campaign")))]
pub async fn end(
    state: State,
    who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    transition(
        state,
        who,
        path.into_inner(),
        &["published", "draft"],
        "ended",
    )
    .await
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct TriggerBody {
    #[serde(rename = "type")]
    pub type_: String,
    pub count: Option<i32>,
    pub opens_at: Option<String>,
    /// `purchases`: the least spend a stamp needs to count.
    pub min_spend_avos: Option<i64>,
    /// `draw`: when entries close and when the winners are drawn.
    pub entries_close_at: Option<String>,
    pub draw_at: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct OfferBody {
    pub name: Option<Names>,
    pub kind: String,
    pub face_value_avos: Option<i64>,
    pub min_spend_avos: Option<i64>,
    pub percent_off: Option<i32>,
    pub max_discount_avos: Option<i64>,
    pub stock: i64,
    pub per_visitor_limit: Option<i64>,
    pub valid_days: Option<i64>,
    /// Hard end of validity (RFC 3339); defaults to the campaign's end.
    pub valid_until: Option<String>,
    pub trigger: TriggerBody,
    pub eligible_categories: Option<Vec<String>>,
    /// Only visitors who verified a phone number or e-mail get it (default: true for ecash).
    pub requires_verified: Option<bool>,
}

fn offer_from(b: OfferBody, campaign: &Campaign) -> Result<Offer, AppError> {
    let mut errs: Vec<FieldError> = Vec::new();
    let mut err = |f: &str, m: &str| {
        errs.push(FieldError {
            field: f.into(),
            message: m.into(),
        })
    };
    let name = b.name.map(|n| n.trimmed());
    if !["ecash", "discount"].contains(&b.kind.as_str()) {
        err("kind", "ecash or discount");
    }
    let face = b.face_value_avos.unwrap_or(0);
    let pct = b.percent_off.unwrap_or(0);
    if b.kind == "ecash" && !(1..=100_000_000).contains(&face) {
        err("face_value_avos", "required for ecash, 1 to 100,000,000");
    }
    if b.kind == "discount" && !(1..=100).contains(&pct) {
        err("percent_off", "required for discount, 1 to 100");
    }
    let min_spend = b.min_spend_avos.unwrap_or(0);
    if !(0..=100_000_000).contains(&min_spend) {
        err("min_spend_avos", "0 to 100,000,000");
    }
    let cap = b.max_discount_avos.unwrap_or(0);
    if !(0..=100_000_000).contains(&cap) {
        err("max_discount_avos", "0 to 100,000,000");
    }
    if !(1..=10_000_000).contains(&b.stock) {
        err("stock", "1 to 10,000,000");
    }
    let limit = b.per_visitor_limit.unwrap_or(1);
    if !(1..=100).contains(&limit) {
        err("per_visitor_limit", "1 to 100");
    }
    let days = b.valid_days.unwrap_or(30);
    if !(1..=366).contains(&days) {
        err("valid_days", "1 to 366");
    }
    let valid_until = match &b.valid_until {
        Some(s) => parse_rfc3339(s).unwrap_or_else(|| {
            err("valid_until", "RFC 3339 with offset");
            campaign.ends_at
        }),
        None => campaign.ends_at + Duration::days(30),
    };
    let mut opens_at = None;
    let mut count = None;
    match b.trigger.type_.as_str() {
        "signup" => {}
        "checkins" => match b.trigger.count {
            Some(n) if (1..=1000).contains(&n) => count = Some(n),
            _ => err(
                "trigger.count",
                "required for checkins: 1 to 1000 distinct points",
            ),
        },
        "claim" => match b.trigger.opens_at.as_deref().map(parse_rfc3339) {
            Some(Some(t)) => opens_at = Some(t),
            None => opens_at = Some(campaign.starts_at),
            Some(None) => err("trigger.opens_at", "RFC 3339 with offset"),
        },
        "purchases" => match b.trigger.count {
            Some(n) if (1..=1000).contains(&n) => count = Some(n),
            _ => err("trigger.count", "required for purchases: 1 to 1000 stamps"),
        },
        "draw" => {}
        _ => err("trigger.type", "signup, checkins, claim, purchases or draw"),
    }
    let cats = b.eligible_categories.unwrap_or_default();
    if cats.iter().any(|c| c.trim().is_empty() || c.len() > 40) || cats.len() > 20 {
        err("eligible_categories", "up to 20 category names");
    }
    match &name {
        None => err("name", "required: {zh-Hant, pt, en}"),
        Some(n) => errs.extend(n.problems("name")),
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let requires_verified = b.requires_verified.unwrap_or(b.kind == "ecash");
    Ok(Offer {
        id: new_id(),
        campaign_id: campaign.id.clone(),
        name: name.expect("checked").to_json(),
        kind: b.kind,
        face_value_avos: face,
        min_spend_avos: min_spend,
        percent_off: pct,
        max_discount_avos: cap,
        stock: b.stock as i32,
        issued: 0,
        per_visitor_limit: limit as i32,
        valid_days: days as i32,
        valid_until,
        trigger_type: b.trigger.type_,
        trigger_count: count,
        opens_at,
        eligible_categories: serde_json::to_string(&cats).expect("strings serialise"),
        created_at: now(),
        requires_verified,
    })
}

#[utoipa::path(post, path = "/api/v1/campaigns/{id}/offers", tag = "campaigns", request_body = OfferBody, params(("id" = String, Path)),
    responses((status = 201, description = "offer"), (status = 422, description = "validation_failed")))]
pub async fn create_offer(
    state: State,
    who: Official,
    path: web::Path<String>,
    body: web::Json<OfferBody>,
) -> Result<HttpResponse, AppError> {
    let key = path.into_inner();
    let body = body.into_inner();
    let can_verify = state.wallets.senders.any();
    let o = state
        .db(move |conn| {
            crate::db::write_tx(conn, |conn| {
                let camp = catalog::find_campaign(conn, &key)?;
                if camp.status == "ended" {
                    return Err(AppError::rule(
                        Code::InvalidState,
                        "The campaign has ended.",
                    ));
                }
                let t = &body.trigger;
                let extras = super::mechanics::TriggerExtras::read(
                    &t.type_,
                    t.min_spend_avos,
                    t.entries_close_at.as_deref(),
                    t.draw_at.as_deref(),
                    &camp,
                )?;
                let o = offer_from(body, &camp)?;
                if o.requires_verified && !can_verify {
                    return Err(super::verification::verification_unavailable());
                }
                catalog::insert_offer(conn, &o)?;
                extras.save(conn, &o)?;
                audit::record(
                    conn,
                    &Actor::official(&who.user_id),
                    "create",
                    "offer",
                    &o.id,
                    None,
                    Some(&views::offer(&o)),
                )?;
                Ok(o)
            })
        })
        .await?;
    let mut list = json!([views::offer(&o)]);
    let list = state
        .db(move |c| crate::db::draws::decorate_offers(c, &mut list, true).map(|_| list))
        .await?;
    Ok(created(&list[0]))
}

#[utoipa::path(post, path = "/api/v1/campaigns/{id}/enrolments", tag = "enrolments", params(("id" = String, Path)),
    responses((status = 201, description = "enrolment, pending"), (status = 409, description = "already applied")))]
pub async fn apply(
    state: State,
    who: MerchantOwner,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let key = path.into_inner();
    let m = who.0;
    let e = state
        .db(move |conn| {
            crate::db::write_tx(conn, |conn| {
                let camp = catalog::find_campaign(conn, &key)?;
                if camp.status == "ended" {
                    return Err(AppError::rule(
                        Code::InvalidState,
                        "The campaign has ended.",
                    ));
                }
                let e = Enrolment {
                    id: new_id(),
                    campaign_id: camp.id,
                    merchant_id: m.merchant_id.clone(),
                    status: "pending".into(),
                    submitted_at: now(),
                    decided_at: None,
                    decided_by: None,
                    reason: None,
                };
                catalog::insert_enrolment(conn, &e)?;
                audit::record(
                    conn,
                    &Actor::merchant(&m.user_id),
                    "apply",
                    "enrolment",
                    &e.id,
                    None,
                    Some(&views::enrolment(&e, None)),
                )?;
                Ok(e)
            })
        })
        .await?;
    Ok(created(&views::enrolment(&e, None)))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct EnrolmentQuery {
    pub status: Option<String>,
    pub campaign: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/enrolments", tag = "enrolments", params(EnrolmentQuery), responses((status = 200, description = "enrolments")))]
pub async fn list_enrolments(
    state: State,
    _who: Official,
    q: web::Query<EnrolmentQuery>,
) -> Result<HttpResponse, AppError> {
    let q = q.into_inner();
    let rows = state
        .db(move |c| {
            let rows =
                catalog::list_enrolments(c, q.status.as_deref(), q.campaign.as_deref(), None)?;
            let mut out: Vec<_> = rows
                .iter()
                .map(|(e, n)| views::enrolment(e, Some(n)))
                .collect();
            crate::db::merchant_cards::enrich(c, &mut out)?;
            Ok(out)
        })
        .await?;
    Ok(ok(&rows))
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}/enrolments", tag = "enrolments", params(("id" = String, Path)), responses((status = 200, description = "enrolments of the campaign")))]
pub async fn campaign_enrolments(
    state: State,
    _who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let key = path.into_inner();
    let rows = state
        .db(move |c| {
            let camp = catalog::find_campaign(c, &key)?;
            let rows = catalog::list_enrolments(c, None, Some(&camp.id), None)?;
            let mut out: Vec<_> = rows
                .iter()
                .map(|(e, n)| views::enrolment(e, Some(n)))
                .collect();
            crate::db::merchant_cards::enrich(c, &mut out)?;
            Ok(out)
        })
        .await?;
    Ok(ok(&rows))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct DecisionBody {
    #[schema(max_length = 1000)]
    pub reason: Option<String>,
}

async fn decide(
    state: State,
    who: Official,
    id: String,
    status: &'static str,
    reason: Option<String>,
) -> Result<HttpResponse, AppError> {
    if reason.as_ref().is_some_and(|r| r.chars().count() > 1000) {
        return Err(AppError::field("reason", "at most 1000 characters"));
    }
    let e = state
        .db(move |conn| {
            crate::db::write_tx(conn, |conn| {
                let before = catalog::find_enrolment(conn, &id)?;
                if before.status == status {
                    return Ok(before);
                }
                if !catalog::decide_enrolment(conn, &id, status, &who.user_id, reason)? {
                    return Err(AppError::rule(
                        Code::InvalidState,
                        format!("The enrolment is already {}.", before.status),
                    ));
                }
                let after = catalog::find_enrolment(conn, &id)?;
                audit::record(
                    conn,
                    &Actor::official(&who.user_id),
                    status,
                    "enrolment",
                    &id,
                    Some(&views::enrolment(&before, None)),
                    Some(&views::enrolment(&after, None)),
                )?;
                Ok(after)
            })
        })
        .await?;
    Ok(ok(&views::enrolment(&e, None)))
}

#[utoipa::path(post, path = "/api/v1/enrolments/{id}/approve", tag = "enrolments", params(("id" = String, Path)), responses((status = 200, description = "enrolment")))]
pub async fn approve(
    state: State,
    who: Official,
    path: web::Path<String>,
    body: Option<web::Json<DecisionBody>>,
) -> Result<HttpResponse, AppError> {
    decide(
        state,
        who,
        path.into_inner(),
        "approved",
        body.and_then(|b| b.into_inner().reason),
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/enrolments/{id}/reject", tag = "enrolments", request_body = DecisionBody, params(("id" = String, Path)), responses((status = 200, description = "enrolment")))]
pub async fn reject(
    state: State,
    who: Official,
    path: web::Path<String>,
    body: Option<web::Json<DecisionBody>>,
) -> Result<HttpResponse, AppError> {
    decide(
        state,
        who,
        path.into_inner(),
        "rejected",
        body.and_then(|b| b.into_inner().reason),
    )
    .await
}
