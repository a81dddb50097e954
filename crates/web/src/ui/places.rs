//! Where cases are: the place part of a case page (address and coordinates, set or removed),
//! and the department's map page: a list of the places that works without JavaScript and
//! without tiles, a Leaflet map over it when the installation names a tile server, and the
//! GeoJSON export of the same places.

use super::cases::done;
use super::common::{err, render, require_user, CsrfForm};
use crate::ctx::{Ctx, Cx, FormText};
use crate::error::PageError;
use crate::State;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use okienko_domain::places::degrees;
use okienko_services::cases::places::{place_text, MAP_PAGE};
use okienko_store::{CasePlace, PlacedCase};
use std::collections::HashMap;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/cases/{id}/place", post(set_place))
        .route("/cases/{id}/place/remove", post(remove_place))
        .route("/cases/map", get(map))
        .route("/cases/map.geojson", get(export))
        .route("/static/leaflet/leaflet.js", get(leaflet_js))
        .route("/static/leaflet/leaflet.css", get(leaflet_css))
        .route("/static/leaflet/images/{name}", get(leaflet_image))
        .route("/static/map.js", get(map_js))
}

/// The tile server the map pages draw under the places (none: the pages list the places only).
#[derive(Debug, Clone, Default)]
pub struct MapConfig {
    /// A tile URL template with `{z}`, `{x}` and `{y}` (and perhaps `{s}`), e.g.
    /// `https://tile.openstreetmap.org/{z}/{x}/{y}.png`.
    pub tiles: Option<String>,
    /// The attribution the tile server's terms ask for, shown on the map.
    pub attribution: String,
}

impl MapConfig {
    /// Checks a tile URL template: http(s), a host, and the `{z}`, `{x}` and `{y}` places.
    pub fn new(tiles: Option<&str>, attribution: Option<&str>) -> Result<MapConfig, String> {
        let tiles = tiles.map(str::trim).filter(|t| !t.is_empty());
        if let Some(t) = tiles {
            let ok = (t.starts_with("https://") || t.starts_with("http://"))
                && ["{z}", "{x}", "{y}"].iter().all(|p| t.contains(p))
                && !t.contains(['"', '\'', ' ', ';', '<', '>']);
            if !ok || origin(t).is_none() {
                return Err(format!(
                    "map tiles: {t:?} is not an http(s) URL with {{z}}, {{x}} and {{y}}"
                ));
            }
        }
        Ok(MapConfig {
            tiles: tiles.map(str::to_string),
            attribution: attribution.unwrap_or("").trim().to_string(),
        })
    }
}

/// The origin a tile template loads from, as a Content-Security-Policy source (`{s}`
/// subdomains become `*`).
fn origin(tiles: &str) -> Option<String> {
    let (scheme, rest) = tiles.split_once("://")?;
    let host = rest.split('/').next().filter(|h| !h.is_empty())?;
    Some(format!("{scheme}://{}", host.replace("{s}", "*")))
}

/// The place part of a case page.
pub(super) struct PlaceRow {
    pub text: String,
    pub address: String,
    pub lat: String,
    pub lon: String,
}

pub(super) fn place_row(p: Option<CasePlace>) -> Option<PlaceRow> {
    p.map(|p| PlaceRow {
        text: place_text(&p),
        lat: p.lat_e7.map(degrees).unwrap_or_default(),
        lon: p.lon_e7.map(degrees).unwrap_or_default(),
        address: p.address,
    })
}

async fn set_place(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let r = state
        .services
        .set_case_place(
            p,
            &id,
            &form.text("address"),
            &form.text("lat"),
            &form.text("lon"),
        )
        .await;
    done(&state, &ctx, &id, r, "notice-case-placed", form, "address").await
}

async fn remove_place(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let r = state.services.remove_case_place(p, &id).await;
    done(
        &state,
        &ctx,
        &id,
        r,
        "notice-case-unplaced",
        form,
        "address",
    )
    .await
}

/// A row of the map page's list.
struct MapRow {
    id: String,
    signature: String,
    title: String,
    status: String,
    address: String,
    /// (lat, lon) in degrees.
    point: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "places/map.html")]
struct MapPage<'a> {
    ctx: &'a Ctx,
    rows: Vec<MapRow>,
    departments: Vec<(String, String)>,
    department: String,
    status: String,
    next: Option<String>,
    /// The query of this page without its cursor (for the export and the next page).
    query: String,
    tiles: Option<String>,
    attribution: String,
    /// How many of the rows have a point.
    on_map: usize,
    /// "N places, M of them on the map".
    count: String,
}

/// The filters as a query string. Department ids and codes and status words are letters,
/// digits and `-`: anything else was not a filter the page offered, and is left out.
fn query_of(department: &str, status: &str) -> String {
    let plain = |v: &str| v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    [("department", department), ("status", status)]
        .iter()
        .filter(|(_, v)| !v.is_empty() && plain(v))
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

async fn map(
    Cx(state, ctx): Cx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("").to_string();
    let (department, status) = (get("department"), get("status"));
    let (places, next) = state
        .services
        .case_places(
            p,
            Some(&department),
            Some(&status),
            Some(&get("cursor")),
            MAP_PAGE,
        )
        .await
        .map_err(err(&ctx))?;
    let departments = state
        .services
        .case_departments(p)
        .await
        .map_err(err(&ctx))?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    let rows: Vec<MapRow> = places
        .into_iter()
        .map(|pc: PlacedCase| MapRow {
            status: ctx.t(&format!("case-status-{}", pc.status)),
            point: pc
                .place
                .lat_e7
                .zip(pc.place.lon_e7)
                .map(|(la, lo)| (degrees(la), degrees(lo))),
            id: pc.place.case_id,
            signature: pc.signature,
            title: pc.title,
            address: pc.place.address,
        })
        .collect();
    let on_map = rows.iter().filter(|r| r.point.is_some()).count();
    let tiles = state.map.tiles.clone();
    let csp = tiles.as_deref().and_then(origin);
    let count = ctx.ta(
        "map-count",
        &[
            ("count", &rows.len().to_string()),
            ("points", &on_map.to_string()),
        ],
    );
    let page = MapPage {
        count,
        ctx: &ctx,
        on_map,
        rows,
        departments,
        query: query_of(&department, &status),
        department,
        status,
        next,
        tiles,
        attribution: state.map.attribution.clone(),
    };
    let mut resp = render(&page);
    if let Some(o) = csp {
        // The tiles are the one thing this page loads from elsewhere.
        let policy = format!(
            "default-src 'self'; img-src 'self' data: {o}; object-src 'none'; base-uri 'none'; \
             frame-ancestors 'none'; form-action 'self'"
        );
        if let Ok(v) = HeaderValue::from_str(&policy) {
            resp.headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    Ok(resp)
}

/// At most this many places go into one export from the page (the API pages through more).
const EXPORT_MAX: usize = 20_000;

async fn export(
    Cx(state, ctx): Cx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("").to_string();
    let (department, status) = (get("department"), get("status"));
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let (page, next) = state
            .services
            .case_places(
                p,
                Some(&department),
                Some(&status),
                cursor.as_deref(),
                MAP_PAGE,
            )
            .await
            .map_err(err(&ctx))?;
        all.extend(page);
        match next {
            Some(n) if all.len() < EXPORT_MAX => cursor = Some(n),
            _ => break,
        }
    }
    all.truncate(EXPORT_MAX);
    Ok(crate::api::places::geojson_response(
        &crate::api::places::geojson(&state.services.base_url, all, None),
        true,
    ))
}

fn asset(content_type: &'static str, body: &'static [u8]) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}

async fn leaflet_js() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/leaflet/leaflet.js"),
    )
}

async fn leaflet_css() -> Response {
    asset(
        "text/css; charset=utf-8",
        include_bytes!("../../static/leaflet/leaflet.css"),
    )
}

async fn map_js() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/map.js"),
    )
}

async fn leaflet_image(Path(name): Path<String>) -> Response {
    let body: &'static [u8] = match name.as_str() {
        "marker-icon.png" => include_bytes!("../../static/leaflet/images/marker-icon.png"),
        "marker-icon-2x.png" => include_bytes!("../../static/leaflet/images/marker-icon-2x.png"),
        "marker-shadow.png" => include_bytes!("../../static/leaflet/images/marker-shadow.png"),
        "layers.png" => include_bytes!("../../static/leaflet/images/layers.png"),
        "layers-2x.png" => include_bytes!("../../static/leaflet/images/layers-2x.png"),
        _ => return axum::http::StatusCode::NOT_FOUND.into_response(),
    };
    asset("image/png", body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_templates_are_checked_and_give_their_origin() {
        let c = MapConfig::new(Some("https://tile.openstreetmap.org/{z}/{x}/{y}.png"), None)
            .expect("osm");
        assert_eq!(
            c.tiles.as_deref().and_then(origin).as_deref(),
            Some("https://tile.openstreetmap.org")
        );
        assert_eq!(
            origin("https://{s}.tiles.example/{z}/{x}/{y}.png").as_deref(),
            Some("https://*.tiles.example")
        );
        assert!(MapConfig::new(Some("ftp://x/{z}/{x}/{y}"), None).is_err());
        assert!(MapConfig::new(Some("https://x/{z}/{x}.png"), None).is_err());
        assert!(MapConfig::new(Some("https://x/{z}/{x}/{y}.png'; script-src *"), None).is_err());
        assert!(MapConfig::new(None, None).expect("none").tiles.is_none());
        assert!(MapConfig::new(Some(" "), None)
            .expect("blank")
            .tiles
            .is_none());
    }
}
