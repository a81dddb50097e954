//! Paying a fee online: the submission's "Pay" button, the local payment provider
//! simulator's payment page (marked as a simulator), and an office's daily reconciliation.

use super::common::{day, err, money, render, require_user, when, CsrfForm};
use crate::ctx::{Ctx, Cx};
use crate::error::PageError;
use crate::State;
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use okienko_domain::DomainError;
use std::collections::HashMap;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/submissions/{reference}/pay", post(pay))
        .route(
            "/payment-simulator/trnRequest/{token}",
            get(simulator_page).post(simulator_decide),
        )
        .route("/offices/{id}/payments", get(reconciliation))
        .route("/counter/visits/{id}/fee", post(counter_fee))
}

/// An application's fee taken in cash during a visit: read out first (service, reference,
/// amount, office), then taken; the receipt's page follows.
async fn counter_fee(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    use super::common::Said;
    use crate::ctx::FormText;
    let p = require_user(&ctx)?;
    let s = &state.services;
    let reference = form.text("reference");
    let result = match form.text("action").as_str() {
        "change" => return Ok(Redirect::to(&format!("/counter/visits/{id}")).into_response()),
        "take" => s.take_fee_in_cash(p, &id, &reference).await.map(Ok),
        _ => s.fee_due_at_visit(p, &id, &reference).await.map(Err),
    };
    match result {
        Ok(Ok(receipt)) => Ok(Redirect::to(&format!(
            "/counter/receipts/{}?notice=notice-fee-taken",
            receipt.id
        ))
        .into_response()),
        Ok(Err(due)) => {
            let name = due.service.spec.local(ctx.lang.code()).name.value;
            let rows = vec![
                (ctx.t("fee-col-service"), name, Said::Ours),
                (
                    ctx.t("fee-col-reference"),
                    due.submission.reference.clone(),
                    Said::Code,
                ),
                (
                    ctx.t("receipt-amount"),
                    money(&ctx, due.submission.fee),
                    Said::Code,
                ),
                (ctx.t("receipt-payee"), due.service.office.name, Said::Typed),
            ];
            let action = format!("/counter/visits/{id}/fee");
            Ok(super::common::check_answers(
                &ctx,
                "fee-check",
                rows,
                (&action, &form),
                ("take", ctx.t("cash-take")),
            ))
        }
        // Paid meanwhile (online, or at another counter), or nothing chosen: said on the visit.
        Err(DomainError::Conflict(code)) => {
            super::counter::visit_page(&state, &ctx, &id, Some(ctx.t(code))).await
        }
        Err(DomainError::Invalid(fe)) => {
            let said = fe.0.first().map(|f| ctx.t(f.code));
            super::counter::visit_page(&state, &ctx, &id, said).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

async fn pay(
    Cx(state, ctx): Cx,
    Path(reference): Path<String>,
    CsrfForm(_): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let to = state
        .services
        .start_payment(p, &reference)
        .await
        .map_err(err(&ctx))?;
    Ok(Redirect::to(&to).into_response())
}

#[derive(Template)]
#[template(path = "payments/simulator.html")]
struct SimulatorPage<'a> {
    ctx: &'a Ctx,
    token: String,
    description: String,
    amount: String,
    settled: bool,
}

async fn simulator_page(
    Cx(state, ctx): Cx,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let t = state
        .services
        .sim_transaction(&token)
        .await
        .map_err(err(&ctx))?;
    Ok(render(&SimulatorPage {
        ctx: &ctx,
        token,
        description: t.description,
        amount: money(&ctx, t.amount),
        settled: t.status != "registered",
    }))
}

async fn simulator_decide(
    Cx(state, ctx): Cx,
    Path(token): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let pay = form.get("action").is_some_and(|a| a == "pay");
    let back = state
        .services
        .sim_decide(&token, pay)
        .await
        .map_err(err(&ctx))?;
    let notice = if pay {
        "notice-payment-paid"
    } else {
        "notice-payment-cancelled"
    };
    Ok(Redirect::to(&format!("{back}?notice={notice}")).into_response())
}

#[derive(Template)]
#[template(path = "payments/reconciliation.html")]
struct ReconciliationPage<'a> {
    ctx: &'a Ctx,
    office_id: String,
    day_iso: String,
    day: String,
    /// (session, order, paid at, amount)
    rows: Vec<(String, String, (String, String), String)>,
    total: String,
    provider_total: String,
    balanced: bool,
    unmatched: Vec<String>,
}

async fn reconciliation(
    Cx(state, ctx): Cx,
    Path(office_id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let today = state
        .services
        .country
        .local(okienko_domain::from_millis(state.services.now_ms()))
        .date();
    let d = match q.get("day").filter(|d| !d.is_empty()) {
        Some(d) => time::Date::parse(d, &fmt)
            .map_err(|_| PageError(DomainError::invalid("day", "err-form-date"), ctx.clone()))?,
        None => today,
    };
    let r = state
        .services
        .reconcile_payments(p, &office_id, d)
        .await
        .map_err(err(&ctx))?;
    Ok(render(&ReconciliationPage {
        ctx: &ctx,
        office_id,
        day_iso: d.format(&fmt).unwrap_or_default(),
        day: day(&ctx, d),
        rows: r
            .payments
            .iter()
            .map(|x| {
                (
                    x.session_id.clone(),
                    x.order_id.clone().unwrap_or_default(),
                    when(&ctx, x.paid_at.unwrap_or(0)),
                    money(&ctx, x.amount),
                )
            })
            .collect(),
        total: money(&ctx, r.total),
        provider_total: money(&ctx, r.provider_total),
        balanced: r.unmatched.is_empty() && r.total == r.provider_total,
        unmatched: r.unmatched,
    }))
}
