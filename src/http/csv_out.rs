//! The one CSV writer of the product. Every CSV it serves (statistics, open data, pledges,
//! redemptions, statements and any other) goes through [`write`], which neutralises cells a
//! spreadsheet would run as a formula: text starting with `=`, `+`, `-`, `@`, a tab or a
//! carriage return gets a leading apostrophe. Plain numbers (`-12.50`) stay numbers.

use std::borrow::Cow;

use crate::error::AppError;

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
}
