//! Substitutes on the office's page for the people who work its cases: who is away and who
//! handles their cases, naming a substitute (for oneself, or anyone by the head), cancelling.

use super::common::{day, err, notice, render_form, require_user, CsrfForm, FormView};
use crate::ctx::{Ctx, Cx, FormText};
use crate::error::PageError;
use crate::State;
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use okienko_domain::substitutes::parse_day;
use okienko_domain::DomainError;
use okienko_services::cases::substitutes::SubstituteInput;
use std::collections::HashMap;
use std::sync::Arc;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/offices/{id}/substitutes", get(page).post(add))
        .route("/substitutes/{id}/cancel", post(cancel))
}

/// A substitution as its row shows it.
struct Row {
    id: String,
    absent: String,
    substitute: String,
    /// (ISO, in words) of the first and the last day.
    starts: (String, String),
    ends: (String, String),
    /// In force today (not only coming).
    now: bool,
    may_cancel: bool,
}

#[derive(Template)]
#[template(path = "substitutes/list.html")]
struct SubstitutesPage<'a> {
    ctx: &'a Ctx,
    office_id: String,
    rows: Vec<Row>,
    officials: Vec<(String, String)>,
    manage_all: bool,
    /// The person's own id: without the head's powers, only they may be the one away.
    me: String,
    form: FormView,
    notice: Option<String>,
}

fn civil(ctx: &Ctx, s: &str) -> (String, String) {
    (
        s.to_string(),
        parse_day(s).map_or_else(|| s.to_string(), |d| day(ctx, d)),
    )
}

async fn substitutes_page(
    state: &State,
    ctx: &Arc<Ctx>,
    office_id: String,
    form: FormView,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let p = require_user(ctx)?;
    let v = state
        .services
        .substitutes(p, &office_id)
        .await
        .map_err(err(ctx))?;
    let today = ctx
        .country
        .local(state.services.clock.now())
        .date()
        .to_string();
    let rows = v
        .items
        .into_iter()
        .map(|s| Row {
            now: s.starts_on <= today,
            may_cancel: v.manage_all || s.absent_id == p.user.id || s.created_by == p.user.id,
            starts: civil(ctx, &s.starts_on),
            ends: civil(ctx, &s.ends_on),
            id: s.id,
            absent: s.absent_name,
            substitute: s.substitute_name,
        })
        .collect();
    let invalid = form.has_errors();
    let page = SubstitutesPage {
        ctx,
        office_id,
        rows,
        officials: v.officials,
        manage_all: v.manage_all,
        me: p.user.id.clone(),
        form,
        notice,
    };
    Ok(render_form(&page, invalid))
}

async fn page(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let today = ctx.country.local(state.services.clock.now()).date();
    let mut values = HashMap::new();
    values.insert("starts_on".to_string(), today.to_string());
    if let Some(p) = ctx.principal.as_ref() {
        values.insert("absent".to_string(), p.user.id.clone());
    }
    let n = notice(&ctx, &q);
    substitutes_page(&state, &ctx, id, FormView::new(values), n).await
}

async fn add(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let input = SubstituteInput {
        absent: form.text("absent"),
        substitute: form.text("substitute"),
        starts_on: form.text("starts_on"),
        ends_on: form.text("ends_on"),
    };
    match state.services.add_substitute(p, &id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/offices/{id}/substitutes?notice=notice-substitute-added"
        ))
        .into_response()),
        Err(e @ DomainError::Invalid(_)) => {
            let view = FormView::new(form).with_error(&ctx, &e, "absent");
            substitutes_page(&state, &ctx, id, view, None).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

async fn cancel(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let s = state
        .services
        .cancel_substitute(p, &id)
        .await
        .map_err(err(&ctx))?;
    Ok(Redirect::to(&format!(
        "/offices/{}/substitutes?notice=notice-substitute-cancelled",
        s.office_id
    ))
    .into_response())
}
