//! Promotion sources and their funnel figures.

use serde::Serialize;

use crate::db::sources::Source;
use crate::domain::time::to_rfc3339;
use crate::types::{CampaignId, SourceId};

/// A registered promotion source.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SourceView {
    pub id: SourceId,
    pub campaign_id: CampaignId,
    /// The short code its link and QR carry as `ref`.
    pub code: String,
    pub name: String,
    pub platform: String,
    pub note: Option<String>,
    /// The short link, `/s/{code}`.
    pub link: String,
    pub created_at: String,
}

impl From<&Source> for SourceView {
    fn from(s: &Source) -> Self {
        SourceView {
            id: s.id.clone(),
            campaign_id: s.campaign_id.clone(),
            code: s.code.clone(),
            name: s.name.clone(),
            platform: s.platform.clone(),
            note: s.note.clone(),
            link: format!("/s/{}", s.code),
            created_at: to_rfc3339(s.created_at),
        }
    }
}

/// The funnel of one group of visitors.
#[derive(Debug, Clone, Copy, Default, Serialize, utoipa::ToSchema)]
pub struct Figures {
    pub page_views: i64,
    pub visitors: i64,
    pub checkins: i64,
    pub coupons_issued: i64,
    pub redemptions: i64,
}

impl Figures {
    pub fn from_counts(v: &[i64; 5]) -> Self {
        Figures {
            page_views: v[0],
            visitors: v[1],
            checkins: v[2],
            coupons_issued: v[3],
            redemptions: v[4],
        }
    }

    /// In the order of the CSV's columns.
    pub fn counts(&self) -> [i64; 5] {
        [
            self.page_views,
            self.visitors,
            self.checkins,
            self.coupons_issued,
            self.redemptions,
        ]
    }
}

/// A source with its funnel.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SourceWithFigures {
    #[serde(flatten)]
    pub source: SourceView,
    pub figures: Figures,
}

/// The campaign a grouping is of.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CampaignRef {
    pub id: String,
    pub slug: String,
}

/// A campaign's traffic by registered source, plus `direct` (no ref) and `other` (refs no
/// source registered).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Grouped {
    pub sources: Vec<SourceWithFigures>,
    pub direct: Figures,
    pub other: Figures,
    /// How many distinct unregistered refs were seen.
    pub other_refs: i64,
    /// Present on the campaign's own sources answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub campaign: Option<CampaignRef>,
}
