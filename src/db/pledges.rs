//! The service-pledge report: for each indicator the platform measures itself, target and
//! actual compliance per year, counted in Macau working days (holiday table).

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde_json::{json, Value};

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

pub fn report(conn: &mut DbConn, years: &[i32]) -> Result<Value, AppError> {
    let indicators: Vec<PledgeIndicator> = pledge_indicators::table
        .select(PledgeIndicator::as_select())
        .order(pledge_indicators::position.asc())
        .load(conn)?;
    let hol = holiday_set(conn)?;
    let today = macau_day(now());
    let footnotes: Vec<(String, i32, String)> = pledge_footnotes::table
        .select((
            pledge_footnotes::indicator_id,
            pledge_footnotes::year,
            pledge_footnotes::text,
        ))
        .load(conn)?;
    // Every cell first; footnote marks are numbered afterwards, year by year and down the
    // table within a year, as the bureau numbers them.
    let mut cells: Vec<Vec<(Compliance, Option<f64>)>> = Vec::new();
    for ind in &indicators {
        let mut per_year = Vec::new();
        for &y in years {
            let cases = events(conn, &ind.clock, y)?;
            let c = compliance(&cases, ind.deadline_working_days as u32, &hol, today);
            per_year.push((c, actual_rate(&c)));
        }
        cells.push(per_year);
    }
    let mut marks: std::collections::HashMap<(usize, usize), usize> = Default::default();
    let mut notes: Vec<Value> = Vec::new();
    for (yi, &y) in years.iter().enumerate() {
        for (ii, ind) in indicators.iter().enumerate() {
            let (_, actual) = cells[ii][yi];
            if actual.is_some_and(|a| a < ind.target_pct) {
                let mark = notes.len() + 1;
                marks.insert((ii, yi), mark);
                let text = footnotes
                    .iter()
                    .find(|(i, fy, _)| i == &ind.id && *fy == y)
                    .map(|f| f.2.clone())
                    .unwrap_or_else(|| "未達標原因尚待填寫 / reason not yet given".into());
                notes.push(
                    json!({"mark": mark, "mark_label": superscript(mark), "indicator_id": ind.id,
                    "service_item": Names::from_json(&ind.service_item), "year": y, "text": text}),
                );
            }
        }
    }
    let mut rows = Vec::new();
    let mut item_no = 0;
    let mut last_item = String::new();
    for (ii, ind) in indicators.iter().enumerate() {
        let item = Names::from_json(&ind.service_item);
        let first_of_item = item.zh_hant != last_item;
        if first_of_item {
            item_no += 1;
            last_item = item.zh_hant.clone();
        }
        let target_label = format!("{}%", fmt_pct(ind.target_pct));
        let mut per_year = Vec::new();
        for (yi, &y) in years.iter().enumerate() {
            let (c, actual) = cells[ii][yi];
            let status = cell_status(&c, actual, ind.target_pct);
            let mark = marks.get(&(ii, yi)).copied();
            let label = |lang: &str| -> String {
                let base = match (status, actual) {
                    (_, Some(a)) => format!("{}%", fmt_pct(a)),
                    ("pending", _) => pending_label(lang, c.pending),
                    _ => match lang {
                        "pt" => "Sem pedidos".into(),
                        "en" => "No applications".into(),
                        _ => "沒有申請".into(),
                    },
                };
                match mark {
                    Some(m) => format!("{base} {}", superscript(m)),
                    None => base,
                }
            };
            per_year.push(json!({
                "year": y,
                "target_pct": ind.target_pct,
                "target_label": target_label,
                "actual_pct": actual,
                "actual_label": {"zh-Hant": label("zh-Hant"), "pt": label("pt"), "en": label("en")},
                "status": status,
                "received": c.received,
                "counted": c.counted,
                "met": c.met,
                "pending": c.pending,
                "met_target": actual.map(|a| a >= ind.target_pct),
                "footnote": mark,
                "footnote_mark": mark.map(superscript),
            }));
        }
        let first = per_year.first().cloned().unwrap_or(Value::Null);
        rows.push(json!({
            "no": item_no,
            "first_of_item": first_of_item,
            "indicator_id": ind.id,
            "service_item": item,
            "indicator": Names::from_json(&ind.indicator),
            "deadline_working_days": ind.deadline_working_days,
            "target_pct": ind.target_pct,
            "target_label": target_label,
            "actual_pct": first["actual_pct"],
            "received": first["received"],
            "met": first["met"],
            "footnote": first["footnote"],
            "years": per_year,
        }));
    }
    let groups = footnote_groups(&notes);
    let summary = years.last().map(|&y| summary(&rows, years.len() - 1, y));
    Ok(
        json!({"year": years.first(), "years": years, "rows": rows, "footnotes": notes,
              "footnote_groups": groups, "summary": summary}),
    )
}

/// The compliance rate to two decimals, trailing zeros trimmed; never shown as 100% while a
/// case missed (99.999… is 99.99).
fn actual_rate(c: &Compliance) -> Option<f64> {
    if c.counted == 0 {
        return None;
    }
    let r = ((c.met as f64 / c.counted as f64) * 10000.0).round() / 100.0;
    Some(if c.met < c.counted { r.min(99.99) } else { r })
}

/// `met`, `missed`, `no_applications` (nothing received that year) or `pending` (cases
/// received, none decided or overdue yet).
fn cell_status(c: &Compliance, actual: Option<f64>, target: f64) -> &'static str {
    match actual {
        Some(a) if a >= target => "met",
        Some(_) => "missed",
        None if c.received == 0 => "no_applications",
        None => "pending",
    }
}

fn pending_label(lang: &str, n: i64) -> String {
    match lang {
        "pt" => format!("{n} pedido(s) em curso"),
        "en" => format!("{n} application(s) in progress"),
        _ => format!("{n} 宗申請處理中"),
    }
}

/// A footnote mark as the bureau prints it: superscript digits.
pub fn superscript(n: usize) -> String {
    const SUP: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    n.to_string()
        .chars()
        .map(|d| SUP[d.to_digit(10).unwrap_or(0) as usize])
        .collect()
}

/// `A`, `A及B`, `A、B及C` (and the Portuguese and English equivalents).
fn join_items(items: &[String], sep: &str, last: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., tail] => format!("{}{last}{tail}", init.join(sep)),
    }
}

/// The footnotes grouped as the bureau groups them: one paragraph per year, opened by its
/// marks ("1 至 2"), naming the service items that missed, then the reasons.
fn footnote_groups(notes: &[Value]) -> Vec<Value> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < notes.len() {
        let year = notes[i]["year"].as_i64().unwrap_or_default();
        let group: Vec<&Value> = notes[i..]
            .iter()
            .take_while(|n| n["year"].as_i64() == Some(year))
            .collect();
        i += group.len();
        let first = group[0]["mark"].as_u64().unwrap_or_default();
        let last = group[group.len() - 1]["mark"].as_u64().unwrap_or_default();
        let (zh_marks, marks) = if first == last {
            (first.to_string(), first.to_string())
        } else {
            (format!("{first} 至 {last}"), format!("{first}–{last}"))
        };
        let mut items: Vec<(String, String, String)> = Vec::new();
        for n in &group {
            let it = (
                n["service_item"]["zh-Hant"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                n["service_item"]["pt"].as_str().unwrap_or("").to_string(),
                n["service_item"]["en"].as_str().unwrap_or("").to_string(),
            );
            if !items.contains(&it) {
                items.push(it);
            }
        }
        let mut texts: Vec<String> = Vec::new();
        for n in &group {
            let mut t = n["text"].as_str().unwrap_or("").trim().to_string();
            if !t.ends_with(['。', '.', '！', '？', '!', '?']) {
                t.push('。');
            }
            if !texts.contains(&t) {
                texts.push(t);
            }
        }
        let reasons = texts.join("");
        let zh_items: Vec<String> = items.iter().map(|i| i.0.clone()).collect();
        let pt_items: Vec<String> = items.iter().map(|i| i.1.clone()).collect();
        let en_items: Vec<String> = items.iter().map(|i| i.2.clone()).collect();
        out.push(json!({
            "year": year,
            "marks": group.iter().map(|n| n["mark"].clone()).collect::<Vec<_>>(),
            "marks_label": zh_marks,
            "text": {
                "zh-Hant": format!("{zh_marks} {}於 {year} 年未能達標的原因：{reasons}", join_items(&zh_items, "、", "及")),
                "pt": format!("{marks} Razões por que {} não atingiram a meta em {year}: {reasons}", join_items(&pt_items, ", ", " e ")),
                "en": format!("{marks} Why {} missed the target in {year}: {reasons}", join_items(&en_items, ", ", " and ")),
            },
        }));
    }
    out
}

/// The closing paragraph for one year of the report, computed from its rows.
fn summary(rows: &[Value], yi: usize, year: i32) -> Value {
    let mut items: Vec<String> = Vec::new();
    let mut items_missing: std::collections::HashSet<String> = Default::default();
    let (mut met, mut full, mut none, mut pending) = (0, 0, 0, 0);
    for r in rows {
        let item = r["service_item"]["zh-Hant"]
            .as_str()
            .unwrap_or("")
            .to_string();
        if !items.contains(&item) {
            items.push(item.clone());
        }
        let cell = &r["years"][yi];
        match cell["status"].as_str() {
            Some("met") => {
                met += 1;
                if cell["actual_pct"].as_f64() == Some(100.0) {
                    full += 1;
                }
            }
            Some("no_applications") => {
                met += 1;
                none += 1;
            }
            Some("pending") => {
                pending += 1;
                items_missing.insert(item);
            }
            _ => {
                items_missing.insert(item);
            }
        }
    }
    let n_items = items.len();
    let n = rows.len();
    let items_met = n_items - items_missing.len();
    let mut zh = format!(
        "本年度共有 {n_items} 項服務項目，合共 {n} 項服務質量指標已推出服務承諾。其中 {items_met} 項服務項目共 {met} 項服務質量指標達到目標比率。當中 {full} 項服務質量指標的達標比率為 100%；{none} 項服務質量指標於 {year} 年沒有接收任何申請。"
    );
    let mut pt = format!(
        "Este ano há {n_items} serviços, com um total de {n} indicadores de qualidade com compromisso de serviço. Destes, {items_met} serviços, com {met} indicadores, atingiram a meta. {full} indicadores tiveram uma taxa de cumprimento de 100%; {none} indicadores não receberam qualquer pedido em {year}."
    );
    let mut en = format!(
        "This year there are {n_items} service items with {n} service quality indicators under a service pledge. Of these, {items_met} service items with {met} indicators met their target rate. {full} indicators had a compliance rate of 100%; {none} indicators received no applications in {year}."
    );
    if pending > 0 {
        zh.push_str(&format!(
            "另有 {pending} 項服務質量指標於 {year} 年收到的申請仍在處理中。"
        ));
        pt.push_str(&format!(
            " Outros {pending} indicadores têm os pedidos de {year} ainda em curso."
        ));
        en.push_str(&format!(
            " {pending} more indicators have {year} applications still in progress."
        ));
    }
    json!({
        "year": year,
        "service_items": n_items,
        "indicators": n,
        "service_items_met": items_met,
        "indicators_met": met,
        "indicators_at_100": full,
        "indicators_without_applications": none,
        "indicators_pending": pending,
        "text": {"zh-Hant": zh, "pt": pt, "en": en},
    })
}

pub fn fmt_pct(a: f64) -> String {
    let s = format!("{a:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
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
        assert_eq!(fmt_pct(99.5), "99.5");
        assert_eq!(fmt_pct(100.0), "100");
    }
}
