//! The one mapping of domain errors to HTTP: problem+json for the API, an HTML page for the
//! browser. Messages are translated; codes are stable.

pub use crate::ctx::internal_response;
use crate::ctx::Ctx;
use askama::Template;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use okienko_domain::DomainError;
use okienko_i18n::Lang;
use serde::Serialize;
use std::sync::Arc;

pub fn status_of(e: &DomainError) -> StatusCode {
    match e {
        DomainError::Invalid(_) | DomainError::Rejected(..) => StatusCode::UNPROCESSABLE_ENTITY,
        DomainError::Unauthenticated | DomainError::BadCredentials | DomainError::TotpRequired => {
            StatusCode::UNAUTHORIZED
        }
        DomainError::EmailNotVerified => StatusCode::FORBIDDEN,
        DomainError::Throttled => StatusCode::TOO_MANY_REQUESTS,
        DomainError::NotFound => StatusCode::NOT_FOUND,
        DomainError::Conflict(_) => StatusCode::CONFLICT,
        DomainError::TokenInvalid => StatusCode::BAD_REQUEST,
        DomainError::Csrf => StatusCode::FORBIDDEN,
        DomainError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        DomainError::Busy => StatusCode::SERVICE_UNAVAILABLE,
        DomainError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub code: String,
    pub message: String,
}

/// RFC 9457 problem details.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    /// For a rejected submission: the `submission-rejection` evidence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence_id: Option<String>,
}

/// An error answered as `application/problem+json`.
pub struct ApiError(pub DomainError, pub Lang);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let ApiError(e, lang) = self;
        if let DomainError::Internal(msg) = &e {
            tracing::error!(error = %msg, "internal error");
        }
        let status = status_of(&e);
        let errors = match e.field_errors() {
            Some(f) => {
                f.0.iter()
                    .map(|fe| FieldProblem {
                        field: fe.field.to_string(),
                        code: fe.code.to_string(),
                        message: lang.t(fe.code),
                    })
                    .collect()
            }
            None => Vec::new(),
        };
        let p = Problem {
            kind: format!("/problems/{}", e.code()),
            title: lang.t(e.code()),
            status: status.as_u16(),
            detail: lang
                .t_opt(&format!("{}-detail", e.code()))
                .unwrap_or_default(),
            errors,
            evidence_id: match &e {
                DomainError::Rejected(_, id) => Some(id.clone()),
                _ => None,
            },
        };
        let body = serde_json::to_vec(&p).unwrap_or_default();
        (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response()
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    ctx: &'a Ctx,
    /// The HTTP status, on the page for tests and for people who report it.
    status: u16,
    title: String,
    detail: String,
}

/// An error answered as an HTML page in the visitor's language.
pub struct PageError(pub DomainError, pub Arc<Ctx>);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let PageError(e, ctx) = self;
        if matches!(e, DomainError::Unauthenticated) {
            let next = ctx.path.clone();
            return Redirect::to(&format!(
                "/login?next={}",
                okienko_services::url_encode(&next)
            ))
            .into_response();
        }
        if let DomainError::Internal(msg) = &e {
            tracing::error!(error = %msg, "internal error");
        }
        let page = ErrorPage {
            ctx: &ctx,
            status: status_of(&e).as_u16(),
            title: ctx.t(e.code()),
            detail: ctx
                .lang
                .t_opt(&format!("{}-detail", e.code()))
                .unwrap_or_default(),
        };
        match page.render() {
            Ok(html) => (status_of(&e), axum::response::Html(html)).into_response(),
            Err(_) => internal_response(),
        }
    }
}

/// Every error answered under `/api/` is problem+json, also where axum answers by itself
/// before a handler runs (a query or path segment that does not parse, a wrong method or
/// media type): its text becomes the problem's `detail`, under a translated title.
pub async fn api_problems(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    if !req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    let lang = req
        .extensions()
        .get::<Arc<Ctx>>()
        .map(|c| c.lang)
        .unwrap_or(Lang::Pl);
    let res = next.run(req).await;
    let status = res.status();
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if status.as_u16() < 400 || is_problem {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let detail = match axum::body::to_bytes(body, 4096).await {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(_) => String::new(),
    };
    let p = Problem {
        kind: "/problems/err-request".into(),
        title: lang.t("err-request"),
        status: status.as_u16(),
        detail,
        errors: Vec::new(),
        evidence_id: None,
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/problem+json"),
    );
    Response::from_parts(
        parts,
        axum::body::Body::from(serde_json::to_vec(&p).unwrap_or_default()),
    )
}

/// Where a catalogue file went wrong and what, in the reader's language: "Line 3, column fee:
/// …" for a CSV file, "[2].fee: …" for a JSON one.
pub fn import_message(lang: Lang, e: &okienko_domain::catalogue::ImportError) -> String {
    let problem = lang.t(e.code);
    let line = e.line.to_string();
    match (e.line, e.field.as_deref()) {
        (0, Some(f)) => lang.t_args("import-at-field", &[("field", f), ("problem", &problem)]),
        (0, None) => problem,
        (_, Some(f)) => lang.t_args(
            "import-at-line-field",
            &[("line", &line), ("field", f), ("problem", &problem)],
        ),
        (_, None) => lang.t_args("import-at-line", &[("line", &line), ("problem", &problem)]),
    }
}
