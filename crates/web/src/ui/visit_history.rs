//! The clerk's own visits: the list on the counter's start page (open ones to go back to,
//! ended ones to look up) and the record of an ended visit, with its receipts to reprint.

use super::common::{money, render, when};
use crate::ctx::Ctx;
use crate::error::PageError;
use crate::State;
use askama::Template;
use axum::response::Response;
use std::sync::Arc;

/// One row of the clerk's list of visits.
pub(super) struct VisitRow {
    pub id: String,
    pub citizen: String,
    pub started: (String, String),
    /// When it ended; none while it is open.
    pub ended: Option<(String, String)>,
}

/// The clerk's visits for the start page: open ones first.
pub(super) async fn rows(state: &State, ctx: &Arc<Ctx>) -> Result<Vec<VisitRow>, PageError> {
    let p = super::common::require_user(ctx)?;
    let visits = match state.services.my_visits(p).await {
        Ok(v) => v,
        // Without a service point in service there is nothing to list; the start form says why.
        Err(_) => return Ok(Vec::new()),
    };
    Ok(visits
        .into_iter()
        .map(|v| VisitRow {
            id: v.visit.id,
            citizen: v.citizen_name,
            started: when(ctx, v.visit.started_at),
            ended: v.visit.ended_at.map(|t| when(ctx, t)),
        })
        .collect())
}

#[derive(Template)]
#[template(path = "visit_ended.html")]
struct EndedPage<'a> {
    ctx: &'a Ctx,
    citizen: String,
    point: String,
    started: (String, String),
    ended: (String, String),
    /// (receipt id, number, amount, title)
    receipts: Vec<(String, i64, String, String)>,
}

/// The record of one of the clerk's ended visits.
pub(super) async fn ended_page(
    state: &State,
    ctx: &Arc<Ctx>,
    id: &str,
) -> Result<Response, PageError> {
    let p = super::common::require_user(ctx)?;
    let r = state
        .services
        .visit_record(p, id)
        .await
        .map_err(|e| PageError(e, ctx.clone()))?;
    Ok(render(&EndedPage {
        ctx,
        citizen: r.citizen_name,
        point: r.point.name,
        started: when(ctx, r.visit.started_at),
        ended: when(ctx, r.visit.ended_at.unwrap_or(r.visit.started_at)),
        receipts: r
            .receipts
            .into_iter()
            .map(|x| (x.id, x.number, money(ctx, x.amount), x.title))
            .collect(),
    }))
}
