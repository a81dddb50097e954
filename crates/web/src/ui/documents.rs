//! A case's working documents on its page: adding one (a file), checking it out and in (with
//! a new version), releasing it, and downloading any version.

use super::common::{
    check_csrf, err, read_multipart_named, require_user, when, CsrfForm, FormView,
};
use crate::ctx::{Ctx, Cx, FormText};
use crate::error::PageError;
use crate::State;
use axum::extract::{Path, Request};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use okienko_domain::DomainError;
use okienko_services::cases::documents::{DocumentView, MAX_DOCUMENT_BYTES};
use okienko_services::Services;
use std::collections::HashMap;
use std::sync::Arc;

pub fn routes() -> Router<State> {
    let limit = axum::extract::DefaultBodyLimit::max(MAX_DOCUMENT_BYTES + 64 * 1024);
    Router::new()
        .route("/cases/{id}/documents", post(add).layer(limit))
        .route("/documents/{id}/checkout", post(check_out))
        .route("/documents/{id}/checkin", post(check_in).layer(limit))
        .route("/documents/{id}/release", post(release))
        .route("/documents/{id}/versions/{n}", get(file))
}

/// A document as the case page shows it.
pub(super) struct DocumentRow {
    pub id: String,
    pub title: String,
    pub versions: i64,
    /// The latest version: its name, its author, when.
    pub latest: Option<(String, String, (String, String))>,
    /// Who holds it and since when.
    pub holder: Option<(String, (String, String))>,
    pub mine: bool,
    pub may_release: bool,
}

/// The documents part of a case's page.
pub(super) fn rows(ctx: &Ctx, office_id: &str, docs: Vec<DocumentView>) -> Vec<DocumentRow> {
    let me = ctx.principal.as_ref();
    let head = me.is_some_and(|p| Services::may_approve(p, office_id));
    docs.into_iter()
        .map(|v| {
            let d = v.document;
            let mine = me.is_some_and(|p| d.holder_id.as_deref() == Some(p.user.id.as_str()));
            DocumentRow {
                latest: v
                    .versions
                    .last()
                    .map(|l| (l.name.clone(), l.author_name.clone(), when(ctx, l.at))),
                holder: d
                    .holder_name
                    .clone()
                    .zip(d.held_since.map(|t| when(ctx, t))),
                may_release: d.holder_id.is_some() && (mine || head),
                mine,
                id: d.id,
                title: d.title,
                versions: d.versions,
            }
        })
        .collect()
}

/// After an act on a document: its case's page with a notice, or again with the error.
async fn done<T>(
    state: &State,
    ctx: &Arc<Ctx>,
    case: &str,
    form: HashMap<String, String>,
    result: Result<T, DomainError>,
    notice_key: &str,
    field: &str,
) -> Result<Response, PageError> {
    match result {
        Ok(_) => Ok(
            Redirect::to(&format!("/cases/{case}?notice={notice_key}#documents-h")).into_response(),
        ),
        Err(e @ (DomainError::Invalid(_) | DomainError::Conflict(_))) if !case.is_empty() => {
            let view = FormView::new(form).with_error(ctx, &e, field);
            super::cases::case_page(state, ctx, case, view, None).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

/// A multipart form's text fields (CSRF checked) and its file, if one was chosen.
pub(super) async fn multipart(
    ctx: &Arc<Ctx>,
    req: Request,
) -> Result<(HashMap<String, String>, Option<(String, Vec<u8>)>), PageError> {
    let body = read_multipart_named(req)
        .await
        .map_err(|_| PageError(DomainError::invalid("file", "err-request"), ctx.clone()))?;
    let text: HashMap<String, String> = body
        .iter()
        .filter(|(_, (f, _))| f.is_empty())
        .map(|(k, (_, v))| (k.clone(), String::from_utf8_lossy(v).into_owned()))
        .collect();
    check_csrf(ctx, &text)?;
    let file = body
        .get("file")
        .filter(|(name, bytes)| !name.is_empty() || !bytes.is_empty())
        .cloned();
    Ok((text, file))
}

async fn add(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    // Whose case first: someone else's is not found, whatever the body.
    state
        .services
        .case_documents(p, &id)
        .await
        .map_err(err(&ctx))?;
    let (form, file) = multipart(&ctx, req).await?;
    let (name, bytes) = file.unwrap_or_default();
    let r = state
        .services
        .add_case_document(p, &id, &form.text("title"), &name, bytes)
        .await;
    done(&state, &ctx, &id, form, r, "notice-document-added", "title").await
}

async fn check_out(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let r = state.services.check_out_document(p, &id).await;
    let case = form.text("case");
    done(
        &state,
        &ctx,
        &case,
        form,
        r,
        "notice-document-checked-out",
        "document",
    )
    .await
}

async fn check_in(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    state
        .services
        .case_document(p, &id)
        .await
        .map_err(err(&ctx))?;
    let (form, file) = multipart(&ctx, req).await?;
    let r = state.services.check_in_document(p, &id, file).await;
    let case = form.text("case");
    done(
        &state,
        &ctx,
        &case,
        form,
        r,
        "notice-document-checked-in",
        "file",
    )
    .await
}

async fn release(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let r = state.services.release_document(p, &id).await;
    let case = form.text("case");
    done(
        &state,
        &ctx,
        &case,
        form,
        r,
        "notice-document-released",
        "document",
    )
    .await
}

async fn file(
    Cx(state, ctx): Cx,
    Path((id, n)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let n: i64 = n
        .parse()
        .map_err(|_| PageError(DomainError::NotFound, ctx.clone()))?;
    let (v, bytes) = state
        .services
        .document_file(p, &id, n)
        .await
        .map_err(err(&ctx))?;
    Ok(crate::downloads::version(v, bytes))
}
