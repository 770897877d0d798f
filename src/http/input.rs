//! What the server accepts at the door, the same on SQLite and PostgreSQL: text without
//! control characters (newline only in multi-line fields), traffic sources (`ref`) of a sane
//! alphabet and length, slugs that cannot be taken for ids, and numbers and dates within
//! ranges the databases and the calendar code can hold. Refusals are 422 `validation_failed`
//! naming the field.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use chrono::{Datelike, NaiveDate};
use futures_util::StreamExt;
use serde_json::Value;

use crate::error::AppError;

/// JSON fields whose text may span lines (a newline is the only control character allowed).
pub const MULTI_LINE_FIELDS: [&str; 6] = [
    "comment",
    "address",
    "description",
    "reason",
    "text",
    "footnote",
];

/// The largest JSON body read (the JSON extractor's own limit).
pub const BODY_LIMIT: usize = 64 * 1024;

/// Earliest and latest calendar day accepted anywhere (periods, statistics ranges, holidays).
pub const FIRST_DAY: (i32, u32, u32) = (1970, 1, 1);
pub const LAST_DAY: (i32, u32, u32) = (2999, 12, 31);

/// The first control character of `s` that a field of this kind may not hold.
pub fn bad_control_char(s: &str, multi_line: bool) -> Option<char> {
    s.chars()
        .find(|c| c.is_control() && !(multi_line && *c == '\n'))
}

/// Refuses control characters in a text field.
pub fn text(field: &str, s: &str, multi_line: bool) -> Result<(), AppError> {
    match bad_control_char(s, multi_line) {
        None => Ok(()),
        Some(c) => Err(control_error(field, c, multi_line)),
    }
}

fn control_error(field: &str, c: char, multi_line: bool) -> AppError {
    AppError::field(
        field,
        if multi_line {
            format!(
                "must not contain control characters (found U+{:04X}); only line breaks are allowed",
                c as u32
            )
        } else {
            format!(
                "must not contain control characters (found U+{:04X})",
                c as u32
            )
        },
    )
}

/// A traffic source: 1–64 characters of letters, digits, `-`, `_`, `.`, `~` or other
/// non-ASCII symbols (CJK, emoji), starting with a letter, digit or non-ASCII symbol — so it
/// can never start a spreadsheet formula or carry markup.
pub fn valid_ref(s: &str) -> bool {
    let n = s.chars().count();
    let allowed = |c: char| {
        c.is_alphanumeric()
            || matches!(c, '-' | '_' | '.' | '~')
            || (!c.is_ascii() && !c.is_control() && !c.is_whitespace())
    };
    (1..=64).contains(&n)
        && s.chars().all(allowed)
        && s.chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || !c.is_ascii())
}

/// Checks an optional `ref` (trimmed; empty means none) and returns what is stored.
pub fn traffic_ref(field: &str, r: Option<String>) -> Result<Option<String>, AppError> {
    let r = r.map(|r| r.trim().to_string()).filter(|r| !r.is_empty());
    match r {
        Some(r) if !valid_ref(&r) => Err(AppError::field(
            field,
            "1–64 letters, digits, '-', '_', '.', '~' or non-ASCII symbols, starting with a letter or digit",
        )),
        r => Ok(r),
    }
}

/// True for text shaped like a UUID (with or without dashes, any case): such a slug would be
/// taken for an id where campaigns are looked up by id or slug.
pub fn looks_like_uuid(s: &str) -> bool {
    uuid::Uuid::try_parse(s).is_ok()
}

/// A whole number within `min..=max`, else 422 naming the field.
pub fn bounded(field: &str, v: i64, min: i64, max: i64) -> Result<i64, AppError> {
    if (min..=max).contains(&v) {
        Ok(v)
    } else {
        Err(AppError::field(
            field,
            format!("must be between {min} and {max}"),
        ))
    }
}

pub fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(FIRST_DAY.0, FIRST_DAY.1, FIRST_DAY.2).expect("a date")
}

pub fn last_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(LAST_DAY.0, LAST_DAY.1, LAST_DAY.2).expect("a date")
}

/// A calendar day within the years the product deals with, else 422 naming the field.
pub fn day(field: &str, d: NaiveDate) -> Result<NaiveDate, AppError> {
    if d < first_day() || d > last_day() {
        return Err(AppError::field(
            field,
            format!(
                "must be between {} and {} (got year {})",
                first_day(),
                last_day(),
                d.year()
            ),
        ));
    }
    Ok(d)
}

/// A year within the same range.
pub fn year(field: &str, y: i64) -> Result<i32, AppError> {
    bounded(field, y, FIRST_DAY.0 as i64, LAST_DAY.0 as i64).map(|y| y as i32)
}

/// The first string of a JSON document holding a control character its field may not
/// hold, as (field path, character, multi-line).
fn first_bad_string(v: &Value, path: &mut Vec<String>) -> Option<(String, char, bool)> {
    match v {
        Value::String(s) => {
            let multi = path
                .last()
                .is_some_and(|k| MULTI_LINE_FIELDS.contains(&k.as_str()));
            bad_control_char(s, multi).map(|c| (path.join("."), c, multi))
        }
        Value::Array(items) => items.iter().enumerate().find_map(|(i, x)| {
            path.push(i.to_string());
            let r = first_bad_string(x, path);
            path.pop();
            r
        }),
        Value::Object(m) => m.iter().find_map(|(k, x)| {
            if let Some(c) = bad_control_char(k, false) {
                return Some((path.join("."), c, false));
            }
            path.push(k.clone());
            let r = first_bad_string(x, path);
            path.pop();
            r
        }),
        _ => None,
    }
}

/// Control characters can only be in a JSON text as escapes (`\u0000`, `\t`…) or, for DEL and
/// the C1 range, as raw UTF-8; a body with neither needs no closer look.
fn may_hold_control(b: &[u8]) -> bool {
    b.iter().any(|&x| x == b'\\' || x == 0x7f)
        || b.windows(2)
            .any(|w| w[0] == 0xc2 && (0x80..=0x9f).contains(&w[1]))
}

/// Checks a JSON body; `Ok` also for bodies that are not JSON (the extractor answers those).
pub fn check_json_body(body: &[u8]) -> Result<(), AppError> {
    if !may_hold_control(body) {
        return Ok(());
    }
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return Ok(());
    };
    match first_bad_string(&v, &mut Vec::new()) {
        None => Ok(()),
        Some((field, c, multi)) => {
            let field = if field.is_empty() {
                "body".into()
            } else {
                field
            };
            Err(control_error(&field, c, multi))
        }
    }
}

fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz");
            if let Ok(x) = u8::from_str_radix(hex, 16) {
                out.push(x);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// Checks the query string (each parameter by name) and the path.
pub fn check_uri(path: &str, query: &str) -> Result<(), AppError> {
    let p = String::from_utf8_lossy(&percent_decode(path)).into_owned();
    text("path", &p, false)?;
    if query.is_empty() {
        return Ok(());
    }
    if let Ok(pairs) = actix_web::web::Query::<Vec<(String, String)>>::from_query(query) {
        for (k, v) in pairs.iter() {
            text(k, k, false)?;
            text(k, v, false)?;
        }
    }
    Ok(())
}

fn is_json(req: &ServiceRequest) -> bool {
    req.headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            let ct = ct.to_ascii_lowercase();
            ct.starts_with("application/json") || ct.contains("+json")
        })
}

/// Middleware: one check of all incoming text (path, query, JSON body) before any handler.
pub async fn refuse_control_characters(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if let Err(e) = check_uri(req.path(), req.query_string()) {
        return Ok(req
            .into_response(e.error_response_owned())
            .map_into_right_body());
    }
    if is_json(&req) {
        let mut payload = req.parts_mut().1.take();
        let mut buf = actix_web::web::BytesMut::new();
        let mut too_large = false;
        while let Some(chunk) = payload.next().await {
            let chunk = chunk?;
            if buf.len() + chunk.len() > BODY_LIMIT {
                too_large = true;
                break;
            }
            buf.extend_from_slice(&chunk);
        }
        if too_large {
            return Ok(req
                .into_response(AppError::TooLarge.error_response_owned())
                .map_into_right_body());
        }
        let body: Bytes = buf.freeze();
        if let Err(e) = check_json_body(&body) {
            return Ok(req
                .into_response(e.error_response_owned())
                .map_into_right_body());
        }
        req.set_payload(Payload::from(body));
    }
    Ok(next.call(req).await?.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs() {
        for ok in ["kol-1", "網紅-😀", "a", "summer_2026.v2~x", "小明"] {
            assert!(valid_ref(ok), "{ok}");
        }
        for bad in [
            "=HYPERLINK(\"x\")",
            "@SUM(A1)",
            "+1",
            "-1",
            "\tx",
            "a b",
            "<b>",
            "a\u{0}b",
            "",
            &"x".repeat(65),
            "x'y",
        ] {
            assert!(!valid_ref(bad), "{bad}");
        }
    }

    #[test]
    fn control_chars() {
        assert!(text("f", "a\nb", true).is_ok());
        assert!(text("f", "a\nb", false).is_err());
        assert!(text("f", "a\u{0}b", true).is_err());
        assert!(text("f", "a\u{85}b", true).is_err());
        assert!(check_json_body(br#"{"comment": "one\ntwo"}"#).is_ok());
        let e = check_json_body(br#"{"name": {"en": "a\u0000"}}"#).unwrap_err();
        assert_eq!(e.body()["errors"][0]["field"], "name.en");
        assert!(check_json_body(br#"{"address": "x\ty"}"#).is_err());
        assert!(check_json_body("{\"a\": \"\u{7f}\"}".as_bytes()).is_err());
        assert!(check_json_body(br#"{"a": "back\\slash"}"#).is_ok());
        assert!(check_uri("/api/v1/campaigns/a%00b", "").is_err());
        assert!(check_uri("/api/v1/audit", "entity=a%01").is_err());
        assert!(check_uri("/api/v1/audit", "entity=%E6%B4%BB").is_ok());
    }

    #[test]
    fn uuids_and_bounds() {
        assert!(looks_like_uuid("0b6f3f7e-8d1c-4c1e-9d7a-2f6c1b3e4a5d"));
        assert!(looks_like_uuid("0b6f3f7e8d1c4c1e9d7a2f6c1b3e4a5d"));
        assert!(!looks_like_uuid("summer-2026"));
        assert!(bounded("page", i64::MAX, 0, 100_000).is_err());
        assert!(day("from", NaiveDate::from_ymd_opt(-262143, 1, 1).unwrap()).is_err());
        assert!(day("from", NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()).is_ok());
    }
}
