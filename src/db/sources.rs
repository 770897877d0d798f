//! Promotion sources: influencer and channel promotions registered by officials, each with a
//! short code that its link and QR carry as the visitor's `ref`. Statistics group the `ref`
//! values by registered source; anything else (typed or stale links) counts as "other".

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rand::Rng;
use serde_json::{json, Value};

use super::cache::Caches;
use super::schema::promotion_sources;
use super::stats::Range;
use super::DbConn;
use crate::domain::time::{now, to_rfc3339};
use crate::error::AppError;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = promotion_sources)]
pub struct Source {
    pub id: String,
    pub campaign_id: String,
    pub code: String,
    pub name: String,
    pub platform: String,
    pub note: Option<String>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

pub const PLATFORMS: &[&str] = &[
    "instagram",
    "facebook",
    "xiaohongshu",
    "wechat",
    "youtube",
    "douyin",
    "website",
    "print",
    "broadcast",
    "other",
];

const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTVWXYZ";

fn new_code() -> String {
    let mut rng = rand::thread_rng();
    (0..6)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

pub fn create(
    conn: &mut DbConn,
    campaign_id: &str,
    name: &str,
    platform: &str,
    note: Option<String>,
    official: &str,
) -> Result<Source, AppError> {
    for _ in 0..8 {
        let s = Source {
            id: super::catalog::new_id(),
            campaign_id: campaign_id.into(),
            code: new_code(),
            name: name.into(),
            platform: platform.into(),
            note: note.clone(),
            created_by: official.into(),
            created_at: now(),
        };
        let taken: i64 = promotion_sources::table
            .filter(promotion_sources::code.eq(&s.code))
            .count()
            .get_result(conn)?;
        if taken > 0 {
            continue;
        }
        diesel::insert_into(promotion_sources::table)
            .values(&s)
            .execute(conn)?;
        return Ok(s);
    }
    Err(AppError::Internal(anyhow::anyhow!(
        "no free promotion code after 8 tries"
    )))
}

pub fn of_campaign(conn: &mut DbConn, campaign_id: &str) -> Result<Vec<Source>, AppError> {
    Ok(promotion_sources::table
        .filter(promotion_sources::campaign_id.eq(campaign_id))
        .order(promotion_sources::created_at.asc())
        .select(Source::as_select())
        .load(conn)?)
}

pub fn by_code(conn: &mut DbConn, code: &str) -> Result<Option<Source>, AppError> {
    Ok(promotion_sources::table
        .filter(promotion_sources::code.eq(code.trim().to_ascii_uppercase()))
        .select(Source::as_select())
        .first(conn)
        .optional()?)
}

pub fn view(s: &Source) -> Value {
    json!({"id": s.id, "campaign_id": s.campaign_id, "code": s.code, "name": s.name, "platform": s.platform,
           "note": s.note, "link": format!("/s/{}", s.code), "created_at": to_rfc3339(s.created_at)})
}

fn figures(v: &[i64; 5]) -> Value {
    json!({"page_views": v[0], "visitors": v[1], "checkins": v[2], "coupons_issued": v[3], "redemptions": v[4]})
}

/// The campaign's traffic by registered source, plus "direct" (no ref) and "other" (refs no
/// source registered).
pub fn grouped(
    conn: &mut DbConn,
    caches: &Caches,
    campaign_id: &str,
    r: Range,
) -> Result<Value, AppError> {
    let sources = of_campaign(conn, campaign_id)?;
    let f = caches.facts(conn, campaign_id, r)?;
    let mut by_code: BTreeMap<String, [i64; 5]> = BTreeMap::new();
    let (mut direct, mut other) = ([0i64; 5], [0i64; 5]);
    let mut other_refs = 0;
    for (k, v) in &f.refs {
        let key = k.trim().to_ascii_uppercase();
        let target = if k == "(direct)" {
            &mut direct
        } else if sources.iter().any(|s| s.code == key) {
            by_code.entry(key).or_default()
        } else {
            other_refs += 1;
            &mut other
        };
        for i in 0..5 {
            target[i] += v[i];
        }
    }
    let rows: Vec<Value> = sources
        .iter()
        .map(|s| {
            let mut v = view(s);
            v["figures"] = figures(&by_code.get(&s.code).copied().unwrap_or_default());
            v
        })
        .collect();
    Ok(
        json!({"sources": rows, "direct": figures(&direct), "other": figures(&other), "other_refs": other_refs}),
    )
}
