//! An official's times away (when they do not receive people): the list with the bookings each
//! meets, a form to add one, and removing one. Linked from the official's calendar.

use super::common::{err, notice, render_form, require_user, when, CsrfForm, FormView};
use crate::ctx::{Ctx, Cx, FormText};
use crate::error::PageError;
use crate::State;
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use okienko_domain::DomainError;
use okienko_services::availability::AwayForm;
use std::collections::HashMap;
use std::sync::Arc;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/calendar/away", get(page).post(add))
        .route("/calendar/away/{id}/remove", post(remove))
}

/// A time away as the list shows it.
struct AwayRow {
    id: String,
    from: (String, String),
    until: (String, String),
    note: String,
    booked: usize,
}

#[derive(Template)]
#[template(path = "availability/away.html")]
struct AwayPage<'a> {
    ctx: &'a Ctx,
    rows: Vec<AwayRow>,
    form: FormView,
    notice: Option<String>,
}

async fn away_page(
    state: &State,
    ctx: &Arc<Ctx>,
    form: FormView,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let p = require_user(ctx)?;
    let rows = state
        .services
        .my_times_away(p)
        .await
        .map_err(err(ctx))?
        .into_iter()
        .map(|v| AwayRow {
            from: when(ctx, v.away.starts_at),
            until: when(ctx, v.away.ends_at),
            id: v.away.id,
            note: v.away.note,
            booked: v.booked,
        })
        .collect();
    let page = AwayPage {
        ctx,
        rows,
        notice,
        form,
    };
    let invalid = page.form.has_errors();
    Ok(render_form(&page, invalid))
}

async fn page(
    Cx(state, ctx): Cx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let n = notice(&ctx, &q);
    away_page(&state, &ctx, FormView::new(HashMap::new()), n).await
}

async fn add(Cx(state, ctx): Cx, CsrfForm(form): CsrfForm) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let f = AwayForm {
        first_day: form.text("first_day"),
        from: form.text("from"),
        last_day: form.text("last_day"),
        until: form.text("until"),
        note: form.text("note"),
    };
    match state.services.add_time_away(p, &f).await {
        Ok(_) => Ok(Redirect::to("/calendar/away?notice=notice-away-added").into_response()),
        Err(e @ DomainError::Invalid(_)) => {
            let view = FormView::new(form).with_error(&ctx, &e, "first_day");
            away_page(&state, &ctx, view, None).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

async fn remove(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    state
        .services
        .remove_time_away(p, &id)
        .await
        .map_err(err(&ctx))?;
    Ok(Redirect::to("/calendar/away?notice=notice-away-removed").into_response())
}
