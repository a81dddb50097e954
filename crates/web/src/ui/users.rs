//! The platform admin's account pages: find an account by email or name, see its roles,
//! lock it (with a reason and a confirmation) or unlock it.

use super::common::{
    confirm_page, confirmed, err, notice, render, render_form, require_user, when, CsrfForm,
    FormView,
};
use crate::ctx::Ctx;
use crate::ctx::Cx;
use crate::error::PageError;
use crate::{Params, State};
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use okienko_domain::DomainError;
use std::sync::Arc;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/admin/users", get(list))
        .route("/admin/users/{user}", get(user))
        .route("/admin/users/{user}/lock", post(lock))
        .route("/admin/users/{user}/unlock", post(unlock))
}

#[derive(Template)]
#[template(path = "users/list.html")]
struct ListPage<'a> {
    ctx: &'a Ctx,
    form: FormView,
    searched: bool,
    /// (id, name, email, locked)
    rows: Vec<(String, String, String, bool)>,
}

async fn list(Cx(state, ctx): Cx, Query(q): Query<Params>) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let text = q.get("q").cloned().unwrap_or_default();
    if text.trim().is_empty() {
        // The page itself, before a search: only for those who may search.
        if !okienko_domain::policy::allowed(&p.actor(), okienko_domain::policy::Action::ManageUsers)
        {
            return Err(PageError(DomainError::NotFound, ctx.clone()));
        }
        return Ok(render(&ListPage {
            ctx: &ctx,
            form: FormView::default(),
            searched: false,
            rows: Vec::new(),
        }));
    }
    let form = FormView::new(q.clone());
    match state.services.find_users(p, &text).await {
        Ok(users) => Ok(render(&ListPage {
            ctx: &ctx,
            form,
            searched: true,
            rows: users
                .into_iter()
                .map(|u| (u.id, u.display_name, u.email, u.disabled))
                .collect(),
        })),
        Err(e @ DomainError::Invalid(_)) => {
            let page = ListPage {
                ctx: &ctx,
                form: form.with_error(&ctx, &e, "q"),
                searched: false,
                rows: Vec::new(),
            };
            Ok(render_form(&page, true))
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

#[derive(Template)]
#[template(path = "users/user.html")]
struct UserPage<'a> {
    ctx: &'a Ctx,
    id: String,
    name: String,
    email: String,
    created: (String, String),
    roles: Vec<String>,
    locked: bool,
    totp: bool,
    notice: Option<String>,
    form: FormView,
}

async fn user_page(
    state: &State,
    ctx: &Arc<Ctx>,
    id: &str,
    notice: Option<String>,
    form: FormView,
) -> Result<Response, PageError> {
    let p = require_user(ctx)?;
    let (u, grants) = state
        .services
        .user_for_admin(p, id)
        .await
        .map_err(err(ctx))?;
    let invalid = form.has_errors();
    let page = UserPage {
        ctx,
        id: u.id,
        name: u.display_name,
        email: u.email,
        created: when(ctx, u.created_at),
        roles: grants.iter().map(|g| ctx.t(g.role.label())).collect(),
        locked: u.disabled,
        totp: u.totp_secret.is_some(),
        notice,
        form,
    };
    Ok(render_form(&page, invalid))
}

async fn user(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    Query(q): Query<Params>,
) -> Result<Response, PageError> {
    user_page(&state, &ctx, &id, notice(&ctx, &q), FormView::default()).await
}

/// Locks (after its confirmation) or unlocks an account; a missing reason comes back to the
/// account's page at its field.
async fn set_locked(
    state: &State,
    ctx: &Arc<Ctx>,
    id: &str,
    locked: bool,
    f: Params,
) -> Result<Response, PageError> {
    let p = require_user(ctx)?;
    let reason = f.get("reason").cloned().unwrap_or_default();
    let path = format!("/admin/users/{id}");
    if locked && !reason.trim().is_empty() && !confirmed(&f) {
        // Only someone who may lock it is asked.
        state
            .services
            .user_for_admin(p, id)
            .await
            .map_err(err(ctx))?;
        return Ok(confirm_page(
            ctx,
            "users-lock-confirm",
            &format!("{path}/lock"),
            &path,
            &f,
        ));
    }
    match state.services.set_user_locked(p, id, locked, &reason).await {
        Ok(()) => {
            let n = if locked {
                "notice-user-locked"
            } else {
                "notice-user-unlocked"
            };
            Ok(Redirect::to(&format!("{path}?notice={n}")).into_response())
        }
        Err(e @ DomainError::Invalid(_)) => {
            user_page(
                state,
                ctx,
                id,
                None,
                FormView::new(f.clone()).with_error(ctx, &e, "reason"),
            )
            .await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

async fn lock(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm,
) -> Result<Response, PageError> {
    set_locked(&state, &ctx, &id, true, f).await
}

async fn unlock(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm,
) -> Result<Response, PageError> {
    set_locked(&state, &ctx, &id, false, f).await
}
