//! Applying for a service for a citizen at the counter: during an open visit the clerk finds
//! the service, fills its form with the citizen (the draft is the citizen's; the step pages
//! let the clerk act for them), submits it, and prints the official receipt (UPP).

use super::super::common::{err, render, require_user, CsrfForm};
use crate::ctx::{Ctx, Cx};
use crate::error::PageError;
use crate::State;
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use std::collections::HashMap;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/counter/visits/{id}/apply", get(search).post(apply))
        .route("/counter/visits/{id}/upp", post(upp))
}

#[derive(Template)]
#[template(path = "forms/assist.html")]
struct SearchPage<'a> {
    ctx: &'a Ctx,
    visit: String,
    citizen: String,
    q: String,
    /// (service id, name, its language, office)
    results: Vec<(String, String, String, String)>,
}

/// Finds a service with an electronic form to apply for, for the visit's citizen.
async fn search(
    Cx(state, ctx): Cx,
    Path(visit): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let v = state
        .services
        .visit_view(p, &visit)
        .await
        .map_err(err(&ctx))?;
    let text = q.get("q").cloned().unwrap_or_default();
    let mut results = Vec::new();
    if !text.trim().is_empty() {
        let page = state
            .services
            .search_catalogue(&okienko_services::catalogue::CatalogueSearch {
                q: text.clone(),
                limit: 50,
                ..Default::default()
            })
            .await
            .map_err(err(&ctx))?;
        let lang = ctx.lang.code();
        results = page
            .items
            .into_iter()
            .filter(|e| e.form_version.is_some())
            .take(10)
            .map(|e| {
                let name = e.spec.local(lang).name;
                (e.id, name.value, name.lang.to_string(), e.office.name)
            })
            .collect();
    }
    Ok(render(&SearchPage {
        ctx: &ctx,
        visit,
        citizen: v.citizen.display_name,
        q: text,
        results,
    }))
}

/// Starts (or goes on with) the citizen's draft of the service; to its first step.
async fn apply(
    Cx(state, ctx): Cx,
    Path(visit): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let service = form.get("service").map(String::as_str).unwrap_or("");
    let draft = state
        .services
        .start_assisted_draft(p, &visit, service)
        .await
        .map_err(err(&ctx))?;
    Ok(Redirect::to(&format!("/drafts/{draft}")).into_response())
}

/// The UPP of a submission made during the visit, as a PDF to hand over.
async fn upp(
    Cx(state, ctx): Cx,
    Path(visit): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let reference = form.get("reference").map(String::as_str).unwrap_or("");
    let e = state
        .services
        .upp_for_citizen(p, &visit, reference)
        .await
        .map_err(err(&ctx))?;
    crate::ui::delivery::evidence_pdf(&ctx, &state.services, e)
        .await
        .map_err(err(&ctx))
}
