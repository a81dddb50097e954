//! Assisted service at the counter: start a visit with the citizen present (PESEL, ID card,
//! consent), see and print their e-delivery messages, end the visit.

use super::common::{money, render, render_invalid, require_user, when, CsrfForm, FormView};
use crate::ctx::{Ctx, CtxRef};
use crate::error::PageError;
use crate::State;
use crate::{Params, St};
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
        .route("/counter/receipts/{id}", get(receipt))
        .route("/counter/receipts/{id}/pdf", get(receipt_pdf))
        .route("/counter/receipts/{id}/signed", get(receipt_signed))
        .route("/counter/cash-report", get(cash_report))
        .route("/receipts/verify", get(receipt_check))
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
    axum::extract::State(state): St,
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
        visits: super::visit_history::rows(&state, &ctx).await?,
    }))
}

async fn start(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
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
}

async fn visit_page(
    state: &State,
    ctx: &Arc<Ctx>,
    id: &str,
    error: Option<String>,
) -> Result<Response, PageError> {
    visit_page_with(state, ctx, id, error, None).await
}

async fn visit_page_with(
    state: &State,
    ctx: &Arc<Ctx>,
    id: &str,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, PageError> {
    visit_page_full(state, ctx, id, error, notice, FormView::default()).await
}

async fn visit_page_full(
    state: &State,
    ctx: &Arc<Ctx>,
    id: &str,
    error: Option<String>,
    notice: Option<String>,
    form: FormView,
) -> Result<Response, PageError> {
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
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<Params>,
) -> Result<Response, PageError> {
    let notice = q
        .get("sent")
        .map(|e| ctx.ta("notice-message-sent", &[("evidence", e)]));
    match visit_page_with(&state, &ctx, &id, None, notice).await {
        // A visit that has ended is shown as the clerk's record of it.
        Err(PageError(DomainError::NotFound, ctx)) => {
            super::visit_history::ended_page(&state, &ctx, &id).await
        }
        other => other,
    }
}

async fn send(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let sent = match state.services.resolve_recipients(&get("to")).await {
        Ok(to) => {
            state
                .services
                .send_for_citizen(p, &id, to, &get("subject"), &get("body"))
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
            visit_page_full(&state, &ctx, &id, None, None, form).await
        }
        Err(e @ DomainError::Conflict(_)) => {
            visit_page(&state, &ctx, &id, Some(ctx.t(e.code()))).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

async fn print(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
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
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
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
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    match state
        .services
        .take_cash(p, &id, &get("amount"), &get("title"))
        .await
    {
        Ok(r) => Ok(Redirect::to(&format!("/counter/receipts/{}", r.id)).into_response()),
        // The amount and title stay as typed, each mistake at its field.
        Err(e @ DomainError::Invalid(_)) => {
            let form = FormView::new(form).with_error(&ctx, &e, "amount");
            visit_page_full(&state, &ctx, &id, None, None, form).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

/// A receipt's lines in the page's language.
fn receipt_rows(ctx: &Ctx, r: &okienko_store::CashReceipt) -> Vec<(String, String)> {
    let doc: serde_json::Value = serde_json::from_str(&r.document).unwrap_or_default();
    let s = |k: &str| doc[k].as_str().unwrap_or("").to_string();
    vec![
        (ctx.t("receipt-number"), r.number.to_string()),
        (
            ctx.t("receipt-point"),
            doc["service_point"]["name"]
                .as_str()
                .unwrap_or("")
                .to_string(),
        ),
        (ctx.t("receipt-amount"), money(ctx, r.amount)),
        (ctx.t("receipt-title"), r.title.clone()),
        (ctx.t("receipt-paid-at"), when(ctx, r.paid_at).1),
        (ctx.t("receipt-clerk"), s("clerk")),
        (ctx.t("receipt-payer"), s("payer")),
        (ctx.t("receipt-id"), r.id.clone()),
    ]
}

#[derive(Template)]
#[template(path = "receipt.html")]
struct ReceiptPage<'a> {
    ctx: &'a Ctx,
    id: String,
    visit: String,
    rows: Vec<(String, String)>,
}

async fn receipt(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let r = state
        .services
        .receipt(p, &id)
        .await
        .map_err(|e| PageError(e, ctx.clone()))?;
    Ok(render(&ReceiptPage {
        ctx: &ctx,
        rows: receipt_rows(&ctx, &r),
        id: r.id,
        visit: r.visit_id,
    }))
}

async fn receipt_pdf(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let r = state
        .services
        .receipt(p, &id)
        .await
        .map_err(|e| PageError(e, ctx.clone()))?;
    let rows = receipt_rows(&ctx, &r);
    let title = ctx.ta("receipt-heading", &[("number", &r.number.to_string())]);
    let note = format!(
        "{} {}/receipts/verify?id={}",
        ctx.t("receipt-verify-note"),
        state.services.base_url,
        r.id
    );
    let appendix_title = ctx.t("evidence-document");
    let footer = r.id.clone();
    let document = r.document.clone();
    let pdf = tokio::task::spawn_blocking(move || {
        okienko_print::render_sheet(&okienko_print::Sheet {
            title: &title,
            paragraphs: vec![note],
            rows,
            appendix_title: &appendix_title,
            appendix: &document,
            footer: &footer,
            attachment_label: "",
            attachments: Vec::new(),
        })
    })
    .await
    .map_err(|e| PageError(DomainError::Internal(e.to_string()), ctx.clone()))?
    .map_err(|e| PageError(DomainError::Internal(e.to_string()), ctx.clone()))?;
    Ok(crate::downloads::pdf(&format!("{}.pdf", r.id), pdf))
}

async fn receipt_signed(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let r = state
        .services
        .receipt(p, &id)
        .await
        .map_err(|e| PageError(e, ctx.clone()))?;
    signed_receipt(r).map_err(|e| PageError(e, ctx.clone()))
}

#[derive(Template)]
#[template(path = "cash_report.html")]
struct ReportPage<'a> {
    ctx: &'a Ctx,
    point: String,
    day: String,
    /// (receipt id, number, time, title, amount)
    rows: Vec<(String, i64, String, String, String)>,
    total: String,
    /// Receipt numbers of the day that no receipt carries, e.g. "14, 15".
    unused: String,
    /// (label, count) of the counter's day.
    summary: Vec<(String, String)>,
}

async fn cash_report(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    axum::extract::Query(q): axum::extract::Query<Params>,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let day = match q.get("date").filter(|d| !d.is_empty()) {
        Some(d) => Some(
            time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]"))
                .map_err(|_| PageError(DomainError::invalid("date", "err-date"), ctx.clone()))?,
        ),
        None => None,
    };
    let r = state
        .services
        .cash_report(p, day)
        .await
        .map_err(|e| PageError(e, ctx.clone()))?;
    Ok(render(&ReportPage {
        ctx: &ctx,
        point: r.point.name.clone(),
        day: r.day.to_string(),
        rows: r
            .receipts
            .iter()
            .map(|x| {
                (
                    x.id.clone(),
                    x.number,
                    when(&ctx, x.paid_at).1,
                    x.title.clone(),
                    money(&ctx, x.amount),
                )
            })
            .collect(),
        total: money(&ctx, r.total),
        unused: r
            .unused
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        summary: vec![
            (
                ctx.t("summary-confirmations"),
                r.counter.confirmations.to_string(),
            ),
            (ctx.t("summary-refusals"), r.counter.refusals.to_string()),
            (ctx.t("summary-visits"), r.counter.visits.to_string()),
            (ctx.t("summary-prints"), r.counter.prints.to_string()),
            (ctx.t("summary-receipts"), r.receipts.len().to_string()),
            (ctx.t("cash-total"), money(&ctx, r.total)),
        ],
    }))
}

#[derive(Template)]
#[template(path = "receipt_check.html")]
struct CheckPage<'a> {
    ctx: &'a Ctx,
    id: String,
    rows: Vec<(String, String)>,
    error: Option<String>,
}

/// Anyone holding a printed receipt checks it by the identifier printed on it: what was paid,
/// where and when, and the signed receipt to verify.
async fn receipt_check(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    axum::extract::Query(q): axum::extract::Query<Params>,
) -> Response {
    let id = q
        .get("id")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    if id.is_empty() {
        return render(&CheckPage {
            ctx: &ctx,
            id,
            rows: Vec::new(),
            error: None,
        });
    }
    match state.services.receipt_to_check(&id).await {
        Ok(Some(r)) => {
            let mut rows = receipt_rows(&ctx, &r);
            // The payer's and clerk's names stay on the paper, not on a public page; nor is the
            // signed receipt (which names them) given out here: its fingerprint is shown, so
            // whoever holds it compares, and the payer and the counter download it signed in.
            rows.retain(|(k, _)| *k != ctx.t("receipt-payer") && *k != ctx.t("receipt-clerk"));
            let signed = base64::Engine::decode(
                &base64::engine::general_purpose::STANDARD,
                r.signed_b64.as_bytes(),
            )
            .unwrap_or_default();
            rows.push((
                ctx.t("receipt-signed-sha256"),
                hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&signed)),
            ));
            render(&CheckPage {
                ctx: &ctx,
                id,
                rows,
                error: None,
            })
        }
        Ok(None) => {
            let mut r = render(&CheckPage {
                ctx: &ctx,
                id,
                rows: Vec::new(),
                error: Some(ctx.t("err-receipt-unknown")),
            });
            *r.status_mut() = axum::http::StatusCode::NOT_FOUND;
            r
        }
        Err(_) => crate::error::internal_response(),
    }
}

/// A receipt's signed form (`.p7m`), served like any signed evidence document.
fn signed_receipt(r: okienko_store::CashReceipt) -> Result<Response, DomainError> {
    crate::downloads::signed_evidence(&okienko_store::EvidenceRecord {
        id: r.id,
        message_id: None,
        recipient: String::new(),
        kind: "cash-receipt".into(),
        issued_at: r.paid_at,
        log_index: r.log_index,
        document: r.document,
        signed_b64: r.signed_b64,
    })
}
