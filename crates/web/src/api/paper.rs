//! The hybrid paper channel over the API: a service point's waiting letters and print
//! batches, the print-ready PDF, printed / dispatched steps and each letter's outcome (clerks
//! of that point); a letter's PDF (its sender or those clerks).

use super::common::rfc3339;
use super::common::{parse, user};
use crate::ctx::CtxRef;
use crate::ctx::Cx;
use crate::error::{ApiError, Problem};
use crate::St;
use crate::State;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use okienko_services::paper::letter_status;
use okienko_store::{PaperLetter, PrintBatch};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        desk, make_batch, batch, batch_pdf, printed, dispatched, outcome, letter_pdf
    ),
    components(schemas(LetterJson, BatchJson, DeskJson, OutcomeInput))
)]
pub struct Doc;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/api/v1/service-points/{id}/paper", get(desk))
        .route(
            "/api/v1/service-points/{id}/print-batches",
            post(make_batch),
        )
        .route("/api/v1/print-batches/{id}", get(batch))
        .route("/api/v1/print-batches/{id}/pdf", get(batch_pdf))
        .route("/api/v1/print-batches/{id}/printed", post(printed))
        .route("/api/v1/print-batches/{id}/dispatched", post(dispatched))
        .route("/api/v1/paper-letters/{id}/outcome", post(outcome))
        .route("/api/v1/paper-letters/{id}/pdf", get(letter_pdf))
}

#[derive(Serialize, ToSchema)]
pub struct LetterJson {
    id: String,
    message_id: String,
    tracking_number: String,
    recipient_name: String,
    street: String,
    postal_code: String,
    city: String,
    pages: i64,
    pdf_sha256: String,
    /// waiting, batched, printed, dispatched, or the outcome
    status: String,
}

pub(crate) fn letter_json(l: PaperLetter, status: &str) -> LetterJson {
    LetterJson {
        status: status.to_string(),
        id: l.id,
        message_id: l.message_id,
        tracking_number: l.tracking_number,
        recipient_name: l.recipient_name,
        street: l.street,
        postal_code: l.postal_code,
        city: l.city,
        pages: l.pages,
        pdf_sha256: l.pdf_sha256,
    }
}

#[derive(Serialize, ToSchema)]
pub struct BatchJson {
    id: String,
    service_point_id: String,
    /// closed (to be printed), printed, dispatched
    status: String,
    created_at: String,
    printed_at: Option<String>,
    dispatched_at: Option<String>,
    letters: i64,
    pages: i64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    items: Vec<LetterJson>,
}

fn batch_json(b: PrintBatch, items: Vec<LetterJson>) -> BatchJson {
    BatchJson {
        id: b.id,
        service_point_id: b.service_point_id,
        status: b.status.to_string(),
        created_at: rfc3339(b.created_at),
        printed_at: b.printed_at.map(rfc3339),
        dispatched_at: b.dispatched_at.map(rfc3339),
        letters: b.letters,
        pages: b.pages,
        items,
    }
}

#[derive(Serialize, ToSchema)]
pub struct DeskJson {
    waiting: Vec<LetterJson>,
    batches: Vec<BatchJson>,
}

/// Letters waiting at a service point and its print batches (clerks of that point).
#[utoipa::path(get, path = "/api/v1/service-points/{id}/paper", security(("bearer" = [])),
    responses((status = 200, body = DeskJson), (status = 401, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn desk(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Json<DeskJson>, ApiError> {
    let p = user(&ctx)?;
    let d = state
        .services
        .paper_desk(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(DeskJson {
        waiting: d
            .waiting
            .into_iter()
            .map(|l| letter_json(l, "waiting"))
            .collect(),
        batches: d
            .batches
            .into_iter()
            .map(|b| batch_json(b, Vec::new()))
            .collect(),
    }))
}

/// Puts every waiting letter of the point into a new print batch.
#[utoipa::path(post, path = "/api/v1/service-points/{id}/print-batches", security(("bearer" = [])),
    responses((status = 201, body = BatchJson), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn make_batch(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<BatchJson>), ApiError> {
    let p = user(&ctx)?;
    let s = &state.services;
    let b = s
        .make_print_batch(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    let v = s
        .print_batch_view(p, &b.id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok((StatusCode::CREATED, Json(view_json(v))))
}

fn view_json(v: okienko_services::paper::BatchView) -> BatchJson {
    let items = v
        .letters
        .into_iter()
        .map(|l| {
            let status = letter_status(&l, Some(&v.batch));
            letter_json(l, status)
        })
        .collect();
    batch_json(v.batch, items)
}

/// A print batch with its letters.
#[utoipa::path(get, path = "/api/v1/print-batches/{id}", security(("bearer" = [])),
    responses((status = 200, body = BatchJson), (status = 404, body = Problem)))]
async fn batch(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Json<BatchJson>, ApiError> {
    let p = user(&ctx)?;
    let v = state
        .services
        .print_batch_view(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(view_json(v)))
}

/// The print-ready PDF of a batch: its letters one after another, A4.
#[utoipa::path(get, path = "/api/v1/print-batches/{id}/pdf", security(("bearer" = [])),
    responses((status = 200, description = "application/pdf"), (status = 404, body = Problem)))]
async fn batch_pdf(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Response, ApiError> {
    let p = user(&ctx)?;
    let pdf = state
        .services
        .print_batch_pdf(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(crate::downloads::pdf(&format!("batch-{id}.pdf"), pdf))
}

async fn step(
    state: &State,
    ctx: &CtxRef,
    id: &str,
    dispatched: bool,
) -> Result<Json<BatchJson>, ApiError> {
    let axum::Extension(ctx) = ctx;
    let p = user(ctx)?;
    let s = &state.services;
    if dispatched {
        s.mark_batch_dispatched(p, id).await
    } else {
        s.mark_batch_printed(p, id).await
    }
    .map_err(|e| ApiError(e, ctx.lang))?;
    let v = s
        .print_batch_view(p, id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(view_json(v)))
}

/// Marks a batch printed.
#[utoipa::path(post, path = "/api/v1/print-batches/{id}/printed", security(("bearer" = [])),
    responses((status = 200, body = BatchJson), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn printed(
    axum::extract::State(state): St,
    ctx: CtxRef,
    Path(id): Path<String>,
) -> Result<Json<BatchJson>, ApiError> {
    step(&state, &ctx, &id, false).await
}

/// Marks a printed batch handed to the post: `paper-dispatch` evidence for each letter.
#[utoipa::path(post, path = "/api/v1/print-batches/{id}/dispatched", security(("bearer" = [])),
    responses((status = 200, body = BatchJson), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn dispatched(
    axum::extract::State(state): St,
    ctx: CtxRef,
    Path(id): Path<String>,
) -> Result<Json<BatchJson>, ApiError> {
    step(&state, &ctx, &id, true).await
}

#[derive(Deserialize, ToSchema)]
pub struct OutcomeInput {
    /// delivered, delivered-household, picked-up, returned-after-notice, returned-other
    #[serde(default)]
    outcome: String,
}

/// Records how a dispatched letter ended: `paper-outcome` evidence for the sender.
#[utoipa::path(post, path = "/api/v1/paper-letters/{id}/outcome", security(("bearer" = [])), request_body = OutcomeInput,
    responses((status = 200, body = LetterJson), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn outcome(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<LetterJson>, ApiError> {
    let p = user(&ctx)?;
    let input: OutcomeInput = parse(&ctx, &body)?;
    let l = state
        .services
        .record_letter_outcome(p, &id, &input.outcome)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    let status = letter_status(&l, None);
    Ok(Json(letter_json(l, status)))
}

/// A letter's PDF, for its sender or the clerks of the point that prints it.
#[utoipa::path(get, path = "/api/v1/paper-letters/{id}/pdf", security(("bearer" = [])),
    responses((status = 200, description = "application/pdf"), (status = 404, body = Problem)))]
async fn letter_pdf(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Response, ApiError> {
    let p = user(&ctx)?;
    let (l, bytes) = state
        .services
        .letter_pdf(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(crate::downloads::pdf(
        &format!("{}.pdf", l.tracking_number),
        bytes,
    ))
}
