//! The register of delivery addresses: public bodies by name, people and companies by
//! identifier (for officials); who may use a mailbox.

use super::accounts::{mailbox_ref, MailboxRef};
use super::common::{parse, user};
use crate::ctx::Cx;
use crate::error::{ApiError, Problem};
use crate::State;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

pub fn routes() -> Router<State> {
    Router::new()
        .route("/api/v1/addresses", get(addresses))
        .route("/api/v1/addresses/lookup", get(address_lookup))
        .route(
            "/api/v1/mailboxes/{address}/members",
            get(members).post(member_add),
        )
        .route(
            "/api/v1/mailboxes/{address}/members/{user}",
            axum::routing::delete(member_remove),
        )
}

#[derive(OpenApi)]
#[openapi(
    paths(addresses, address_lookup, members, member_add, member_remove),
    components(schemas(AddressList, MemberJson, MembersJson, MemberInput))
)]
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
    Cx(state, ctx): Cx,
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
    Cx(state, ctx): Cx,
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

#[derive(Serialize, ToSchema)]
pub struct MemberJson {
    user_id: String,
    name: String,
    email: String,
    /// owner, official, administrator or reader
    role: String,
}

#[derive(Serialize, ToSchema)]
pub struct MembersJson {
    items: Vec<MemberJson>,
    /// Roles that can be granted in this mailbox.
    roles: Vec<String>,
}

/// Who may use a mailbox (for the office's administrators, or a company's owner and
/// administrators).
#[utoipa::path(get, path = "/api/v1/mailboxes/{address}/members", security(("bearer" = [])), responses((status = 200, body = MembersJson), (status = 404, body = Problem)))]
async fn members(
    Cx(state, ctx): Cx,
    Path(address): Path<String>,
) -> Result<Json<MembersJson>, ApiError> {
    let p = user(&ctx)?;
    let a = state
        .services
        .mailbox_access(p, &address)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    let mut items: Vec<MemberJson> = a
        .owner
        .into_iter()
        .map(|u| MemberJson {
            user_id: u.id,
            name: u.display_name,
            email: u.email,
            role: "owner".into(),
        })
        .collect();
    items.extend(a.members.into_iter().map(|(u, role)| MemberJson {
        user_id: u.id,
        name: u.display_name,
        email: u.email,
        role,
    }));
    Ok(Json(MembersJson {
        items,
        roles: a.roles.iter().map(|r| r.to_string()).collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct MemberInput {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

/// Gives someone (by the email they sign in with) a role in a mailbox.
#[utoipa::path(post, path = "/api/v1/mailboxes/{address}/members", security(("bearer" = [])), request_body = MemberInput, responses((status = 204), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn member_add(
    Cx(state, ctx): Cx,
    Path(address): Path<String>,
    body: axum::body::Bytes,
) -> Result<StatusCode, ApiError> {
    let p = user(&ctx)?;
    let input: MemberInput = parse(&ctx, &body)?;
    state
        .services
        .grant_mailbox(p, &address, &input.email, &input.role)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Takes someone's access to a mailbox away.
#[utoipa::path(delete, path = "/api/v1/mailboxes/{address}/members/{user}", security(("bearer" = [])), responses((status = 204), (status = 404, body = Problem)))]
async fn member_remove(
    Cx(state, ctx): Cx,
    Path((address, member)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let p = user(&ctx)?;
    state
        .services
        .revoke_mailbox(p, &address, &member)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(StatusCode::NO_CONTENT)
}
