//! The web front end, embedded in the binary from `frontend/dist` and served at `/`
//! (unknown paths fall back to `index.html` for the single-page app).

use actix_web::{http::header, HttpRequest, HttpResponse};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "frontend/dist/"]
#[allow_missing = true]
struct Assets;

fn asset(path: &str) -> Option<HttpResponse> {
    let file = Assets::get(path)?;
    let mime = file.metadata.mimetype().to_string();
    let cache = if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    Some(
        HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, mime))
            .insert_header((header::CACHE_CONTROL, cache))
            .body(file.data.into_owned()),
    )
}

pub async fn serve(req: HttpRequest) -> HttpResponse {
    let path = req.path().trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    if let Some(r) = asset(path) {
        return r;
    }
    if path.starts_with("api/") || path.contains('.') && !path.ends_with(".html") {
        return crate::error::AppError::NotFound("no such file".into()).error_response_owned();
    }
    asset("index.html").unwrap_or_else(|| {
        HttpResponse::Ok().content_type("text/html; charset=utf-8").body(
            "<!doctype html><meta charset=utf-8><title>Bairro</title><h1>Bairro</h1>\
             <p>The web front end is not built into this binary. Run <code>scripts/run</code> (or <code>npm ci && npm run build</code> in <code>frontend/</code>, then rebuild).</p>\
             <p><a href=\"/api/docs\">API documentation</a></p>",
        )
    })
}
