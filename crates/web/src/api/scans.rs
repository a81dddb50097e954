//! Paper letters in the correspondence register over HTTP: registering one with its scan
//! (certified as a true copy by the caller), an entry with its scan, the scan's file and the
//! office seal's detached signature over it.

use super::cases::{entry_json, EntryJson};
use super::common::{parse, rfc3339, user};
use crate::ctx::Cx;
use crate::error::{ApiError, Problem};
use crate::State;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use okienko_domain::DomainError;
use okienko_services::cases::documents::MAX_DOCUMENT_BYTES;
use okienko_services::cases::scans::{EntryView, PaperLetterInput};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

pub fn routes() -> Router<State> {
    // The scan travels base64 in JSON: a third more than the file, and some room.
    let limit = axum::extract::DefaultBodyLimit::max(MAX_DOCUMENT_BYTES / 3 * 4 + 64 * 1024);
    Router::new()
        .route(
            "/api/v1/offices/{id}/register/paper",
            post(register).layer(limit),
        )
        .route("/api/v1/register-entries/{id}", get(one))
        .route("/api/v1/register-entries/{id}/scan", get(scan_file))
        .route(
            "/api/v1/register-entries/{id}/scan/signature",
            get(scan_signature),
        )
}

#[derive(OpenApi)]
#[openapi(
    paths(register, one, scan_file, scan_signature),
    components(schemas(PaperLetterJson, EntryScanJson, ScanJson))
)]
pub struct Doc;

/// A paper letter to register: the register's fields and its scan (`content`, base64; PDF,
/// PNG, JPEG or TIFF, at most 20 MB). Without `department` the entry stays with the whole
/// office (for who works all of its cases).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaperLetterJson {
    subject: String,
    correspondent: String,
    /// `YYYY-MM-DD`, today or earlier.
    received_on: String,
    /// The department's code (or its id).
    department: Option<String>,
    name: String,
    content: String,
}

/// The scan of a paper letter and its certification.
#[derive(Serialize, ToSchema)]
pub struct ScanJson {
    name: String,
    media_type: String,
    sha256: String,
    size: i64,
    certified_by: String,
    certified_at: String,
    /// The evidence of the certification (`GET /api/v1/evidence/{id}`).
    evidence_id: String,
}

/// A register entry with the scan of its letter, if it came on paper.
#[derive(Serialize, ToSchema)]
pub struct EntryScanJson {
    entry: EntryJson,
    scan: Option<ScanJson>,
    /// The records of the case the entry joined were destroyed, the scan's file with them
    /// (the entry and the certification stay).
    destroyed: bool,
}

fn json_of(v: EntryView) -> EntryScanJson {
    EntryScanJson {
        entry: entry_json(v.entry),
        scan: v.scan.map(|s| ScanJson {
            name: s.name,
            media_type: s.media_type,
            sha256: s.sha256,
            size: s.size,
            certified_by: s.certified_name,
            certified_at: rfc3339(s.certified_at),
            evidence_id: s.evidence_id,
        }),
        destroyed: v.destroyed,
    }
}

/// Registers a letter received on paper with its scan, which the caller certifies as a true
/// copy: the office seal signs the scan (detached CAdES-T) and the certification note goes to
/// the evidence log, in the commit that numbers the entry.
#[utoipa::path(post, path = "/api/v1/offices/{id}/register/paper", security(("bearer" = [])),
    params(("id" = String, Path, description = "the office's id")), request_body = PaperLetterJson,
    responses((status = 201, body = EntryScanJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn register(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let p = user(&ctx)?;
    let b: PaperLetterJson = parse(&ctx, &body)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b.content.trim())
        .map_err(|_| ApiError(DomainError::invalid("content", "err-base64"), ctx.lang))?;
    let input = PaperLetterInput {
        subject: b.subject,
        correspondent: b.correspondent,
        received_on: b.received_on,
        department: b.department,
    };
    let e = state
        .services
        .register_paper(p, &id, &input, &b.name, bytes)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    let v = state
        .services
        .entry_view(p, &e.id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok((StatusCode::CREATED, Json(json_of(v))).into_response())
}

/// A register entry with its scan, for the people who work its office's cases.
#[utoipa::path(get, path = "/api/v1/register-entries/{id}", security(("bearer" = [])),
    params(("id" = String, Path, description = "the register entry's id")),
    responses((status = 200, body = EntryScanJson), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn one(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Json<EntryScanJson>, ApiError> {
    let p = user(&ctx)?;
    let v = state
        .services
        .entry_view(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(json_of(v)))
}

/// The scan's file, as it was registered.
#[utoipa::path(get, path = "/api/v1/register-entries/{id}/scan", security(("bearer" = [])),
    params(("id" = String, Path, description = "the register entry's id")),
    responses((status = 200, description = "the scan"), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "the records of the entry's case were destroyed")))]
async fn scan_file(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Response, ApiError> {
    let p = user(&ctx)?;
    let (scan, bytes) = state
        .services
        .entry_scan(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(crate::downloads::download(
        scan.media_type,
        &scan.name,
        bytes,
    ))
}

/// The office seal's detached CAdES-T signature over the scan.
#[utoipa::path(get, path = "/api/v1/register-entries/{id}/scan/signature", security(("bearer" = [])),
    params(("id" = String, Path, description = "the register entry's id")),
    responses((status = 200, description = "application/pkcs7-signature"), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn scan_signature(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Response, ApiError> {
    let p = user(&ctx)?;
    let scan = state
        .services
        .entry_view(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?
        .scan
        .ok_or(ApiError(DomainError::NotFound, ctx.lang))?;
    let der = base64::engine::general_purpose::STANDARD
        .decode(&scan.signature)
        .map_err(|e| ApiError(DomainError::Internal(e.to_string()), ctx.lang))?;
    Ok(crate::downloads::detached_signature(&scan.name, der))
}
