//! The office archive over HTTP (`services::cases::archive`): closed cases with their keeping,
//! and destruction lists prepared, reviewed and approved by three people.

use super::common::{parse, rfc3339, user};
use crate::ctx::Cx;
use crate::error::{ApiError, Problem};
use crate::State;
use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use okienko_domain::DomainError;
use okienko_services::cases::archive::ListView;
use okienko_store::DestructionList;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

pub fn routes() -> Router<State> {
    Router::new()
        .route("/api/v1/offices/{id}/archive", get(archive))
        .route(
            "/api/v1/offices/{id}/archive/transfers",
            get(transfers).post(make_transfer),
        )
        .route("/api/v1/archive-transfers/{id}/package", get(transfer))
        .route(
            "/api/v1/offices/{id}/destruction-lists",
            get(lists).post(prepare),
        )
        .route("/api/v1/destruction-lists/{id}", get(one))
        .route("/api/v1/destruction-lists/{id}/decision", post(decide))
}

#[derive(OpenApi)]
#[openapi(
    paths(
        archive,
        transfers,
        make_transfer,
        transfer,
        lists,
        prepare,
        one,
        decide
    ),
    components(schemas(
        TransferJson,
        TransfersJson,
        ArchiveJson,
        ArchivedJson,
        ListJson,
        ListsJson,
        ListItemJson,
        PrepareJson,
        DecisionJson
    ))
)]
pub struct Doc;

#[derive(Serialize, ToSchema)]
pub struct ArchivedJson {
    id: String,
    signature: String,
    title: String,
    closed_at: String,
    /// The JRWA class's archival category (`A`, `B10`, `BE5`, `Bc`), if it has one.
    category: Option<String>,
    /// The first year its records may be destroyed; null for category A (kept for ever).
    destroyable_from: Option<i32>,
    /// It may go on a destruction list this year.
    due: bool,
    /// It is on a destruction list that was not rejected.
    listed: bool,
    /// It was handed over to the state archive (category A).
    transferred: bool,
    /// Its records were destroyed: an approved destruction list had it.
    destroyed: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ArchiveJson {
    /// In the order they closed.
    items: Vec<ArchivedJson>,
    next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArchiveQuery {
    /// `next_cursor` of the page before.
    cursor: Option<String>,
}

/// An office's closed cases with how long each is kept (for its admin, an official of the
/// whole office and its archivist).
#[utoipa::path(get, path = "/api/v1/offices/{id}/archive", security(("bearer" = [])), params(ArchiveQuery,
    ("id" = String, Path, description = "the office's id")),
    responses((status = 200, body = ArchiveJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
async fn archive(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    q: Result<Query<ArchiveQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<ArchiveJson>, ApiError> {
    let p = user(&ctx)?;
    let Query(q) =
        q.map_err(|_| ApiError(DomainError::invalid("query", "err-invalid"), ctx.lang))?;
    let page = state
        .services
        .archive(p, &id, q.cursor.as_deref())
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(ArchiveJson {
        items: page
            .cases
            .into_iter()
            .map(|a| ArchivedJson {
                closed_at: rfc3339(a.case.closed_at.unwrap_or(0)),
                category: a.category.map(|c| c.to_string()),
                destroyable_from: a.destroyable_from,
                due: a.due,
                listed: a.listed,
                transferred: a.transferred,
                destroyed: a.destroyed,
                id: a.case.id,
                signature: a.case.signature,
                title: a.case.title,
            })
            .collect(),
        next_cursor: page.next,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct TransferJson {
    id: String,
    office: String,
    /// Numbered per office and year: `number`/`year`.
    number: i64,
    year: i64,
    made_by: String,
    made_at: String,
    /// How many cases it hands over.
    cases: i64,
    /// The package's file name.
    name: String,
    /// The package's SHA-256 (hex) and size in bytes.
    sha256: String,
    size: i64,
    /// Where the package is downloaded.
    package: String,
}

fn transfer_json(t: okienko_store::ArchiveTransfer) -> TransferJson {
    TransferJson {
        package: format!("/api/v1/archive-transfers/{}/package", t.id),
        id: t.id,
        office: t.office_id,
        number: t.number,
        year: t.year,
        made_by: t.made_by,
        made_at: rfc3339(t.made_at),
        cases: t.cases,
        name: t.name,
        sha256: t.sha256,
        size: t.size,
    }
}

#[derive(Serialize, ToSchema)]
pub struct TransfersJson {
    /// The newest first.
    items: Vec<TransferJson>,
}

/// An office's transfers to the state archive.
#[utoipa::path(get, path = "/api/v1/offices/{id}/archive/transfers", security(("bearer" = [])),
    params(("id" = String, Path, description = "the office's id")),
    responses((status = 200, body = TransfersJson), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn transfers(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
) -> Result<Json<TransfersJson>, ApiError> {
    let p = user(&ctx)?;
    let items = state
        .services
        .transfers(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(TransfersJson {
        items: items.into_iter().map(transfer_json).collect(),
    }))
}

/// Makes the transfer package for the state archive: the office's category A cases whose 25
/// years have passed and that were not handed over before (the oldest 100), each case's
/// file, the transfer list (CSV) and a manifest signed with the office seal. Its cases are
/// marked handed over; 409 when no case is due.
#[utoipa::path(post, path = "/api/v1/offices/{id}/archive/transfers", security(("bearer" = [])),
    params(("id" = String, Path, description = "the office's id")),
    responses((status = 201, body = TransferJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
async fn make_transfer(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<TransferJson>), ApiError> {
    let p = user(&ctx)?;
    let t = state
        .services
        .make_transfer(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok((StatusCode::CREATED, Json(transfer_json(t))))
}

/// A transfer's package (ZIP), as it was made.
#[utoipa::path(get, path = "/api/v1/archive-transfers/{id}/package", security(("bearer" = [])),
    params(("id" = String, Path, description = "the transfer's id")),
    responses((status = 200, description = "application/zip"), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn transfer(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
) -> Result<axum::response::Response, ApiError> {
    let p = user(&ctx)?;
    let (t, zip) = state
        .services
        .transfer_package(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(crate::downloads::zip(&t.name, zip))
}

#[derive(Serialize, ToSchema)]
pub struct ListItemJson {
    case: String,
    signature: String,
    title: String,
    category: String,
    destroyable_from: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ListJson {
    id: String,
    office: String,
    /// Numbered per office and year: `number`/`year`.
    number: i64,
    year: i64,
    /// `prepared`, `reviewed`, `approved` or `rejected`.
    status: String,
    prepared_by: String,
    prepared_at: String,
    reviewed_by: Option<String>,
    reviewed_at: Option<String>,
    approved_by: Option<String>,
    approved_at: Option<String>,
    rejected_by: Option<String>,
    rejected_at: Option<String>,
    /// Why it was rejected.
    reason: String,
    /// Its cases (in a list of lists: empty).
    items: Vec<ListItemJson>,
}

fn list_json(l: DestructionList, items: Vec<ListItemJson>) -> ListJson {
    ListJson {
        id: l.id,
        office: l.office_id,
        number: l.number,
        year: l.year,
        status: l.status,
        prepared_by: l.prepared_by,
        prepared_at: rfc3339(l.prepared_at),
        reviewed_by: l.reviewed_by,
        reviewed_at: l.reviewed_at.map(rfc3339),
        approved_by: l.approved_by,
        approved_at: l.approved_at.map(rfc3339),
        rejected_by: l.rejected_by,
        rejected_at: l.rejected_at.map(rfc3339),
        reason: l.reason,
        items,
    }
}

fn view_json(v: ListView) -> ListJson {
    let items = v
        .items
        .into_iter()
        .map(|(i, c)| ListItemJson {
            case: c.id,
            signature: c.signature,
            title: c.title,
            category: i.category,
            destroyable_from: i.destroyable_from,
        })
        .collect();
    list_json(v.list, items)
}

#[derive(Serialize, ToSchema)]
pub struct ListsJson {
    /// The newest first.
    items: Vec<ListJson>,
}

/// An office's destruction lists.
#[utoipa::path(get, path = "/api/v1/offices/{id}/destruction-lists", security(("bearer" = [])),
    params(("id" = String, Path, description = "the office's id")),
    responses((status = 200, body = ListsJson), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn lists(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Json<ListsJson>, ApiError> {
    let p = user(&ctx)?;
    let lists = state
        .services
        .destruction_lists(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(ListsJson {
        items: lists
            .into_iter()
            .map(|l| list_json(l, Vec::new()))
            .collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrepareJson {
    /// The ids of closed cases whose keeping has ended (1 to 1000).
    cases: Vec<String>,
}

/// Prepares a destruction list (an official of the whole office, or its admin). Category A
/// cases and those whose time has not come are refused, each named (`case-SIGNATURE`).
#[utoipa::path(post, path = "/api/v1/offices/{id}/destruction-lists", security(("bearer" = [])), request_body = PrepareJson,
    params(("id" = String, Path, description = "the office's id")),
    responses((status = 201, body = ListJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn prepare(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<ListJson>), ApiError> {
    let p = user(&ctx)?;
    let b: PrepareJson = parse(&ctx, &body)?;
    let l = state
        .services
        .prepare_destruction(p, &id, &b.cases)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    let v = state
        .services
        .destruction_list(p, &l.id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok((StatusCode::CREATED, Json(view_json(v))))
}

/// A destruction list with its cases.
#[utoipa::path(get, path = "/api/v1/destruction-lists/{id}", security(("bearer" = [])),
    params(("id" = String, Path, description = "the list's id")),
    responses((status = 200, body = ListJson), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn one(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Json<ListJson>, ApiError> {
    let p = user(&ctx)?;
    let v = state
        .services
        .destruction_list(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(view_json(v)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionJson {
    /// True takes the list's next step (the head reviews a prepared list, the archivist
    /// approves a reviewed one: that cannot be undone); false rejects it.
    accept: bool,
    /// Why it is rejected (required then).
    reason: Option<String>,
}

/// Reviews, approves or rejects a destruction list; each step by a person who took no
/// earlier one.
#[utoipa::path(post, path = "/api/v1/destruction-lists/{id}/decision", security(("bearer" = [])), request_body = DecisionJson,
    params(("id" = String, Path, description = "the list's id")),
    responses((status = 200, body = ListJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn decide(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<ListJson>, ApiError> {
    let p = user(&ctx)?;
    let b: DecisionJson = parse(&ctx, &body)?;
    state
        .services
        .decide_destruction(p, &id, b.accept, b.reason.as_deref().unwrap_or(""))
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    let v = state
        .services
        .destruction_list(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(view_json(v)))
}
