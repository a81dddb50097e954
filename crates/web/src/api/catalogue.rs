//! The catalogue of public services: the national search, one service, and an office's
//! catalogue as a file (exported, and imported by its admin).

use super::common::user;
use crate::ctx::{Ctx, Cx};
use crate::error::{ApiError, FieldProblem, Problem};
use crate::State;
use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use okienko_domain::catalogue::Fee;
use okienko_domain::DomainError;
use okienko_services::catalogue::{
    CatalogueEntry, CatalogueFormat, CatalogueSearch, ImportOutcome,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

pub fn routes() -> Router<State> {
    Router::new()
        .route("/api/v1/services", get(search))
        .route("/api/v1/services/{id}", get(service))
        .route(
            "/api/v1/offices/{id}/catalogue",
            get(export)
                .put(import)
                .layer(axum::extract::DefaultBodyLimit::max(20 * 1024 * 1024)),
        )
}

#[derive(OpenApi)]
#[openapi(
    paths(search, service, export, import),
    components(schemas(
        ServiceListJson,
        ServiceItemJson,
        ServiceJson,
        FeeJson,
        OfficeRefJson,
        ImportedJson,
        ServiceSpecSchema
    ))
)]
pub struct Doc;

#[derive(Serialize, ToSchema)]
pub struct OfficeRefJson {
    id: String,
    name: String,
    city: String,
}

/// What a service costs: `none`, `fixed` (with the amount in the currency's smallest unit)
/// or `computed` by its form.
#[derive(Serialize, ToSchema)]
pub struct FeeJson {
    kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    amount_minor: Option<i64>,
    currency: String,
}

#[derive(Serialize, ToSchema)]
pub struct ServiceItemJson {
    id: String,
    office: OfficeRefJson,
    /// In the language asked for (`Accept-Language` or `?lang=`), else Polish.
    name: String,
    fee: FeeJson,
    /// The published form's version; null while the service is applied for by a message to
    /// the office.
    form_version: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ServiceListJson {
    items: Vec<ServiceItemJson>,
    next_cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ServiceJson {
    id: String,
    office: OfficeRefJson,
    code: String,
    name: String,
    description: String,
    who_may_apply: String,
    documents: Vec<String>,
    legal_basis: String,
    fee: FeeJson,
    handling_days: i64,
    categories: Vec<String>,
    life_events: Vec<String>,
    channels: Vec<String>,
    form_version: Option<String>,
    updated_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct ImportedJson {
    saved: usize,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words to find (diacritics optional).
    q: Option<String>,
    /// An office's id.
    office: Option<String>,
    city: Option<String>,
    category: Option<String>,
    /// A life event (e.g. `moving`).
    event: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

fn fee_json(ctx: &Ctx, fee: Fee) -> FeeJson {
    let (kind, amount) = fee.parts();
    FeeJson {
        kind: kind.to_string(),
        amount_minor: matches!(fee, Fee::Fixed(_)).then_some(amount),
        currency: ctx.country.currency().to_string(),
    }
}

fn office_ref(e: &CatalogueEntry) -> OfficeRefJson {
    OfficeRefJson {
        id: e.office.id.clone(),
        name: e.office.name.clone(),
        city: e.office.city.clone(),
    }
}

/// Searches every office's services; anyone may. Words match without their diacritics and in
/// either Serbian script.
#[utoipa::path(get, path = "/api/v1/services", params(SearchParams),
    responses((status = 200, body = ServiceListJson), (status = 422, body = Problem)))]
async fn search(
    Cx(state, ctx): Cx,
    Query(p): Query<SearchParams>,
) -> Result<Json<ServiceListJson>, ApiError> {
    let page = state
        .services
        .search_catalogue(&CatalogueSearch {
            q: p.q.unwrap_or_default(),
            office: p.office,
            city: p.city,
            category: p.category,
            event: p.event,
            cursor: p.cursor,
            limit: p.limit.unwrap_or(20),
        })
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(ServiceListJson {
        items: page
            .items
            .iter()
            .map(|e| ServiceItemJson {
                id: e.id.clone(),
                office: office_ref(e),
                name: e.spec.local(ctx.lang.code()).name.value,
                fee: fee_json(&ctx, e.spec.fee),
                form_version: e.form_version.clone(),
            })
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

/// One service, described in the language asked for.
#[utoipa::path(get, path = "/api/v1/services/{id}",
    responses((status = 200, body = ServiceJson), (status = 404, body = Problem)))]
async fn service(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
) -> Result<Json<ServiceJson>, ApiError> {
    let e = state
        .services
        .catalogue_entry(&id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    let t = e.spec.local(ctx.lang.code());
    Ok(Json(ServiceJson {
        id: e.id.clone(),
        office: office_ref(&e),
        code: e.spec.code.clone(),
        name: t.name.value,
        description: t.description.value,
        who_may_apply: t.who.value,
        documents: t.documents.value,
        legal_basis: e.spec.legal_basis.clone(),
        fee: fee_json(&ctx, e.spec.fee),
        handling_days: e.spec.handling_days,
        categories: e.spec.categories.clone(),
        life_events: e.spec.life_events.clone(),
        channels: e.spec.channels.clone(),
        form_version: e.form_version.clone(),
        updated_at: super::common::rfc3339(e.updated_at),
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `csv` or `json` (the default).
    format: Option<String>,
}

fn format_of(ctx: &Ctx, f: Option<&str>) -> Result<CatalogueFormat, ApiError> {
    match f.unwrap_or("json") {
        "json" => Ok(CatalogueFormat::Json),
        "csv" => Ok(CatalogueFormat::Csv),
        _ => Err(ApiError(
            DomainError::invalid("format", "err-import-format"),
            ctx.lang,
        )),
    }
}

/// An office's catalogue as a file that `PUT` takes back (the office's admins).
#[utoipa::path(get, path = "/api/v1/offices/{id}/catalogue", params(ExportParams), security(("bearer" = [])),
    responses((status = 200, content_type = "application/json", description = "the services (JSON array, or CSV with ?format=csv)"),
        (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn export(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    Query(q): Query<ExportParams>,
) -> Result<Response, ApiError> {
    let p = user(&ctx)?;
    let format = format_of(&ctx, q.format.as_deref())?;
    let text = state
        .services
        .export_catalogue(p, &id, format)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    let kind = match format {
        CatalogueFormat::Csv => "text/csv; charset=utf-8",
        CatalogueFormat::Json => "application/json",
    };
    Ok(([(header::CONTENT_TYPE, kind)], text).into_response())
}

/// Adds or replaces (matched by `code`) an office's services from a file: JSON (an array of
/// services, `Content-Type: application/json`) or CSV (`text/csv`). All or none: a file with
/// a problem changes nothing and the 422 names the line and column.
#[utoipa::path(put, path = "/api/v1/offices/{id}/catalogue", security(("bearer" = [])),
    request_body(content = Vec<ServiceSpecSchema>, content_type = "application/json"),
    responses((status = 200, body = ImportedJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn import(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let p = user(&ctx)?;
    let csv = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/csv"));
    let format = if csv {
        CatalogueFormat::Csv
    } else {
        CatalogueFormat::Json
    };
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError(DomainError::invalid("body", "err-import-utf8"), ctx.lang))?;
    let outcome = state
        .services
        .import_catalogue(p, &id, format, text)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    match outcome {
        ImportOutcome::Saved(saved) => Ok(Json(ImportedJson { saved }).into_response()),
        ImportOutcome::Refused(e) => Ok(import_refused(&ctx, &e)),
    }
}

/// A refused import file as a 422 problem whose one error names the line and the field.
pub(crate) fn import_refused(ctx: &Ctx, e: &okienko_domain::catalogue::ImportError) -> Response {
    let message = crate::error::import_message(ctx.lang, e);
    let problem = Problem {
        kind: "/problems/err-invalid".into(),
        title: ctx.t("err-invalid"),
        status: 422,
        detail: message.clone(),
        errors: vec![FieldProblem {
            field: match (e.line, &e.field) {
                (0, Some(f)) => f.clone(),
                (l, Some(f)) => format!("line {l}: {f}"),
                (l, None) => format!("line {l}"),
            },
            code: e.code.to_string(),
            message,
        }],
        evidence_id: None,
    };
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        [(header::CONTENT_TYPE, "application/problem+json")],
        serde_json::to_vec(&problem).unwrap_or_default(),
    )
        .into_response()
}

/// A service as an office's catalogue file describes it (`domain::catalogue::ServiceSpec`).
#[derive(ToSchema)]
#[allow(dead_code)] // declared for the schema; the body is read as ServiceSpec
pub struct ServiceSpecSchema {
    code: String,
    /// By language (`pl` required, `en`, `sr-Latn`, `sr-Cyrl`): `{name, description, who, documents}`.
    texts: std::collections::BTreeMap<String, serde_json::Value>,
    legal_basis: String,
    /// `{"kind": "none"}`, `{"kind": "fixed", "grosze": 1700}` or `{"kind": "computed"}`.
    fee: serde_json::Value,
    handling_days: i64,
    department: Option<String>,
    categories: Vec<String>,
    life_events: Vec<String>,
    channels: Vec<String>,
}
