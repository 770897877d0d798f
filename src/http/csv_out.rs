//! The one CSV writer of the product. Every CSV it serves (statistics, open data, pledges,
//! redemptions, statements and any other) goes through [`write`], which neutralises cells a
//! spreadsheet would run as a formula: text starting with `=`, `+`, `-`, `@`, a tab or a
//! carriage return gets a leading apostrophe. Plain numbers (`-12.50`) stay numbers.
//!
//! Every export comes in two shapes, chosen with `?shape=` ([`ShapeQuery`]): `long` (the
//! default, for machines: one figure per line, ids, raw units) and `sheet` (for spreadsheets:
//! one table with one header row, rates in percent with one decimal, money in patacas with two
//! decimals, times in Macau time, shops with their number and address). [`sheet`] holds the
//! cell formats the sheet shape uses.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::Value;

use crate::error::AppError;

/// The shape of a CSV export.
#[derive(Deserialize, utoipa::ToSchema, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Shape {
    /// One figure per line with ids and raw units (avos, ratios): for programs.
    #[default]
    Long,
    /// One table, one header row, rounded rates, patacas, shops told apart: for spreadsheets.
    Sheet,
}

#[derive(Deserialize, utoipa::IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct ShapeQuery {
    /// `long` (default): one figure per line, ids and raw units, for programs. `sheet`: one
    /// table with one header row for a spreadsheet: rates in percent with one decimal, money
    /// in patacas with two decimals, times in Macau time, shops with their number and address.
    pub shape: Option<Shape>,
}

impl ShapeQuery {
    pub fn sheet(&self) -> bool {
        self.shape == Some(Shape::Sheet)
    }
}

/// A JSON value as a cell: text as it is, null as empty, numbers and booleans as written.
pub fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Cell formats of the spreadsheet shape.
pub mod sheet {
    use chrono::NaiveDateTime;
    use serde_json::Value;

    /// A ratio (0.1234) as a percentage with one decimal ("12.3"); empty when unknown.
    pub fn ratio_pct(ratio: Option<f64>) -> String {
        ratio
            .filter(|r| r.is_finite())
            .map(|r| format!("{:.1}", r * 100.0))
            .unwrap_or_default()
    }

    /// A percentage already in percent (96.15) with one decimal ("96.2"); empty when unknown.
    pub fn pct(p: Option<f64>) -> String {
        p.filter(|p| p.is_finite())
            .map(|p| format!("{p:.1}"))
            .unwrap_or_default()
    }

    /// `part` of `whole` in percent with one decimal; empty when the whole is zero or unknown.
    pub fn share(part: &Value, whole: &Value) -> String {
        match (part.as_f64(), whole.as_f64()) {
            (Some(p), Some(w)) if w > 0.0 => ratio_pct(Some(p / w)),
            _ => String::new(),
        }
    }

    /// Avos (a JSON number) as patacas with two decimals ("12.50"); empty when absent.
    pub fn mop(avos: &Value) -> String {
        avos.as_i64()
            .map(crate::domain::money::mop)
            .unwrap_or_default()
    }

    /// A UTC instant as Macau local time, `2026-11-03 14:05`, which spreadsheets read as a
    /// date and time.
    pub fn macau_time(utc: NaiveDateTime) -> String {
        use chrono::TimeZone;
        chrono_tz::Asia::Macau
            .from_utc_datetime(&utc)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    }

    /// An RFC 3339 text (as the JSON answers carry) as Macau local time; as given when unreadable.
    pub fn macau_time_text(rfc3339: &Value) -> String {
        let s = super::cell(rfc3339);
        crate::domain::time::parse_rfc3339(&s)
            .map(macau_time)
            .unwrap_or(s)
    }

    pub fn yes_no(b: bool) -> String {
        if b { "yes" } else { "no" }.into()
    }

    /// The three cells that tell a shop apart: name, short merchant number, address.
    pub const MERCHANT_HEADER: [&str; 3] = ["Merchant", "Merchant no.", "Address"];
}

/// True for a cell that is a plain decimal number (optionally signed), kept as it is.
fn is_number(s: &str) -> bool {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let mut parts = body.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next();
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

/// The cell as written: text a spreadsheet would take for a formula is prefixed with `'`.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') if !is_number(cell) => {
            Cow::Owned(format!("'{cell}"))
        }
        _ => Cow::Borrowed(cell),
    }
}

/// Writes a header and rows as CSV (with a BOM so spreadsheet programs read Chinese correctly).
pub fn write<R, C>(header: &[&str], rows: impl IntoIterator<Item = R>) -> Result<Vec<u8>, AppError>
where
    R: IntoIterator<Item = C>,
    C: AsRef<str>,
{
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(vec![0xEF, 0xBB, 0xBF]);
    w.write_record(header.iter().map(|h| neutralise(h).into_owned()))
        .map_err(|e| AppError::Internal(e.into()))?;
    for r in rows {
        let cells: Vec<String> = r
            .into_iter()
            .map(|c| neutralise(c.as_ref()).into_owned())
            .collect();
        w.write_record(&cells)
            .map_err(|e| AppError::Internal(e.into()))?;
    }
    w.into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("csv: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_numbers_kept() {
        for (i, o) in [
            ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("+853", "+853"),
            ("+1+2", "'+1+2"),
            ("-12.50", "-12.50"),
            ("-", "'-"),
            ("-1-1", "'-1-1"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("kol-1", "kol-1"),
            ("12", "12"),
            ("", ""),
            ("網紅", "網紅"),
        ] {
            assert_eq!(neutralise(i), o, "{i:?}");
        }
        let out = write(
            &["a", "b"],
            vec![vec!["=1+1".to_string(), "-3".to_string()]],
        )
        .unwrap();
        let s = String::from_utf8(out[3..].to_vec()).unwrap();
        assert_eq!(s, "a,b\n'=1+1,-3\n");
    }

    #[test]
    fn sheet_cells_round_rates_and_write_patacas() {
        use serde_json::json;
        assert_eq!(sheet::ratio_pct(Some(0.12345)), "12.3");
        assert_eq!(sheet::ratio_pct(Some(2.0 / 3.0)), "66.7");
        assert_eq!(sheet::ratio_pct(None), "");
        assert_eq!(sheet::pct(Some(96.15384)), "96.2");
        assert_eq!(sheet::share(&json!(1), &json!(3)), "33.3");
        assert_eq!(sheet::share(&json!(1), &json!(0)), "");
        assert_eq!(sheet::mop(&json!(123456)), "1234.56");
        assert_eq!(sheet::mop(&json!(-5)), "-0.05");
        assert_eq!(sheet::mop(&Value::Null), "");
        let t = chrono::NaiveDate::from_ymd_opt(2026, 11, 3)
            .unwrap()
            .and_hms_opt(16, 5, 0)
            .unwrap();
        assert_eq!(sheet::macau_time(t), "2026-11-04 00:05");
        assert_eq!(
            sheet::macau_time_text(&json!("2026-11-03T14:05:00+08:00")),
            "2026-11-03 14:05"
        );
    }
}
