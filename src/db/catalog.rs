//! Campaigns, check-in points, offers, merchants, their logins and enrolments.

use diesel::prelude::*;
use uuid::Uuid;

use super::models::*;
use super::schema::*;
use super::DbConn;
use crate::error::AppError;
use crate::types::{
    CampaignId, CampaignStatus, EnrolmentId, EnrolmentStatus, MerchantId, OfferId, PointId,
};

pub fn new_id() -> String {
    Uuid::new_v4().to_string()
}

/// A campaign by id or slug.
pub fn find_campaign(conn: &mut DbConn, key: &str) -> Result<Campaign, AppError> {
    let found = if Uuid::parse_str(key).is_ok() {
        campaigns::table
            .find(key)
            .select(Campaign::as_select())
            .first(conn)
            .optional()?
    } else {
        campaigns::table
            .filter(campaigns::slug.eq(key))
            .select(Campaign::as_select())
            .first(conn)
            .optional()?
    };
    found.ok_or_else(|| AppError::NotFound(format!("no campaign '{key}'")))
}

pub fn list_campaigns(conn: &mut DbConn, include_drafts: bool) -> Result<Vec<Campaign>, AppError> {
    let mut q = campaigns::table
        .select(Campaign::as_select())
        .order(campaigns::starts_at.desc())
        .into_boxed();
    if !include_drafts {
        q = q.filter(campaigns::status.ne(CampaignStatus::Draft));
    }
    Ok(q.load(conn)?)
}

pub fn insert_campaign(conn: &mut DbConn, c: &Campaign) -> Result<(), AppError> {
    diesel::insert_into(campaigns::table)
        .values(c)
        .execute(conn)
        .map_err(|e| match AppError::from(e) {
            AppError::Conflict(_) => AppError::field("slug", "this slug is already used"),
            other => other,
        })?;
    Ok(())
}

pub fn update_campaign(conn: &mut DbConn, c: &Campaign) -> Result<(), AppError> {
    diesel::update(campaigns::table.find(&c.id))
        .set(c)
        .execute(conn)
        .map_err(|e| match AppError::from(e) {
            AppError::Conflict(_) => AppError::field("slug", "this slug is already used"),
            other => other,
        })?;
    Ok(())
}

/// Moves a campaign's status only from the expected one (`draft → published → ended`).
pub fn set_campaign_status(
    conn: &mut DbConn,
    id: &CampaignId,
    from: &[CampaignStatus],
    to: CampaignStatus,
) -> Result<bool, AppError> {
    let n = diesel::update(
        campaigns::table
            .find(id)
            .filter(campaigns::status.eq_any(from)),
    )
    .set((
        campaigns::status.eq(to),
        campaigns::updated_at.eq(crate::domain::time::now()),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn points_of(conn: &mut DbConn, campaign_id: &CampaignId) -> Result<Vec<Point>, AppError> {
    Ok(points::table
        .filter(points::campaign_id.eq(campaign_id))
        .order(points::created_at.asc())
        .select(Point::as_select())
        .load(conn)?)
}

pub fn find_point(conn: &mut DbConn, id: &PointId) -> Result<Point, AppError> {
    points::table
        .find(id)
        .select(Point::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound("no such point".into()))
}

pub fn insert_point(conn: &mut DbConn, p: &Point) -> Result<(), AppError> {
    diesel::insert_into(points::table).values(p).execute(conn)?;
    Ok(())
}

pub fn offers_of(conn: &mut DbConn, campaign_id: &CampaignId) -> Result<Vec<Offer>, AppError> {
    Ok(offers::table
        .filter(offers::campaign_id.eq(campaign_id))
        .order(offers::created_at.asc())
        .select(Offer::as_select())
        .load(conn)?)
}

pub fn find_offer(conn: &mut DbConn, id: &OfferId) -> Result<Offer, AppError> {
    offers::table
        .find(id)
        .select(Offer::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound("no such offer".into()))
}

pub fn insert_offer(conn: &mut DbConn, o: &Offer) -> Result<(), AppError> {
    diesel::insert_into(offers::table).values(o).execute(conn)?;
    Ok(())
}

pub fn find_merchant(conn: &mut DbConn, id: &MerchantId) -> Result<Merchant, AppError> {
    merchants::table
        .find(id)
        .select(Merchant::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound("no such merchant".into()))
}

pub fn list_merchants(conn: &mut DbConn) -> Result<Vec<Merchant>, AppError> {
    Ok(merchants::table
        .select(Merchant::as_select())
        .order(merchants::created_at.asc())
        .load(conn)?)
}

/// Approved merchants of a campaign.
pub fn participants(
    conn: &mut DbConn,
    campaign_id: &CampaignId,
) -> Result<Vec<Merchant>, AppError> {
    Ok(merchants::table
        .inner_join(enrolments::table.on(enrolments::merchant_id.eq(merchants::id)))
        .filter(enrolments::campaign_id.eq(campaign_id))
        .filter(enrolments::status.eq(EnrolmentStatus::Approved))
        .select(Merchant::as_select())
        .order(merchants::created_at.asc())
        .load(conn)?)
}

pub fn insert_merchant_with_owner(
    conn: &mut DbConn,
    m: &Merchant,
    owner: &User,
) -> Result<(), AppError> {
    diesel::insert_into(merchants::table)
        .values(m)
        .execute(conn)?;
    insert_user(conn, owner)
}

/// Inserts a login; usernames are unique whatever their case (409 `username_taken`).
pub fn insert_user(conn: &mut DbConn, u: &User) -> Result<(), AppError> {
    diesel::insert_into(users::table)
        .values((
            u,
            users::username_key.eq(crate::domain::staff::username_key(&u.username)),
        ))
        .execute(conn)
        .map_err(|e| match AppError::from(e) {
            AppError::Conflict(_) => super::staff::username_taken(),
            other => other,
        })?;
    Ok(())
}

/// The login of that name, whatever the case it is typed in.
pub fn find_user_by_name(conn: &mut DbConn, username: &str) -> Result<Option<User>, AppError> {
    Ok(users::table
        .filter(users::username_key.eq(crate::domain::staff::username_key(username)))
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

pub fn users_of_merchant(
    conn: &mut DbConn,
    merchant_id: &MerchantId,
) -> Result<Vec<User>, AppError> {
    Ok(users::table
        .filter(users::merchant_id.eq(merchant_id))
        .select(User::as_select())
        .order(users::created_at.asc())
        .load(conn)?)
}

pub fn set_user_active(
    conn: &mut DbConn,
    user_id: &str,
    merchant_id: &MerchantId,
    active: bool,
) -> Result<bool, AppError> {
    Ok(diesel::update(
        users::table
            .find(user_id)
            .filter(users::merchant_id.eq(merchant_id))
            .filter(users::merchant_role.eq("cashier")),
    )
    .set(users::active.eq(active))
    .execute(conn)?
        == 1)
}

pub fn user_active(conn: &mut DbConn, user_id: &str) -> Result<bool, AppError> {
    Ok(users::table
        .find(user_id)
        .select(users::active)
        .first::<bool>(conn)
        .optional()?
        .unwrap_or(false))
}

pub fn count_officials(conn: &mut DbConn) -> Result<i64, AppError> {
    Ok(users::table
        .filter(users::role.eq("official"))
        .count()
        .get_result(conn)?)
}

pub fn find_enrolment(conn: &mut DbConn, id: &EnrolmentId) -> Result<Enrolment, AppError> {
    enrolments::table
        .find(id)
        .select(Enrolment::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound("no such enrolment".into()))
}

pub fn insert_enrolment(conn: &mut DbConn, e: &Enrolment) -> Result<(), AppError> {
    diesel::insert_into(enrolments::table)
        .values(e)
        .execute(conn)
        .map_err(|e| match AppError::from(e) {
            AppError::Conflict(_) => {
                AppError::Conflict("this merchant has already applied to this campaign".into())
            }
            other => other,
        })?;
    Ok(())
}

/// Decides a pending enrolment; returns false when it was no longer pending.
pub fn decide_enrolment(
    conn: &mut DbConn,
    id: &EnrolmentId,
    status: EnrolmentStatus,
    by: &str,
    reason: Option<String>,
) -> Result<bool, AppError> {
    Ok(diesel::update(
        enrolments::table
            .find(id)
            .filter(enrolments::status.eq(EnrolmentStatus::Pending)),
    )
    .set((
        enrolments::status.eq(status),
        enrolments::decided_at.eq(Some(crate::domain::time::now())),
        enrolments::decided_by.eq(Some(by)),
        enrolments::reason.eq(reason),
    ))
    .execute(conn)?
        == 1)
}

pub fn list_enrolments(
    conn: &mut DbConn,
    status: Option<EnrolmentStatus>,
    campaign_id: Option<&CampaignId>,
    merchant_id: Option<&MerchantId>,
) -> Result<Vec<(Enrolment, String)>, AppError> {
    let mut q = enrolments::table
        .inner_join(merchants::table.on(merchants::id.eq(enrolments::merchant_id)))
        .select((Enrolment::as_select(), merchants::name))
        .order(enrolments::submitted_at.asc())
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(enrolments::status.eq(s));
    }
    if let Some(c) = campaign_id {
        q = q.filter(enrolments::campaign_id.eq(c.clone()));
    }
    if let Some(m) = merchant_id {
        q = q.filter(enrolments::merchant_id.eq(m.clone()));
    }
    Ok(q.load(conn)?)
}

pub fn enrolment_status(
    conn: &mut DbConn,
    campaign_id: &CampaignId,
    merchant_id: &MerchantId,
) -> Result<Option<EnrolmentStatus>, AppError> {
    Ok(enrolments::table
        .filter(enrolments::campaign_id.eq(campaign_id))
        .filter(enrolments::merchant_id.eq(merchant_id))
        .select(enrolments::status)
        .first(conn)
        .optional()?)
}

/// Every login's username.
pub fn usernames(conn: &mut DbConn) -> Result<Vec<String>, AppError> {
    Ok(users::table.select(users::username).load::<String>(conn)?)
}
