//! Answers of the service-pledge report, its footnotes and the holiday table.
//!
//! `db::pledges` counts the cases of each indicator and year ([`PledgeFigures`]); the report
//! built here carries the rates, their labels in three languages, the footnote marks as the
//! bureau numbers them, the footnotes grouped by year and the closing summary.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde::Serialize;

use crate::db::models::Holiday;
use crate::db::pledges::{Compliance, PledgeFigures};
use crate::domain::names::Names;

/// A text in the report's three languages.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportText {
    #[serde(rename = "zh-Hant")]
    pub zh_hant: String,
    pub pt: String,
    pub en: String,
}

/// One indicator's figures in one year.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PledgeYear {
    pub year: i32,
    pub target_pct: f64,
    /// The target as printed, e.g. `90%`.
    pub target_label: String,
    /// Cases decided in time over cases counted, in percent (two decimals); null when nothing
    /// was counted.
    pub actual_pct: Option<f64>,
    /// The rate as printed (with its footnote mark), or why there is none.
    pub actual_label: ReportText,
    /// `met`, `missed`, `no_applications` or `pending`.
    pub status: String,
    /// Cases received in the year.
    pub received: i64,
    /// Cases decided, or open past their deadline.
    pub counted: i64,
    /// Cases decided within the deadline.
    pub met: i64,
    /// Cases open and still within their deadline.
    pub pending: i64,
    /// Whether the actual rate reached the target; null without a rate.
    pub met_target: Option<bool>,
    /// The number of the footnote explaining a missed target.
    pub footnote: Option<usize>,
    /// That number as a superscript mark.
    pub footnote_mark: Option<String>,
}

/// One indicator of the report; its rate, counts and footnote are those of the first year.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PledgeRow {
    /// The service item's number.
    pub no: i64,
    /// Whether this is the first indicator of its service item.
    pub first_of_item: bool,
    pub indicator_id: String,
    pub service_item: Names,
    pub indicator: Names,
    pub deadline_working_days: i32,
    pub target_pct: f64,
    pub target_label: String,
    pub actual_pct: Option<f64>,
    pub received: i64,
    pub met: i64,
    pub footnote: Option<usize>,
    pub years: Vec<PledgeYear>,
}

/// Why an indicator missed its target in a year.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PledgeFootnote {
    pub mark: usize,
    /// The mark as a superscript.
    pub mark_label: String,
    pub indicator_id: String,
    pub service_item: Names,
    pub year: i32,
    /// The reason given (a placeholder while none is).
    pub text: String,
}

/// The footnotes of one year as one paragraph.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FootnoteGroup {
    pub year: i64,
    pub marks: Vec<usize>,
    /// The marks as the paragraph opens, e.g. `1 至 2`.
    pub marks_label: String,
    pub text: ReportText,
}

/// The closing paragraph for the last year of the report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PledgeSummary {
    pub year: i32,
    pub service_items: usize,
    pub indicators: usize,
    pub service_items_met: usize,
    pub indicators_met: usize,
    pub indicators_at_100: usize,
    pub indicators_without_applications: usize,
    pub indicators_pending: usize,
    pub text: ReportText,
}

/// The service-pledge report over one or more years.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PledgeReport {
    /// The first year of the report.
    pub year: Option<i32>,
    pub years: Vec<i32>,
    pub rows: Vec<PledgeRow>,
    pub footnotes: Vec<PledgeFootnote>,
    pub footnote_groups: Vec<FootnoteGroup>,
    /// The closing paragraph of the last year.
    pub summary: Option<PledgeSummary>,
}

impl PledgeReport {
    /// The report of the counted figures (`f.cells[indicator][year]`, years as in `years`).
    pub fn build(f: &PledgeFigures, years: &[i32]) -> PledgeReport {
        let indicators = &f.indicators;
        let cells: Vec<Vec<(Compliance, Option<f64>)>> = f
            .cells
            .iter()
            .map(|per_year| per_year.iter().map(|c| (*c, actual_rate(c))).collect())
            .collect();
        // Footnote marks are numbered year by year and down the table within a year, as the
        // bureau numbers them.
        let mut marks: HashMap<(usize, usize), usize> = Default::default();
        let mut notes: Vec<PledgeFootnote> = Vec::new();
        for (yi, &y) in years.iter().enumerate() {
            for (ii, ind) in indicators.iter().enumerate() {
                let (_, actual) = cells[ii][yi];
                if actual.is_some_and(|a| a < ind.target_pct) {
                    let mark = notes.len() + 1;
                    marks.insert((ii, yi), mark);
                    let text = f
                        .footnotes
                        .iter()
                        .find(|n| n.indicator_id == ind.id && n.year == y)
                        .map(|n| n.text.clone())
                        .unwrap_or_else(|| "未達標原因尚待填寫 / reason not yet given".into());
                    notes.push(PledgeFootnote {
                        mark,
                        mark_label: superscript(mark),
                        indicator_id: ind.id.clone(),
                        service_item: Names::from_json(&ind.service_item),
                        year: y,
                        text,
                    });
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
                per_year.push(PledgeYear {
                    year: y,
                    target_pct: ind.target_pct,
                    target_label: target_label.clone(),
                    actual_pct: actual,
                    actual_label: ReportText {
                        zh_hant: label("zh-Hant"),
                        pt: label("pt"),
                        en: label("en"),
                    },
                    status: status.into(),
                    received: c.received,
                    counted: c.counted,
                    met: c.met,
                    pending: c.pending,
                    met_target: actual.map(|a| a >= ind.target_pct),
                    footnote: mark,
                    footnote_mark: mark.map(superscript),
                });
            }
            let first = per_year.first();
            rows.push(PledgeRow {
                no: item_no,
                first_of_item,
                indicator_id: ind.id.clone(),
                service_item: item,
                indicator: Names::from_json(&ind.indicator),
                deadline_working_days: ind.deadline_working_days,
                target_pct: ind.target_pct,
                target_label,
                actual_pct: first.and_then(|y| y.actual_pct),
                received: first.map(|y| y.received).unwrap_or_default(),
                met: first.map(|y| y.met).unwrap_or_default(),
                footnote: first.and_then(|y| y.footnote),
                years: per_year,
            });
        }
        let footnote_groups = footnote_groups(&notes);
        let summary = years.last().map(|&y| summary(&rows, years.len() - 1, y));
        PledgeReport {
            year: years.first().copied(),
            years: years.to_vec(),
            rows,
            footnotes: notes,
            footnote_groups,
            summary,
        }
    }
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

/// A rate as printed: two decimals, trailing zeros trimmed.
pub fn fmt_pct(a: f64) -> String {
    let s = format!("{a:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
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
fn footnote_groups(notes: &[PledgeFootnote]) -> Vec<FootnoteGroup> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < notes.len() {
        let year = notes[i].year;
        let group: Vec<&PledgeFootnote> =
            notes[i..].iter().take_while(|n| n.year == year).collect();
        i += group.len();
        let first = group[0].mark;
        let last = group[group.len() - 1].mark;
        let (zh_marks, marks) = if first == last {
            (first.to_string(), first.to_string())
        } else {
            (format!("{first} 至 {last}"), format!("{first}–{last}"))
        };
        let mut items: Vec<(String, String, String)> = Vec::new();
        for n in &group {
            let s = &n.service_item;
            let it = (s.zh_hant.clone(), s.pt.clone(), s.en.clone());
            if !items.contains(&it) {
                items.push(it);
            }
        }
        let mut texts: Vec<String> = Vec::new();
        for n in &group {
            let mut t = n.text.trim().to_string();
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
        out.push(FootnoteGroup {
            year: i64::from(year),
            marks: group.iter().map(|n| n.mark).collect(),
            text: ReportText {
                zh_hant: format!(
                    "{zh_marks} {}於 {year} 年未能達標的原因：{reasons}",
                    join_items(&zh_items, "、", "及")
                ),
                pt: format!(
                    "{marks} Razões por que {} não atingiram a meta em {year}: {reasons}",
                    join_items(&pt_items, ", ", " e ")
                ),
                en: format!(
                    "{marks} Why {} missed the target in {year}: {reasons}",
                    join_items(&en_items, ", ", " and ")
                ),
            },
            marks_label: zh_marks,
        });
    }
    out
}

/// The closing paragraph for one year of the report, computed from its rows.
fn summary(rows: &[PledgeRow], yi: usize, year: i32) -> PledgeSummary {
    let mut items: Vec<String> = Vec::new();
    let mut items_missing: HashSet<String> = Default::default();
    let (mut met, mut full, mut none, mut pending) = (0, 0, 0, 0);
    for r in rows {
        let item = r.service_item.zh_hant.clone();
        if !items.contains(&item) {
            items.push(item.clone());
        }
        let Some(cell) = r.years.get(yi) else {
            items_missing.insert(item);
            continue;
        };
        match cell.status.as_str() {
            "met" => {
                met += 1;
                if cell.actual_pct == Some(100.0) {
                    full += 1;
                }
            }
            "no_applications" => {
                met += 1;
                none += 1;
            }
            "pending" => {
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
    PledgeSummary {
        year,
        service_items: n_items,
        indicators: n,
        service_items_met: items_met,
        indicators_met: met,
        indicators_at_100: full,
        indicators_without_applications: none,
        indicators_pending: pending,
        text: ReportText {
            zh_hant: zh,
            pt,
            en,
        },
    }
}

/// A public holiday.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HolidayView {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub name: String,
}

impl From<&Holiday> for HolidayView {
    fn from(h: &Holiday) -> Self {
        HolidayView {
            day: h.day.to_string(),
            name: h.name.clone(),
        }
    }
}

/// A holiday taken out of the table.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HolidayRemoved {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// Always true.
    pub deleted: bool,
}

impl HolidayRemoved {
    pub fn of(day: NaiveDate) -> Self {
        HolidayRemoved {
            day: day.to_string(),
            deleted: true,
        }
    }
}

/// A footnote saved for an indicator and year.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FootnoteSaved {
    pub indicator_id: String,
    pub year: i32,
    pub text: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_trimmed_and_never_a_false_hundred() {
        assert_eq!(fmt_pct(99.5), "99.5");
        assert_eq!(fmt_pct(100.0), "100");
        let c = Compliance {
            received: 100_000,
            counted: 100_000,
            met: 99_999,
            pending: 0,
        };
        assert_eq!(actual_rate(&c), Some(99.99));
        assert_eq!(superscript(12), "¹²");
    }
}
