//! Prometheus metrics: request counts and latencies per route, database pool and jobs.

use crate::State;
use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use okienko_store::JobCounts;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::time::Instant;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReqLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: String,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<ReqLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    pool: Family<StateLabels, Gauge>,
    jobs: Family<StateLabels, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<ReqLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 14))
        });
        let pool = Family::<StateLabels, Gauge>::default();
        let jobs = Family::<StateLabels, Gauge>::default();
        registry.register(
            "okienko_http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        registry.register(
            "okienko_http_request_duration_seconds",
            "HTTP request latency",
            latency.clone(),
        );
        registry.register(
            "okienko_db_pool_connections",
            "Database pool connections",
            pool.clone(),
        );
        registry.register("okienko_jobs", "Background jobs by state", jobs.clone());
        Metrics {
            registry,
            requests,
            latency,
            pool,
            jobs,
        }
    }

    pub fn render(&self, pool_size: u32, pool_idle: u32, jobs: JobCounts) -> String {
        let set = |f: &Family<StateLabels, Gauge>, s: &str, v: i64| {
            f.get_or_create(&StateLabels { state: s.into() }).set(v);
        };
        set(&self.pool, "open", pool_size as i64);
        set(&self.pool, "idle", pool_idle as i64);
        set(&self.jobs, "pending", jobs.pending);
        set(&self.jobs, "done", jobs.done);
        set(&self.jobs, "failed", jobs.failed);
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            return String::new();
        }
        out
    }
}

pub async fn middleware(
    axum::extract::State(state): axum::extract::State<State>,
    req: Request,
    next: Next,
) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let start = Instant::now();
    let resp = next.run(req).await;
    let m = &state.metrics;
    m.latency
        .get_or_create(&RouteLabels {
            route: route.clone(),
        })
        .observe(start.elapsed().as_secs_f64());
    m.requests
        .get_or_create(&ReqLabels {
            method,
            route,
            status: resp.status().as_u16(),
        })
        .inc();
    resp
}
