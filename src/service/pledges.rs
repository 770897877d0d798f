//! The service-pledge report, its footnotes and the holiday table its working days count in.

use chrono::NaiveDate;

use crate::db::audit::Actor;
use crate::db::models::Holiday;
use crate::db::{pledges, write_tx, DbConn};
use crate::error::AppError;
use crate::types::{AuditAction, AuditEntity};
use crate::views::pledges::{FootnoteSaved, HolidayRemoved, HolidayView, PledgeReport};

/// The report over the years asked (at least one).
pub fn report(conn: &mut DbConn, years: &[i32]) -> Result<PledgeReport, AppError> {
    let f = pledges::figures(conn, years)?;
    Ok(PledgeReport::build(&f, years))
}

/// Saves why an indicator missed its target in a year (replacing any earlier text).
pub fn put_footnote(
    conn: &mut DbConn,
    actor: &Actor,
    indicator_id: &str,
    year: i32,
    text: &str,
) -> Result<FootnoteSaved, AppError> {
    let out = FootnoteSaved {
        indicator_id: indicator_id.into(),
        year,
        text: text.into(),
    };
    write_tx(conn, |conn| {
        pledges::put_footnote(conn, indicator_id, year, text)?;
        super::audit_change(
            conn,
            actor,
            AuditAction::Footnote,
            AuditEntity::Pledge,
            &format!("{indicator_id}/{year}"),
            None::<&FootnoteSaved>,
            Some(&out),
        )
    })?;
    Ok(out)
}

/// The holidays, of one year or all.
pub fn holidays(conn: &mut DbConn, year: Option<i32>) -> Result<Vec<HolidayView>, AppError> {
    Ok(pledges::list_holidays(conn, year)?
        .iter()
        .map(HolidayView::from)
        .collect())
}

/// Adds a holiday (or renames the one on that day).
pub fn put_holiday(conn: &mut DbConn, actor: &Actor, h: Holiday) -> Result<HolidayView, AppError> {
    let out = HolidayView::from(&h);
    write_tx(conn, |conn| {
        pledges::put_holiday(conn, &h)?;
        super::audit_change(
            conn,
            actor,
            AuditAction::Put,
            AuditEntity::Holiday,
            &out.day,
            None::<&HolidayView>,
            Some(&out),
        )
    })?;
    Ok(out)
}

/// Takes a holiday out of the table.
pub fn remove_holiday(
    conn: &mut DbConn,
    actor: &Actor,
    day: NaiveDate,
) -> Result<HolidayRemoved, AppError> {
    write_tx(conn, |conn| {
        if !pledges::delete_holiday(conn, day)? {
            return Err(AppError::NotFound("no such holiday".into()));
        }
        super::audit_change(
            conn,
            actor,
            AuditAction::Delete,
            AuditEntity::Holiday,
            &day.to_string(),
            None::<&HolidayView>,
            None::<&HolidayView>,
        )
    })?;
    Ok(HolidayRemoved::of(day))
}
