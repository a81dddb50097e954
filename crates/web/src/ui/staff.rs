//! One staff member of an office, for its admin: their role and department changed, the
//! set-up link sent again, the second factor reset, removal from the office (the last two
//! after a confirmation).

use super::account::texts;
use super::common::{
    confirm_page, confirmed, err, notice, require_user, CsrfForm, Field, FormView,
};
use super::offices::{grant_fields, office_answer};
use crate::ctx::Ctx;
use crate::ctx::Cx;
use crate::ctx::FormText;
use crate::error::PageError;
use crate::Params;
use crate::State;
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use okienko_domain::DomainError;
use std::sync::Arc;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/offices/{id}/staff/{user}", get(member).post(change))
        .route("/offices/{id}/staff/{user}/resend", post(act))
        .route("/offices/{id}/staff/{user}/remove", post(act))
        .route("/offices/{id}/staff/{user}/reset-totp", post(act))
}

#[derive(Template)]
#[template(path = "staff/member.html")]
struct MemberPage<'a> {
    ctx: &'a Ctx,
    office_id: String,
    office: String,
    user_id: String,
    name: String,
    email: String,
    /// Role and department, in words.
    roles: String,
    /// They set their password (the set-up link was used).
    set_up: bool,
    totp: bool,
    /// The admin's own entry: nothing to change here.
    is_self: bool,
    fields: Vec<Field>,
    form: FormView,
    notice: Option<String>,
}

async fn member_page(
    state: &State,
    ctx: &Arc<Ctx>,
    (id, user): (&str, &str),
    form: Option<FormView>,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let p = require_user(ctx)?;
    let (office, departments) = state.services.office(p, id).await.map_err(err(ctx))?;
    let (u, grants) = state
        .services
        .staff_member(p, id, user)
        .await
        .map_err(err(ctx))?;
    let dept_name = |d: &Option<String>| {
        d.as_ref()
            .and_then(|d| departments.iter().find(|x| &x.id == d))
            .map(|d| format!(" ({} – {})", d.code, d.name))
            .unwrap_or_default()
    };
    let roles = grants
        .iter()
        .map(|g| format!("{}{}", ctx.t(g.role.label()), dept_name(&g.department_id)))
        .collect::<Vec<_>>()
        .join(", ");
    let form = form.unwrap_or_else(|| {
        let first = grants.first();
        let mut v = Params::new();
        v.insert(
            "role".into(),
            first
                .map(|g| g.role.as_str().to_string())
                .unwrap_or_default(),
        );
        v.insert(
            "department_id".into(),
            first
                .and_then(|g| g.department_id.clone())
                .unwrap_or_default(),
        );
        FormView::new(v)
    });
    let invalid = form.has_errors();
    let page = MemberPage {
        ctx,
        office_id: office.id,
        office: office.name,
        is_self: u.id == p.user.id,
        user_id: u.id,
        name: u.display_name,
        email: u.email,
        roles,
        set_up: !u.password_hash.is_empty(),
        totp: u.totp_secret.is_some(),
        fields: grant_fields(ctx, &departments),
        form,
        notice,
    };
    Ok(super::common::render_form(&page, invalid))
}

async fn member(
    Cx(state, ctx): Cx,
    Path((id, user)): Path<(String, String)>,
    Query(q): Query<Params>,
) -> Result<Response, PageError> {
    member_page(&state, &ctx, (&id, &user), None, notice(&ctx, &q)).await
}

/// A new role or department.
async fn change(
    Cx(state, ctx): Cx,
    Path((id, user)): Path<(String, String)>,
    CsrfForm(f): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    match state
        .services
        .change_staff(p, &id, &user, &f.text("role"), &f.text("department_id"))
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!(
            "/offices/{id}/staff/{user}?notice=notice-staff-changed"
        ))
        .into_response()),
        Err(e @ DomainError::Invalid(_)) => {
            let form = FormView::new(f.clone()).with_error(&ctx, &e, "role");
            member_page(&state, &ctx, (&id, &user), Some(form), None).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

/// The member page's buttons, told apart by the path's last part: the set-up link again, or,
/// after a confirmation, removal from the office or a reset of the second factor.
async fn act(
    Cx(state, ctx): Cx,
    Path((id, user)): Path<(String, String)>,
    uri: axum::http::Uri,
    CsrfForm(f): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let what = uri
        .path()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let back = format!("/offices/{id}/staff/{user}");
    let question = match what.as_str() {
        "remove" => Some("confirm-staff-remove"),
        "reset-totp" => Some("confirm-totp-reset"),
        _ => None,
    };
    if let Some(q) = question.filter(|_| !confirmed(&f)) {
        // Only someone who may change this member is asked.
        state
            .services
            .office_member(p, &id, &user)
            .await
            .map_err(err(&ctx))?;
        let action = format!("{back}/{what}");
        return Ok(confirm_page(&ctx, q, &action, &back, &f));
    }
    let s = &state.services;
    let (result, notice) = match what.as_str() {
        "remove" => (s.remove_staff(p, &id, &user).await, "notice-staff-removed"),
        "reset-totp" => (s.reset_staff_totp(p, &id, &user).await, "notice-totp-reset"),
        _ => (
            s.resend_staff_setup(p, &id, &user, &texts(&ctx)).await,
            "notice-staff-setup-sent",
        ),
    };
    match (what.as_str(), result) {
        // Removed: the member page is gone, the office page says so.
        ("remove", r) => office_answer(&state, &ctx, &id, r, notice, (&None, "email")).await,
        (_, Ok(())) => Ok(Redirect::to(&format!("{back}?notice={notice}")).into_response()),
        (_, Err(e)) => Err(PageError(e, ctx.clone())),
    }
}
