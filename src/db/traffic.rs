//! Page views (written in batches) and the merchants' post-campaign survey.

use diesel::prelude::*;

use super::models::{NewPageview, SurveyAnswer};
use super::schema::*;
use super::{write_tx, DbConn};
use crate::error::AppError;

/// Writes a batch of page views, and records first-time page visitors per campaign.
pub fn insert_pageviews(conn: &mut DbConn, rows: &[NewPageview]) -> Result<usize, AppError> {
    let mut seen = std::collections::HashSet::new();
    let firsts: Vec<_> = rows
        .iter()
        .filter(|r| seen.insert((r.campaign_id.as_str(), r.visitor_hash.as_str())))
        .map(|r| {
            (
                page_visitors::campaign_id.eq(r.campaign_id.clone()),
                page_visitors::visitor_hash.eq(r.visitor_hash.clone()),
                page_visitors::day.eq(r.day),
            )
        })
        .collect();
    write_tx(conn, |conn| {
        let mut n = 0;
        for chunk in rows.chunks(500) {
            n += crate::insert_rows!(&mut *conn, pageviews::table, chunk)?;
        }
        for chunk in firsts.chunks(500) {
            match &mut *conn {
                DbConn::Sqlite(c) => diesel::insert_into(page_visitors::table)
                    .values(chunk)
                    .on_conflict_do_nothing()
                    .execute(c)?,
                DbConn::Pg(c) => diesel::insert_into(page_visitors::table)
                    .values(chunk)
                    .on_conflict_do_nothing()
                    .execute(c)?,
            };
        }
        Ok(n)
    })
}

/// Creates or replaces a merchant's answer; returns whether it was new.
pub fn put_survey(conn: &mut DbConn, a: &SurveyAnswer) -> Result<bool, AppError> {
    write_tx(conn, |conn| {
        let existing: Option<SurveyAnswer> = survey_answers::table
            .find((&a.campaign_id, &a.merchant_id))
            .select(SurveyAnswer::as_select())
            .first(conn)
            .optional()?;
        match existing {
            Some(prev) => {
                diesel::update(survey_answers::table.find((&a.campaign_id, &a.merchant_id)))
                    .set((
                        survey_answers::came_because_of_campaign.eq(a.came_because_of_campaign),
                        survey_answers::estimate_pct.eq(a.estimate_pct),
                        survey_answers::comment.eq(&a.comment),
                        survey_answers::updated_at.eq(a.updated_at),
                        survey_answers::created_at.eq(prev.created_at),
                    ))
                    .execute(conn)?;
                Ok(false)
            }
            None => {
                diesel::insert_into(survey_answers::table)
                    .values(a)
                    .execute(conn)?;
                Ok(true)
            }
        }
    })
}
