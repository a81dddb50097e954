//! Operations: health, readiness and metrics.

use crate::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

async fn healthz() -> &'static str {
    "ok"
}

/// For a load balancer: 200 while this instance's database and blob store answer, 503 (and
/// which one failed, in plain text) while not, so traffic goes to the other instances.
async fn readyz(axum::extract::State(state): axum::extract::State<State>) -> Response {
    match state.services.ready().await {
        Ok(()) => "ready".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, e).into_response()
        }
    }
}

/// Only from the configured networks (loopback by default) or with the metrics token.
async fn metrics(
    axum::extract::State(state): axum::extract::State<State>,
    axum::Extension(ctx): crate::ctx::CtxRef,
    headers: axum::http::HeaderMap,
) -> Response {
    let net = &state.net;
    let by_token = net.metrics_token.as_deref().is_some_and(|t| {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        okienko_services::hash_secret(given) == okienko_services::hash_secret(t)
    });
    let by_network = ctx
        .client_ip
        .parse()
        .is_ok_and(|ip| net.metrics_allow.iter().any(|n| n.contains(ip)));
    if !(by_token || by_network) {
        return crate::error::ApiError(okienko_domain::DomainError::NotFound, ctx.lang)
            .into_response();
    }
    let ((size, idle), jobs) = state.services.store_stats().await;
    let body = state.metrics.render(size, idle, jobs);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}
