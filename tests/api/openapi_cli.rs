//! `bairro openapi`: the API document at the command line, exactly as served, with one
//! operation id per operation (the web app's types are generated from it).

use reqwest::StatusCode;

use crate::support::*;

#[actix_web::test]
async fn the_command_prints_the_served_document() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (s, served) = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(s, StatusCode::OK);
    // No database and no server needed.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bairro"))
        .arg("openapi")
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed, served);
    let mut ids = std::collections::HashSet::new();
    for item in printed["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            if let Some(id) = op["operationId"].as_str() {
                assert!(ids.insert(id.to_string()), "operationId {id} twice");
            }
        }
    }
    assert!(ids.len() > 100, "{}", ids.len());
    // The CSV exports document their shapes.
    let shape = &printed["components"]["schemas"]["Shape"]["enum"];
    assert_eq!(shape, &serde_json::json!(["long", "sheet"]));
    for path in [
        "/api/v1/campaigns/{id}/stats.csv",
        "/api/v1/campaigns/{id}/export.csv",
        "/api/v1/settlements/{id}.csv",
        "/api/v1/campaigns/{id}/reconciliation.csv",
        "/api/v1/campaigns/{id}/sources.csv",
        "/api/v1/campaigns/{id}/survey/answers.csv",
        "/api/v1/pledges.csv",
        "/api/v1/merchant/redemptions.csv",
    ] {
        let params = printed["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap_or_else(|| panic!("{path}"));
        assert!(
            params
                .iter()
                .any(|p| p["name"] == "shape" && p["in"] == "query"),
            "{path}"
        );
    }
}
