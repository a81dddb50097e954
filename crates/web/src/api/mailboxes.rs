//! The register of delivery addresses: public bodies by name, people and companies by
//! identifier (for officials).

use super::accounts::{mailbox_ref, MailboxRef};
use super::common::user;
use crate::ctx::CtxRef;
use crate::error::{ApiError, Problem};
use crate::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

type St = axum::extract::State<State>;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/api/v1/addresses", get(addresses))
        .route("/api/v1/addresses/lookup", get(address_lookup))
}

#[derive(OpenApi)]
#[openapi(paths(addresses, address_lookup), components(schemas(AddressList)))]
pub struct Doc;

#[derive(Serialize, ToSchema)]
pub struct AddressList {
    items: Vec<MailboxRef>,
}

#[derive(Deserialize)]
struct AddressQuery {
    #[serde(default)]
    q: String,
}

/// The public register of public bodies' delivery addresses: search by name, NIP or city.
#[utoipa::path(get, path = "/api/v1/addresses", params(("q" = String, Query, description = "part of a name, NIP or city")),
    responses((status = 200, body = AddressList), (status = 422, body = Problem)))]
async fn addresses(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    axum::extract::Query(q): axum::extract::Query<AddressQuery>,
) -> Result<Json<AddressList>, ApiError> {
    let list = state
        .services
        .search_register(&q.q)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(AddressList {
        items: list.into_iter().map(mailbox_ref).collect(),
    }))
}

#[derive(Deserialize)]
struct LookupQuery {
    pesel: Option<String>,
    nip: Option<String>,
    #[serde(default)]
    reason: String,
}

/// A person's or company's delivery address by exact PESEL or NIP; for public-body senders
/// (officials) only, and recorded in the person's Data Tracker.
#[utoipa::path(get, path = "/api/v1/addresses/lookup", security(("bearer" = [])),
    params(("pesel" = Option<String>, Query), ("nip" = Option<String>, Query), ("reason" = Option<String>, Query)),
    responses((status = 200, body = MailboxRef), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn address_lookup(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    axum::extract::Query(q): axum::extract::Query<LookupQuery>,
) -> Result<Json<MailboxRef>, ApiError> {
    let p = user(&ctx)?;
    let m = state
        .services
        .lookup_private_address(p, q.pesel.as_deref(), q.nip.as_deref(), &q.reason)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(mailbox_ref(m)))
}
