//! The OpenAPI document, generated from the handlers' annotations, and a browsable page for
//! it served by the binary itself.

use actix_web::{web, HttpResponse};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::openapi_errors::{ErrorResponses, Problem};
use super::*;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let c = api.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Operation ids must be unique in a document (generators key on them); handlers of several
/// resources share a name (`list`, `create`, `get`), so those take a name made of their method
/// and path instead, e.g. `get_campaigns_id_sources`.
struct UniqueOperationIds;

impl Modify for UniqueOperationIds {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let mut seen: std::collections::HashMap<String, usize> = Default::default();
        for item in api.paths.paths.values_mut() {
            for (_, op) in operations(item) {
                *seen
                    .entry(op.operation_id.clone().unwrap_or_default())
                    .or_default() += 1;
            }
        }
        for (path, item) in api.paths.paths.iter_mut() {
            for (method, op) in operations(item) {
                let id = op.operation_id.as_deref().unwrap_or_default();
                if id.is_empty() || seen.get(id).copied().unwrap_or(0) > 1 {
                    let words: Vec<&str> = path
                        .trim_start_matches("/api/v1")
                        .split(|c: char| !c.is_ascii_alphanumeric())
                        .filter(|w| !w.is_empty())
                        .collect();
                    op.operation_id = Some(format!("{method}_{}", words.join("_")));
                }
            }
        }
    }
}

/// The operations of a path with their methods.
fn operations(
    item: &mut utoipa::openapi::PathItem,
) -> Vec<(&'static str, &mut utoipa::openapi::path::Operation)> {
    [
        ("get", &mut item.get),
        ("put", &mut item.put),
        ("post", &mut item.post),
        ("delete", &mut item.delete),
        ("patch", &mut item.patch),
    ]
    .into_iter()
    .filter_map(|(m, op)| op.as_mut().map(|op| (m, op)))
    .collect()
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Bairro API", description = "District promotion campaigns: check-ins, e-coupons, redemption, settlement and statistics. Errors are application/problem+json with a stable `code`."),
    modifiers(&Bearer, &ErrorResponses, &UniqueOperationIds),
    security(("bearer" = [])),
    paths(
        staff::login, visitors::sign_up, visitors::my_coupons, visitors::my_checkins, visitors::coupon_qr,
        campaigns::list, campaigns::create, campaigns::get, campaigns::edit, campaigns::publish, campaigns::end,
        campaigns::create_offer, campaigns::apply, campaigns::campaign_enrolments, campaigns::list_enrolments,
        campaigns::approve, campaigns::reject,
        points::create, points::get, points::qr_svg_route, points::qr_png_route, points::poster, points::code,
        points::device_setup, points::device_activate, points::device_revoke,
        merchants::create, merchants::list, merchants::me, merchants::list_users, merchants::add_cashier,
        merchants::disable_cashier, merchants::survey,
        checkins::check_in, checkins::claim,
        redemptions::redeem, redemptions::preview, redemptions::void, redemptions::list, redemptions::list_csv,
        settlements::generate, settlements::list, settlements::mine, settlements::get, settlements::get_csv,
        settlements::print, settlements::approve, settlements::pay,
        pageviews::record,
        stats::overview, stats::campaign, stats::campaign_csv, stats::signals, stats::export_json, stats::export_csv, stats::audit_log,
        document,
        walk::client_config,
        imagery::put_cover, imagery::cover, imagery::put_photo, imagery::photo,
        mechanics::my_card, mechanics::my_card_qr, mechanics::my_stamps, mechanics::my_draws, mechanics::record_purchase,
        mechanics::preview_purchase, mechanics::merchant_purchases, mechanics::enter_draw, mechanics::get_draw,
        verification::status, verification::send_code, verification::confirm,
        live::stream,
        desk::survey_answers_json, desk::survey_answers_csv, desk::preflight,
        sources::create, sources::list, sources::list_csv,
        pledges::report, pledges::report_csv, pledges::report_print, pledges::footnote, pledges::holidays, pledges::add_holiday, pledges::remove_holiday,
        staff::list, staff::create, staff::disable, staff::enable, staff::reset_password, staff::change_password,
        integrity::verify, integrity::reconciliation, integrity::reconciliation_csv,
        integrity::my_bank_account, integrity::put_bank_account, integrity::bank_accounts, integrity::verify_bank_account,
        integrity::list_payouts, integrity::create_payout, integrity::get_payout, integrity::payout_csv, integrity::confirm_payout,
        operations::edit_offer, operations::pause_offer, operations::resume_offer, operations::edit_point,
        operations::retire_point, operations::list_devices, operations::edit_merchant, operations::suspend_merchant,
        operations::reinstate_merchant, operations::withdraw_enrolment, operations::void_coupon,
        operations::ban_visitor, operations::unban_visitor, operations::get_visitor,
        bulk::import_merchants, bulk::decide_enrolments, bulk::approve_settlements, bulk::pay_settlements,
    ),
    components(schemas(crate::error::FieldError, crate::domain::names::Names, Problem, csv_out::Shape, stats::StatsTable, crate::views::stats::LiveTotals, crate::views::stats::LiveEvent, crate::views::budget::BudgetView, crate::views::merchant_cards::MerchantCardView, crate::views::draws::OfferDraw))
)]
pub struct ApiDoc;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/openapi.json", web::get().to(document));
}

/// The document as served, pretty-printed (`bairro openapi` prints it).
pub fn document_json() -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(&ApiDoc::openapi())
}

#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "docs", security(()), responses((status = 200, description = "this document", body = Object)))]
pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}

/// A small self-contained page listing every operation of the document.
pub async fn page() -> HttpResponse {
    super::html::page(&docs_policy(), DOCS_PAGE.to_string())
}

/// The API page may run only its own inline script (by hash) and fetch from its origin.
fn docs_policy() -> String {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    let script = DOCS_PAGE
        .split_once("<script>")
        .and_then(|(_, rest)| rest.split_once("</script>"))
        .map(|(s, _)| s)
        .unwrap_or("");
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(script.as_bytes()));
    format!(
        "default-src 'none'; script-src 'sha256-{hash}'; connect-src 'self'; style-src 'unsafe-inline'; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
    )
}

const DOCS_PAGE: &str = r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Bairro API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
h1{margin-bottom:0}details{border:1px solid #ccc;border-radius:6px;margin:.4rem 0;padding:.4rem .8rem}
summary{cursor:pointer}code{background:#f2f2f2;padding:0 .3rem}.m{display:inline-block;width:4.5rem;font-weight:700}
.get{color:#0b5394}.post{color:#38761d}.patch,.put{color:#7f6000}.delete{color:#990000}pre{white-space:pre-wrap;background:#f7f7f7;padding:.5rem}</style></head>
<body><h1>Bairro API</h1><p>Generated from <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>. Send <code>Authorization: Bearer &lt;token&gt;</code>; errors are <code>application/problem+json</code> with a stable <code>code</code>.</p>
<main id="ops">Loading…</main>
<script>
fetch('/api/v1/openapi.json').then(r=>r.json()).then(doc=>{
  const main=document.getElementById('ops');main.textContent='';
  const byTag={};
  for(const [path,item] of Object.entries(doc.paths)) for(const [m,op] of Object.entries(item)) {
    const t=(op.tags||['other'])[0]; (byTag[t]=byTag[t]||[]).push([m,path,op]);
  }
  for(const [tag,ops] of Object.entries(byTag)){
    const h=document.createElement('h2');h.textContent=tag;main.append(h);
    for(const [m,path,op] of ops){
      const d=document.createElement('details');const s=document.createElement('summary');
      const ms=document.createElement('span');ms.className='m '+m;ms.textContent=m.toUpperCase();
      const c=document.createElement('code');c.textContent=path;s.append(ms,c);d.append(s);
      const pre=document.createElement('pre');
      const resp=Object.entries(op.responses||{}).map(([k,v])=>k+': '+(v.description||'')).join('\n');
      let body='';const rb=op.requestBody&&op.requestBody.content&&op.requestBody.content['application/json'];
      if(rb&&rb.schema&&rb.schema.$ref){const n=rb.schema.$ref.split('/').pop();body='\nBody: '+n+' '+JSON.stringify((doc.components.schemas[n]||{}).properties||{},null,1);}
      pre.textContent='Responses:\n'+resp+body;d.append(pre);main.append(d);
    }
  }
});
</script></body></html>"#;

#[cfg(test)]
mod tests {
    use super::*;

    /// Content types of answers that are not JSON and need no schema of fields.
    const OTHER_CONTENT: [&str; 7] = [
        "text/csv",
        "image/svg+xml",
        "image/png",
        "image/jpeg",
        "text/html",
        "text/event-stream",
        "application/pdf",
    ];

    /// Every success answer of the document that has no JSON schema (or names no content type
    /// at all), as `METHOD path status`. 202 and 204 answers carry no body.
    fn answers_without_schema(doc: &serde_json::Value) -> Vec<String> {
        let mut missing = Vec::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                for (status, resp) in op["responses"].as_object().into_iter().flatten() {
                    if !status.starts_with('2') || status == "202" || status == "204" {
                        continue;
                    }
                    let content = resp["content"].as_object();
                    let ok = content.is_some_and(|c| {
                        !c.is_empty()
                            && c.iter().all(|(ty, media)| {
                                OTHER_CONTENT.contains(&ty.as_str())
                                    || (ty.starts_with("application/json")
                                        && media["schema"].is_object())
                            })
                    });
                    if !ok {
                        missing.push(format!("{} {path} {status}", method.to_uppercase()));
                    }
                }
            }
        }
        missing.sort();
        missing
    }

    fn document() -> serde_json::Value {
        serde_json::to_value(ApiDoc::openapi()).unwrap()
    }

    /// Every success answer of the document has its schema or content type.
    #[test]
    fn every_success_answer_has_a_schema() {
        let missing = answers_without_schema(&document());
        assert!(missing.is_empty(), "answers without a schema: {missing:#?}");
    }

    /// Error answers are problem documents; public operations ask for no token.
    #[test]
    fn errors_are_problems_and_public_operations_need_no_token() {
        let doc = document();
        assert!(doc["components"]["schemas"]["Problem"].is_object());
        let login = &doc["paths"]["/api/v1/auth/login"]["post"];
        assert_eq!(login["security"], serde_json::json!([]));
        assert!(login["responses"].get("401").is_some());
        assert!(login["responses"].get("403").is_none());
        let staff = &doc["paths"]["/api/v1/staff/{id}/disable"]["post"];
        assert!(
            staff["security"].is_null(),
            "staff operations use the bearer token"
        );
        let conflict = &staff["responses"]["409"]["content"]["application/problem+json"];
        assert_eq!(
            conflict["schema"]["$ref"], "#/components/schemas/Problem",
            "{staff}"
        );
    }
}
