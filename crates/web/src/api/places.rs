//! Where cases are, over HTTP: a case's place (set, read, removed) and the places of the
//! caller's departments as GeoJSON (RFC 7946), which GIS tools (QGIS, ogr2ogr) read as is.

use super::common::{parse, rfc3339, user};
use crate::ctx::Cx;
use crate::error::{ApiError, Problem};
use crate::State;
use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use okienko_domain::places::degrees;
use okienko_domain::DomainError;
use okienko_services::cases::places::MAP_PAGE;
use okienko_store::{CasePlace, PlacedCase};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

pub fn routes() -> Router<State> {
    Router::new()
        .route("/api/v1/cases/places", get(places))
        .route("/api/v1/cases/{id}/place", get(one).put(set).delete(remove))
}

#[derive(OpenApi)]
#[openapi(
    paths(places, one, set, remove),
    components(schemas(
        PlaceJson,
        PlaceInputJson,
        FeatureCollectionJson,
        FeatureJson,
        PointJson,
        PropertiesJson
    ))
)]
pub struct Doc;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceInputJson {
    /// The address (at most 300 characters); may be left out when there are coordinates.
    address: Option<String>,
    /// Latitude in degrees (WGS 84), -90 to 90, at most seven decimals; with `lon`.
    lat: Option<f64>,
    /// Longitude in degrees (WGS 84), -180 to 180, at most seven decimals; with `lat`.
    lon: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct PlaceJson {
    case: String,
    address: String,
    lat: Option<f64>,
    lon: Option<f64>,
    updated_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct PointJson {
    /// `Point`.
    #[serde(rename = "type")]
    kind: String,
    /// Longitude, then latitude (RFC 7946 §3.1.1).
    coordinates: Vec<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct PropertiesJson {
    signature: String,
    title: String,
    /// `open`, `suspended` or `closed`.
    status: String,
    address: String,
    /// The case's page.
    url: String,
}

#[derive(Serialize, ToSchema)]
pub struct FeatureJson {
    /// `Feature`.
    #[serde(rename = "type")]
    kind: String,
    /// The case's id.
    id: String,
    /// Null for a place known by its address only.
    geometry: Option<PointJson>,
    properties: PropertiesJson,
}

#[derive(Serialize, ToSchema)]
pub struct FeatureCollectionJson {
    /// `FeatureCollection`.
    #[serde(rename = "type")]
    kind: String,
    /// The newest case first.
    features: Vec<FeatureJson>,
    /// Where the next page starts (`cursor`), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

fn number(v: i64) -> f64 {
    degrees(v).parse().unwrap_or(0.0)
}

/// Places as a GeoJSON FeatureCollection: a Point feature per place with coordinates, a
/// feature without geometry per address alone.
pub(crate) fn geojson(
    base_url: &str,
    places: Vec<PlacedCase>,
    next: Option<String>,
) -> FeatureCollectionJson {
    let features = places
        .into_iter()
        .map(|pc| FeatureJson {
            kind: "Feature".into(),
            geometry: pc
                .place
                .lat_e7
                .zip(pc.place.lon_e7)
                .map(|(lat, lon)| PointJson {
                    kind: "Point".into(),
                    coordinates: vec![number(lon), number(lat)],
                }),
            properties: PropertiesJson {
                signature: pc.signature,
                title: pc.title,
                status: pc.status,
                address: pc.place.address,
                url: format!(
                    "{base_url}{}",
                    okienko_domain::search::case_path(&pc.place.case_id)
                ),
            },
            id: pc.place.case_id,
        })
        .collect();
    FeatureCollectionJson {
        kind: "FeatureCollection".into(),
        features,
        next_cursor: next,
    }
}

/// The GeoJSON media type (RFC 7946 §12).
pub(crate) fn geojson_response(body: &FeatureCollectionJson, attachment: bool) -> Response {
    let text = serde_json::to_string(body).unwrap_or_default();
    let mut resp = ([(header::CONTENT_TYPE, "application/geo+json")], text).into_response();
    if attachment {
        resp.headers_mut().insert(
            header::CONTENT_DISPOSITION,
            header::HeaderValue::from_static("attachment; filename=\"cases.geojson\""),
        );
    }
    resp
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlacesQuery {
    /// A department's id or code; all the caller works when left out.
    department: Option<String>,
    /// `open`, `suspended`, `closed` or `all`; open and suspended when left out.
    status: Option<String>,
    /// `next_cursor` of the page before.
    cursor: Option<String>,
    /// At most 1000 (the default).
    limit: Option<i64>,
}

/// The places of the cases of the caller's departments, newest case first, as a GeoJSON
/// FeatureCollection (`application/geo+json`).
#[utoipa::path(get, path = "/api/v1/cases/places", security(("bearer" = [])), params(PlacesQuery),
    responses((status = 200, body = FeatureCollectionJson, content_type = "application/geo+json"),
        (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn places(
    Cx(state, ctx): Cx,
    q: Result<Query<PlacesQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let p = user(&ctx)?;
    let Query(q) =
        q.map_err(|_| ApiError(DomainError::invalid("query", "err-invalid"), ctx.lang))?;
    let (page, next) = state
        .services
        .case_places(
            p,
            q.department.as_deref(),
            q.status.as_deref(),
            q.cursor.as_deref(),
            q.limit.unwrap_or(MAP_PAGE),
        )
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(geojson_response(
        &geojson(&state.services.base_url, page, next),
        false,
    ))
}

fn place_json(p: CasePlace) -> PlaceJson {
    PlaceJson {
        case: p.case_id,
        address: p.address,
        lat: p.lat_e7.map(number),
        lon: p.lon_e7.map(number),
        updated_at: rfc3339(p.updated_at),
    }
}

/// A case's place; 404 when it has none.
#[utoipa::path(get, path = "/api/v1/cases/{id}/place", security(("bearer" = [])),
    params(("id" = String, Path, description = "the case's id")),
    responses((status = 200, body = PlaceJson), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn one(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Json<PlaceJson>, ApiError> {
    let p = user(&ctx)?;
    let place = state
        .services
        .case_place(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?
        .ok_or(ApiError(DomainError::NotFound, ctx.lang))?;
    Ok(Json(place_json(place)))
}

/// Sets where a case is (an open or suspended one): an address, coordinates, or both. The
/// change is on the case's timeline.
#[utoipa::path(put, path = "/api/v1/cases/{id}/place", security(("bearer" = [])), request_body = PlaceInputJson,
    params(("id" = String, Path, description = "the case's id")),
    responses((status = 200, body = PlaceJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn set(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<PlaceJson>, ApiError> {
    let p = user(&ctx)?;
    let b: PlaceInputJson = parse(&ctx, &body)?;
    let text = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    let place = state
        .services
        .set_case_place(
            p,
            &id,
            b.address.as_deref().unwrap_or(""),
            &text(b.lat),
            &text(b.lon),
        )
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(place_json(place)))
}

/// Removes a case's place; 404 when it has none.
#[utoipa::path(delete, path = "/api/v1/cases/{id}/place", security(("bearer" = [])),
    params(("id" = String, Path, description = "the case's id")),
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
async fn remove(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    let p = user(&ctx)?;
    state
        .services
        .remove_case_place(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(StatusCode::NO_CONTENT)
}
