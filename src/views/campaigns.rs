//! What the catalogue adds to the basic shapes of `views/`: picture URLs, short codes, and the
//! operational state (paused offers, retired points) officials see.

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::db::models::{Offer, Point};
use crate::domain::time::opt_rfc3339;

/// `cover_url` / `photo_url` for an answer: the URL carries the picture's hash, so a new
/// upload is a new URL.
pub fn image_url(owner_kind: &str, owner_id: &str, etag: &str) -> String {
    match owner_kind {
        "campaign" => format!("/api/v1/campaigns/{owner_id}/cover?v={etag}"),
        _ => format!("/api/v1/merchants/{owner_id}/photo?v={etag}"),
    }
}

/// Adds `cover_url` to campaign answers and `photo_url` to their shops, where pictures exist.
pub fn add_urls(
    campaigns: &mut [Value],
    covers: &HashMap<String, String>,
    photos: &HashMap<String, String>,
) {
    for c in campaigns {
        if let Some(e) = c["id"].as_str().and_then(|id| covers.get(id)) {
            c["cover_url"] = json!(image_url("campaign", c["id"].as_str().unwrap_or(""), e));
        }
        if let Some(list) = c.get_mut("merchants").and_then(Value::as_array_mut) {
            for m in list {
                if let Some(e) = m["id"].as_str().and_then(|id| photos.get(id)) {
                    m["photo_url"] =
                        json!(image_url("merchant", m["id"].as_str().unwrap_or(""), e));
                }
            }
        }
    }
}

/// A point answer with its printed short code, when it has one.
pub fn with_short_code(mut v: Value, code: Option<&str>) -> Value {
    if let Some(c) = code {
        v["short_code"] = json!(crate::domain::short_code::display(c));
    }
    v
}

/// An offer with whether officials paused it.
pub fn offer_with_paused(o: &Offer, paused: bool) -> Value {
    let mut v = super::offer(o);
    v["paused"] = json!(paused);
    v
}

/// A point with whether (and since when) it is retired.
pub fn point_with_retirement(p: &Point, retired: Option<chrono::NaiveDateTime>) -> Value {
    let mut v = super::point(p, None);
    v["retired"] = json!(retired.is_some());
    v["retired_at"] = json!(opt_rfc3339(retired));
    v
}
