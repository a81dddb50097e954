//! Operations: health and metrics.

use crate::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
}

async fn healthz() -> &'static str {
    "ok"
}

async fn metrics(axum::extract::State(state): axum::extract::State<State>) -> Response {
    let (size, idle) = state.services.store.pool_stats();
    let jobs = state.services.store.job_counts().await.unwrap_or_default();
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
