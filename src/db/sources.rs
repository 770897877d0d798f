//! Promotion sources: influencer and channel promotions registered by officials, each with a
//! short code that its link and QR carry as the visitor's `ref`.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rand::Rng;

use super::schema::promotion_sources;
use super::DbConn;
use crate::domain::time::now;
use crate::error::AppError;
use crate::types::{CampaignId, SourceId, UserId};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = promotion_sources)]
pub struct Source {
    pub id: SourceId,
    pub campaign_id: CampaignId,
    pub code: String,
    pub name: String,
    pub platform: String,
    pub note: Option<String>,
    pub created_by: UserId,
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
    campaign_id: &CampaignId,
    name: &str,
    platform: &str,
    note: Option<String>,
    official: &UserId,
) -> Result<Source, AppError> {
    for _ in 0..8 {
        let s = Source {
            id: SourceId::generate(),
            campaign_id: campaign_id.clone(),
            code: new_code(),
            name: name.into(),
            platform: platform.into(),
            note: note.clone(),
            created_by: official.clone(),
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

pub fn of_campaign(conn: &mut DbConn, campaign_id: &CampaignId) -> Result<Vec<Source>, AppError> {
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
