//! Fair draws: what anyone may check, and a visitor's entries.

use serde::Serialize;

use super::coupons::{Coupon, OfferBrief};
use crate::db::draws::{Draw as DrawRow, Entry as EntryRow};
use crate::domain::time::to_rfc3339;
use crate::types::{DrawEntryId, DrawOutcome, DrawStatus, OfferId};

/// How the winners are chosen, so anyone can check them.
pub const ALGORITHM: &str = "winners = the `stock` entries with the smallest lowercase hex SHA-256 of seed + \":\" + entry id; commitment = lowercase hex SHA-256 of the seed's hex text";

/// A draw as an entry shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DrawBrief {
    pub status: DrawStatus,
    /// SHA-256 of the secret seed, published before entries close.
    pub commitment: String,
    pub entries_close_at: String,
    pub draw_at: String,
}

/// A visitor's entry in a draw.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Entry {
    pub id: DrawEntryId,
    pub offer_id: OfferId,
    pub created_at: String,
    pub outcome: DrawOutcome,
    pub draw: DrawBrief,
    /// Why a winner got no coupon (a refusal code).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub note: Option<String>,
    /// A winner's coupon.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub coupon: Option<Coupon>,
    /// The prize (the visitor's list of entries only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub offer: Option<OfferBrief>,
}

impl Entry {
    pub fn of(e: &EntryRow, d: &DrawRow) -> Entry {
        Entry {
            id: e.id.clone(),
            offer_id: e.offer_id.clone(),
            created_at: to_rfc3339(e.created_at),
            outcome: e.outcome,
            draw: DrawBrief {
                status: d.status,
                commitment: d.commitment.clone(),
                entries_close_at: to_rfc3339(d.entries_close_at),
                draw_at: to_rfc3339(d.draw_at),
            },
            note: e.note.clone(),
            coupon: None,
            offer: None,
        }
    }
}

/// The entries of a draw: their number while entries are open, then their ids (sorted).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Entries {
    Count(i32),
    Ids(Vec<DrawEntryId>),
}

/// A draw as anyone may check it: before, the commitment; after, the seed and the winners.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicDraw {
    pub offer_id: OfferId,
    pub status: DrawStatus,
    pub commitment: String,
    pub entry_count: i32,
    /// How many winners.
    pub stock: i32,
    pub entries_close_at: String,
    pub draw_at: String,
    pub algorithm: String,
    pub entries: Entries,
    /// The secret seed (once drawn).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub seed: Option<String>,
    /// The winning entry ids (once drawn).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub winners: Option<Vec<DrawEntryId>>,
    /// When it was drawn (present once drawn).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drawn_at: Option<Option<String>>,
}

/// A draw as its offer shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OfferDraw {
    pub status: DrawStatus,
    /// SHA-256 of the secret seed, published before entries close.
    pub commitment: String,
    /// Entries so far.
    pub entries: i32,
}

impl From<&DrawRow> for OfferDraw {
    fn from(d: &DrawRow) -> Self {
        OfferDraw {
            status: d.status,
            commitment: d.commitment.clone(),
            entries: d.entry_count,
        }
    }
}
