//! Pages of emailed links that need the person signed in: accepting a staff offer, confirming a new email address.

use super::account::{link_form, link_used_up, svc};
use super::common::{require_user, CsrfForm};
use crate::ctx::{set_cookie, CtxRef, SESSION_COOKIE};
use crate::error::PageError;
use crate::Params;
use crate::State;
use axum::extract::Query;
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use okienko_domain::DomainError;

pub fn routes() -> Router<State> {
    Router::new()
        .route(
            "/account/email/confirm",
            get(email_confirm_page).post(email_confirm),
        )
        .route("/staff/accept", get(staff_accept_page).post(staff_accept))
}

/// An invitation to a staff role, for the invited person signed in: what it is, and a
/// button to accept.
pub(crate) async fn staff_accept_page(
    axum::extract::State(state): axum::extract::State<State>,
    axum::Extension(ctx): CtxRef,
    Query(q): Query<Params>,
) -> Result<Response, PageError> {
    require_user(&ctx)?;
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
    let (role, place) = match svc(&state).staff_offer(get("grant")).await {
        Ok(x) => x,
        Err(DomainError::TokenInvalid) => return Ok(link_used_up(&ctx)),
        Err(e) => return Err(PageError(e, ctx.clone())),
    };
    Ok(link_form(
        &ctx,
        "staff-accept-title",
        ctx.ta(
            "staff-accept-intro",
            &[("role", &ctx.t(role.label())), ("office", &place)],
        ),
        &format!(
            "/staff/accept?token={}&grant={}",
            super::common::url_encode(get("token")),
            super::common::url_encode(get("grant"))
        ),
        "staff-accept-submit",
        vec![("/account".into(), ctx.t("staff-accept-ignore"))],
    ))
}

pub(crate) async fn staff_accept(
    axum::extract::State(state): axum::extract::State<State>,
    axum::Extension(ctx): CtxRef,
    Query(q): Query<Params>,
    CsrfForm(_f): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
    match svc(&state)
        .accept_staff(p, get("token"), get("grant"))
        .await
    {
        // Every session ended: signing in again brings the rules for staff.
        Ok(()) => Ok((
            [(
                SET_COOKIE,
                set_cookie(SESSION_COOKIE, "", Some(0), true, ctx.secure_cookies, "Lax"),
            )],
            Redirect::to("/?notice=notice-staff-accepted"),
        )
            .into_response()),
        Err(DomainError::TokenInvalid) => Ok(link_used_up(&ctx)),
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

/// A link that makes an email address the signed-in person's login (sent when a clerk
/// typed it at counter registration): it works only for the account it was sent for.
pub(crate) async fn email_confirm_page(
    axum::Extension(ctx): CtxRef,
    Query(q): Query<Params>,
) -> Result<Response, PageError> {
    require_user(&ctx)?;
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
    Ok(link_form(
        &ctx,
        "email-confirm-title",
        ctx.ta("email-confirm-intro", &[("email", get("email"))]),
        &format!(
            "/account/email/confirm?token={}&email={}",
            super::common::url_encode(get("token")),
            super::common::url_encode(get("email"))
        ),
        "email-confirm-submit",
        Vec::new(),
    ))
}

pub(crate) async fn email_confirm(
    axum::extract::State(state): axum::extract::State<State>,
    axum::Extension(ctx): CtxRef,
    Query(q): Query<Params>,
    CsrfForm(_f): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
    match svc(&state)
        .confirm_email(p, get("token"), get("email"))
        .await
    {
        Ok(()) => Ok(Redirect::to("/account?notice=notice-email-confirmed").into_response()),
        Err(DomainError::TokenInvalid) => Ok(link_used_up(&ctx)),
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}
