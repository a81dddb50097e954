//! Cash at the counter: the receipt (print, signed form, void), the day's report for the
//! service point or one clerk's day close (on screen and as PDF), and the public receipt check.

use super::common::{
    confirm_page, confirmed, err, money, render, render_form, require_user, when, CsrfForm,
    FormView,
};
use crate::ctx::Ctx;
use crate::ctx::Cx;
use crate::error::PageError;
use crate::Params;
use crate::State;
use askama::Template;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use okienko_domain::DomainError;
use std::sync::Arc;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/counter/receipts/{id}", get(receipt))
        .route("/counter/receipts/{id}/pdf", get(receipt_pdf))
        .route("/counter/receipts/{id}/signed", get(signed))
        .route("/counter/receipts/{id}/void", post(void))
        .route("/counter/receipts/{id}/void/signed", get(signed))
        .route("/counter/cash-report", get(cash_report))
        .route("/counter/cash-report/pdf", get(cash_report_pdf))
        .route("/receipts/verify", get(receipt_check))
}

/// A receipt's lines in the page's language.
fn receipt_rows(ctx: &Ctx, r: &okienko_store::CashReceipt) -> Vec<(String, String)> {
    let doc: serde_json::Value = serde_json::from_str(&r.document).unwrap_or_default();
    let s = |k: &str| doc[k].as_str().unwrap_or("").to_string();
    let mut rows = vec![
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
        (
            ctx.t("receipt-payee"),
            doc["payee"]["name"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| ctx.t("cash-payee-none")),
        ),
        (ctx.t("receipt-paid-at"), when(ctx, r.paid_at).1),
        (ctx.t("receipt-clerk"), s("clerk")),
        (ctx.t("receipt-payer"), s("payer")),
        (ctx.t("receipt-id"), r.id.clone()),
    ];
    if let Some(reference) = pays_fee(r) {
        rows.insert(4, (ctx.t("fee-col-reference"), reference));
    }
    if r.void.is_some() {
        rows.push((ctx.t("cash-status"), ctx.t("receipt-voided")));
    }
    rows
}

/// The reference of the application whose fee a receipt pays, if it pays one.
fn pays_fee(r: &okienko_store::CashReceipt) -> Option<String> {
    let doc: serde_json::Value = serde_json::from_str(&r.document).ok()?;
    doc["submission"].as_str().map(str::to_string)
}

#[derive(Template)]
#[template(path = "receipt.html")]
struct ReceiptPage<'a> {
    ctx: &'a Ctx,
    id: String,
    /// The assisted visit it was taken in, if any.
    visit: Option<String>,
    rows: Vec<(String, String)>,
    /// "Voided on … by …: reason", once voided.
    voided: Option<String>,
    /// The clerk may void it (not voided, not the payer's own view).
    can_void: bool,
    form: FormView,
    notice: Option<String>,
}

async fn receipt_page(
    state: &State,
    ctx: &Arc<Ctx>,
    id: &str,
    form: FormView,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let p = require_user(ctx)?;
    let r = state.services.receipt(p, id).await.map_err(err(ctx))?;
    let voided = match &r.void {
        Some(v) => {
            let clerk = serde_json::from_str::<serde_json::Value>(&v.document)
                .ok()
                .and_then(|d| d["clerk"].as_str().map(str::to_string))
                .unwrap_or_default();
            Some(ctx.ta(
                "receipt-voided-at",
                &[
                    ("date", &when(ctx, v.voided_at).1),
                    ("clerk", &clerk),
                    ("reason", &v.reason),
                ],
            ))
        }
        None => None,
    };
    let invalid = form.has_errors();
    let page = ReceiptPage {
        ctx,
        rows: receipt_rows(ctx, &r),
        // An application's fee is given back by the office (a refund), not by a void.
        can_void: r.void.is_none()
            && r.citizen_id.as_deref() != Some(p.user.id.as_str())
            && pays_fee(&r).is_none(),
        voided,
        id: r.id,
        visit: r.visit_id,
        form,
        notice,
    };
    Ok(render_form(&page, invalid))
}

async fn receipt(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<Params>,
) -> Result<Response, PageError> {
    let notice = super::common::notice(&ctx, &q);
    receipt_page(&state, &ctx, &id, FormView::default(), notice).await
}

/// Voids a receipt: asks once more, then the signed void; a missing reason comes back to the
/// receipt's page at its field.
async fn void(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let reason = form.get("reason").cloned().unwrap_or_default();
    let back = format!("/counter/receipts/{id}");
    // Only the clerk's own point's receipts, whatever the form says.
    let allowed = state.services.receipt_to_void(p, &id).await;
    if let Err(e @ DomainError::NotFound) = allowed {
        return Err(PageError(e, ctx.clone()));
    }
    let result =
        match allowed.and_then(|_| okienko_services::visits::void_reason(&reason).map(|_| ())) {
            Err(e) => Err(e),
            Ok(()) if !confirmed(&form) => {
                let action = format!("{back}/void");
                return Ok(confirm_page(
                    &ctx,
                    "receipt-void-confirm",
                    &action,
                    &back,
                    &form,
                ));
            }
            Ok(()) => state
                .services
                .void_receipt(p, &id, &reason)
                .await
                .map(|_| ()),
        };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("{back}?notice=notice-receipt-voided")).into_response()),
        Err(e @ DomainError::Invalid(_)) => {
            let view = FormView::new(form.clone()).with_error(&ctx, &e, "reason");
            receipt_page(&state, &ctx, &id, view, None).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

/// A receipt's signed form (`.p7m`), or with `/void/signed` its signed void, served like any
/// signed evidence document.
async fn signed(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    uri: axum::http::Uri,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let r = state.services.receipt(p, &id).await.map_err(err(&ctx))?;
    let (id, signed_b64) = if uri.path().ends_with("/void/signed") {
        let v = r
            .void
            .ok_or_else(|| PageError(DomainError::NotFound, ctx.clone()))?;
        (v.id, v.signed_b64)
    } else {
        (r.id, r.signed_b64)
    };
    crate::downloads::signed_p7m(&id, &signed_b64).map_err(err(&ctx))
}

async fn receipt_pdf(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Response, PageError> {
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
    let pdf = super::common::sheet_pdf(
        &ctx,
        title,
        vec![note],
        rows,
        ctx.t("evidence-document"),
        r.document.clone(),
        r.id.clone(),
    )
    .await?;
    Ok(crate::downloads::pdf(&format!("{}.pdf", r.id), pdf))
}

#[derive(Template)]
#[template(path = "cash_report.html")]
struct ReportPage<'a> {
    ctx: &'a Ctx,
    /// "Daily cash report: point, date" or the clerk's day close.
    heading: String,
    day: String,
    mine: bool,
    /// (receipt id, number, time, title, payee, amount, voided)
    rows: Vec<(String, i64, String, String, String, String, bool)>,
    total: String,
    by_payee: Vec<(String, String)>,
    /// Receipt numbers of the day that no receipt carries, e.g. "14, 15".
    unused: String,
    /// (label, count) of the counter's day.
    summary: Vec<(String, String)>,
}

/// The report asked for: `?date=YYYY-MM-DD` (today if none), `&mine=1` for one's day close.
async fn report(
    state: &State,
    ctx: &Arc<Ctx>,
    q: &Params,
) -> Result<(okienko_services::visits::CashReport, bool), PageError> {
    let p = require_user(ctx)?;
    let day = match q.get("date").filter(|d| !d.is_empty()) {
        Some(d) => Some(
            time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]"))
                .map_err(|_| PageError(DomainError::invalid("date", "err-date"), ctx.clone()))?,
        ),
        None => None,
    };
    let mine = q.get("mine").is_some_and(|m| m == "1");
    let r = state
        .services
        .cash_report(p, day, mine)
        .await
        .map_err(err(ctx))?;
    Ok((r, mine))
}

fn report_page<'a>(
    ctx: &'a Ctx,
    r: &okienko_services::visits::CashReport,
    mine: bool,
) -> ReportPage<'a> {
    let day = super::common::day(ctx, r.day);
    let heading = match &r.clerk {
        Some(c) => format!(
            "{}: {}, {day}",
            ctx.ta("cash-report-clerk", &[("clerk", c)]),
            r.point.name
        ),
        None => format!("{}: {}, {day}", ctx.t("cash-report"), r.point.name),
    };
    let valid = r.receipts.iter().filter(|x| x.void.is_none()).count();
    ReportPage {
        ctx,
        heading,
        day: r.day.to_string(),
        mine,
        rows: r
            .receipts
            .iter()
            .map(|x| {
                let payee = x
                    .payee_office_id
                    .as_ref()
                    .and_then(|id| r.payees.get(id))
                    .cloned()
                    .unwrap_or_else(|| ctx.t("cash-payee-none"));
                (
                    x.id.clone(),
                    x.number,
                    when(ctx, x.paid_at).1,
                    x.title.clone(),
                    payee,
                    money(ctx, x.amount),
                    x.void.is_some(),
                )
            })
            .collect(),
        total: money(ctx, r.total),
        by_payee: r
            .by_payee
            .iter()
            .map(|(n, t)| (n.clone(), money(ctx, *t)))
            .collect(),
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
            (ctx.t("summary-receipts"), valid.to_string()),
            (ctx.t("cash-total"), money(ctx, r.total)),
        ],
    }
}

async fn cash_report(
    Cx(state, ctx): Cx,
    axum::extract::Query(q): axum::extract::Query<Params>,
) -> Result<Response, PageError> {
    let (r, mine) = report(&state, &ctx, &q).await?;
    Ok(render(&report_page(&ctx, &r, mine)))
}

/// The day's report, or one clerk's day close, to print and sign on paper.
async fn cash_report_pdf(
    Cx(state, ctx): Cx,
    axum::extract::Query(q): axum::extract::Query<Params>,
) -> Result<Response, PageError> {
    let (r, mine) = report(&state, &ctx, &q).await?;
    let page = report_page(&ctx, &r, mine);
    let mut rows = page.summary.clone();
    for (name, total) in &page.by_payee {
        rows.push((format!("{}: {name}", ctx.t("cash-by-payee")), total.clone()));
    }
    let lines: Vec<String> = page
        .rows
        .iter()
        .map(|(_, n, at, title, payee, amount, voided)| {
            let state = if *voided {
                ctx.t("receipt-voided")
            } else {
                ctx.t("cash-valid")
            };
            format!("{n}. {at} | {title} | {payee} | {amount} | {state}")
        })
        .collect();
    let appendix = if lines.is_empty() {
        ctx.t("cash-none")
    } else {
        lines.join("\n")
    };
    let file = format!(
        "{}-{}{}.pdf",
        ctx.t("cash-report").replace(' ', "-"),
        page.day,
        if mine { "-mine" } else { "" }
    );
    let pdf = super::common::sheet_pdf(
        &ctx,
        page.heading.clone(),
        vec![ctx.t("cash-voided-note")],
        rows,
        ctx.t("summary-receipts"),
        appendix,
        r.point.name.clone(),
    )
    .await?;
    Ok(crate::downloads::pdf(&file, pdf))
}

#[derive(Template)]
#[template(path = "receipt_check.html")]
struct CheckPage<'a> {
    ctx: &'a Ctx,
    id: String,
    rows: Vec<(String, String)>,
    error: Option<String>,
    /// The receipt was voided: no payment stands under it.
    voided: bool,
}

/// Anyone holding a printed receipt checks it by the identifier printed on it: what was paid,
/// where and when, and the signed receipt to verify.
async fn receipt_check(
    Cx(state, ctx): Cx,
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
            voided: false,
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
                voided: r.void.is_some(),
            })
        }
        Ok(None) => {
            let mut r = render(&CheckPage {
                ctx: &ctx,
                id,
                rows: Vec::new(),
                error: Some(ctx.t("err-receipt-unknown")),
                voided: false,
            });
            *r.status_mut() = axum::http::StatusCode::NOT_FOUND;
            r
        }
        Err(_) => crate::error::internal_response(),
    }
}
