//! Search over HTTP for officials: the cases, register entries and case documents of the
//! departments the caller works (`services::search`).

use super::common::{rfc3339, user};
use crate::ctx::Cx;
use crate::error::ApiError;
use crate::State;
use axum::extract::Query;
use axum::routing::get;
use axum::{Json, Router};
use okienko_domain::DomainError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

pub fn routes() -> Router<State> {
    Router::new().route("/api/v1/search", get(search))
}

#[derive(OpenApi)]
#[openapi(paths(search), components(schemas(SearchJson, HitJson)))]
pub struct Doc;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words (each finds the words that start with it, with or without diacritics), or a case
    /// signature; at most 100 characters. Without it nothing is found.
    q: Option<String>,
    /// `case`, `entry`, `document` or `library`; all when left out.
    kind: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct HitJson {
    /// `case`, `entry` (of the correspondence register), `document` (of a case) or `library`
    /// (a department library's document).
    kind: String,
    id: String,
    /// A case's signature and title, an entry's number and subject, a document's title.
    label: String,
    /// When it was opened, received or last changed.
    at: String,
    /// The page that shows it.
    url: String,
}

#[derive(Serialize, ToSchema)]
pub struct SearchJson {
    /// The newest first, at most 50.
    items: Vec<HitJson>,
    /// A word asked was too common to search in full: the newest items that have it were
    /// searched; another word narrows it.
    capped: bool,
}

/// Searches what the caller works on: cases, register entries and case documents (their
/// text, PDFs included) of the caller's departments.
#[utoipa::path(get, path = "/api/v1/search", security(("bearer" = [])), params(SearchParams),
    responses((status = 200, body = SearchJson), (status = 401, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
async fn search(
    Cx(state, ctx): Cx,
    q: Result<Query<SearchParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<SearchJson>, ApiError> {
    let p = user(&ctx)?;
    let Query(q) =
        q.map_err(|_| ApiError(DomainError::invalid("query", "err-invalid"), ctx.lang))?;
    let found = state
        .services
        .search_work(
            p,
            q.q.as_deref().unwrap_or(""),
            q.kind.as_deref().unwrap_or(""),
        )
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(SearchJson {
        items: found
            .hits
            .into_iter()
            .map(|h| HitJson {
                kind: h.kind,
                id: h.item_id,
                label: h.label,
                at: rfc3339(h.at),
                url: h.opens,
            })
            .collect(),
        capped: found.capped,
    }))
}
