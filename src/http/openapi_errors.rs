//! Completes the OpenAPI document with what every operation may answer besides success: the
//! problem document (`application/problem+json`, schema `Problem`) for each error status an
//! operation can give, 401/403 only where a token is needed, and no bearer requirement on the
//! public operations (those whose annotation says `security(())`).

use serde::Serialize;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa::Modify;

use crate::error::FieldError;

/// An error answer (RFC 9457). Refusals of a business rule may add fields of their own (for
/// example `redemption` with `redemption_voided`, `void_until` with `void_window_passed`).
#[derive(Serialize, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct Problem {
    #[serde(rename = "type")]
    #[schema(example = "https://bairro.mo/problems/validation_failed")]
    pub type_: String,
    pub title: String,
    #[schema(minimum = 400, maximum = 599)]
    pub status: u16,
    pub detail: String,
    /// The SPEC's stable error code, e.g. `validation_failed`, `not_found`, `unavailable`.
    #[schema(pattern = "^[a-z_]+$")]
    pub code: String,
    /// With `validation_failed`: the fields refused and why.
    #[schema(nullable = false)]
    pub errors: Option<Vec<FieldError>>,
}

fn problem(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build(),
    )
}

/// True when the operation may be called without a token.
fn is_public(op: &Operation) -> bool {
    op.security.as_ref().is_some_and(|reqs| {
        reqs.iter().any(|r| {
            serde_json::to_value(r)
                .map(|v| v.as_object().is_some_and(|m| m.is_empty()))
                .unwrap_or(false)
        })
    })
}

fn complete(op: &mut Operation) {
    let public = is_public(op);
    let mut statuses: Vec<(&str, &str)> = vec![
        ("400", "bad_request: the request could not be read"),
        ("404", "not_found: no such resource"),
        ("422", "validation_failed: fields out of range, too long, malformed or holding control characters"),
        ("429", "rate_limited: slow down (see Retry-After)"),
        ("503", "unavailable: the database is briefly unreachable; retry (see Retry-After)"),
    ];
    if !public {
        statuses.push(("401", "unauthorized: no valid token"));
        statuses.push(("403", "forbidden: this role may not"));
    }
    if op.request_body.is_some() {
        statuses.push(("413", "payload_too_large: the body exceeds 64 KiB"));
    }
    let responses = &mut op.responses.responses;
    for (status, description) in statuses {
        responses
            .entry(status.to_string())
            .or_insert_with(|| problem(description));
    }
    // Error statuses an annotation named without a body get the problem document.
    for (status, r) in responses.iter_mut() {
        if status.starts_with('4') || status.starts_with('5') {
            if let RefOr::T(resp) = r {
                if resp.content.is_empty() {
                    *r = problem(&resp.description.clone());
                }
            }
        }
    }
    if public {
        // Public: no bearer requirement (an optional one is kept where a token adds rights).
        if let Some(reqs) = op.security.as_mut() {
            if reqs.len() == 1 {
                *reqs = Vec::new();
            }
        }
    }
}

pub struct ErrorResponses;

impl Modify for ErrorResponses {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        for item in api.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                complete(op);
            }
        }
    }
}
