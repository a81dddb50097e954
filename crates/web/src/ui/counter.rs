//! Assisted service at the counter: start a visit with the citizen present (PESEL, ID card,
//! consent), see and print their e-delivery messages, end the visit.

use super::{check_csrf, render, render_invalid, require_user, when, FormView};
use crate::ctx::{Ctx, CtxRef};
use crate::error::PageError;
use crate::State;
use askama::Template;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use okienko_domain::DomainError;
use okienko_services::visits::{PrintLabels, VisitInput};
use std::collections::HashMap;
use std::sync::Arc;

type St = axum::extract::State<State>;
type Params = HashMap<String, String>;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/counter/visits", get(start_page).post(start))
        .route("/counter/visits/{id}", get(visit))
        .route("/counter/visits/{id}/print", post(print))
        .route("/counter/visits/{id}/end", post(end))
}

/// The printout's words in the page's language.
pub(crate) fn print_labels(ctx: &Ctx) -> PrintLabels {
    PrintLabels {
        from: ctx.t("mailbox-from"),
        to: ctx.t("mailbox-to"),
        sent: ctx.t("mailbox-date"),
        body: ctx.t("visit-print-body"),
        attachment: ctx.t("paper-attachment"),
        note: ctx.t("visit-print-note"),
    }
}

#[derive(Template)]
#[template(path = "visit_start.html")]
struct StartPage<'a> {
    ctx: &'a Ctx,
    form: FormView,
    notice: Option<String>,
}

async fn start_page(
    axum::Extension(ctx): CtxRef,
    axum::extract::Query(q): axum::extract::Query<Params>,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    if !p.has(okienko_domain::Role::Clerk) {
        return Err(PageError(DomainError::NotFound, ctx.clone()));
    }
    Ok(render(&StartPage {
        ctx: &ctx,
        form: FormView::default(),
        notice: q.get("ended").map(|_| ctx.t("notice-visit-ended")),
    }))
}

async fn start(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    Form(form): Form<Params>,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    check_csrf(&ctx, &form)?;
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let input = VisitInput {
        pesel: get("pesel"),
        id_document_number: get("id_document_number"),
        consent: matches!(get("consent").as_str(), "1" | "on"),
    };
    match state.services.start_visit(p, &input).await {
        Ok(v) => Ok(Redirect::to(&format!("/counter/visits/{}", v.id)).into_response()),
        Err(e @ DomainError::Invalid(_)) => {
            let mut values = form.clone();
            values.remove("id_document_number");
            Ok(render_invalid(&StartPage {
                ctx: &ctx,
                form: FormView::new(values).with_error(&ctx, &e, "pesel"),
                notice: None,
            }))
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

#[derive(Template)]
#[template(path = "visit.html")]
struct VisitPage<'a> {
    ctx: &'a Ctx,
    id: String,
    citizen: String,
    point: String,
    started: String,
    mailbox: Option<String>,
    /// (message id, subject, from, when, status)
    inbox: Vec<(String, String, String, String, String)>,
    error: Option<String>,
}

async fn visit_page(
    state: &State,
    ctx: &Arc<Ctx>,
    id: &str,
    error: Option<String>,
) -> Result<Response, PageError> {
    let p = require_user(ctx)?;
    let v = state
        .services
        .visit_view(p, id)
        .await
        .map_err(|e| PageError(e, ctx.clone()))?;
    let invalid = error.is_some();
    let page = VisitPage {
        ctx,
        id: v.visit.id.clone(),
        citizen: v.citizen.display_name.clone(),
        point: v.point.name.clone(),
        started: when(ctx, v.visit.started_at).1,
        mailbox: v.mailbox.clone(),
        inbox: v
            .inbox
            .into_iter()
            .map(|m| {
                let status = if m.opened_at.is_some() {
                    ctx.t("status-opened")
                } else if m.deemed_at.is_some() {
                    ctx.t("status-deemed")
                } else {
                    ctx.t("status-new")
                };
                (m.id, m.subject, m.sender, when(ctx, m.sent_at).1, status)
            })
            .collect(),
        error,
    };
    Ok(if invalid {
        render_invalid(&page)
    } else {
        render(&page)
    })
}

async fn visit(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    visit_page(&state, &ctx, &id, None).await
}

async fn print(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    Path(id): Path<String>,
    Form(form): Form<Params>,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    check_csrf(&ctx, &form)?;
    let message = form.get("message").cloned().unwrap_or_default();
    if message.is_empty() {
        return visit_page(&state, &ctx, &id, Some(ctx.t("err-message-choose"))).await;
    }
    let pdf = state
        .services
        .print_for_citizen(p, &id, &message, print_labels(&ctx))
        .await
        .map_err(|e| PageError(e, ctx.clone()))?;
    Ok(crate::downloads::pdf(&format!("{message}.pdf"), pdf))
}

async fn end(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    Path(id): Path<String>,
    Form(form): Form<Params>,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    check_csrf(&ctx, &form)?;
    state
        .services
        .end_visit(p, &id)
        .await
        .map_err(|e| PageError(e, ctx.clone()))?;
    Ok(Redirect::to("/counter/visits?ended=1").into_response())
}
