//! Names for the audit log: who acted (login name) and what the entry is about (a campaign's,
//! point's, offer's or shop's name; a statement or application by its shop), so officials read
//! names instead of ids.

use std::collections::HashMap;

use diesel::prelude::*;
use serde_json::{json, Value};

use super::schema::*;
use super::DbConn;
use crate::domain::merchant_no::short_no;
use crate::domain::names::Names;
use crate::error::AppError;

fn names_json(n: &str) -> Value {
    json!(Names::from_json(n))
}

/// entity → id → display name (as `{zh-Hant, pt, en}`), and the merchant number where a shop is
/// concerned.
pub fn entity_names(
    conn: &mut DbConn,
    wanted: &[(String, String)],
) -> Result<HashMap<(String, String), Value>, AppError> {
    let mut by: HashMap<&str, Vec<String>> = HashMap::new();
    for (e, id) in wanted {
        by.entry(e.as_str()).or_default().push(id.clone());
    }
    let mut out = HashMap::new();
    let mut put = |e: &str, id: String, v: Value| {
        out.insert((e.to_string(), id), v);
    };
    for (e, ids) in by {
        match e {
            "campaign" => {
                for (id, n) in campaigns::table
                    .filter(campaigns::id.eq_any(&ids))
                    .select((campaigns::id, campaigns::name))
                    .load::<(String, String)>(conn)?
                {
                    put(e, id, json!({"name": names_json(&n)}));
                }
            }
            "point" => {
                for (id, n) in points::table
                    .filter(points::id.eq_any(&ids))
                    .select((points::id, points::name))
                    .load::<(String, String)>(conn)?
                {
                    put(e, id, json!({"name": names_json(&n)}));
                }
            }
            "offer" => {
                for (id, n) in offers::table
                    .filter(offers::id.eq_any(&ids))
                    .select((offers::id, offers::name))
                    .load::<(String, String)>(conn)?
                {
                    put(e, id, json!({"name": names_json(&n)}));
                }
            }
            "merchant" => {
                for (id, n, a) in merchants::table
                    .filter(merchants::id.eq_any(&ids))
                    .select((merchants::id, merchants::name, merchants::address))
                    .load::<(String, String, String)>(conn)?
                {
                    let no = short_no(&id);
                    put(
                        e,
                        id,
                        json!({"name": names_json(&n), "merchant_no": no, "address": a}),
                    );
                }
            }
            "settlement" => {
                for (id, mid, n, a, from, to) in settlements::table
                    .inner_join(merchants::table.on(merchants::id.eq(settlements::merchant_id)))
                    .filter(settlements::id.eq_any(&ids))
                    .select((
                        settlements::id,
                        merchants::id,
                        merchants::name,
                        merchants::address,
                        settlements::period_from,
                        settlements::period_to,
                    ))
                    .load::<(
                        String,
                        String,
                        String,
                        String,
                        chrono::NaiveDate,
                        chrono::NaiveDate,
                    )>(conn)?
                {
                    put(
                        e,
                        id,
                        json!({"name": names_json(&n), "merchant_no": short_no(&mid), "address": a,
                               "period_from": from.to_string(), "period_to": to.to_string()}),
                    );
                }
            }
            "enrolment" => {
                for (id, mid, n, a) in enrolments::table
                    .inner_join(merchants::table.on(merchants::id.eq(enrolments::merchant_id)))
                    .filter(enrolments::id.eq_any(&ids))
                    .select((
                        enrolments::id,
                        merchants::id,
                        merchants::name,
                        merchants::address,
                    ))
                    .load::<(String, String, String, String)>(conn)?
                {
                    put(
                        e,
                        id,
                        json!({"name": names_json(&n), "merchant_no": short_no(&mid), "address": a}),
                    );
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// user id → login name.
pub fn user_names(conn: &mut DbConn, ids: &[String]) -> Result<HashMap<String, String>, AppError> {
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::username))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}
