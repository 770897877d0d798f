//! Server-rendered pages (printable statements, posters, the API page): every value is
//! escaped with [`esc`], and each page is served with a restrictive Content-Security-Policy,
//! in the response header and again in the document (pages opened from a `blob:` URL by the
//! web app carry no response headers).

use actix_web::HttpResponse;

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The policy of printable pages: nothing loads or runs; inline styles and inline images only.
pub const PRINT_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

/// The same policy as a `<meta>` element for the document's head.
pub fn policy_meta(policy: &str) -> String {
    format!(
        r#"<meta http-equiv="Content-Security-Policy" content="{}">"#,
        esc(policy)
    )
}

/// An HTML page with its policy in the header.
pub fn page(policy: &str, html: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Content-Security-Policy", policy.to_string()))
        .insert_header(("X-Frame-Options", "SAMEORIGIN"))
        .body(html)
}

/// A printable page: its policy in the header and in the head.
pub fn printable(html: String) -> HttpResponse {
    let meta = policy_meta(PRINT_POLICY);
    let html = html.replacen("<head>", &format!("<head>{meta}"), 1);
    page(PRINT_POLICY, html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(
            esc(r#"<img src=x onerror="a('b')">&"#),
            "&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;"
        );
    }
}
