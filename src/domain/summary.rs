//! The overview read aloud as the bureau writes it, in Chinese, Portuguese and English.

use serde::{Deserialize, Serialize};

/// A sentence per language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Summary {
    #[serde(rename = "zh-Hant")]
    pub zh_hant: String,
    pub pt: String,
    pub en: String,
}

const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];

/// Small counts in Chinese numerals ("三項活動"); larger ones in digits, as the bureau does.
fn zh_count(n: i64) -> String {
    match n {
        0..=9 => DIGITS[n as usize].to_string(),
        10 => "十".into(),
        11..=19 => format!("十{}", DIGITS[(n - 10) as usize]),
        _ => n.to_string(),
    }
}

/// "超過143萬" / "1,234": rounds down to 萬 (ten thousands) when large.
fn zh_amount(n: i64) -> String {
    if n >= 10_000 {
        let wan = n / 10_000;
        if n % 10_000 == 0 {
            format!("{wan}萬")
        } else {
            format!("超過{wan}萬")
        }
    } else {
        n.to_string()
    }
}

/// "more than 1.43 million" / "8,912".
fn en_amount(n: i64, million: &str, thousand: &str, sep: char) -> (bool, String) {
    if n >= 1_000_000 {
        let m = (n / 10_000) as f64 / 100.0;
        (n % 10_000 != 0, format!("{} {million}", trim(m, sep)))
    } else if n >= 10_000 {
        (n % 1_000 != 0, format!("{} {thousand}", n / 1_000))
    } else {
        (false, group(n, sep))
    }
}

fn trim(x: f64, sep: char) -> String {
    let s = format!("{x:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    if sep == '.' {
        s.replace('.', ",")
    } else {
        s
    }
}

fn group(n: i64, sep: char) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// The overview's totals in a sentence, in Chinese, Portuguese and English.
pub fn overview(campaigns: i64, merchants: i64, views: i64, coupons: i64) -> Summary {
    let zh = format!(
        "{}項活動合共{}間商戶參與，活動網站累計{}人次瀏覽，發放了{}張電子現金券及優惠券",
        zh_count(campaigns),
        merchants,
        zh_amount(views),
        zh_amount(coupons)
    );
    let (v_more, v) = en_amount(views, "million", "thousand", ',');
    let (c_more, c) = en_amount(coupons, "million", "thousand", ',');
    let en = format!(
        "{campaigns} campaign{}, {merchants} merchants, {}{v} page views, {}{c} e-cash and discount coupons issued",
        if campaigns == 1 { "" } else { "s" },
        if v_more { "over " } else { "" },
        if c_more { "over " } else { "" },
    );
    let (pv_more, pv) = en_amount(views, "milhões de", "mil", '.');
    let (pc_more, pc) = en_amount(coupons, "milhões de", "mil", '.');
    let pt = format!(
        "{campaigns} {}, {merchants} comerciantes participantes, {}{pv} visualizações do sítio e {}{pc} cupões electrónicos e de desconto emitidos",
        if campaigns == 1 { "actividade" } else { "actividades" },
        if pv_more { "mais de " } else { "" },
        if pc_more { "mais de " } else { "" },
    );
    Summary {
        zh_hant: zh,
        pt,
        en,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_like_the_bureau() {
        let s = serde_json::to_value(overview(3, 126, 1_431_522, 700_912)).unwrap();
        assert_eq!(
            s["zh-Hant"],
            "三項活動合共126間商戶參與，活動網站累計超過143萬人次瀏覽，發放了超過70萬張電子現金券及優惠券"
        );
        assert_eq!(s["en"], "3 campaigns, 126 merchants, over 1.43 million page views, over 700 thousand e-cash and discount coupons issued");
        assert!(s["pt"]
            .as_str()
            .unwrap()
            .starts_with("3 actividades, 126 comerciantes"));
        assert!(s["pt"]
            .as_str()
            .unwrap()
            .contains("mais de 1,43 milhões de visualizações"));
    }

    #[test]
    fn small_numbers_are_exact() {
        let s = serde_json::to_value(overview(1, 2, 950, 12)).unwrap();
        assert_eq!(
            s["zh-Hant"],
            "一項活動合共2間商戶參與，活動網站累計950人次瀏覽，發放了12張電子現金券及優惠券"
        );
        assert_eq!(
            s["en"],
            "1 campaign, 2 merchants, 950 page views, 12 e-cash and discount coupons issued"
        );
    }
}
