//! Accounts: bearer tokens, who the caller is, and the Data Tracker of their data.

use super::common::{parse, user};
use crate::ctx::Cx;
use crate::error::{ApiError, Problem};
use crate::State;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use okienko_domain::DomainError;
use okienko_services::accounts::{Client, SignIn, API, API_TOKEN_MS};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

pub fn routes() -> Router<State> {
    Router::new()
        .route("/api/v1/auth/token", post(token).delete(revoke))
        .route("/api/v1/me", get(me))
        .route("/api/v1/me/data-tracker", get(tracker))
}

#[derive(OpenApi)]
#[openapi(
    paths(token, revoke, me, tracker),
    components(schemas(
        TokenRequest,
        TokenResponse,
        Me,
        MailboxRef,
        TrustedProfileRef,
        TrackerItem
    ))
)]
pub struct Doc;

#[derive(Deserialize, ToSchema)]
pub struct TokenRequest {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    /// The six-digit one-time code; required for staff and for anyone who enrolled.
    #[serde(default)]
    totp: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
}

/// Exchanges credentials for a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/token", request_body = TokenRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
async fn token(Cx(state, ctx): Cx, body: Bytes) -> Result<Json<TokenResponse>, ApiError> {
    let req: TokenRequest = parse(&ctx, &body)?;
    match state
        .services
        .sign_in(
            &req.login,
            &req.password,
            req.totp.as_deref(),
            Client {
                ip: &ctx.client_ip,
                device: &ctx.device,
            },
            API,
        )
        .await
    {
        Ok(SignIn::Done(_, token)) => Ok(Json(TokenResponse {
            access_token: token,
            token_type: "Bearer",
            expires_in: API_TOKEN_MS / 1000,
        })),
        Ok(SignIn::MustEnrolTotp(..)) => Err(ApiError(DomainError::TotpRequired, ctx.lang)),
        Err(e) => Err(ApiError(e, ctx.lang)),
    }
}

/// Revokes the token used for this call.
#[utoipa::path(delete, path = "/api/v1/auth/token", security(("bearer" = [])), responses((status = 204), (status = 401, body = Problem)))]
async fn revoke(Cx(state, ctx): Cx) -> Result<StatusCode, ApiError> {
    let p = user(&ctx)?;
    state
        .services
        .sign_out(p)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct MailboxRef {
    address: String,
    name: String,
    kind: String,
}

#[derive(Serialize, ToSchema)]
pub struct TrustedProfileRef {
    valid_until: String,
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    id: String,
    display_name: String,
    email: String,
    roles: Vec<String>,
    mailboxes: Vec<MailboxRef>,
    trusted_profile: Option<TrustedProfileRef>,
}

pub(super) fn mailbox_ref(m: okienko_store::Mailbox) -> MailboxRef {
    MailboxRef {
        address: m.address,
        name: m.name,
        kind: m.kind,
    }
}

/// Who the token belongs to.
#[utoipa::path(get, path = "/api/v1/me", security(("bearer" = [])), responses((status = 200, body = Me), (status = 401, body = Problem)))]
async fn me(Cx(state, ctx): Cx) -> Result<Json<Me>, ApiError> {
    let p = user(&ctx)?;
    let mailboxes = state
        .services
        .my_mailboxes(p)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    let mut roles: Vec<String> = p
        .grants
        .iter()
        .map(|g| g.role.as_str().to_string())
        .collect();
    roles.dedup();
    let now = state.services.now_ms();
    let trusted_profile = state
        .services
        .my_trusted_profile(p)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?
        .0
        .filter(|t| okienko_services::trusted::in_force(t, now))
        .map(|t| TrustedProfileRef {
            valid_until: super::common::rfc3339(t.valid_until),
        });
    Ok(Json(Me {
        id: p.user.id.clone(),
        display_name: p.user.display_name.clone(),
        email: p.user.email.clone(),
        roles,
        mailboxes: mailboxes.into_iter().map(|(m, _)| mailbox_ref(m)).collect(),
        trusted_profile,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct TrackerItem {
    at: String,
    actor: String,
    action: String,
    reason: String,
}

/// Staff reads and changes of the caller's personal data.
#[utoipa::path(get, path = "/api/v1/me/data-tracker", security(("bearer" = [])), responses((status = 200, body = [TrackerItem]), (status = 401, body = Problem)))]
async fn tracker(Cx(state, ctx): Cx) -> Result<Json<Vec<TrackerItem>>, ApiError> {
    let p = user(&ctx)?;
    let rows = state
        .services
        .data_tracker(p)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(
        rows.into_iter()
            .map(|r| TrackerItem {
                at: crate::ui::when(&ctx, r.entry.at).0,
                actor: r.actor_name,
                action: r.entry.action,
                reason: r.entry.reason,
            })
            .collect(),
    ))
}
