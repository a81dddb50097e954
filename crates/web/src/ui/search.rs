//! The search page for officials: cases, register entries and case documents of their
//! departments (`services::search`), by words with or without diacritics, or a signature.

use super::common::{err, render, require_user, when};
use crate::ctx::{Ctx, Cx};
use crate::error::PageError;
use crate::State;
use askama::Template;
use axum::extract::Query;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use okienko_services::search::WORK_KINDS;
use std::collections::HashMap;

pub fn routes() -> Router<State> {
    Router::new().route("/search", get(page))
}

struct HitRow {
    kind: String,
    label: String,
    url: String,
    /// (ISO, in words)
    at: (String, String),
}

#[derive(Template)]
#[template(path = "search/page.html")]
struct SearchPage<'a> {
    ctx: &'a Ctx,
    q: String,
    kind: String,
    kinds: Vec<(&'static str, String)>,
    /// None before anything was asked.
    hits: Option<Vec<HitRow>>,
    capped: bool,
}

async fn page(
    Cx(state, ctx): Cx,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let get = |k: &str| params.get(k).map(String::as_str).unwrap_or("").to_string();
    let (q, kind) = (get("q"), get("kind"));
    let found = state
        .services
        .search_work(p, &q, &kind)
        .await
        .map_err(err(&ctx))?;
    let hits = (!q.trim().is_empty()).then(|| {
        found
            .hits
            .into_iter()
            .map(|h| HitRow {
                kind: ctx.t(&format!("search-kind-{}", h.kind)),
                label: h.label,
                url: h.opens,
                at: when(&ctx, h.at),
            })
            .collect()
    });
    let kinds = WORK_KINDS
        .iter()
        .map(|k| (*k, ctx.t(&format!("search-kind-{k}"))))
        .collect();
    Ok(render(&SearchPage {
        ctx: &ctx,
        q,
        kind,
        kinds,
        hits,
        capped: found.capped,
    }))
}
