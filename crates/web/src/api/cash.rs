//! Cash at the counter over the API: a clerk takes a fee from someone without an account, reads
//! a receipt, voids one taken by mistake, and reads the day's report (the point's or their own).
//! The payer reads their own receipt too.

use super::common::{parse, rfc3339, user};
use crate::ctx::Cx;
use crate::error::{ApiError, Problem};
use crate::State;
use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use okienko_domain::DomainError;
use okienko_services::visits::format_amount;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(pay, receipt, void, report),
    components(schemas(ReceiptJson, VoidJson, ReportJson, PayeeTotalJson))
)]
pub struct Doc;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/api/v1/counter/payments", post(pay))
        .route("/api/v1/counter/receipts/{id}", get(receipt))
        .route("/api/v1/counter/receipts/{id}/void", post(void))
        .route("/api/v1/counter/cash-report", get(report))
}

#[derive(Serialize, ToSchema)]
pub struct VoidJson {
    id: String,
    reason: String,
    voided_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReceiptJson {
    id: String,
    /// Consecutive per service point.
    number: i64,
    service_point_id: String,
    /// As written on the receipt, e.g. "12.50".
    amount: String,
    currency: String,
    title: String,
    paid_at: String,
    payee_office_id: Option<String>,
    /// The payer's name, for a payment taken from someone without an account.
    payer_name: Option<String>,
    visit_id: Option<String>,
    /// Its void, once voided (a receipt is never deleted).
    void: Option<VoidJson>,
}

fn receipt_json(r: okienko_store::CashReceipt) -> ReceiptJson {
    ReceiptJson {
        id: r.id,
        number: r.number,
        service_point_id: r.service_point_id,
        amount: format_amount(r.amount),
        currency: "PLN".into(),
        title: r.title,
        paid_at: rfc3339(r.paid_at),
        payee_office_id: r.payee_office_id,
        payer_name: r.payer_name,
        visit_id: r.visit_id,
        void: r.void.map(void_json),
    }
}

fn void_json(v: okienko_store::ReceiptVoid) -> VoidJson {
    VoidJson {
        id: v.id,
        reason: v.reason,
        voided_at: rfc3339(v.voided_at),
    }
}

#[derive(Deserialize)]
struct PaymentInput {
    #[serde(default)]
    payer: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    payee_office_id: String,
}

/// A clerk takes a fee from someone without an account or trusted profile: `{"payer",
/// "amount" ("12,50"), "title", "payee_office_id"}`; answers with the signed receipt's record.
#[utoipa::path(post, path = "/api/v1/counter/payments", security(("bearer" = [])), request_body = Object,
    responses((status = 201, body = ReceiptJson), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn pay(Cx(state, ctx): Cx, body: Bytes) -> Result<(StatusCode, Json<ReceiptJson>), ApiError> {
    let p = user(&ctx)?;
    let i: PaymentInput = parse(&ctx, &body)?;
    let r = state
        .services
        .take_walk_in_cash(
            p,
            &okienko_services::visits::CashForm {
                payer: i.payer,
                amount: i.amount,
                title: i.title,
                payee: i.payee_office_id,
            },
        )
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok((StatusCode::CREATED, Json(receipt_json(r))))
}

/// A receipt, for a clerk of its service point or the person who paid.
#[utoipa::path(get, path = "/api/v1/counter/receipts/{id}", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ReceiptJson), (status = 404, body = Problem)))]
async fn receipt(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
) -> Result<Json<ReceiptJson>, ApiError> {
    let p = user(&ctx)?;
    let r = state
        .services
        .receipt(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(receipt_json(r)))
}

#[derive(Deserialize)]
struct VoidInput {
    #[serde(default)]
    reason: String,
}

/// Voids a receipt of the clerk's service point taken by mistake: `{"reason"}`. The receipt
/// stays; the void is signed and in the evidence log. A receipt is voided once (409).
#[utoipa::path(post, path = "/api/v1/counter/receipts/{id}/void", security(("bearer" = [])), params(("id" = String, Path)), request_body = Object,
    responses((status = 201, body = VoidJson), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn void(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<VoidJson>), ApiError> {
    let p = user(&ctx)?;
    let i: VoidInput = parse(&ctx, &body)?;
    let v = state
        .services
        .void_receipt(p, &id, &i.reason)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok((StatusCode::CREATED, Json(void_json(v))))
}

#[derive(Deserialize)]
struct ReportQuery {
    #[serde(default)]
    date: String,
    #[serde(default)]
    mine: String,
}

#[derive(Serialize, ToSchema)]
pub struct PayeeTotalJson {
    /// The payee office's name (the service point's own for its own fees).
    payee: String,
    total: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReportJson {
    service_point_id: String,
    /// The civil day, `YYYY-MM-DD`, in the installation's time zone.
    day: String,
    /// The clerk whose day close this is (`mine=1`), or none for the whole point.
    clerk: Option<String>,
    /// Of the receipts not voided.
    total: String,
    currency: String,
    by_payee: Vec<PayeeTotalJson>,
    receipts: Vec<ReceiptJson>,
    /// Numbers handed out that day that no receipt carries.
    unused_numbers: Vec<i64>,
}

/// The clerk's service point's cash for a day (`date=YYYY-MM-DD`, today if none), or their own
/// day close (`mine=1`).
#[utoipa::path(get, path = "/api/v1/counter/cash-report", security(("bearer" = [])),
    params(("date" = Option<String>, Query), ("mine" = Option<String>, Query)),
    responses((status = 200, body = ReportJson), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn report(
    Cx(state, ctx): Cx,
    Query(q): Query<ReportQuery>,
) -> Result<Json<ReportJson>, ApiError> {
    let p = user(&ctx)?;
    let day = match q.date.trim() {
        "" => None,
        d => Some(
            time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]"))
                .map_err(|_| ApiError(DomainError::invalid("date", "err-date"), ctx.lang))?,
        ),
    };
    let r = state
        .services
        .cash_report(p, day, q.mine == "1")
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(ReportJson {
        service_point_id: r.point.id,
        day: r.day.to_string(),
        clerk: r.clerk,
        total: format_amount(r.total),
        currency: "PLN".into(),
        by_payee: r
            .by_payee
            .into_iter()
            .map(|(payee, t)| PayeeTotalJson {
                payee,
                total: format_amount(t),
            })
            .collect(),
        receipts: r.receipts.into_iter().map(receipt_json).collect(),
        unused_numbers: r.unused,
    }))
}
