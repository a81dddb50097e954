//! Payments over HTTP: the provider's status notification to okienko, and the local payment
//! provider simulator's own API (register, verify, report), the same protocol a real provider
//! speaks (`domain::payments`).

use super::common::parse;
use crate::ctx::Cx;
use crate::error::{ApiError, Problem};
use crate::State;
use axum::body::Bytes;
use axum::extract::Query;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use okienko_domain::payments::{Notification, Register};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::OpenApi;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/api/v1/payments/notify", post(notify))
        .route("/api/v1/submissions/{reference}/payment", post(start))
        .route(
            "/payment-simulator/api/v1/transaction/register",
            post(register),
        )
        .route("/payment-simulator/api/v1/transaction/verify", put(verify))
        .route("/payment-simulator/api/v1/report", get(report))
}

#[derive(OpenApi)]
#[openapi(paths(notify, start), components(schemas(PaymentStarted)))]
pub struct Doc;

/// Where to send the payer.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct PaymentStarted {
    /// The provider's payment page for this transaction.
    pub redirect_url: String,
}

/// Starts paying the fee of one's own submission that awaits payment: the transaction is
/// registered with the payment provider (or the pending one is reused); the payer is sent to
/// `redirect_url`. 409 when nothing is due or the provider cannot be reached.
#[utoipa::path(post, path = "/api/v1/submissions/{reference}/payment", security(("bearer" = [])),
    params(("reference" = String, Path, description = "the submission's reference")),
    responses((status = 201, body = PaymentStarted), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
async fn start(
    Cx(state, ctx): Cx,
    axum::extract::Path(reference): axum::extract::Path<String>,
) -> Result<(axum::http::StatusCode, Json<PaymentStarted>), ApiError> {
    let p = super::common::user(&ctx)?;
    let redirect_url = state
        .services
        .start_payment(p, &reference)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(PaymentStarted { redirect_url }),
    ))
}

/// The payment provider's status notification (JSON `{merchantId, sessionId, orderId, amount,
/// currency, sign}`). A forged one is refused (422) and recorded; a replayed one answers 200
/// and changes nothing; a good one is verified with the provider before the payment counts.
#[utoipa::path(post, path = "/api/v1/payments/notify",
    request_body(content = Object, content_type = "application/json"),
    responses((status = 200, description = "counted (or counted before)"), (status = 422, body = Problem)))]
async fn notify(Cx(state, ctx): Cx, body: Bytes) -> Result<Json<Value>, ApiError> {
    let n: Notification = parse(&ctx, &body)?;
    state
        .services
        .payment_notification(n)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(json!({"status": "ok"})))
}

async fn register(Cx(state, ctx): Cx, body: Bytes) -> Result<Json<Value>, ApiError> {
    let r: Register = parse(&ctx, &body)?;
    let token = state
        .services
        .sim_register(r)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(json!({"data": {"token": token}})))
}

async fn verify(Cx(state, ctx): Cx, body: Bytes) -> Result<Json<Value>, ApiError> {
    let n: Notification = parse(&ctx, &body)?;
    let ok = state
        .services
        .sim_verify(&n)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(
        json!({"data": {"status": if ok { "success" } else { "failure" }}}),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReportQuery {
    merchant_id: String,
    from: i64,
    to: i64,
    sign: String,
}

async fn report(
    Cx(state, ctx): Cx,
    q: Result<Query<ReportQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = q.map_err(|_| {
        ApiError(
            okienko_domain::DomainError::invalid("sign", "err-payment-signature"),
            ctx.lang,
        )
    })?;
    let list = state
        .services
        .sim_report(&q.merchant_id, (q.from, q.to), &q.sign)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(json!({"data": list.iter().map(|t| json!({
        "sessionId": t.session_id, "orderId": t.order_id, "amount": t.amount,
        "currency": t.currency, "paidAt": t.paid_at
    })).collect::<Vec<_>>()})))
}
