//! Row structs: what the tables hold. They are never the JSON shapes (see `http::views`).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::*;
use crate::types::{
    AuditAction, CampaignId, CampaignStatus, CheckinId, CheckinMethod, CouponId, CouponStatus,
    EnrolmentId, EnrolmentStatus, LedgerKind, MerchantId, MerchantRole, OfferId, OfferKind,
    PointId, PointKind, RedemptionId, RedemptionStatus, RefusalId, SettlementId, SettlementStatus,
    TriggerType, UserId, UserRole, VisitorId,
};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = merchants)]
pub struct Merchant {
    pub id: MerchantId,
    pub name: String,
    pub category: String,
    pub address: String,
    pub lat: f64,
    pub lng: f64,
    pub m_mark: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub password_hash: String,
    pub role: UserRole,
    pub merchant_id: Option<MerchantId>,
    pub merchant_role: Option<MerchantRole>,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = visitors)]
pub struct Visitor {
    pub id: VisitorId,
    pub locale: String,
    pub ref_: Option<String>,
    pub device_hash: Option<String>,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = campaigns)]
pub struct Campaign {
    pub id: CampaignId,
    pub slug: String,
    pub name: String,
    pub district: String,
    pub description: Option<String>,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub status: CampaignStatus,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = enrolments)]
pub struct Enrolment {
    pub id: EnrolmentId,
    pub campaign_id: CampaignId,
    pub merchant_id: MerchantId,
    pub status: EnrolmentStatus,
    pub submitted_at: NaiveDateTime,
    pub decided_at: Option<NaiveDateTime>,
    pub decided_by: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = points)]
pub struct Point {
    pub id: PointId,
    pub campaign_id: CampaignId,
    pub name: String,
    pub kind: PointKind,
    pub lat: f64,
    pub lng: f64,
    pub radius_m: i32,
    pub rotating: bool,
    pub rotate_seconds: i32,
    pub require_location: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = checkins)]
pub struct Checkin {
    pub id: CheckinId,
    pub visitor_id: VisitorId,
    pub point_id: PointId,
    pub campaign_id: CampaignId,
    pub method: CheckinMethod,
    pub day: NaiveDate,
    pub scanned_at: NaiveDateTime,
    pub received_at: NaiveDateTime,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub nonce: Option<String>,
    /// The traffic source the visitor arrived with (copied, so statistics need no join).
    pub ref_: Option<String>,
    /// The visitor's first check-in in this campaign (counts visitors additively by day).
    pub first_visit: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = checkin_refusals)]
pub struct CheckinRefusal {
    pub id: RefusalId,
    pub visitor_id: Option<VisitorId>,
    pub point_id: Option<PointId>,
    pub campaign_id: Option<CampaignId>,
    pub reason: String,
    pub method: CheckinMethod,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub day: NaiveDate,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = offers)]
pub struct Offer {
    pub id: OfferId,
    pub campaign_id: CampaignId,
    pub name: String,
    pub kind: OfferKind,
    pub face_value_avos: i64,
    pub min_spend_avos: i64,
    pub percent_off: i32,
    pub max_discount_avos: i64,
    pub stock: i32,
    pub issued: i32,
    pub per_visitor_limit: i32,
    pub valid_days: i32,
    pub valid_until: NaiveDateTime,
    pub trigger_type: TriggerType,
    pub trigger_count: Option<i32>,
    pub opens_at: Option<NaiveDateTime>,
    pub eligible_categories: String,
    pub created_at: NaiveDateTime,
    /// Only visitors who verified a phone number or e-mail receive it.
    pub requires_verified: bool,
}

impl Offer {
    pub fn value(&self) -> crate::domain::money::OfferValue {
        use crate::domain::money::OfferValue;
        if self.kind == OfferKind::Ecash {
            OfferValue::Ecash {
                face_value_avos: self.face_value_avos,
                min_spend_avos: self.min_spend_avos,
            }
        } else {
            OfferValue::Discount {
                percent_off: self.percent_off,
                max_discount_avos: self.max_discount_avos,
                min_spend_avos: self.min_spend_avos,
            }
        }
    }

    pub fn categories(&self) -> Vec<String> {
        serde_json::from_str(&self.eligible_categories).unwrap_or_default()
    }

    /// When a coupon of this offer issued at `issued_at` expires: after its validity in days,
    /// and never after the offer's last valid moment.
    pub fn coupon_expiry(&self, issued_at: NaiveDateTime) -> NaiveDateTime {
        crate::domain::issuance::expires_at(issued_at, self.valid_days, self.valid_until)
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = coupons)]
pub struct Coupon {
    pub id: CouponId,
    pub code: String,
    pub offer_id: OfferId,
    pub campaign_id: CampaignId,
    pub visitor_id: VisitorId,
    pub seq: i32,
    pub status: CouponStatus,
    pub issued_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub day: NaiveDate,
    pub checkin_id: Option<CheckinId>,
    /// The traffic source of the visitor it was issued to.
    pub ref_: Option<String>,
}

impl Coupon {
    /// The status as users see it: an issued coupon past its expiry is expired,
    /// whether or not the sweeper has written that yet.
    pub fn effective_status(&self, now: NaiveDateTime) -> CouponStatus {
        if self.status == CouponStatus::Issued && self.expires_at <= now {
            CouponStatus::Expired
        } else {
            self.status
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = redemptions)]
pub struct Redemption {
    pub id: RedemptionId,
    pub coupon_id: CouponId,
    pub offer_id: OfferId,
    pub campaign_id: CampaignId,
    pub merchant_id: MerchantId,
    pub user_id: UserId,
    pub spend_avos: i64,
    pub discount_avos: i64,
    pub ecash_avos: i64,
    pub status: RedemptionStatus,
    pub day: NaiveDate,
    pub created_at: NaiveDateTime,
    pub voided_at: Option<NaiveDateTime>,
    pub settlement_id: Option<SettlementId>,
    /// The traffic source of the coupon's visitor.
    pub ref_: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = idempotency_keys)]
pub struct IdempotencyKey {
    pub merchant_id: MerchantId,
    pub key: String,
    pub request_hash: String,
    pub status_code: i32,
    pub response: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = settlements)]
pub struct Settlement {
    pub id: SettlementId,
    pub campaign_id: CampaignId,
    pub merchant_id: MerchantId,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub amount_avos: i64,
    pub redemptions_count: i32,
    pub status: SettlementStatus,
    pub created_by: UserId,
    pub created_at: NaiveDateTime,
    pub approved_by: Option<UserId>,
    pub approved_at: Option<NaiveDateTime>,
    pub paid_by: Option<UserId>,
    pub paid_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = ledger)]
pub struct NewLedgerEntry {
    pub campaign_id: CampaignId,
    pub kind: LedgerKind,
    pub offer_id: Option<OfferId>,
    pub coupon_id: Option<CouponId>,
    pub redemption_id: Option<RedemptionId>,
    pub merchant_id: Option<MerchantId>,
    pub settlement_id: Option<SettlementId>,
    pub amount_avos: i64,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ledger)]
pub struct LedgerEntry {
    pub id: i64,
    pub campaign_id: CampaignId,
    pub kind: LedgerKind,
    pub offer_id: Option<OfferId>,
    pub coupon_id: Option<CouponId>,
    pub redemption_id: Option<RedemptionId>,
    pub merchant_id: Option<MerchantId>,
    pub settlement_id: Option<SettlementId>,
    pub amount_avos: i64,
    pub created_at: NaiveDateTime,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = pageviews)]
pub struct NewPageview {
    pub campaign_id: CampaignId,
    pub path: String,
    pub ref_: Option<String>,
    pub visitor_hash: String,
    pub day: NaiveDate,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = survey_answers)]
pub struct SurveyAnswer {
    pub campaign_id: CampaignId,
    pub merchant_id: MerchantId,
    pub came_because_of_campaign: bool,
    pub estimate_pct: Option<i32>,
    pub comment: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = holidays)]
pub struct Holiday {
    pub day: NaiveDate,
    pub name: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = pledge_indicators)]
pub struct PledgeIndicator {
    pub id: String,
    pub position: i32,
    pub service_item: String,
    pub indicator: String,
    pub clock: String,
    pub deadline_working_days: i32,
    pub target_pct: f64,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = audit_log)]
pub struct NewAudit {
    pub actor_id: Option<String>,
    pub actor_role: String,
    pub action: AuditAction,
    pub entity: String,
    pub entity_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub id: i64,
    pub actor_id: Option<String>,
    pub actor_role: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub created_at: NaiveDateTime,
}
