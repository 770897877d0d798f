//! The service-pledge report: for each indicator the platform measures itself, target and
//! actual compliance per year, counted in Macau working days (holiday table).

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::models::*;
use super::schema::*;
use super::DbConn;
use crate::domain::names::Names;
use crate::domain::time::{macau_day, now};
use crate::domain::workdays;
use crate::error::AppError;

/// Reference data every database needs: the indicators and Macau's public holidays.
pub fn ensure_reference_data(conn: &mut DbConn) -> Result<(), AppError> {
    let n: i64 = pledge_indicators::table.count().get_result(conn)?;
    if n == 0 {
        let rows = vec![
            PledgeIndicator {
                id: "enrolment_decision".into(),
                position: 1,
                service_item: Names::new("商戶參與活動申請", "Candidatura de comerciantes às actividades", "Merchant applications to join a campaign").to_json(),
                indicator: Names::new(
                    "自收到完整申請起計5個工作日內完成審批",
                    "Decisão no prazo de 5 dias úteis após a recepção da candidatura",
                    "Application decided within 5 working days of submission",
                )
                .to_json(),
                clock: "enrolment_decision".into(),
                deadline_working_days: 5,
                target_pct: 90.0,
            },
            PledgeIndicator {
                id: "settlement_payment".into(),
                position: 2,
                service_item: Names::new("電子現金券款項結算", "Liquidação dos cupões electrónicos", "Settlement of e-cash coupons").to_json(),
                indicator: Names::new(
                    "結算單審批後10個工作日內向商戶付款",
                    "Pagamento ao comerciante no prazo de 10 dias úteis após a aprovação da liquidação",
                    "Merchant paid within 10 working days of the statement's approval",
                )
                .to_json(),
                clock: "settlement_payment".into(),
                deadline_working_days: 10,
                target_pct: 92.0,
            },
        ];
        crate::insert_rows!(conn, pledge_indicators::table, &rows)?;
    }
    let h: i64 = holidays::table.count().get_result(conn)?;
    if h == 0 {
        let rows: Vec<Holiday> = crate::domain::holidays::MACAU_2020_2027
            .iter()
            .map(|(d, name)| Holiday {
                day: NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("valid seed date"),
                name: (*name).into(),
            })
            .collect();
        for chunk in rows.chunks(100) {
            crate::insert_rows!(&mut *conn, holidays::table, chunk)?;
        }
    }
    Ok(())
}

pub fn holiday_set(conn: &mut DbConn) -> Result<HashSet<NaiveDate>, AppError> {
    Ok(holidays::table
        .select(holidays::day)
        .load::<NaiveDate>(conn)?
        .into_iter()
        .collect())
}

pub fn list_holidays(conn: &mut DbConn, year: Option<i32>) -> Result<Vec<Holiday>, AppError> {
    let mut q = holidays::table
        .select(Holiday::as_select())
        .order(holidays::day.asc())
        .into_boxed();
    if let Some(y) = year {
        let from = NaiveDate::from_ymd_opt(y, 1, 1)
            .ok_or_else(|| AppError::field("year", "invalid year"))?;
        let to = NaiveDate::from_ymd_opt(y, 12, 31)
            .ok_or_else(|| AppError::field("year", "invalid year"))?;
        q = q.filter(holidays::day.between(from, to));
    }
    Ok(q.load(conn)?)
}

pub fn put_holiday(conn: &mut DbConn, h: &Holiday) -> Result<(), AppError> {
    diesel::delete(holidays::table.find(h.day)).execute(conn)?;
    diesel::insert_into(holidays::table)
        .values(h)
        .execute(conn)?;
    Ok(())
}

pub fn delete_holiday(conn: &mut DbConn, day: NaiveDate) -> Result<bool, AppError> {
    Ok(diesel::delete(holidays::table.find(day)).execute(conn)? == 1)
}

pub fn put_footnote(
    conn: &mut DbConn,
    indicator_id: &str,
    year: i32,
    text: &str,
) -> Result<(), AppError> {
    let exists: i64 = pledge_indicators::table
        .find(indicator_id)
        .count()
        .get_result(conn)?;
    if exists == 0 {
        return Err(AppError::NotFound("no such indicator".into()));
    }
    diesel::delete(pledge_footnotes::table.find((indicator_id, year))).execute(conn)?;
    diesel::insert_into(pledge_footnotes::table)
        .values((
            pledge_footnotes::indicator_id.eq(indicator_id),
            pledge_footnotes::year.eq(year),
            pledge_footnotes::text.eq(text),
            pledge_footnotes::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The start and end of each clock whose start falls in the year.
fn events(
    conn: &mut DbConn,
    clock: &str,
    year: i32,
) -> Result<Vec<(NaiveDateTime, Option<NaiveDateTime>)>, AppError> {
    // A Macau year runs from 16:00 UTC on 31 Dec of the year before.
    let from = crate::domain::time::macau_day_start(NaiveDate::from_ymd_opt(year, 1, 1).unwrap());
    let to = crate::domain::time::macau_day_start(NaiveDate::from_ymd_opt(year + 1, 1, 1).unwrap());
    Ok(match clock {
        "enrolment_decision" => enrolments::table
            .filter(enrolments::submitted_at.ge(from))
            .filter(enrolments::submitted_at.lt(to))
            .select((enrolments::submitted_at, enrolments::decided_at))
            .load(conn)?,
        _ => settlements::table
            .filter(settlements::approved_at.ge(from))
            .filter(settlements::approved_at.lt(to))
            .select((
                settlements::approved_at.assume_not_null(),
                settlements::paid_at,
            ))
            .load(conn)?,
    })
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Compliance {
    pub received: i64,
    pub counted: i64,
    pub met: i64,
    pub pending: i64,
}

/// Counts how many cases met an N-working-day deadline. A case still open before its deadline
/// is pending (not counted yet); one open past it has missed.
pub fn compliance(
    cases: &[(NaiveDateTime, Option<NaiveDateTime>)],
    working_days: u32,
    holidays: &HashSet<NaiveDate>,
    today: NaiveDate,
) -> Compliance {
    let mut c = Compliance {
        received: cases.len() as i64,
        counted: 0,
        met: 0,
        pending: 0,
    };
    for (start, end) in cases {
        let deadline = workdays::deadline(macau_day(*start), working_days, holidays);
        match end {
            Some(e) => {
                c.counted += 1;
                if macau_day(*e) <= deadline {
                    c.met += 1;
                }
            }
            None if today > deadline => c.counted += 1,
            None => c.pending += 1,
        }
    }
    c
}

/// A footnote saved for an indicator and year.
#[derive(Debug, Clone, Queryable)]
pub struct FootnoteRow {
    pub indicator_id: String,
    pub year: i32,
    pub text: String,
}

/// What the pledge report is made of: the indicators in order, the footnotes saved, and the
/// cases counted per indicator and year (`cells[indicator][year]`, years as asked).
#[derive(Debug, Clone)]
pub struct PledgeFigures {
    pub indicators: Vec<PledgeIndicator>,
    pub footnotes: Vec<FootnoteRow>,
    pub cells: Vec<Vec<Compliance>>,
}

/// Counts each indicator's cases in each year, in working days of the holiday table.
pub fn figures(conn: &mut DbConn, years: &[i32]) -> Result<PledgeFigures, AppError> {
    let indicators: Vec<PledgeIndicator> = pledge_indicators::table
        .select(PledgeIndicator::as_select())
        .order(pledge_indicators::position.asc())
        .load(conn)?;
    let hol = holiday_set(conn)?;
    let today = macau_day(now());
    let footnotes: Vec<FootnoteRow> = pledge_footnotes::table
        .select((
            pledge_footnotes::indicator_id,
            pledge_footnotes::year,
            pledge_footnotes::text,
        ))
        .load(conn)?;
    let mut cells = Vec::new();
    for ind in &indicators {
        let mut per_year = Vec::new();
        for &y in years {
            let cases = events(conn, &ind.clock, y)?;
            per_year.push(compliance(
                &cases,
                ind.deadline_working_days as u32,
                &hol,
                today,
            ));
        }
        cells.push(per_year);
    }
    Ok(PledgeFigures {
        indicators,
        footnotes,
        cells,
    })
}

pub fn current_year() -> i32 {
    macau_day(now()).year()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(2, 0, 0)
            .unwrap()
    }

    #[test]
    fn counts_working_days_across_a_weekend_and_holiday() {
        let hol: HashSet<_> = [
            NaiveDate::from_ymd_opt(2022, 10, 3).unwrap(),
            NaiveDate::from_ymd_opt(2022, 10, 4).unwrap(),
        ]
        .into();
        let cases = vec![
            (at(2022, 9, 29), Some(at(2022, 10, 10))), // deadline 10 Oct: met
            (at(2022, 9, 29), Some(at(2022, 10, 11))), // missed
            (at(2022, 9, 29), None),                   // open past deadline: missed
            (at(2022, 12, 30), None),                  // open, still in time: pending
        ];
        let c = compliance(
            &cases,
            5,
            &hol,
            NaiveDate::from_ymd_opt(2022, 12, 31).unwrap(),
        );
        assert_eq!(
            c,
            Compliance {
                received: 4,
                counted: 3,
                met: 1,
                pending: 1
            }
        );
    }
}
