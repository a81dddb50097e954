//! Exporting a service's submissions from the office's inbox: asked for on the inbox page,
//! made by a background job whose progress this page shows (reload to follow it; no script
//! needed), then downloaded.

use super::super::common::{err, render, require_user, when, CsrfForm};
use super::When;
use crate::ctx::{Ctx, Cx};
use crate::error::PageError;
use crate::State;
use askama::Template;
use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/services/{id}/submissions/export", post(request))
        .route("/submission-exports/{id}", get(page))
        .route("/submission-exports/{id}/download", get(download))
}

/// Asks for an export of a service's submissions (field `format`); to its page.
async fn request(
    Cx(state, ctx): Cx,
    Path(service): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let format = form.get("format").map(String::as_str).unwrap_or("");
    let e = state
        .services
        .request_export(p, &service, format, ctx.lang)
        .await
        .map_err(err(&ctx))?;
    Ok(Redirect::to(&format!("/submission-exports/{}", e.id)).into_response())
}

#[derive(Template)]
#[template(path = "forms/export.html")]
struct ExportPage<'a> {
    ctx: &'a Ctx,
    id: String,
    office_id: String,
    service_id: String,
    service: String,
    format: String,
    status: String,
    /// Finished (the file can be downloaded), failed, or still being made.
    done: bool,
    failed: bool,
    count: i64,
    total: i64,
    /// "n of m submissions".
    progress: String,
    asked: When,
    size: String,
}

async fn page(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let (e, entry) = state
        .services
        .export_status(p, &id)
        .await
        .map_err(err(&ctx))?;
    let size = e
        .size
        .map(|b| {
            let kib = (b + 1023) / 1024;
            ctx.ta("export-size", &[("kib", &kib.to_string())])
        })
        .unwrap_or_default();
    Ok(render(&ExportPage {
        ctx: &ctx,
        office_id: e.office_id.clone(),
        service_id: e.service_id.clone(),
        service: entry.spec.local(ctx.lang.code()).name.value,
        format: e.format.to_uppercase(),
        status: ctx.t(&format!("export-status-{}", e.status)),
        done: e.status == "done",
        failed: e.status == "failed",
        progress: ctx.ta(
            "export-progress",
            &[
                ("done", &e.done.to_string()),
                ("total", &e.total.max(e.done).to_string()),
            ],
        ),
        count: e.done,
        total: e.total.max(e.done),
        asked: when(&ctx, e.created_at),
        size,
        id: e.id,
    }))
}

async fn download(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let (e, entry, bytes) = state
        .services
        .export_file(p, &id)
        .await
        .map_err(err(&ctx))?;
    let (media, ext) = if e.format == "csv" {
        ("text/csv; charset=utf-8", "csv")
    } else {
        ("application/json", "json")
    };
    let day = when(&ctx, e.created_at).0;
    let name = format!(
        "{}-{}.{ext}",
        entry
            .spec
            .code
            .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_"),
        day.get(..10).unwrap_or("export")
    );
    Ok((
        [
            (header::CONTENT_TYPE, media.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
