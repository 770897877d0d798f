//! Campaign use cases: list, show, create, edit, publish and end campaigns; add offers;
//! merchants' enrolments and the officials' decisions on them.

use chrono::{Duration, NaiveDateTime};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::db::audit::Actor;
use crate::db::models::*;
use crate::db::DbConn;
use crate::db::{budget, catalog, draws, images, operations, purchases, short_codes, write_tx};
use crate::domain::catalog as rules;
use crate::domain::names::Names;
use crate::domain::payload::KeyRing;
use crate::domain::time::{now, parse_rfc3339};
use crate::error::{AppError, Code, FieldError};
use crate::types::{
    AuditAction, AuditEntity, CampaignId, CampaignStatus, EnrolmentId, EnrolmentStatus, MerchantId,
    OfferId, OfferKind, PointId, TriggerType, UserId,
};
use crate::views;
use crate::views::campaigns::{BudgetView, CampaignView, OfferView, PointView};
use crate::views::merchants::MerchantView;

/// What an official sends to create or edit a campaign.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct CampaignBody {
    /// Lower-case letters, digits and dashes; never shaped like a UUID.
    #[schema(min_length = 2, max_length = 64, pattern = "^[a-z0-9-]{2,64}$")]
    pub slug: Option<String>,
    pub name: Option<Names>,
    #[schema(max_length = 200)]
    pub district: Option<String>,
    #[schema(max_length = 4000)]
    pub description: Option<String>,
    /// RFC 3339, years 1970–2999.
    #[schema(format = DateTime)]
    pub starts_at: Option<String>,
    #[schema(format = DateTime)]
    pub ends_at: Option<String>,
    /// The subsidy ceiling for e-cash coupons (`null` for none).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 10_000_000_000_000.0)]
    pub budget_avos: Option<Option<i64>>,
    /// A Macau day's ceiling (`null` for none).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 10_000_000_000_000.0)]
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
            if !rules::valid_budget(n) {
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
    if !rules::valid_slug(&slug) {
        err(
            "slug",
            "2–64 characters: lower-case letters, digits and dashes",
        );
    } else if rules::slug_looks_like_id(&slug) {
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
    let parse = |v: Option<String>, keep: Option<NaiveDateTime>| match v {
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
    if starts.is_ok_and(|s| !rules::plausible_date(s)) {
        err("starts_at", "must be between the years 2000 and 2099");
    }
    if ends.is_ok_and(|e| !rules::plausible_date(e)) {
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
        id: base
            .map(|b| b.id.clone())
            .unwrap_or_else(CampaignId::generate),
        slug,
        name: name.expect("checked").to_json(),
        district,
        description,
        starts_at: starts.expect("checked"),
        ends_at: ends.expect("checked"),
        status: base.map(|b| b.status).unwrap_or(CampaignStatus::Draft),
        created_at: base.map(|b| b.created_at).unwrap_or(t),
        updated_at: t,
    })
}

/// The refusal of a change to a campaign that has ended.
pub fn campaign_ended() -> AppError {
    AppError::rule(
        Code::CampaignEnded,
        "This campaign has ended; it can no longer be changed.",
    )
}

/// Refuses changes to a campaign that has ended.
pub fn ensure_running(c: &Campaign) -> Result<(), AppError> {
    if rules::has_ended(c.status, c.ends_at, now()) {
        return Err(campaign_ended());
    }
    Ok(())
}

/// Published campaigns (officials also see drafts), with their budget figures and covers.
pub fn list(conn: &mut DbConn, official: bool) -> Result<Vec<CampaignView>, AppError> {
    let rows = catalog::list_campaigns(conn, official)?;
    let ids: Vec<String> = rows.iter().map(|r| r.id.to_string()).collect();
    let budgets = budget::figures(conn, &ids)?;
    let covers = images::etags(conn, "campaign")?;
    Ok(rows
        .iter()
        .map(|c| CampaignView {
            budget: Some(BudgetView::from(
                &budgets.get(c.id.as_str()).cloned().unwrap_or_default(),
            )),
            cover_url: covers
                .get(c.id.as_str())
                .map(|e| views::campaigns::image_url("campaign", &c.id, e)),
            ..CampaignView::from(c)
        })
        .collect())
}

/// Creates a draft campaign with its budgets.
pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    body: CampaignBody,
) -> Result<CampaignView, AppError> {
    budgets_of(&body)?;
    let (budget_avos, daily) = (body.budget_avos.flatten(), body.daily_budget_avos.flatten());
    let c = campaign_from(body, None)?;
    let mut out = CampaignView {
        budget: Some(BudgetView::from(&budget::Figures {
            budget_avos,
            daily_budget_avos: daily,
            ..Default::default()
        })),
        ..CampaignView::from(&c)
    };
    write_tx(conn, |conn| {
        catalog::insert_campaign(conn, &c)?;
        budget::set(conn, &c.id, budget_avos, daily)?;
        super::audit_change(
            conn,
            actor,
            AuditAction::Create,
            AuditEntity::Campaign,
            &c.id,
            None::<&Value>,
            Some(&out),
        )
    })?;
    out.points = Some(Vec::new());
    out.offers = Some(Vec::new());
    out.merchants = Some(Vec::new());
    Ok(out)
}

/// A campaign with its points, offers and participating merchants (drafts only for
/// officials, who also see the points' printable payloads and short codes).
pub fn show(
    conn: &mut DbConn,
    qr: &KeyRing,
    key: &str,
    official: bool,
) -> Result<CampaignView, AppError> {
    let camp = catalog::find_campaign(conn, key)?;
    if camp.status == CampaignStatus::Draft && !official {
        return Err(AppError::NotFound(format!("no campaign '{key}'")));
    }
    let points = catalog::points_of(conn, &camp.id)?;
    let offers = catalog::offers_of(conn, &camp.id)?;
    let merchants = catalog::participants(conn, &camp.id)?;
    let shorts = if official {
        let ids: Vec<PointId> = points.iter().map(|p| p.id.clone()).collect();
        short_codes::of_points(conn, &ids)?
    } else {
        Default::default()
    };
    let figures = budget::figures_of(conn, &camp.id)?;
    let paused = operations::paused_offers(conn, &camp.id)?;
    let retired = operations::retired_points(conn, &camp.id)?;
    let points = points
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
            PointView {
                retired: Some(retired.contains(p.id.as_str())),
                ..views::campaigns::with_short_code(
                    PointView::new(p, payload),
                    short.map(String::as_str),
                )
            }
        })
        .collect();
    let offers: Vec<OfferView> = offers
        .iter()
        .map(|o| views::campaigns::offer_with_paused(o, paused.contains(o.id.as_str())))
        .collect();
    let mut offers = offers;
    let extras = draws::offer_extras(
        conn,
        &views::campaigns::offers_with_extras(&offers),
        official,
    )?;
    views::campaigns::add_extras(&mut offers, &extras);
    let photos = images::etags(conn, "merchant")?;
    let merchants = merchants
        .iter()
        .map(|m| MerchantView {
            photo_url: photos
                .get(m.id.as_str())
                .map(|e| views::campaigns::image_url("merchant", &m.id, e)),
            ..MerchantView::from(m)
        })
        .collect();
    let covers = images::etags(conn, "campaign")?;
    Ok(CampaignView {
        budget: Some(BudgetView::from(&figures)),
        cover_url: covers
            .get(camp.id.as_str())
            .map(|e| views::campaigns::image_url("campaign", &camp.id, e)),
        points: Some(points),
        offers: Some(offers),
        merchants: Some(merchants),
        ..CampaignView::from(&camp)
    })
}

/// Edits a campaign: anything while a draft; once published only the names, description,
/// budgets and a later end. Returns the campaign's id.
pub fn edit(
    conn: &mut DbConn,
    actor: &Actor,
    key: &str,
    body: CampaignBody,
) -> Result<CampaignId, AppError> {
    budgets_of(&body)?;
    write_tx(conn, |conn| {
        let before = catalog::find_campaign(conn, key)?;
        let t = now();
        ensure_running(&before)?;
        let (budget_avos, daily) = (body.budget_avos, body.daily_budget_avos);
        if before.status == CampaignStatus::Published {
            // Once published: names, description, budgets, and a later end; the slug,
            // district and start only while a draft.
            let starts_changed = body
                .starts_at
                .as_deref()
                .is_some_and(|s| parse_rfc3339(s) != Some(before.starts_at));
            if body.slug.as_ref().is_some_and(|s| *s != before.slug)
                || body
                    .district
                    .as_ref()
                    .is_some_and(|d| *d != before.district)
                || starts_changed
            {
                return Err(AppError::rule(
                    Code::NotDraft,
                    "Once published, only the names, description, budgets and a later end can change.",
                ));
            }
            if body
                .ends_at
                .as_deref()
                .and_then(parse_rfc3339)
                .is_some_and(|e| e < t)
            {
                return Err(AppError::field("ends_at", "cannot be earlier than now"));
            }
        }
        let old = budget::figures_of(conn, &before.id)?;
        let after = campaign_from(body, Some(&before))?;
        catalog::update_campaign(conn, &after)?;
        let new_budget = budget_avos.unwrap_or(old.budget_avos);
        let new_daily = daily.unwrap_or(old.daily_budget_avos);
        budget::set(conn, &after.id, new_budget, new_daily)?;
        let mut b = views::campaign(&before);
        b["budget_avos"] = json!(old.budget_avos);
        b["daily_budget_avos"] = json!(old.daily_budget_avos);
        let mut a = views::campaign(&after);
        a["budget_avos"] = json!(new_budget);
        a["daily_budget_avos"] = json!(new_daily);
        super::audit_change(
            conn,
            actor,
            AuditAction::Edit,
            AuditEntity::Campaign,
            &after.id,
            Some(&b),
            Some(&a),
        )?;
        Ok(after.id)
    })
}

/// Moves a campaign from one of `from` to `to` (publish, end). Asking again for the state it
/// is already in is not an error. Returns the campaign's id.
pub fn transition(
    conn: &mut DbConn,
    actor: &Actor,
    key: &str,
    from: &[CampaignStatus],
    to: CampaignStatus,
) -> Result<CampaignId, AppError> {
    write_tx(conn, |conn| {
        let c = catalog::find_campaign(conn, key)?;
        if c.status == to {
            return Ok(c.id);
        }
        if !catalog::set_campaign_status(conn, &c.id, from, to)? {
            return Err(AppError::rule(
                Code::InvalidState,
                format!("A {} campaign cannot become {to}.", c.status),
            ));
        }
        super::audit_change(
            conn,
            actor,
            to.into(),
            AuditEntity::Campaign,
            &c.id,
            Some(&json!({"status": c.status})),
            Some(&json!({"status": to})),
        )?;
        Ok(c.id)
    })
}

/// What unlocks an offer.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct TriggerBody {
    /// signup, checkins, claim, purchases or draw.
    #[serde(rename = "type")]
    pub type_: String,
    /// `checkins`: distinct points; `purchases`: stamps (1 to 1000).
    #[schema(minimum = 1, maximum = 1000)]
    pub count: Option<i32>,
    /// `claim`: when claiming opens (RFC 3339; defaults to the campaign's start).
    pub opens_at: Option<String>,
    /// `purchases`: the least spend a stamp needs to count.
    pub min_spend_avos: Option<i64>,
    /// `draw`: when entries close and when the winners are drawn.
    pub entries_close_at: Option<String>,
    pub draw_at: Option<String>,
}

/// What an official sends to add an offer to a campaign.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct OfferBody {
    pub name: Option<Names>,
    /// ecash or discount.
    pub kind: String,
    /// Required for ecash: 1 to 100,000,000.
    pub face_value_avos: Option<i64>,
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub min_spend_avos: Option<i64>,
    /// Required for discount: 1 to 100.
    pub percent_off: Option<i32>,
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub max_discount_avos: Option<i64>,
    #[schema(minimum = 1, maximum = 10_000_000)]
    pub stock: i64,
    #[schema(minimum = 1, maximum = 100)]
    pub per_visitor_limit: Option<i64>,
    #[schema(minimum = 1, maximum = 366)]
    pub valid_days: Option<i64>,
    /// Hard end of validity (RFC 3339); defaults to the campaign's end.
    pub valid_until: Option<String>,
    pub trigger: TriggerBody,
    /// Up to 20 category names.
    #[schema(max_items = 20)]
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
    let kind = OfferKind::parse(&b.kind);
    if kind.is_none() {
        err("kind", "ecash or discount");
    }
    let face = b.face_value_avos.unwrap_or(0);
    let pct = b.percent_off.unwrap_or(0);
    if kind == Some(OfferKind::Ecash) && !(1..=100_000_000).contains(&face) {
        err("face_value_avos", "required for ecash, 1 to 100,000,000");
    }
    if kind == Some(OfferKind::Discount) && !(1..=100).contains(&pct) {
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
    let trigger = TriggerType::parse(&b.trigger.type_);
    match trigger {
        Some(TriggerType::Signup) => {}
        Some(TriggerType::Checkins) => match b.trigger.count {
            Some(n) if (1..=1000).contains(&n) => count = Some(n),
            _ => err(
                "trigger.count",
                "required for checkins: 1 to 1000 distinct points",
            ),
        },
        Some(TriggerType::Claim) => match b.trigger.opens_at.as_deref().map(parse_rfc3339) {
            Some(Some(t)) => opens_at = Some(t),
            None => opens_at = Some(campaign.starts_at),
            Some(None) => err("trigger.opens_at", "RFC 3339 with offset"),
        },
        Some(TriggerType::Purchases) => match b.trigger.count {
            Some(n) if (1..=1000).contains(&n) => count = Some(n),
            _ => err("trigger.count", "required for purchases: 1 to 1000 stamps"),
        },
        Some(TriggerType::Draw) => {}
        None => err("trigger.type", "signup, checkins, claim, purchases or draw"),
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
    let (Some(kind), Some(trigger_type)) = (kind, trigger) else {
        unreachable!("an unknown kind or trigger is a validation error above")
    };
    let requires_verified = b.requires_verified.unwrap_or(kind == OfferKind::Ecash);
    Ok(Offer {
        id: OfferId::generate(),
        campaign_id: campaign.id.clone(),
        name: name.expect("checked").to_json(),
        kind,
        face_value_avos: face,
        min_spend_avos: min_spend,
        percent_off: pct,
        max_discount_avos: cap,
        stock: b.stock as i32,
        issued: 0,
        per_visitor_limit: limit as i32,
        valid_days: days as i32,
        valid_until,
        trigger_type,
        trigger_count: count,
        opens_at,
        eligible_categories: serde_json::to_string(&cats).expect("strings serialise"),
        created_at: now(),
        requires_verified,
    })
}

/// The settings of the `purchases` and `draw` triggers, read from an offer's `trigger`.
struct TriggerExtras {
    min_spend_avos: Option<i64>,
    draw: Option<(NaiveDateTime, NaiveDateTime)>,
}

impl TriggerExtras {
    fn read(t: &TriggerBody, campaign: &Campaign) -> Result<TriggerExtras, AppError> {
        let mut errs = Vec::new();
        let mut out = TriggerExtras {
            min_spend_avos: None,
            draw: None,
        };
        match TriggerType::parse(&t.type_) {
            Some(TriggerType::Purchases) => {
                let m = t.min_spend_avos.unwrap_or(0);
                if !(0..=100_000_000).contains(&m) {
                    errs.push(FieldError {
                        field: "trigger.min_spend_avos".into(),
                        message: "0 to 100,000,000".into(),
                    });
                }
                out.min_spend_avos = Some(m);
            }
            Some(TriggerType::Draw) => {
                let close = t.entries_close_at.as_deref().and_then(parse_rfc3339);
                let at = t.draw_at.as_deref().and_then(parse_rfc3339);
                if close.is_none() {
                    errs.push(FieldError {
                        field: "trigger.entries_close_at".into(),
                        message: "required for draw: RFC 3339 with offset".into(),
                    });
                }
                if at.is_none() {
                    errs.push(FieldError {
                        field: "trigger.draw_at".into(),
                        message: "required for draw: RFC 3339 with offset".into(),
                    });
                }
                if let (Some(c), Some(a)) = (close, at) {
                    if c <= now() || c > campaign.ends_at {
                        errs.push(FieldError {
                            field: "trigger.entries_close_at".into(),
                            message: "in the future, not after the campaign's end".into(),
                        });
                    }
                    if a < c {
                        errs.push(FieldError {
                            field: "trigger.draw_at".into(),
                            message: "not before entries close".into(),
                        });
                    }
                    out.draw = Some((c, a));
                }
            }
            _ => {}
        }
        if errs.is_empty() {
            Ok(out)
        } else {
            Err(AppError::Validation(errs))
        }
    }

    fn save(&self, conn: &mut DbConn, offer: &Offer) -> Result<(), AppError> {
        if let Some(m) = self.min_spend_avos {
            purchases::set_min_spend(conn, &offer.id, m)?;
        }
        if let Some((close, at)) = self.draw {
            draws::create(conn, &offer.id, close, at)?;
        }
        Ok(())
    }
}

/// Offers that need verified visitors can only be made when visitors can verify: this is the
/// answer when no sender is configured (and the server is not a demo).
pub fn verification_unavailable() -> AppError {
    AppError::rule(
        Code::VerificationUnavailable,
        "This offer needs verified visitors, but no way to send codes is configured \
         (set BAIRRO_SMTP_URL or BAIRRO_SMS_WEBHOOK), so nobody could receive it. \
         Configure a sender, or make the offer with requires_verified: false.",
    )
}

/// Adds an offer to a campaign that has not ended. `can_verify`: whether visitors can verify
/// (an offer that requires it is refused otherwise).
pub fn create_offer(
    conn: &mut DbConn,
    actor: &Actor,
    key: &str,
    body: OfferBody,
    can_verify: bool,
) -> Result<OfferView, AppError> {
    let o = write_tx(conn, |conn| {
        let camp = catalog::find_campaign(conn, key)?;
        if camp.status == CampaignStatus::Ended {
            return Err(AppError::rule(
                Code::InvalidState,
                "The campaign has ended.",
            ));
        }
        let extras = TriggerExtras::read(&body.trigger, &camp)?;
        let o = offer_from(body, &camp)?;
        if o.requires_verified && !can_verify {
            return Err(verification_unavailable());
        }
        catalog::insert_offer(conn, &o)?;
        extras.save(conn, &o)?;
        super::audit_change(
            conn,
            actor,
            AuditAction::Create,
            AuditEntity::Offer,
            &o.id,
            None::<&Value>,
            Some(&views::offer(&o)),
        )?;
        Ok(o)
    })?;
    let mut list = [OfferView::from(&o)];
    let extras = draws::offer_extras(conn, &views::campaigns::offers_with_extras(&list), true)?;
    views::campaigns::add_extras(&mut list, &extras);
    let [offer] = list;
    Ok(offer)
}

/// A merchant applies to take part in a campaign that has not ended; the enrolment waits for
/// an official's decision.
pub fn apply(
    conn: &mut DbConn,
    user_id: &UserId,
    merchant_id: &MerchantId,
    key: &str,
) -> Result<Value, AppError> {
    write_tx(conn, |conn| {
        let camp = catalog::find_campaign(conn, key)?;
        if camp.status == CampaignStatus::Ended {
            return Err(AppError::rule(
                Code::InvalidState,
                "The campaign has ended.",
            ));
        }
        let e = Enrolment {
            id: EnrolmentId::generate(),
            campaign_id: camp.id,
            merchant_id: merchant_id.clone(),
            status: EnrolmentStatus::Pending,
            submitted_at: now(),
            decided_at: None,
            decided_by: None,
            reason: None,
        };
        catalog::insert_enrolment(conn, &e)?;
        let v = views::enrolment(&e, None);
        super::audit_change(
            conn,
            &Actor::merchant(user_id),
            AuditAction::Apply,
            AuditEntity::Enrolment,
            &e.id,
            None::<&Value>,
            Some(&v),
        )?;
        Ok(v)
    })
}

/// Enrolments, optionally of one status and one campaign (by id), with each shop's
/// address and number.
pub fn enrolments(
    conn: &mut DbConn,
    status: Option<&str>,
    campaign: Option<&CampaignId>,
) -> Result<Vec<Value>, AppError> {
    // A status no enrolment can have matches none.
    let status = match status.map(EnrolmentStatus::parse) {
        Some(None) => return Ok(Vec::new()),
        Some(s) => s,
        None => None,
    };
    let rows = catalog::list_enrolments(conn, status, campaign, None)?;
    let mut out: Vec<_> = rows
        .iter()
        .map(|(e, n)| views::enrolment(e, Some(n)))
        .collect();
    let cards = crate::db::merchant_cards::cards(conn, &views::merchant_cards::merchant_ids(&out))?;
    views::merchant_cards::add_cards(&mut out, &cards);
    Ok(out)
}

/// The enrolments of one campaign (by id or slug).
pub fn enrolments_of(conn: &mut DbConn, key: &str) -> Result<Vec<Value>, AppError> {
    let camp = catalog::find_campaign(conn, key)?;
    enrolments(conn, None, Some(&camp.id))
}

/// An official approves or rejects an enrolment (`status`); deciding again the same way is
/// not an error, deciding otherwise is.
pub fn decide(
    conn: &mut DbConn,
    user_id: &UserId,
    id: &EnrolmentId,
    status: EnrolmentStatus,
    reason: Option<String>,
) -> Result<Value, AppError> {
    if reason.as_ref().is_some_and(|r| r.chars().count() > 1000) {
        return Err(AppError::field("reason", "at most 1000 characters"));
    }
    Ok(views::enrolment(
        &decide_one(conn, user_id, id, status, reason)?,
        None,
    ))
}

/// The decision on one enrolment, in its own transaction (also used by the bulk decision).
pub fn decide_one(
    conn: &mut DbConn,
    user_id: &UserId,
    id: &EnrolmentId,
    status: EnrolmentStatus,
    reason: Option<String>,
) -> Result<Enrolment, AppError> {
    write_tx(conn, |conn| {
        let before = catalog::find_enrolment(conn, id)?;
        if before.status == status {
            return Ok(before);
        }
        if !catalog::decide_enrolment(conn, id, status, user_id, reason)? {
            return Err(AppError::rule(
                Code::InvalidState,
                format!("The enrolment is already {}.", before.status),
            ));
        }
        let after = catalog::find_enrolment(conn, id)?;
        super::audit_change(
            conn,
            &Actor::official(user_id),
            status.into(),
            AuditEntity::Enrolment,
            id,
            Some(&views::enrolment(&before, None)),
            Some(&views::enrolment(&after, None)),
        )?;
        Ok(after)
    })
}
