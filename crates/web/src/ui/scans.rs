//! Paper letters in the correspondence register: the form that registers a letter with its
//! scan (certified as a true copy by the official), a register entry's page with its scan and
//! the certification, and the scan's file and signature.

use super::common::{err, notice, render, render_form, require_user, when, FormView};
use crate::ctx::{Ctx, Cx, FormText};
use crate::error::PageError;
use crate::State;
use askama::Template;
use axum::extract::{Path, Query, Request};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use base64::Engine;
use okienko_domain::DomainError;
use okienko_services::cases::documents::MAX_DOCUMENT_BYTES;
use okienko_services::cases::scans::{EntryView, PaperLetterInput};
use std::collections::HashMap;
use std::sync::Arc;

pub fn routes() -> Router<State> {
    let limit = axum::extract::DefaultBodyLimit::max(MAX_DOCUMENT_BYTES + 64 * 1024);
    Router::new()
        .route(
            "/offices/{id}/register/paper",
            get(paper_form).post(register).layer(limit),
        )
        .route("/register-entries/{id}", get(entry))
        .route("/register-entries/{id}/scan", get(scan_file))
        .route("/register-entries/{id}/scan/signature", get(scan_signature))
}

#[derive(Template)]
#[template(path = "scans/paper.html")]
struct PaperPage<'a> {
    ctx: &'a Ctx,
    office_id: String,
    form: FormView,
    departments: Vec<(String, String)>,
    /// Whether the letter may stay with the whole office (no department chosen).
    whole: bool,
}

async fn paper_page(
    state: &State,
    ctx: &Arc<Ctx>,
    office_id: String,
    form: FormView,
) -> Result<Response, PageError> {
    let p = require_user(ctx)?;
    let (departments, whole) = state
        .services
        .paper_departments(p, &office_id)
        .await
        .map_err(err(ctx))?;
    let invalid = form.has_errors();
    let page = PaperPage {
        ctx,
        office_id,
        form,
        departments: departments.into_iter().map(|d| (d.id, d.name)).collect(),
        whole,
    };
    Ok(render_form(&page, invalid))
}

async fn paper_form(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Response, PageError> {
    let today = ctx.country.local(state.services.clock.now()).date();
    let mut values = HashMap::new();
    values.insert("received_on".to_string(), today.to_string());
    paper_page(&state, &ctx, id, FormView::new(values)).await
}

async fn register(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    // Whose register first: another office's is not found, whatever the body.
    state
        .services
        .paper_departments(p, &id)
        .await
        .map_err(err(&ctx))?;
    let (form, file) = super::documents::multipart(&ctx, req).await?;
    let (name, bytes) = file.unwrap_or_default();
    let input = PaperLetterInput {
        subject: form.text("subject"),
        correspondent: form.text("correspondent"),
        received_on: form.text("received_on"),
        department: Some(form.text("department")),
    };
    match state
        .services
        .register_paper(p, &id, &input, &name, bytes)
        .await
    {
        Ok(e) => Ok(Redirect::to(&format!(
            "/register-entries/{}?notice=notice-scan-registered",
            e.id
        ))
        .into_response()),
        Err(e @ DomainError::Invalid(_)) => {
            let view = FormView::new(form).with_error(&ctx, &e, "file");
            paper_page(&state, &ctx, id, view).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

#[derive(Template)]
#[template(path = "scans/entry.html")]
struct EntryPage<'a> {
    ctx: &'a Ctx,
    v: EntryView,
    number: String,
    kind: String,
    received: (String, String),
    certified: Option<(String, String)>,
    size: String,
    notice: Option<String>,
}

async fn entry(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let v = state.services.entry_view(p, &id).await.map_err(err(&ctx))?;
    let e = &v.entry;
    Ok(render(&EntryPage {
        ctx: &ctx,
        number: format!("{}/{}", e.number, e.year),
        kind: ctx.t(&format!("register-kind-{}", e.kind)),
        received: when(&ctx, e.received_at),
        certified: v.scan.as_ref().map(|s| when(&ctx, s.certified_at)),
        size: v
            .scan
            .as_ref()
            .map(|s| super::common::size_label(&ctx, s.size))
            .unwrap_or_default(),
        notice: notice(&ctx, &q),
        v,
    }))
}

async fn scan_file(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let (scan, bytes) = state.services.entry_scan(p, &id).await.map_err(err(&ctx))?;
    Ok(crate::downloads::download(
        scan.media_type,
        &scan.name,
        bytes,
    ))
}

async fn scan_signature(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let scan = state
        .services
        .entry_view(p, &id)
        .await
        .map_err(err(&ctx))?
        .scan
        .ok_or_else(|| PageError(DomainError::NotFound, ctx.clone()))?;
    let der = base64::engine::general_purpose::STANDARD
        .decode(&scan.signature)
        .map_err(|e| PageError(DomainError::Internal(e.to_string()), ctx.clone()))?;
    Ok(crate::downloads::detached_signature(&scan.name, der))
}
