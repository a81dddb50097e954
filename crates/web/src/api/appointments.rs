//! Appointments over HTTP: a service's slots (public), booking one (confirmed at once, with
//! its code and its `.ics`), the caller's bookings, cancelling, and an official's agenda.

use super::common::{parse, rfc3339, user};
use crate::ctx::Cx;
use crate::error::{ApiError, Problem};
use crate::State;
use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use okienko_domain::substitutes::parse_day;
use okienko_domain::DomainError;
use okienko_store::Appointment;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

pub fn routes() -> Router<State> {
    Router::new()
        .route("/api/v1/appointments/slots", get(slots))
        .route("/api/v1/appointments", get(mine).post(book))
        .route("/api/v1/appointments/agenda", get(agenda))
        .route("/api/v1/appointments/{id}", delete(cancel))
}

#[derive(OpenApi)]
#[openapi(
    paths(slots, book, mine, cancel, agenda),
    components(schemas(SlotsJson, SlotJson, BookJson, BookedJson, AppointmentJson, AgendaJson))
)]
pub struct Doc;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SlotParams {
    /// The service's id (from the catalogue).
    service: String,
    /// The first day, `YYYY-MM-DD`.
    from: String,
    /// The last day, `YYYY-MM-DD` (at most 62 days after `from`).
    to: String,
}

/// One slot: where, when, and how many places are free.
#[derive(Serialize, ToSchema)]
pub struct SlotJson {
    id: String,
    /// The place's name.
    place: String,
    starts_at: String,
    ends_at: String,
    free: i64,
}

#[derive(Serialize, ToSchema)]
pub struct SlotsJson {
    items: Vec<SlotJson>,
}

/// The slot to book.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookJson {
    slot: String,
}

/// A booking made: its id, the code to show at the place, and its calendar file.
#[derive(Serialize, ToSchema)]
pub struct BookedJson {
    id: String,
    code: String,
    ics_url: String,
}

/// A booking.
#[derive(Serialize, ToSchema)]
pub struct AppointmentJson {
    id: String,
    code: String,
    service: String,
    place: String,
    address: String,
    starts_at: String,
    ends_at: String,
    /// `held`, `booked`, `cancelled`, `checked-in`, `done` or `no-show`.
    status: String,
    ics_url: String,
}

/// An official's appointments at their places.
#[derive(Serialize, ToSchema)]
pub struct AgendaJson {
    items: Vec<AppointmentJson>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AgendaParams {
    /// The first day, `YYYY-MM-DD` (today when left out).
    from: Option<String>,
    /// How many days (1 to 62, 1 when left out).
    days: Option<i64>,
}

fn json_of(a: Appointment, status: &str) -> AppointmentJson {
    AppointmentJson {
        ics_url: format!("/appointments/{}/ics", a.id),
        code: okienko_domain::appointments::show_code(&a.code),
        service: a.service_id,
        place: a.place_name,
        address: a.place_address,
        starts_at: rfc3339(a.starts_at),
        ends_at: rfc3339(a.ends_at),
        status: status.to_string(),
        id: a.id,
    }
}

fn day_param(ctx: &crate::ctx::Ctx, field: &'static str, s: &str) -> Result<time::Date, ApiError> {
    parse_day(s).ok_or_else(|| ApiError(DomainError::invalid(field, "err-appt-range"), ctx.lang))
}

/// A service's slots on the days `from..to` within its booking window, each with its free
/// places (public).
#[utoipa::path(get, path = "/api/v1/appointments/slots", params(SlotParams),
    responses((status = 200, body = SlotsJson), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn slots(
    Cx(state, ctx): Cx,
    q: Result<Query<SlotParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<SlotsJson>, ApiError> {
    let Query(q) =
        q.map_err(|_| ApiError(DomainError::invalid("service", "err-invalid"), ctx.lang))?;
    let from = day_param(&ctx, "from", &q.from)?;
    let to = day_param(&ctx, "to", &q.to)?;
    let list = state
        .services
        .free_slots(&q.service, from, to)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(SlotsJson {
        items: list
            .iter()
            .map(|s| SlotJson {
                free: (s.capacity - s.taken).max(0),
                id: s.id.clone(),
                place: s.place_name.clone(),
                starts_at: rfc3339(s.starts_at),
                ends_at: rfc3339(s.ends_at),
            })
            .collect(),
    }))
}

/// Books a place in a slot for the caller, confirmed at once; the email with the `.ics`
/// goes out. 409 when the slot is full, the caller has as many bookings of the service as
/// allowed, the slot is outside the booking window, or the caller may not book online
/// (after no-shows).
#[utoipa::path(post, path = "/api/v1/appointments", security(("bearer" = [])), request_body = BookJson,
    responses((status = 201, body = BookedJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn book(Cx(state, ctx): Cx, body: Bytes) -> Result<(StatusCode, Json<BookedJson>), ApiError> {
    let p = user(&ctx)?;
    let b: BookJson = parse(&ctx, &body)?;
    let a = state
        .services
        .book_slot(p, &b.slot)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok((
        StatusCode::CREATED,
        Json(BookedJson {
            ics_url: format!("/appointments/{}/ics", a.id),
            code: okienko_domain::appointments::show_code(&a.code),
            id: a.id,
        }),
    ))
}

/// The caller's bookings, the latest first.
#[utoipa::path(get, path = "/api/v1/appointments", security(("bearer" = [])),
    responses((status = 200, body = AgendaJson), (status = 401, body = Problem)))]
async fn mine(Cx(state, ctx): Cx) -> Result<Json<AgendaJson>, ApiError> {
    let p = user(&ctx)?;
    let list = state
        .services
        .my_appointments(p, ctx.lang.code())
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(AgendaJson {
        items: list
            .into_iter()
            .map(|v| {
                let status = v.status.as_str();
                json_of(v.appointment, status)
            })
            .collect(),
    }))
}

/// Cancels the caller's booking (or hold); its place is free again after the place's delay.
#[utoipa::path(delete, path = "/api/v1/appointments/{id}", security(("bearer" = [])),
    params(("id" = String, Path, description = "the booking's id")),
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
async fn cancel(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    let p = user(&ctx)?;
    state
        .services
        .cancel_appointment(okienko_services::appointments::Holder::Person(p), &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(StatusCode::NO_CONTENT)
}

/// The appointments at the caller's places (an official's departments, a clerk's post
/// office) on the days asked.
#[utoipa::path(get, path = "/api/v1/appointments/agenda", security(("bearer" = [])), params(AgendaParams),
    responses((status = 200, body = AgendaJson), (status = 401, body = Problem), (status = 422, body = Problem)))]
async fn agenda(
    Cx(state, ctx): Cx,
    q: Result<Query<AgendaParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<AgendaJson>, ApiError> {
    let p = user(&ctx)?;
    let Query(q) =
        q.map_err(|_| ApiError(DomainError::invalid("from", "err-invalid"), ctx.lang))?;
    let from = match q.from.as_deref() {
        Some(d) => day_param(&ctx, "from", d)?,
        None => state.services.local_today(),
    };
    let list = state
        .services
        .agenda(p, from, q.days.unwrap_or(1))
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(AgendaJson {
        items: list
            .into_iter()
            .map(|a| {
                let status = a.status.clone();
                json_of(a, &status)
            })
            .collect(),
    }))
}
