//! Organisation: offices, service points, and the office's electronic seal.

use super::common::{parse, user};
use crate::ctx::Cx;
use crate::error::{ApiError, Problem};
use crate::State;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use okienko_domain::DomainError;
use okienko_services::orgs::OfficeInput;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

pub fn routes() -> Router<State> {
    Router::new()
        .route("/api/v1/offices", get(offices).post(create_office))
        .route("/api/v1/offices/{id}", get(office))
        .route("/api/v1/service-points", get(service_points))
        .route(
            "/api/v1/offices/{id}/seal-signatures",
            post(seal_signature).layer(axum::extract::DefaultBodyLimit::max(60 * 1024 * 1024)),
        )
}

#[derive(OpenApi)]
#[openapi(
    paths(offices, create_office, office, service_points, seal_signature),
    components(schemas(OfficeJson, OfficeInputJson, ServicePointJson))
)]
pub struct Doc;

#[derive(Serialize, ToSchema)]
pub struct OfficeJson {
    id: String,
    name: String,
    nip: String,
    regon: String,
    street: String,
    postal_code: String,
    city: String,
}

impl From<okienko_store::Office> for OfficeJson {
    fn from(o: okienko_store::Office) -> Self {
        OfficeJson {
            id: o.id,
            name: o.name,
            nip: o.nip,
            regon: o.regon,
            street: o.street,
            postal_code: o.postal_code,
            city: o.city,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[allow(dead_code)] // read through OfficeInput; declared for the schema
pub struct OfficeInputJson {
    name: String,
    nip: String,
    regon: String,
    street: String,
    postal_code: String,
    city: String,
}

/// All offices (platform admin).
#[utoipa::path(get, path = "/api/v1/offices", security(("bearer" = [])), responses((status = 200, body = [OfficeJson]), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn offices(Cx(state, ctx): Cx) -> Result<Json<Vec<OfficeJson>>, ApiError> {
    let p = user(&ctx)?;
    let list = state
        .services
        .offices(p)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// Creates an office (platform admin).
#[utoipa::path(post, path = "/api/v1/offices", request_body = OfficeInputJson, security(("bearer" = [])),
    responses((status = 201, body = OfficeJson), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn create_office(
    Cx(state, ctx): Cx,
    body: Bytes,
) -> Result<(StatusCode, Json<OfficeJson>), ApiError> {
    let p = user(&ctx)?;
    let input: OfficeInput = parse(&ctx, &body)?;
    let o = state
        .services
        .create_office(p, &input)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok((StatusCode::CREATED, Json(o.into())))
}

/// One office (its admins and officials, or a platform admin).
#[utoipa::path(get, path = "/api/v1/offices/{id}", security(("bearer" = [])), responses((status = 200, body = OfficeJson), (status = 404, body = Problem)))]
async fn office(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Json<OfficeJson>, ApiError> {
    let p = user(&ctx)?;
    let (o, _) = state
        .services
        .office(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(o.into()))
}

#[derive(Serialize, ToSchema)]
pub struct ServicePointJson {
    id: String,
    name: String,
    street: String,
    postal_code: String,
    city: String,
    is_open: bool,
}

/// All service points (platform admin).
#[utoipa::path(get, path = "/api/v1/service-points", security(("bearer" = [])), responses((status = 200, body = [ServicePointJson]), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn service_points(Cx(state, ctx): Cx) -> Result<Json<Vec<ServicePointJson>>, ApiError> {
    let p = user(&ctx)?;
    let list = state
        .services
        .service_points(p)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(
        list.into_iter()
            .map(|s| ServicePointJson {
                id: s.id,
                name: s.name,
                street: s.street,
                postal_code: s.postal_code,
                city: s.city,
                is_open: s.is_open,
            })
            .collect(),
    ))
}

/// Seals a file with the office's electronic seal: a detached CMS signature (.p7s) with a
/// signature time stamp (CAdES-T). Multipart part `file`. For the office's officials and admins.
#[utoipa::path(post, path = "/api/v1/offices/{id}/seal-signatures", security(("bearer" = [])),
    responses((status = 200, content_type = "application/pkcs7-signature", description = "DER CMS detached signature"), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn seal_signature(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    req: axum::extract::Request,
) -> Result<Response, ApiError> {
    use axum::extract::FromRequest;
    let p = user(&ctx)?;
    // Who may seal is decided before the upload is read.
    if !okienko_domain::policy::allowed(
        &p.actor(),
        okienko_domain::policy::Action::ViewOffice { office_id: &id },
    ) {
        return Err(ApiError(DomainError::NotFound, ctx.lang));
    }
    let mut mp = axum::extract::Multipart::from_request(req, &())
        .await
        .map_err(|_| ApiError(DomainError::invalid("file", "err-upload"), ctx.lang))?;
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        match mp.next_field().await {
            Ok(Some(f)) if f.name() == Some("file") => {
                let name = f.file_name().unwrap_or("file").to_string();
                let bytes = f
                    .bytes()
                    .await
                    .map_err(|_| ApiError(DomainError::invalid("file", "err-upload"), ctx.lang))?;
                file = Some((name, bytes.to_vec()));
            }
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(_) => {
                return Err(ApiError(
                    DomainError::invalid("file", "err-upload"),
                    ctx.lang,
                ))
            }
        }
    }
    let (name, bytes) = file.ok_or(ApiError(
        DomainError::invalid("file", "err-file-missing"),
        ctx.lang,
    ))?;
    let sig = state
        .services
        .seal_file(p, &id, &name, bytes)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "application/pkcs7-signature",
        )],
        sig,
    )
        .into_response())
}
