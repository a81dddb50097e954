//! E-service forms over the API: a service's published form, submitting it (multipart, with
//! an Idempotency-Key), and a submission's status with its UPP (evidence `submission-receipt`,
//! read at `/api/v1/evidence/{id}` and `/signed`).

use super::common::user;
use crate::ctx::Cx;
use crate::error::{ApiError, Problem};
use crate::State;
use axum::extract::{FromRequest, Path};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use okienko_domain::forms::Answers;
use okienko_domain::DomainError;
use okienko_services::forms::{SubmitForm, Upload};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

pub fn routes() -> Router<State> {
    Router::new()
        .route("/api/v1/services/{id}/form", get(form))
        .route(
            "/api/v1/services/{id}/submissions",
            post(submit).layer(axum::extract::DefaultBodyLimit::max(
                okienko_services::delivery::MAX_CONFIGURABLE_BYTES + 1024 * 1024,
            )),
        )
        .route("/api/v1/submissions/{reference}", get(status))
}

#[derive(OpenApi)]
#[openapi(
    paths(form, submit, status),
    components(schemas(FormJson, SubmittedJson, SubmissionJson, UppRef, AnswersPart))
)]
pub struct Doc;

/// The published form: its version (SHA-256 of the definition), its number, and the
/// definition's `steps` and `fee` (docs/FORMS.md).
#[derive(Serialize, ToSchema)]
pub struct FormJson {
    version: String,
    version_number: i64,
    #[schema(value_type = Vec<Object>)]
    steps: serde_json::Value,
    #[schema(value_type = Option<Object>)]
    #[serde(skip_serializing_if = "Option::is_none")]
    fee: Option<serde_json::Value>,
}

#[derive(Serialize, ToSchema)]
pub struct UppRef {
    /// The evidence id of the UPP.
    id: String,
}

#[derive(Serialize, ToSchema)]
pub struct SubmittedJson {
    reference: String,
    /// `submitted` or `awaiting-payment`.
    status: String,
    upp: UppRef,
}

#[derive(Serialize, ToSchema)]
pub struct SubmissionJson {
    reference: String,
    /// The service's id.
    service: String,
    status: String,
    submitted_at: String,
    upp: UppRef,
}

/// The multipart part `answers`: the version the answers were given on and the answers (a
/// file field's answer is the file name of one of the `attachment` parts).
#[derive(Deserialize, ToSchema)]
pub struct AnswersPart {
    version: String,
    #[schema(value_type = Object)]
    answers: Answers,
}

/// A service's published form.
#[utoipa::path(get, path = "/api/v1/services/{id}/form",
    responses((status = 200, body = FormJson), (status = 404, body = Problem)))]
async fn form(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Json<FormJson>, ApiError> {
    let f = state
        .services
        .service_form(&id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    let def = serde_json::to_value(&f.def).unwrap_or_default();
    Ok(Json(FormJson {
        version: f.version.version,
        version_number: f.version.n,
        steps: def.get("steps").cloned().unwrap_or_default(),
        fee: def.get("fee").cloned(),
    }))
}

/// Submits a form: part `answers` (JSON `{"version","answers"}`), zero or more parts
/// `attachment`. 201 means the submission, its files and its UPP are committed and logged;
/// 422 names each answer that breaks the rules of that version.
#[utoipa::path(post, path = "/api/v1/services/{id}/submissions", security(("bearer" = [])),
    request_body(content = AnswersPart, content_type = "multipart/form-data"),
    responses((status = 201, body = SubmittedJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn submit(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    headers: HeaderMap,
    req: axum::extract::Request,
) -> Result<Response, ApiError> {
    let p = user(&ctx)?;
    let bad = |field: &'static str, code: &'static str| {
        ApiError(DomainError::invalid(field, code), ctx.lang)
    };
    // The service first: a missing one is 404 whatever the body.
    state
        .services
        .service_form(&id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    let mut mp = axum::extract::Multipart::from_request(req, &())
        .await
        .map_err(|_| bad("answers", "err-upload"))?;
    let mut input: Option<AnswersPart> = None;
    let mut uploads = Vec::new();
    while let Some(f) = mp
        .next_field()
        .await
        .map_err(|_| bad("attachment", "err-upload"))?
    {
        let name = f.name().unwrap_or("").to_string();
        let file_name = f.file_name().unwrap_or("").to_string();
        let bytes = f
            .bytes()
            .await
            .map_err(|_| bad("attachment", "err-upload"))?;
        match name.as_str() {
            "answers" => {
                input =
                    Some(serde_json::from_slice(&bytes).map_err(|_| bad("answers", "err-json"))?)
            }
            "attachment" => uploads.push(Upload {
                field: file_name.clone(),
                name: file_name,
                bytes,
            }),
            _ => {}
        }
    }
    let input = input.ok_or_else(|| bad("answers", "err-json"))?;
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().chars().take(200).collect::<String>())
        .filter(|s| !s.is_empty());
    let done = state
        .services
        .submit_form(
            p,
            SubmitForm {
                service_id: id,
                version: Some(input.version),
                answers: input.answers,
                uploads,
                draft_id: None,
                password: None,
                code: None,
                idempotency_key: key,
                assisted: None,
            },
        )
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok((
        StatusCode::CREATED,
        Json(SubmittedJson {
            reference: done.reference,
            status: done.status.as_str().into(),
            upp: UppRef { id: done.upp_id },
        }),
    )
        .into_response())
}

/// A submission's status: for the person who made it and the officials of its office.
#[utoipa::path(get, path = "/api/v1/submissions/{reference}", security(("bearer" = [])),
    responses((status = 200, body = SubmissionJson), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn status(
    Cx(state, ctx): Cx,
    Path(reference): Path<String>,
) -> Result<Json<SubmissionJson>, ApiError> {
    let p = user(&ctx)?;
    let (s, _) = state
        .services
        .submission_view(p, &reference)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(SubmissionJson {
        reference: s.reference,
        service: s.service_id,
        status: s.status,
        submitted_at: super::common::rfc3339(s.submitted_at),
        upp: UppRef { id: s.upp_id },
    }))
}
