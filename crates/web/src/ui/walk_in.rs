//! A fee paid at the counter by someone without an account or trusted profile: the clerk
//! types the payer's name as they give it, checks the payment with them, then takes it.

use super::common::{check_answers, err, render_form, require_user, CsrfForm, FormView, Said};
use crate::ctx::Ctx;
use crate::ctx::Cx;
use crate::ctx::FormText;
use crate::error::PageError;
use crate::Params;
use crate::State;
use askama::Template;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use okienko_domain::DomainError;
use std::sync::Arc;

pub fn routes() -> Router<State> {
    Router::new().route("/counter/cash", get(page).post(submit))
}

/// The fields of the payment form.
const FIELDS: [&str; 4] = ["payer", "amount", "title", "payee"];

#[derive(Template)]
#[template(path = "walk_in/form.html")]
struct FormPage<'a> {
    ctx: &'a Ctx,
    form: FormView,
    /// Offices a fee may be paid to: (id, name).
    payees: Vec<(String, String)>,
}

async fn form_page(state: &State, ctx: &Arc<Ctx>, form: FormView) -> Result<Response, PageError> {
    let p = require_user(ctx)?;
    let payees = state.services.payee_offices(p).await.map_err(err(ctx))?;
    let invalid = form.has_errors();
    Ok(render_form(&FormPage { ctx, form, payees }, invalid))
}

async fn page(Cx(state, ctx): Cx) -> Result<Response, PageError> {
    form_page(&state, &ctx, FormView::default()).await
}

/// A payment's lines to read out to the payer.
pub(super) fn payment_rows(
    ctx: &Ctx,
    input: okienko_services::visits::CashInput,
) -> Vec<(String, String, Said)> {
    let payee = match input.payee {
        Some(o) => (o.name, Said::Typed),
        None => (ctx.t("cash-payee-none"), Said::Ours),
    };
    vec![
        (
            ctx.t("receipt-payer"),
            input.payer.unwrap_or_default(),
            Said::Typed,
        ),
        (
            ctx.t("receipt-amount"),
            super::common::money(ctx, input.amount),
            Said::Code,
        ),
        (ctx.t("receipt-title"), input.title, Said::Typed),
        (ctx.t("receipt-payee"), payee.0, payee.1),
    ]
}

/// A payment's fields as the form sent them.
pub(super) fn typed_cash(form: &Params) -> okienko_services::visits::CashForm {
    okienko_services::visits::CashForm {
        payer: form.text("payer"),
        amount: form.text("amount"),
        title: form.text("title"),
        payee: form.text("payee"),
    }
}

/// "Continue" checks and shows the payment to read out; on the check page "Take the payment"
/// issues the receipt and "Change" goes back to the form as typed.
async fn submit(Cx(state, ctx): Cx, CsrfForm(f): CsrfForm) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let values: Params = FIELDS
        .iter()
        .map(|k| (k.to_string(), f.get(*k).cloned().unwrap_or_default()))
        .collect();
    let action = f.get("action").map(String::as_str).unwrap_or("check");
    if action == "change" {
        return form_page(&state, &ctx, FormView::new(values)).await;
    }
    let s = &state.services;
    let result = if action == "take" {
        s.take_walk_in_cash(p, &typed_cash(&values)).await.map(Some)
    } else {
        match s.check_walk_in_cash(p, &typed_cash(&values)).await {
            Ok(input) => {
                let rows = payment_rows(&ctx, input);
                return Ok(check_answers(
                    &ctx,
                    "walkin-check",
                    rows,
                    ("/counter/cash", &values),
                    ("take", ctx.t("cash-take")),
                ));
            }
            Err(e) => Err(e),
        }
    };
    match result {
        Ok(Some(r)) => Ok(Redirect::to(&format!("/counter/receipts/{}", r.id)).into_response()),
        Ok(None) => Err(PageError(DomainError::NotFound, ctx.clone())),
        Err(e @ DomainError::Invalid(_)) => {
            let form = FormView::new(values).with_error(&ctx, &e, "payer");
            form_page(&state, &ctx, form).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}
