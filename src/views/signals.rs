//! The fraud signals answer: each signal with the rows that show it and what officials did
//! about it.

use serde::Serialize;

use crate::db::operations::SignalAction;
use crate::db::signals::{Evidence, Refusal, Signal};
use crate::domain::time::to_rfc3339;
use crate::types::{
    MerchantId, PurchaseId, RedemptionId, RefusalId, SignalKind, UserId, VisitorId,
};

/// A refused check-in behind a `refused_scans` signal.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RefusalView {
    pub id: RefusalId,
    /// The refusal's code, e.g. `outside_geofence`.
    pub reason: String,
    pub at: String,
}

/// The rows behind a signal; each kind carries its own lists.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EvidenceView {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub redemption_ids: Option<Vec<RedemptionId>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub purchase_ids: Option<Vec<PurchaseId>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub merchant_ids: Option<Vec<MerchantId>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub visitor_ids: Option<Vec<VisitorId>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub refusals: Option<Vec<RefusalView>>,
    /// When a burst began.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub from: Option<String>,
}

/// An action an official took on a visitor, merchant or coupon the signal names.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SignalActionView {
    /// `ban`, `unban`, `suspend`, `reinstate` or `void`.
    pub action: String,
    /// `visitor`, `merchant` or `coupon`.
    pub entity: String,
    pub entity_id: String,
    /// The official's id.
    pub by: Option<String>,
    pub by_username: Option<String>,
    pub at: String,
    pub reason: Option<String>,
}

/// One fraud signal. Who it is about depends on its kind: a merchant
/// (`exact_minimum_spend`), a till login (`till_burst`; `till_purchase_burst` also names the
/// merchant), a visitor (`merchant_hopping`, `refused_scans`) or a device
/// (`visitors_from_one_device`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SignalView {
    pub kind: SignalKind,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub merchant_id: Option<MerchantId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub user_id: Option<UserId>,
    /// The till user's login name.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub user_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub visitor_id: Option<VisitorId>,
    /// A keyed hash of the device or address, never the address.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub device_hash: Option<String>,
    pub evidence: EvidenceView,
    /// Actions officials took, newest first (left out when no signal of the answer names a
    /// visitor or merchant).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub actions: Option<Vec<SignalActionView>>,
}

impl From<&Refusal> for RefusalView {
    fn from(r: &Refusal) -> Self {
        RefusalView {
            id: r.id.clone(),
            reason: r.reason.clone(),
            at: to_rfc3339(r.at),
        }
    }
}

impl From<&Evidence> for EvidenceView {
    fn from(e: &Evidence) -> Self {
        EvidenceView {
            redemption_ids: e.redemption_ids.clone(),
            purchase_ids: e.purchase_ids.clone(),
            merchant_ids: e.merchant_ids.clone(),
            visitor_ids: e.visitor_ids.clone(),
            refusals: e
                .refusals
                .as_ref()
                .map(|l| l.iter().map(RefusalView::from).collect()),
            from: e.from.map(to_rfc3339),
        }
    }
}

impl From<&SignalAction> for SignalActionView {
    fn from(a: &SignalAction) -> Self {
        SignalActionView {
            action: a.action.clone(),
            entity: a.entity.clone(),
            entity_id: a.entity_id.clone(),
            by: a.by.clone(),
            by_username: a.by_username.clone(),
            at: to_rfc3339(a.at),
            reason: a.reason.clone(),
        }
    }
}

impl SignalView {
    /// A signal with the till user's name (when known) and the actions taken (when looked up).
    pub fn new(s: &Signal, user_name: Option<String>, actions: Option<&[SignalAction]>) -> Self {
        SignalView {
            kind: s.kind,
            detail: s.detail.clone(),
            merchant_id: s.merchant_id.clone(),
            user_id: s.user_id.clone(),
            user_name,
            visitor_id: s.visitor_id.clone(),
            device_hash: s.device_hash.clone(),
            evidence: EvidenceView::from(&s.evidence),
            actions: actions.map(|l| l.iter().map(SignalActionView::from).collect()),
        }
    }
}
