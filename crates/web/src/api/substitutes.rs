//! Substitutes over HTTP: an office's current and coming substitutions, naming one (for
//! oneself, or anyone by the office's head) and cancelling one.

use super::common::{parse, rfc3339, user};
use crate::ctx::Cx;
use crate::error::{ApiError, Problem};
use crate::State;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use okienko_services::cases::substitutes::SubstituteInput;
use okienko_store::Substitute;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

pub fn routes() -> Router<State> {
    Router::new()
        .route("/api/v1/offices/{id}/substitutes", get(list).post(add))
        .route("/api/v1/substitutes/{id}/cancel", post(cancel))
}

#[derive(OpenApi)]
#[openapi(
    paths(list, add, cancel),
    components(schemas(SubstituteJson, NewSubstituteJson))
)]
pub struct Doc;

/// A substitution: `substitute` handles `absent`'s cases from `starts_on` to `ends_on`
/// (both included).
#[derive(Serialize, ToSchema)]
pub struct SubstituteJson {
    id: String,
    office_id: String,
    absent: String,
    absent_name: String,
    substitute: String,
    substitute_name: String,
    starts_on: String,
    ends_on: String,
    created_at: String,
    cancelled_at: Option<String>,
}

/// A substitution to add: user ids and days `YYYY-MM-DD` (from today on, at most 366 days).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubstituteJson {
    absent: String,
    substitute: String,
    starts_on: String,
    ends_on: String,
}

fn json_of(s: Substitute) -> SubstituteJson {
    SubstituteJson {
        id: s.id,
        office_id: s.office_id,
        absent: s.absent_id,
        absent_name: s.absent_name,
        substitute: s.substitute_id,
        substitute_name: s.substitute_name,
        starts_on: s.starts_on,
        ends_on: s.ends_on,
        created_at: rfc3339(s.created_at),
        cancelled_at: s.cancelled_at.map(rfc3339),
    }
}

/// The office's substitutions that are in force or coming, for the people who work its cases.
#[utoipa::path(get, path = "/api/v1/offices/{id}/substitutes", security(("bearer" = [])),
    params(("id" = String, Path, description = "the office's id")),
    responses((status = 200, body = Vec<SubstituteJson>), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn list(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
) -> Result<Json<Vec<SubstituteJson>>, ApiError> {
    let p = user(&ctx)?;
    let v = state
        .services
        .substitutes(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(v.items.into_iter().map(json_of).collect()))
}

/// Names a substitute: for the caller, or for any official of the office by its head.
#[utoipa::path(post, path = "/api/v1/offices/{id}/substitutes", security(("bearer" = [])),
    params(("id" = String, Path, description = "the office's id")), request_body = NewSubstituteJson,
    responses((status = 201, body = SubstituteJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
async fn add(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<SubstituteJson>), ApiError> {
    let p = user(&ctx)?;
    let b: NewSubstituteJson = parse(&ctx, &body)?;
    let input = SubstituteInput {
        absent: b.absent,
        substitute: b.substitute,
        starts_on: b.starts_on,
        ends_on: b.ends_on,
    };
    let s = state
        .services
        .add_substitute(p, &id, &input)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok((StatusCode::CREATED, Json(json_of(s))))
}

/// Cancels a substitution (the absent official, who named it, or the office's head).
#[utoipa::path(post, path = "/api/v1/substitutes/{id}/cancel", security(("bearer" = [])),
    params(("id" = String, Path, description = "the substitution's id")),
    responses((status = 200, body = SubstituteJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
async fn cancel(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
) -> Result<Json<SubstituteJson>, ApiError> {
    let p = user(&ctx)?;
    let s = state
        .services
        .cancel_substitute(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(json_of(s)))
}
