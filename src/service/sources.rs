//! Promotion source use cases: officials register sources per campaign; statistics group the
//! `ref` values by registered source, anything else (typed or stale links) counting as
//! "other".

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::db::audit::Actor;
use crate::db::cache::Caches;
use crate::db::stats::Range;
use crate::db::{catalog, sources, DbConn};
use crate::error::{AppError, FieldError};
use crate::types::{AuditAction, AuditEntity, CampaignId, UserId};
use crate::views::sources::{CampaignRef, Figures, Grouped, SourceView, SourceWithFigures};

/// What an official sends to register a promotion source.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct SourceBody {
    /// Who promotes: an influencer's or channel's name (1 to 100 characters).
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// One of instagram, facebook, xiaohongshu, wechat, youtube, douyin, website, print,
    /// broadcast, other.
    pub platform: String,
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

/// Registers a promotion source for a campaign, with a fresh short code.
pub fn create(
    conn: &mut DbConn,
    user_id: &UserId,
    key: &str,
    b: SourceBody,
) -> Result<SourceView, AppError> {
    let mut errs = Vec::new();
    let name = b.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        errs.push(FieldError {
            field: "name".into(),
            message: "1 to 100 characters".into(),
        });
    }
    if !sources::PLATFORMS.contains(&b.platform.as_str()) {
        errs.push(FieldError {
            field: "platform".into(),
            message: format!("one of {}", sources::PLATFORMS.join(", ")),
        });
    }
    let note = b
        .note
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > 500) {
        errs.push(FieldError {
            field: "note".into(),
            message: "at most 500 characters".into(),
        });
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let camp = catalog::find_campaign(conn, key)?;
    let s = sources::create(conn, &camp.id, &name, &b.platform, note, user_id)?;
    let view = SourceView::from(&s);
    super::audit_change(
        conn,
        &Actor::official(user_id),
        AuditAction::Create,
        AuditEntity::Source,
        &s.id,
        None::<&SourceView>,
        Some(&view),
    )?;
    Ok(view)
}

/// The campaign's traffic by registered source, plus "direct" (no ref) and "other" (refs no
/// source registered).
pub fn grouped(
    conn: &mut DbConn,
    caches: &Caches,
    campaign_id: &CampaignId,
    r: Range,
) -> Result<Grouped, AppError> {
    let sources = sources::of_campaign(conn, campaign_id)?;
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
    Ok(Grouped {
        sources: sources
            .iter()
            .map(|s| SourceWithFigures {
                source: SourceView::from(s),
                figures: Figures::from_counts(&by_code.get(&s.code).copied().unwrap_or_default()),
            })
            .collect(),
        direct: Figures::from_counts(&direct),
        other: Figures::from_counts(&other),
        other_refs,
        campaign: None,
    })
}

/// A campaign's sources with their funnels, over the whole campaign.
pub fn of_campaign(conn: &mut DbConn, caches: &Caches, key: &str) -> Result<Grouped, AppError> {
    let camp = catalog::find_campaign(conn, key)?;
    let mut g = grouped(conn, caches, &camp.id, Range::all())?;
    g.campaign = Some(CampaignRef {
        id: camp.id.into_string(),
        slug: camp.slug,
    });
    Ok(g)
}

/// Where a short link `/s/{code}` lands: the campaign's page with its source as `ref`, or the
/// home page for an unknown code.
pub fn landing(conn: &mut DbConn, code: &str) -> Result<String, AppError> {
    let Some(s) = sources::by_code(conn, code)? else {
        return Ok("/".to_string());
    };
    let camp = catalog::find_campaign(conn, &s.campaign_id)?;
    Ok(format!("/#/c/{}?ref={}", camp.slug, s.code))
}
