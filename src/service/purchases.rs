//! Consumption stamps: purchases recorded at the till by scanning the visitor's wallet card
//! (`db::purchases` keeps the stamp and pays out `purchases` offers in the same transaction),
//! the till's preview and list, and the visitor's stamp cards.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::db::cache::Caches;
use crate::db::models::IdempotencyKey;
use crate::db::{catalog, coupons, operations, purchases, visitors, write_tx, DbConn};
use crate::domain::names::Names;
use crate::domain::payload::KeyRing;
use crate::domain::time::{macau_day, now};
use crate::error::{AppError, Code};
use crate::types::{CampaignId, MerchantId, UserId, VisitorId};
use crate::views::coupons::{Coupon, OfferBrief};
use crate::views::purchases::{
    CampaignBrief, CardOffer, CardStamp, Purchase, PurchaseRecorded, PurchaseStamps, StampCard,
    StampCount, TillPreview,
};

pub struct PurchaseRequest {
    pub merchant_id: MerchantId,
    pub user_id: UserId,
    pub visitor: String,
    pub spend_avos: i64,
    pub idempotency_key: String,
    pub campaign: Option<String>,
}

fn request_hash(r: &PurchaseRequest, visitor_id: &VisitorId) -> String {
    let mut h = Sha256::new();
    h.update(format!(
        "purchase|{visitor_id}|{}|{}",
        r.spend_avos,
        r.campaign.as_deref().unwrap_or("")
    ));
    data_encoding::HEXLOWER.encode(&h.finalize())
}

/// The answer stored for this key, if the same request was recorded; another request under
/// the same key is refused.
fn stored(
    conn: &mut DbConn,
    merchant_id: &MerchantId,
    key: &str,
    hash: &str,
) -> Result<Option<(u16, Value)>, AppError> {
    match purchases::stored_answer(conn, merchant_id, key)? {
        None => Ok(None),
        Some(s) if s.request_hash != hash => Err(AppError::rule(
            Code::IdempotencyConflict,
            "This idempotency key was already used for a different request.",
        )),
        Some(s) => {
            let body: Value =
                serde_json::from_str(&s.response).map_err(|e| AppError::Internal(e.into()))?;
            Ok(Some((s.status_code as u16, body)))
        }
    }
}

/// The visitor a scanned wallet card names.
pub fn card_visitor(keys: &KeyRing, text: &str) -> Result<VisitorId, AppError> {
    keys.verify_visitor_card(text)
        .map(|u| VisitorId::from(u.to_string()))
        .ok_or_else(|| AppError::rule(Code::InvalidCard, "This is not a visitor's wallet card."))
}

/// Records a purchase scanned at the till (`POST /purchases`). Returns the HTTP status and
/// the answer (a `PurchaseRecorded`), kept for retries: the same key answers the same.
pub fn record(
    conn: &mut DbConn,
    keys: &KeyRing,
    caches: &Caches,
    req: PurchaseRequest,
) -> Result<(u16, Value), AppError> {
    let visitor_id = card_visitor(keys, &req.visitor)?;
    let hash = request_hash(&req, &visitor_id);
    if let Some(prev) = stored(conn, &req.merchant_id, &req.idempotency_key, &hash)? {
        return Ok(prev);
    }
    let t = now();
    operations::ensure_not_suspended(conn, &req.merchant_id)?;
    let campaign = purchases::live_campaign(conn, &req.merchant_id, req.campaign.as_deref(), t)?;
    if !visitors::exists(conn, &visitor_id)? {
        return Err(AppError::rule(
            Code::InvalidCard,
            "This wallet card belongs to no visitor here.",
        ));
    }
    let offers = caches.offers(conn, &campaign.id)?;
    let result = write_tx(conn, |conn| {
        visitors::lock(conn, &visitor_id)?;
        let r = purchases::record_in_tx(
            conn,
            &offers,
            &campaign.id,
            &req.merchant_id,
            &visitor_id,
            Some(req.user_id.as_str()),
            req.spend_avos,
            None,
            t,
        )?;
        let body = crate::views::to_value(&PurchaseRecorded {
            purchase: Purchase::of(&r.purchase),
            stamps: PurchaseStamps {
                count: r.stamps,
                next_reward_at: r.next_reward_at,
            },
            coupons: r
                .coupons
                .iter()
                .map(|(c, o)| Coupon::of(c, Some(o), keys.coupon(&c.code), t))
                .collect(),
        });
        purchases::store_answer(
            conn,
            &IdempotencyKey {
                merchant_id: req.merchant_id.clone(),
                key: req.idempotency_key.clone(),
                request_hash: hash.clone(),
                status_code: 201,
                response: body.to_string(),
                created_at: t,
            },
        )?;
        Ok(body)
    });
    match result {
        Ok(body) => {
            crate::telemetry::count("bairro_purchases_total", 1);
            Ok((201, body))
        }
        Err(AppError::Conflict(e)) => {
            // The same key from a retry that committed first.
            if let Some(prev) = stored(conn, &req.merchant_id, &req.idempotency_key, &hash)? {
                return Ok(prev);
            }
            Err(AppError::Conflict(e))
        }
        Err(e) => Err(e),
    }
}

/// A visitor's stamp cards (`GET /me/stamps`): per campaign with stamps or `purchases`
/// offers, the stamps and each offer's progress.
pub fn cards(conn: &mut DbConn, visitor_id: &VisitorId) -> Result<Vec<StampCard>, AppError> {
    let t = now();
    let stamps = purchases::stamps_of(conn, visitor_id)?;
    let offers = purchases::open_offers(conn, t)?;
    let mut ids: Vec<CampaignId> = stamps.iter().map(|s| s.campaign_id.clone()).collect();
    ids.extend(offers.iter().map(|(o, _)| o.campaign_id.clone()));
    ids.sort();
    ids.dedup();
    let mins = purchases::min_spends(
        conn,
        &offers.iter().map(|(o, _)| o.id.clone()).collect::<Vec<_>>(),
    )?;
    let merchant_names =
        purchases::merchant_names(conn, stamps.iter().map(|s| s.merchant_id.clone()).collect())?;
    let mut out = Vec::new();
    for cid in ids {
        let camp = match offers.iter().find(|(_, c)| c.id == cid) {
            Some((_, c)) => c.clone(),
            None => catalog::find_campaign(conn, &cid)?,
        };
        let mine: Vec<&purchases::PurchaseStamp> =
            stamps.iter().filter(|s| s.campaign_id == cid).collect();
        let held = coupons::held_in_campaign(conn, visitor_id, &cid)?;
        let progress = offers
            .iter()
            .filter(|(o, _)| o.campaign_id == cid)
            .map(|(o, _)| {
                let min = mins.get(&o.id).copied().unwrap_or(0);
                CardOffer {
                    offer: OfferBrief::of(o),
                    offer_id: o.id.as_str().into(),
                    every: o.trigger_count.unwrap_or(1),
                    min_spend_avos: min,
                    stamps: mine.iter().filter(|s| s.spend_avos >= min).count() as i64,
                    coupons: held.get(o.id.as_str()).copied().unwrap_or(0),
                    per_visitor_limit: o.per_visitor_limit,
                }
            })
            .collect();
        out.push(StampCard {
            campaign: CampaignBrief {
                id: camp.id.as_str().into(),
                slug: camp.slug.clone(),
                name: Names::from_json(&camp.name),
            },
            count: mine.len() as i64,
            stamps: mine
                .iter()
                .map(|s| CardStamp {
                    merchant_id: s.merchant_id.clone(),
                    merchant_name: merchant_names
                        .get(&s.merchant_id)
                        .map(|n| Names::from_json(n)),
                    day: s.day.to_string(),
                    spend_avos: s.spend_avos,
                })
                .collect(),
            offers: progress,
        });
    }
    Ok(out)
}

/// What the till shows after a scan (`POST /purchases/preview`): the visitor's stamps in the
/// merchant's running campaign.
pub fn till_preview(
    conn: &mut DbConn,
    keys: &KeyRing,
    merchant_id: &MerchantId,
    card: &str,
) -> Result<TillPreview, AppError> {
    let visitor_id = card_visitor(keys, card)?;
    let t = now();
    let campaign = purchases::live_campaign(conn, merchant_id, None, t)?;
    let count = purchases::stamp_count(conn, &campaign.id, &visitor_id, 0)?;
    let today = purchases::stamped_on(conn, &campaign.id, &visitor_id, merchant_id, macau_day(t))?;
    Ok(TillPreview {
        campaign_id: campaign.id.as_str().into(),
        stamps: StampCount { count },
        stamped_here_today: today,
    })
}

/// A merchant's latest purchases (`GET /merchant/purchases`).
pub fn of_merchant(
    conn: &mut DbConn,
    merchant_id: &MerchantId,
    limit: i64,
) -> Result<Vec<Purchase>, AppError> {
    Ok(purchases::list_for_merchant(conn, merchant_id, limit)?
        .iter()
        .map(Purchase::of)
        .collect())
}
