//! An official's times away over HTTP: the list (with the bookings each meets), adding one as
//! two moments, removing one. The appointment schedules that name the official narrow at once.

use super::common::{parse, rfc3339, user};
use crate::ctx::Cx;
use crate::error::{ApiError, Problem};
use crate::State;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use okienko_domain::availability::Away;
use okienko_domain::DomainError;
use okienko_services::availability::AwayView;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

pub fn routes() -> Router<State> {
    Router::new()
        .route("/api/v1/availability", get(list).post(add))
        .route("/api/v1/availability/{id}", delete(remove))
}

#[derive(OpenApi)]
#[openapi(paths(list, add, remove), components(schemas(AwayJson, NewAwayJson)))]
pub struct Doc;

/// A time away: the official does not receive people from `starts_at` until `ends_at`;
/// `booked` people are booked then at the schedules that name them (they stay booked).
#[derive(Serialize, ToSchema)]
pub struct AwayJson {
    id: String,
    starts_at: String,
    ends_at: String,
    note: String,
    booked: usize,
}

/// A time away to add: two moments (RFC 3339), the end after the start and after now, a
/// year at most; a note of 200 characters at most.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAwayJson {
    starts_at: String,
    ends_at: String,
    #[serde(default)]
    note: String,
}

fn json_of(v: AwayView) -> AwayJson {
    AwayJson {
        id: v.away.id,
        starts_at: rfc3339(v.away.starts_at),
        ends_at: rfc3339(v.away.ends_at),
        note: v.away.note,
        booked: v.booked,
    }
}

/// The caller's times away that have not ended (officials).
#[utoipa::path(get, path = "/api/v1/availability", security(("bearer" = [])),
    responses((status = 200, body = Vec<AwayJson>), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn list(Cx(state, ctx): Cx) -> Result<Json<Vec<AwayJson>>, ApiError> {
    let p = user(&ctx)?;
    let v = state
        .services
        .my_times_away(p)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(v.into_iter().map(json_of).collect()))
}

fn moment(field: &'static str, s: &str) -> Result<i64, DomainError> {
    time::OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc3339)
        .map(okienko_domain::to_millis)
        .map_err(|_| DomainError::invalid(field, "err-away-moment"))
}

/// Adds a time away of the caller (officials): the places of the schedules that name them
/// narrow at once.
#[utoipa::path(post, path = "/api/v1/availability", security(("bearer" = [])), request_body = NewAwayJson,
    responses((status = 201, body = AwayJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
async fn add(Cx(state, ctx): Cx, body: Bytes) -> Result<(StatusCode, Json<AwayJson>), ApiError> {
    let p = user(&ctx)?;
    state
        .services
        .may_be_away(p)
        .map_err(|e| ApiError(e, ctx.lang))?;
    let b: NewAwayJson = parse(&ctx, &body)?;
    let away = moment("starts_at", &b.starts_at)
        .and_then(|starts_at| {
            Ok(Away {
                starts_at,
                ends_at: moment("ends_at", &b.ends_at)?,
            })
        })
        .map_err(|e| ApiError(e, ctx.lang))?;
    let v = state
        .services
        .add_away_between(p, away, &b.note)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok((StatusCode::CREATED, Json(json_of(v))))
}

/// Removes one of the caller's times away: the places come back.
#[utoipa::path(delete, path = "/api/v1/availability/{id}", security(("bearer" = [])),
    params(("id" = String, Path, description = "the time away's id")),
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn remove(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    let p = user(&ctx)?;
    state
        .services
        .remove_time_away(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(StatusCode::NO_CONTENT)
}
