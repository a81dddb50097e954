//! Assisted service at the counter: start a visit with the citizen present (PESEL, ID card,
//! consent), see and print their e-delivery messages, end the visit.

use super::common::{render, render_invalid, require_user, when, CsrfForm, FormView};
use crate::ctx::Ctx;
use crate::ctx::Cx;
use crate::ctx::FormText;
use crate::error::PageError;
use crate::Params;
use crate::State;
use askama::Template;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use okienko_domain::DomainError;
use okienko_services::visits::{PrintLabels, VisitInput};
use std::sync::Arc;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/counter/visits", get(start_page).post(start))
        .route("/counter/visits/{id}", get(visit))
        .route("/counter/visits/{id}/print", post(print))
        .route("/counter/visits/{id}/end", post(end))
        .route("/counter/visits/{id}/cash", post(cash))
        .route("/counter/visits/{id}/send", post(send))
}

/// The printout's words in the page's language.
pub(crate) fn print_labels(ctx: &Arc<Ctx>) -> PrintLabels {
    let c = ctx.clone();
    PrintLabels {
        when: Box::new(move |ms| crate::ui::common::when(&c, ms).1),
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
    visits: Vec<super::visit_history::VisitRow>,
}

async fn start_page(
    Cx(state, ctx): Cx,
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
        visits: super::visit_history::rows(&state, &ctx).await?,
    }))
}

async fn start(Cx(state, ctx): Cx, CsrfForm(form): CsrfForm) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let input = VisitInput {
        pesel: form.text("pesel"),
        id_document_number: form.text("id_document_number"),
        consent: matches!(form.text("consent").as_str(), "1" | "on"),
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
                visits: super::visit_history::rows(&state, &ctx).await?,
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
    /// (message id, subject, sender, when, status)
    inbox: Vec<(String, String, super::common::Named, String, String)>,
    error: Option<String>,
    notice: Option<String>,
    /// The send or cash form as typed, with its mistakes at their fields.
    form: FormView,
    /// Offices a fee may be paid to: (id, name).
    payees: Vec<(String, String)>,
    /// The reference of an application just submitted for the citizen (its UPP to print).
    submitted: Option<String>,
    /// The citizen's applications waiting for their fee: (reference, service name, the name's
    /// language, amount, payee office).
    fees: Vec<(String, String, String, String, String)>,
}

/// What a visit's page shows besides the visit: an error, a notice, a form as typed (with its
/// mistakes), an application just submitted for the citizen (its UPP to print).
#[derive(Default)]
struct Shown {
    error: Option<String>,
    notice: Option<String>,
    form: FormView,
    submitted: Option<String>,
}

/// The visit's page with an error at its top.
pub(super) async fn visit_page(
    state: &State,
    ctx: &Arc<Ctx>,
    id: &str,
    error: Option<String>,
) -> Result<Response, PageError> {
    let shown = Shown {
        error,
        ..Shown::default()
    };
    visit_page_all(state, ctx, id, shown).await
}

/// The visit's page with a form as typed.
async fn visit_form_page(
    state: &State,
    ctx: &Arc<Ctx>,
    id: &str,
    form: FormView,
) -> Result<Response, PageError> {
    let shown = Shown {
        form,
        ..Shown::default()
    };
    visit_page_all(state, ctx, id, shown).await
}

async fn visit_page_all(
    state: &State,
    ctx: &Arc<Ctx>,
    id: &str,
    shown: Shown,
) -> Result<Response, PageError> {
    let Shown {
        error,
        notice,
        form,
        submitted,
    } = shown;
    let p = require_user(ctx)?;
    let v = state
        .services
        .visit_view(p, id)
        .await
        .map_err(|e| PageError(e, ctx.clone()))?;
    let invalid = error.is_some() || form.has_errors();
    let senders: Vec<String> = v.inbox.iter().map(|m| m.sender.clone()).collect();
    let names = state
        .services
        .mailbox_names(&senders)
        .await
        .map_err(|e| PageError(e, ctx.clone()))?;
    let payees = state
        .services
        .payee_offices(p)
        .await
        .map_err(|e| PageError(e, ctx.clone()))?;
    let lang = ctx.lang.code();
    let fees = state
        .services
        .fees_due_at_visit(p, id)
        .await
        .map_err(|e| PageError(e, ctx.clone()))?
        .into_iter()
        .map(|f| {
            let name = f.service.spec.local(lang).name;
            (
                f.submission.reference,
                name.value,
                name.lang.to_string(),
                super::common::money(ctx, f.submission.fee),
                f.service.office.name,
            )
        })
        .collect();
    let page = VisitPage {
        submitted,
        payees,
        fees,
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
                let from = (names.get(&m.sender).cloned().unwrap_or_default(), m.sender);
                (m.id, m.subject, from, when(ctx, m.sent_at).1, status)
            })
            .collect(),
        error,
        notice,
        form,
    };
    Ok(super::common::render_form(&page, invalid))
}

async fn visit(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<Params>,
) -> Result<Response, PageError> {
    let submitted = q.get("submitted").cloned();
    let notice = q
        .get("sent")
        .map(|e| ctx.ta("notice-message-sent", &[("evidence", e)]))
        .or_else(|| {
            submitted
                .as_ref()
                .map(|r| ctx.ta("notice-assisted-submitted", &[("reference", r)]))
        });
    let shown = Shown {
        notice,
        submitted,
        ..Shown::default()
    };
    let page = visit_page_all(&state, &ctx, &id, shown);
    match page.await {
        // A visit that has ended is shown as the clerk's record of it.
        Err(PageError(DomainError::NotFound, ctx)) => {
            super::visit_history::ended_page(&state, &ctx, &id).await
        }
        other => other,
    }
}

async fn send(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let sent = match state.services.resolve_recipients(&form.text("to")).await {
        Ok(to) => {
            state
                .services
                .send_for_citizen(p, &id, to, &form.text("subject"), &form.text("body"))
                .await
        }
        Err(e) => Err(e),
    };
    match sent {
        Ok(sent) => {
            let ev = sent
                .evidence
                .first()
                .map(|(e, _)| e.clone())
                .unwrap_or_default();
            Ok(Redirect::to(&format!(
                "/counter/visits/{id}?sent={}",
                super::common::url_encode(&ev)
            ))
            .into_response())
        }
        // The message stays as typed, each mistake at its field.
        Err(e @ (DomainError::Invalid(_) | DomainError::Rejected(..))) => {
            let form = FormView::new(form).with_error(&ctx, &e, "to");
            visit_form_page(&state, &ctx, &id, form).await
        }
        Err(e @ DomainError::Conflict(_)) => {
            visit_page(&state, &ctx, &id, Some(ctx.t(e.code()))).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

async fn print(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let message = form.get("message").cloned().unwrap_or_default();
    if message.is_empty() {
        return visit_page(&state, &ctx, &id, Some(ctx.t("err-message-choose"))).await;
    }
    match state
        .services
        .print_for_citizen(p, &id, &message, print_labels(&ctx))
        .await
    {
        Ok(pdf) => Ok(crate::downloads::pdf(&format!("{message}.pdf"), pdf)),
        // A message that cannot be printed: said on the visit page, where the clerk can
        // still send it to the citizen's mailbox instead.
        Err(DomainError::Invalid(f)) => {
            let code = f.0.first().map_or("err-invalid", |e| e.code);
            visit_page(&state, &ctx, &id, Some(ctx.t(code))).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

async fn end(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(_form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    state
        .services
        .end_visit(p, &id)
        .await
        .map_err(|e| PageError(e, ctx.clone()))?;
    Ok(Redirect::to("/counter/visits?ended=1").into_response())
}

async fn cash(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let s = &state.services;
    let typed = super::walk_in::typed_cash(&form);
    let result = match form.text("action").as_str() {
        "take" => s.take_cash(p, &id, &typed).await,
        "change" => return visit_form_page(&state, &ctx, &id, FormView::new(form)).await,
        // Read out to the person before it is taken.
        _ => match s.check_cash(p, &id, &typed).await {
            Ok(input) => {
                let action = format!("/counter/visits/{id}/cash");
                return Ok(super::common::check_answers(
                    &ctx,
                    "walkin-check",
                    super::walk_in::payment_rows(&ctx, input),
                    (&action, &form),
                    ("take", ctx.t("cash-take")),
                ));
            }
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(r) => Ok(Redirect::to(&format!("/counter/receipts/{}", r.id)).into_response()),
        // The amount and title stay as typed, each mistake at its field.
        Err(e @ DomainError::Invalid(_)) => {
            let form = FormView::new(form).with_error(&ctx, &e, "amount");
            visit_form_page(&state, &ctx, &id, form).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}
