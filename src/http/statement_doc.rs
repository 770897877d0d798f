//! The printed settlement statement: a document a bureau signs. Header, campaign, the shop with
//! its address and merchant number, the period, every line, totals, who generated, approved
//! and paid it and when, and its status in words (Chinese, Portuguese, English). Every value
//! written into the page is HTML-escaped.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::models::{Campaign, Merchant, Redemption, Settlement};
use crate::db::schema::users;
use crate::db::DbConn;
use crate::domain::codes;
use crate::domain::merchant_no::short_no;
use crate::domain::money::mop;
use crate::domain::names::Names;
use crate::error::AppError;
use crate::types::{SettlementStatus, UserId};

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

/// A UTC time as Macau wall-clock time, `2026-12-06 14:03`.
fn macau_time(t: NaiveDateTime) -> String {
    (t + Duration::hours(8))
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// `2026年12月6日 · 6/12/2026` — unambiguous in both languages.
fn day(d: NaiveDate) -> String {
    format!(
        "{} · {}",
        d.format("%Y年%-m月%-d日"),
        d.format("%-d/%-m/%Y")
    )
}

fn status_words(status: SettlementStatus) -> &'static str {
    match status {
        SettlementStatus::Draft => "待核准 · Por aprovar · Awaiting approval",
        SettlementStatus::Approved => {
            "已核准，待付款 · Aprovada, por pagar · Approved, awaiting payment"
        }
        SettlementStatus::Paid => "已付款 · Paga · Paid",
    }
}

/// Usernames of the given staff ids.
pub fn usernames(conn: &mut DbConn, ids: &[String]) -> Result<HashMap<String, String>, AppError> {
    let rows: Vec<(String, String)> = users::table
        .filter(users::id.eq_any(ids.to_vec()))
        .select((users::id, users::username))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

pub fn render(
    s: &Settlement,
    m: &Merchant,
    c: &Campaign,
    lines: &[(Redemption, String)],
    names: &HashMap<String, String>,
) -> String {
    let mn = Names::from_json(&m.name);
    let cn = Names::from_json(&c.name);
    let who = |id: &Option<UserId>, at: &Option<NaiveDateTime>| match (id, at) {
        (Some(id), Some(at)) => format!(
            "{} · {}",
            esc(names.get(id.as_str()).map(String::as_str).unwrap_or("—")),
            macau_time(*at)
        ),
        _ => "—".into(),
    };
    let mut rows = String::new();
    let mut spend = 0i64;
    for (i, (r, code)) in lines.iter().enumerate() {
        spend += r.spend_avos;
        rows.push_str(&format!(
            "<tr><td class=n>{}</td><td>{}</td><td class=code>{}</td><td class=n>{}</td><td class=n>{}</td></tr>\n",
            i + 1,
            esc(&macau_time(r.created_at)),
            esc(&codes::display(code)),
            mop(r.spend_avos),
            mop(r.ecash_avos)
        ));
    }
    if lines.is_empty() {
        rows.push_str("<tr><td colspan=5>沒有記錄 · Sem registos · No lines</td></tr>");
    }
    format!(
        r#"<!doctype html><html lang="zh-Hant"><head><meta charset="utf-8">
<title>結算單 {no} · {mname}</title>
<style>
@page {{ size: A4; margin: 15mm; }}
body {{ font-family: "Noto Sans CJK TC", "Noto Sans", sans-serif; margin: 15mm; color: #111; font-size: 11pt; }}
h1 {{ font-size: 16pt; margin: 0 0 2mm; }}
.sub {{ color: #444; margin: 0 0 6mm; }}
dl.meta {{ display: grid; grid-template-columns: max-content 1fr; gap: 1mm 6mm; margin: 0 0 6mm; }}
dl.meta dt {{ font-weight: bold; }} dl.meta dd {{ margin: 0; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border: 1px solid #444; padding: 1mm 2mm; }}
th {{ background: #eee; text-align: left; }}
.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
.code {{ font-family: monospace; }}
.sign {{ display: grid; grid-template-columns: 1fr 1fr 1fr; gap: 8mm; margin-top: 14mm; }}
.sign div {{ border-top: 1px solid #111; padding-top: 1mm; font-size: 9pt; }}
.status {{ font-weight: bold; }}
</style></head>
<body>
<h1>電子現金券結算單 · Liquidação de cupões · Settlement statement</h1>
<p class="sub">{cname_zh} · {cname_pt} · {cname_en}</p>
<dl class="meta">
<dt>商戶 · Estabelecimento · Merchant</dt><dd data-field="merchant">{mname} · {mname_pt} · {mname_en}</dd>
<dt>商戶編號 · N.º · Merchant no.</dt><dd data-field="merchant-no">{no}</dd>
<dt>地址 · Morada · Address</dt><dd data-field="address">{address}</dd>
<dt>結算期 · Período · Period</dt><dd data-field="period">{from} – {to}</dd>
<dt>狀態 · Estado · Status</dt><dd class="status" data-field="status">{status}</dd>
<dt>編製 · Elaborada · Prepared</dt><dd>{created}</dd>
<dt>核准 · Aprovada · Approved</dt><dd data-field="approved">{approved}</dd>
<dt>付款 · Paga · Paid</dt><dd data-field="paid">{paid}</dd>
<dt>單號 · Referência · Reference</dt><dd>{reference}</dd>
</dl>
<table>
<thead><tr><th class=n>#</th><th>時間 · Hora · Time (Macau)</th><th>券號 · Código · Coupon</th><th class=n>消費 · Consumo · Spend (MOP)</th><th class=n>電子現金 · Valor · E-cash (MOP)</th></tr></thead>
<tbody>
{rows}</tbody>
<tfoot><tr><th colspan=3>合計 · Total ({count})</th><th class=n>{spend}</th><th class=n data-field="total">{total}</th></tr></tfoot>
</table>
<p>應付金額 · Montante a pagar · Amount payable: <strong>MOP {total}</strong></p>
<div class="sign"><div>編製人 · Elaborado por · Prepared by</div><div>核准人 · Aprovado por · Approved by</div><div>商戶簽收 · Recebido · Received by merchant</div></div>
</body></html>"#,
        no = esc(&short_no(&m.id)),
        mname = esc(&mn.zh_hant),
        mname_pt = esc(&mn.pt),
        mname_en = esc(&mn.en),
        address = esc(&m.address),
        cname_zh = esc(&cn.zh_hant),
        cname_pt = esc(&cn.pt),
        cname_en = esc(&cn.en),
        from = day(s.period_from),
        to = day(s.period_to),
        status = status_words(s.status),
        created = who(&Some(s.created_by.clone()), &Some(s.created_at)),
        approved = who(&s.approved_by, &s.approved_at),
        paid = who(&s.paid_by, &s.paid_at),
        reference = esc(&format!(
            "{}-{}",
            short_no(&m.id),
            s.period_to.format("%Y%m%d")
        )),
        count = s.redemptions_count,
        spend = mop(spend),
        total = mop(s.amount_avos),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc(r#"<b>"Lei" & 'Co'</b>"#),
            "&lt;b&gt;&quot;Lei&quot; &amp; &#39;Co&#39;&lt;/b&gt;"
        );
    }
}
