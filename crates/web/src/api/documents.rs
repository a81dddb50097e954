//! A case's working documents over HTTP: adding one, its versions, check-out (one holder at a
//! time), check-in with a new version, release, and each version's file.

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
use okienko_services::cases::documents::{DocumentView, MAX_DOCUMENT_BYTES};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

pub fn routes() -> Router<State> {
    // A version travels base64 in JSON: a third more than the file, and some room.
    let limit = axum::extract::DefaultBodyLimit::max(MAX_DOCUMENT_BYTES / 3 * 4 + 64 * 1024);
    Router::new()
        .route(
            "/api/v1/cases/{id}/documents",
            get(list).post(add).layer(limit),
        )
        .route("/api/v1/documents/{id}", get(one))
        .route("/api/v1/documents/{id}/checkout", post(check_out))
        .route(
            "/api/v1/documents/{id}/checkin",
            post(check_in).layer(limit),
        )
        .route("/api/v1/documents/{id}/release", post(release))
        .route("/api/v1/documents/{id}/versions/{n}", get(file))
}

#[derive(OpenApi)]
#[openapi(
    paths(list, add, one, check_out, check_in, release, file),
    components(schemas(DocumentJson, VersionJson, NewDocumentJson, CheckInJson))
)]
pub struct Doc;

#[derive(Serialize, ToSchema)]
pub struct VersionJson {
    n: i64,
    name: String,
    media_type: String,
    sha256: String,
    size: i64,
    author: String,
    at: String,
}

/// A version as JSON (a case's document's or a library document's: one shape).
pub(super) fn version_json(v: okienko_store::DocumentVersion) -> VersionJson {
    VersionJson {
        n: v.n,
        name: v.name,
        media_type: v.media_type,
        sha256: v.sha256,
        size: v.size,
        author: v.author_name,
        at: rfc3339(v.at),
    }
}

#[derive(Serialize, ToSchema)]
pub struct DocumentJson {
    id: String,
    case_id: String,
    title: String,
    /// Who has it checked out, by name; none when nobody does.
    holder: Option<String>,
    held_since: Option<String>,
    versions: Vec<VersionJson>,
}

/// A document to add: its title and its first version (`content`, base64).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDocumentJson {
    title: String,
    name: String,
    content: String,
}

/// A check-in: with a new version (`name` and `content`, base64) or, empty, without one.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CheckInJson {
    name: Option<String>,
    content: Option<String>,
}

/// A check-in's new version, if any: from its body (empty: none).
pub(super) fn check_in_file(
    ctx: &crate::ctx::Ctx,
    body: &Bytes,
) -> Result<Option<(String, Vec<u8>)>, ApiError> {
    let b: CheckInJson = if body.is_empty() {
        CheckInJson::default()
    } else {
        parse(ctx, body)?
    };
    match (b.name, b.content) {
        (Some(name), Some(c)) => Ok(Some((name, content(ctx, &c)?))),
        (None, None) => Ok(None),
        _ => Err(ApiError(
            DomainError::invalid("content", "err-document-version"),
            ctx.lang,
        )),
    }
}

fn json_of(v: DocumentView) -> DocumentJson {
    let d = v.document;
    DocumentJson {
        id: d.id,
        case_id: d.case_id,
        title: d.title,
        holder: d.holder_name,
        held_since: d.held_since.map(rfc3339),
        versions: v.versions.into_iter().map(version_json).collect(),
    }
}

pub(super) fn content(ctx: &crate::ctx::Ctx, b64: &str) -> Result<Vec<u8>, ApiError> {
    base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|_| ApiError(DomainError::invalid("content", "err-base64"), ctx.lang))
}

async fn answer(
    state: &State,
    ctx: &crate::ctx::Ctx,
    id: &str,
) -> Result<Json<DocumentJson>, ApiError> {
    let p = ctx
        .principal
        .as_ref()
        .ok_or(ApiError(DomainError::Unauthenticated, ctx.lang))?;
    let v = state
        .services
        .case_document(p, id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(json_of(v)))
}

/// A case's working documents with their versions and holders.
#[utoipa::path(get, path = "/api/v1/cases/{id}/documents", security(("bearer" = [])),
    params(("id" = String, Path, description = "the case's id")),
    responses((status = 200, body = Vec<DocumentJson>), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn list(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
) -> Result<Json<Vec<DocumentJson>>, ApiError> {
    let p = user(&ctx)?;
    let list = state
        .services
        .case_documents(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(list.into_iter().map(json_of).collect()))
}

/// Adds a working document with its first version (at most 20 MB).
#[utoipa::path(post, path = "/api/v1/cases/{id}/documents", security(("bearer" = [])),
    params(("id" = String, Path, description = "the case's id")), request_body = NewDocumentJson,
    responses((status = 201, body = DocumentJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn add(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let p = user(&ctx)?;
    let b: NewDocumentJson = parse(&ctx, &body)?;
    let bytes = content(&ctx, &b.content)?;
    let d = state
        .services
        .add_case_document(p, &id, &b.title, &b.name, bytes)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    let j = answer(&state, &ctx, &d.id).await?;
    Ok((StatusCode::CREATED, j).into_response())
}

/// One document.
#[utoipa::path(get, path = "/api/v1/documents/{id}", security(("bearer" = [])),
    params(("id" = String, Path, description = "the document's id")),
    responses((status = 200, body = DocumentJson), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn one(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Json<DocumentJson>, ApiError> {
    user(&ctx)?;
    answer(&state, &ctx, &id).await
}

/// Checks the document out to the caller; refused while anyone holds it.
#[utoipa::path(post, path = "/api/v1/documents/{id}/checkout", security(("bearer" = [])),
    params(("id" = String, Path, description = "the document's id")),
    responses((status = 200, body = DocumentJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
async fn check_out(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
) -> Result<Json<DocumentJson>, ApiError> {
    let p = user(&ctx)?;
    state
        .services
        .check_out_document(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    answer(&state, &ctx, &id).await
}

/// Checks the document in (its holder only), with a new version or without one.
#[utoipa::path(post, path = "/api/v1/documents/{id}/checkin", security(("bearer" = [])),
    params(("id" = String, Path, description = "the document's id")), request_body = CheckInJson,
    responses((status = 200, body = DocumentJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn check_in(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<DocumentJson>, ApiError> {
    let p = user(&ctx)?;
    let file = check_in_file(&ctx, &body)?;
    state
        .services
        .check_in_document(p, &id, file)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    answer(&state, &ctx, &id).await
}

/// Releases a check-out without a new version: the holder, or the head of the office.
#[utoipa::path(post, path = "/api/v1/documents/{id}/release", security(("bearer" = [])),
    params(("id" = String, Path, description = "the document's id")),
    responses((status = 200, body = DocumentJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
async fn release(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
) -> Result<Json<DocumentJson>, ApiError> {
    let p = user(&ctx)?;
    state
        .services
        .release_document(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    answer(&state, &ctx, &id).await
}

/// A version's file (`n` 0 for the latest).
#[utoipa::path(get, path = "/api/v1/documents/{id}/versions/{n}", security(("bearer" = [])),
    params(("id" = String, Path, description = "the document's id"), ("n" = i64, Path, description = "the version's number, 0 for the latest")),
    responses((status = 200, description = "the file"), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "the case's records were destroyed", body = Problem)))]
async fn file(
    Cx(state, ctx): Cx,
    Path((id, n)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let p = user(&ctx)?;
    let n: i64 = n
        .parse()
        .map_err(|_| ApiError(DomainError::NotFound, ctx.lang))?;
    let (v, bytes) = state
        .services
        .document_file(p, &id, n)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(crate::downloads::version(v, bytes))
}
