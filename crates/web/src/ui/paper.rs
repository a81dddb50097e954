//! The hybrid paper channel at the counter: letters waiting at a post office, print batches
//! (download, printed, handed to the post) and each letter's outcome; and the public page where
//! anyone holding a letter checks it by its tracking number and verification code.

use super::common::{
    confirm_page, confirmed, err, render, render_invalid, require_user, when, CsrfForm, FormView,
};
use crate::ctx::Cx;
use crate::ctx::FormText;
use crate::ctx::{Ctx, CtxRef};
use crate::error::PageError;
use crate::Params;
use crate::State;
use askama::Template;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use okienko_domain::DomainError;
use okienko_services::paper::{letter_status, OUTCOMES};
use okienko_store::{PaperLetter, PrintBatch};
use std::sync::Arc;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/service-points/{id}/paper", get(desk))
        .route("/service-points/{id}/paper/batches", post(make_batch))
        .route("/print-batches/{id}", get(batch))
        .route("/print-batches/{id}/pdf", get(batch_pdf))
        .route("/print-batches/{id}/handover/pdf", get(handover_pdf))
        .route("/print-batches/{id}/printed", post(printed))
        .route("/print-batches/{id}/dispatched", post(dispatched))
        .route("/paper-letters/{id}/outcome", post(outcome))
        .route("/paper-letters/{id}/pdf", get(letter_pdf))
        .route("/letters/verify", get(check_page).post(check))
        .route("/letters/verify/pdf", post(check_pdf))
}

/// A letter as a table row.
struct LetterRow {
    id: String,
    tracking: String,
    recipient: String,
    postal_code: String,
    pages: i64,
    status: String,
    open: bool,
}

fn letter_row(ctx: &Ctx, l: PaperLetter, batch: Option<&PrintBatch>) -> LetterRow {
    let status = letter_status(&l, batch);
    LetterRow {
        open: status == "dispatched",
        status: ctx.t(&format!("paper-status-{status}")),
        recipient: format!("{}, {}, {}", l.recipient_name, l.street, l.city),
        id: l.id,
        tracking: l.tracking_number,
        postal_code: l.postal_code,
        pages: l.pages,
    }
}

struct BatchRow {
    id: String,
    when: String,
    letters: i64,
    pages: i64,
    status: String,
}

#[derive(Template)]
#[template(path = "paper_desk.html")]
struct DeskPage<'a> {
    ctx: &'a Ctx,
    point_id: String,
    point_name: String,
    waiting: Vec<LetterRow>,
    batches: Vec<BatchRow>,
    notice: Option<String>,
}

async fn desk_page(
    state: &State,
    ctx: &Arc<Ctx>,
    id: &str,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let p = require_user(ctx)?;
    let d = state.services.paper_desk(p, id).await.map_err(err(ctx))?;
    Ok(render(&DeskPage {
        ctx,
        point_id: d.point.id.clone(),
        point_name: d.point.name.clone(),
        waiting: d
            .waiting
            .into_iter()
            .map(|l| letter_row(ctx, l, None))
            .collect(),
        batches: d
            .batches
            .into_iter()
            .map(|b| BatchRow {
                when: when(ctx, b.created_at).1,
                status: ctx.t(&format!("paper-batch-{}", b.status)),
                id: b.id,
                letters: b.letters,
                pages: b.pages,
            })
            .collect(),
        notice,
    }))
}

async fn desk(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Response, PageError> {
    desk_page(&state, &ctx, &id, None).await
}

async fn make_batch(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(_form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    match state.services.make_print_batch(p, &id).await {
        Ok(b) => Ok(Redirect::to(&format!("/print-batches/{}?made=1", b.id)).into_response()),
        Err(DomainError::Conflict("err-nothing-waiting")) => {
            desk_page(&state, &ctx, &id, Some(ctx.t("err-nothing-waiting"))).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

#[derive(Template)]
#[template(path = "paper_batch.html")]
struct BatchPage<'a> {
    ctx: &'a Ctx,
    id: String,
    point_id: String,
    point_name: String,
    when: String,
    status: String,
    state: String,
    letters: Vec<LetterRow>,
    pages: i64,
    outcomes: Vec<(String, String)>,
    notice: Option<String>,
}

async fn batch_page(
    state: &State,
    ctx: &Arc<Ctx>,
    id: &str,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let p = require_user(ctx)?;
    let v = state
        .services
        .print_batch_view(p, id)
        .await
        .map_err(err(ctx))?;
    Ok(render(&BatchPage {
        ctx,
        id: v.batch.id.clone(),
        point_id: v.point.id.clone(),
        point_name: v.point.name.clone(),
        when: when(ctx, v.batch.created_at).1,
        status: ctx.t(&format!("paper-batch-{}", v.batch.status)),
        state: v.batch.status.to_string(),
        pages: v.batch.pages,
        letters: v
            .letters
            .into_iter()
            .map(|l| letter_row(ctx, l, Some(&v.batch)))
            .collect(),
        outcomes: OUTCOMES
            .iter()
            .map(|o| (o.to_string(), ctx.t(&format!("paper-status-{o}"))))
            .collect(),
        notice,
    }))
}

async fn batch(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<Params>,
) -> Result<Response, PageError> {
    let notice = q
        .get("notice")
        .filter(|n| n.starts_with("notice-paper-"))
        .map(|n| ctx.t(n))
        .or_else(|| q.get("made").map(|_| ctx.t("notice-paper-batch-made")));
    batch_page(&state, &ctx, &id, notice).await
}

async fn batch_pdf(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let pdf = state
        .services
        .print_batch_pdf(p, &id)
        .await
        .map_err(err(&ctx))?;
    Ok(crate::downloads::pdf(&format!("batch-{id}.pdf"), pdf))
}

/// The hand-over list of a batch for the carrier: every letter with its tracking number,
/// recipient and pages, and lines to sign for the clerk who hands it over and the carrier.
async fn handover_pdf(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let v = state
        .services
        .print_batch_view(p, &id)
        .await
        .map_err(err(&ctx))?;
    let count = v.letters.len().to_string();
    let pages: i64 = v.letters.iter().map(|l| l.pages).sum();
    let rows = v
        .letters
        .iter()
        .map(|l| {
            (
                l.tracking_number.clone(),
                ctx.ta(
                    "handover-row",
                    &[
                        ("name", &l.recipient_name),
                        ("street", &l.street),
                        ("code", &l.postal_code),
                        ("city", &l.city),
                        ("pages", &l.pages.to_string()),
                    ],
                ),
            )
        })
        .collect();
    let pdf = super::common::sheet_pdf(
        &ctx,
        ctx.ta("handover-title", &[("point", &v.point.name)]),
        vec![ctx.ta(
            "handover-intro",
            &[
                ("batch", &when(&ctx, v.batch.created_at).1),
                ("count", &count),
                ("pages", &pages.to_string()),
            ],
        )],
        rows,
        ctx.t("handover-signatures"),
        ctx.t("handover-sign-lines"),
        format!("{} · {}", v.point.name, v.batch.id),
    )
    .await?;
    Ok(crate::downloads::pdf(&format!("handover-{id}.pdf"), pdf))
}

/// Runs one step on a batch and comes back to its page with a notice, or with the
/// translated reason the step was refused.
async fn batch_step(
    state: &State,
    ctx: &Arc<Ctx>,
    id: &str,
    form: &Params,
    dispatched: bool,
) -> Result<Response, PageError> {
    let p = require_user(ctx)?;
    if !confirmed(form) {
        let (key, step) = if dispatched {
            ("confirm-batch-dispatched", "dispatched")
        } else {
            ("confirm-batch-printed", "printed")
        };
        return Ok(confirm_page(
            ctx,
            key,
            &format!("/print-batches/{id}/{step}"),
            &format!("/print-batches/{id}"),
            form,
        ));
    }
    let s = &state.services;
    let r = if dispatched {
        s.mark_batch_dispatched(p, id).await
    } else {
        s.mark_batch_printed(p, id).await
    };
    match r {
        Ok(()) => {
            let n = if dispatched {
                "notice-paper-dispatched"
            } else {
                "notice-paper-printed"
            };
            Ok(Redirect::to(&format!("/print-batches/{id}?notice={n}")).into_response())
        }
        Err(DomainError::Conflict(code)) => batch_page(state, ctx, id, Some(ctx.t(code))).await,
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

async fn printed(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    batch_step(&state, &ctx, &id, &form, false).await
}

async fn dispatched(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    batch_step(&state, &ctx, &id, &form, true).await
}

async fn outcome(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let chosen = form.get("outcome").cloned().unwrap_or_default();
    match state.services.record_letter_outcome(p, &id, &chosen).await {
        Ok(l) => Ok(Redirect::to(&format!(
            "/print-batches/{}?notice=notice-paper-outcome",
            l.batch_id.unwrap_or_default()
        ))
        .into_response()),
        Err(e @ (DomainError::Invalid(_) | DomainError::Conflict(_))) => {
            // Back to the batch with the reason; the letter tells which batch.
            let batch = state
                .services
                .letter_batch(p, &id)
                .await
                .map_err(|x| PageError(x, ctx.clone()))?;
            let text = match &e {
                DomainError::Invalid(fe) => fe.0.first().map(|f| ctx.t(f.code)),
                other => Some(ctx.t(other.code())),
            };
            let mut r = batch_page(&state, &ctx, &batch, text).await?;
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

async fn letter_pdf(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let (l, bytes) = state.services.letter_pdf(p, &id).await.map_err(err(&ctx))?;
    Ok(crate::downloads::pdf(
        &format!("{}.pdf", l.tracking_number),
        bytes,
    ))
}

#[derive(Template)]
#[template(path = "letter_check.html")]
struct CheckPage<'a> {
    ctx: &'a Ctx,
    form: FormView,
    /// (label, value) rows of a letter found.
    found: Vec<(String, String)>,
}

async fn check_page(
    axum::Extension(ctx): CtxRef,
    axum::extract::Query(q): axum::extract::Query<Params>,
) -> Response {
    let mut values = Params::new();
    if let Some(t) = q.get("tracking") {
        values.insert("tracking".into(), t.clone());
    }
    render(&CheckPage {
        ctx: &ctx,
        form: FormView::new(values),
        found: Vec::new(),
    })
}

async fn check(Cx(state, ctx): Cx, CsrfForm(form): CsrfForm) -> Result<Response, PageError> {
    match state
        .services
        .check_letter(&form.text("tracking"), &form.text("code"))
        .await
    {
        Ok(c) => {
            let found = vec![
                (
                    ctx.t("paper-tracking-number"),
                    c.letter.tracking_number.clone(),
                ),
                (
                    ctx.t("paper-sender"),
                    format!("{} ({})", c.sender_name, c.sender_address),
                ),
                (ctx.t("letters-sent-at"), when(&ctx, c.sent_at).1),
                (ctx.t("paper-pages"), c.letter.pages.to_string()),
                (ctx.t("letters-sha256"), c.letter.pdf_sha256.clone()),
                (
                    ctx.t("paper-col-status"),
                    ctx.t(&format!("paper-status-{}", c.status)),
                ),
            ];
            Ok(render(&CheckPage {
                ctx: &ctx,
                form: FormView::new(
                    [
                        ("tracking", form.text("tracking")),
                        ("code", form.text("code")),
                    ]
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect(),
                ),
                found,
            }))
        }
        Err(e @ DomainError::Invalid(_)) => {
            let mut values = Params::new();
            values.insert("tracking".into(), form.text("tracking"));
            Ok(render_invalid(&CheckPage {
                ctx: &ctx,
                form: FormView::new(values).with_error(&ctx, &e, "tracking"),
                found: Vec::new(),
            }))
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

async fn check_pdf(Cx(state, ctx): Cx, CsrfForm(form): CsrfForm) -> Result<Response, PageError> {
    let (tracking, bytes) = state
        .services
        .checked_letter_pdf(&form.text("tracking"), &form.text("code"))
        .await
        .map_err(err(&ctx))?;
    Ok(crate::downloads::pdf(&format!("{tracking}.pdf"), bytes))
}
