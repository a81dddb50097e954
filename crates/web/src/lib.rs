//! The web face of okienko: server-rendered pages (`ui`), the JSON API (`api`), sessions,
//! language and CSRF (`ctx`), error mapping (`error`) and operations endpoints (`ops`).

pub mod api;
pub mod ctx;
pub mod downloads;
pub mod error;
pub mod limits;
pub mod metrics;
pub mod net;
pub mod ops;
pub mod trust;
pub mod ui;

use axum::Router;
use okienko_services::Services;
use std::sync::Arc;

/// Shared by every request.
pub struct AppState {
    pub services: Services,
    /// Mark cookies `Secure` (when served over HTTPS).
    pub secure_cookies: bool,
    pub metrics: metrics::Metrics,
    /// The memory budget of request bodies being received.
    pub uploads: limits::Budget,
    /// Trusted proxies and who may read `/metrics`.
    pub net: net::NetConfig,
    /// The accessibility statement, privacy notice and contact texts of this installation.
    pub about: ui::about::AboutPages,
    /// The tile server of the case map, if any.
    pub map: ui::places::MapConfig,
}

pub type State = Arc<AppState>;

/// The application state as a handler takes it.
pub type St = axum::extract::State<State>;

/// A submitted form, by field name.
pub type Params = std::collections::HashMap<String, String>;

/// The whole HTTP application.
pub fn app(state: State) -> Router {
    Router::new()
        .merge(ui::routes())
        .merge(api::routes())
        .merge(ops::routes())
        .merge(trust::routes())
        .fallback(ui::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limits::guard,
        ))
        .layer(axum::middleware::from_fn(error::api_problems))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ctx::middleware,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::middleware,
        ))
        .with_state(state)
}
