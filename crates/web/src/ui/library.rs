//! A department's document library: the libraries a person may open, a library's top and its
//! folders (new folder, new document, sharing with another department), a document with its
//! versions (check out, check in with a new version, release, links into tasks and cases), and
//! the library part of a task's and a case's page.

use super::common::{
    confirm_page, confirmed, err, notice, render, render_form, require_user, when, CsrfForm,
    FormView,
};
use super::documents::multipart;
use crate::ctx::{Ctx, Cx, FormText};
use crate::error::PageError;
use crate::State;
use askama::Template;
use axum::extract::{Path, Query, Request};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use okienko_domain::library::LinkKind;
use okienko_domain::DomainError;
use okienko_services::cases::documents::MAX_DOCUMENT_BYTES;
use okienko_services::library::LibraryPlace;
use okienko_store::LibraryDocument;
use std::collections::HashMap;
use std::sync::Arc;

pub fn routes() -> Router<State> {
    let limit = axum::extract::DefaultBodyLimit::max(MAX_DOCUMENT_BYTES + 64 * 1024);
    Router::new()
        .route("/library", get(index))
        .route("/offices/{id}/departments/{dept}/library", get(top))
        .route("/library/folders", post(add_folder))
        .route("/library/folders/{id}", get(folder))
        .route("/library/folders/{id}/shares", post(share))
        .route("/library/folders/{id}/unshare", post(share))
        .route("/library/folders/{id}/name", post(rename_folder))
        .route("/library/folders/{id}/remove", post(remove_folder))
        .route("/library/documents", post(add_document).layer(limit))
        .route("/library/documents/{id}", get(document))
        .route("/library/documents/{id}/checkout", post(act))
        .route("/library/documents/{id}/release", post(act))
        .route("/library/documents/{id}/links", post(act))
        .route("/library/documents/{id}/unlink", post(act))
        .route("/library/documents/{id}/title", post(act))
        .route("/library/documents/{id}/remove", post(remove_document))
        .route(
            "/library/documents/{id}/checkin",
            post(check_in).layer(limit),
        )
        .route("/library/documents/{id}/versions/{n}", get(file))
}

/// A document as a list shows it.
pub(super) struct DocRow {
    pub id: String,
    pub title: String,
    pub versions: i64,
    /// Who holds it, since when.
    pub holder: Option<(String, (String, String))>,
}

fn doc_row(ctx: &Ctx, d: LibraryDocument) -> DocRow {
    DocRow {
        holder: d
            .holder_name
            .clone()
            .zip(d.held_since.map(|t| when(ctx, t))),
        id: d.id,
        title: d.title,
        versions: d.versions,
    }
}

#[derive(Template)]
#[template(path = "library/index.html")]
struct IndexPage<'a> {
    ctx: &'a Ctx,
    /// (address, name) of the person's departments' libraries.
    own: Vec<(String, String)>,
    /// (address, folder, whose, level) of the folders shared with them.
    shared: Vec<(String, String, String, String)>,
}

async fn index(Cx(state, ctx): Cx) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let s = &state.services;
    let i = s.libraries(p).await.map_err(err(&ctx))?;
    Ok(render(&IndexPage {
        ctx: &ctx,
        own: i
            .departments
            .into_iter()
            .map(|d| {
                (
                    format!("/offices/{}/departments/{}/library", d.office_id, d.id),
                    d.name,
                )
            })
            .collect(),
        shared: i
            .shared
            .into_iter()
            .map(|(s, f)| {
                (
                    format!("/library/folders/{}", f.id),
                    f.name,
                    s.department_name,
                    ctx.t(&format!("library-level-{}", s.level)),
                )
            })
            .collect(),
    }))
}

#[derive(Template)]
#[template(path = "library/place.html")]
struct PlacePage<'a> {
    ctx: &'a Ctx,
    department: String,
    /// The library's top, when the person may open it.
    home: Option<String>,
    /// (address, name) of the folders down to this one; the last is this one.
    trail: Vec<(String, String)>,
    office_id: String,
    department_id: String,
    folder_id: String,
    folders: Vec<(String, String)>,
    documents: Vec<DocRow>,
    may_edit: bool,
    /// (department id, name, level in words) whom it is shared with.
    shares: Vec<(String, String, String)>,
    share_to: Vec<(String, String)>,
    form: FormView,
    notice: Option<String>,
    /// A folder of the person's own department: they may rename it, and remove it when empty.
    own_folder: bool,
    /// The folder's name (empty at the top).
    folder_name: String,
}

fn place_page(ctx: &Ctx, p: LibraryPlace, form: FormView, notice: Option<String>) -> Response {
    let home = p.at_home.then(|| {
        format!(
            "/offices/{}/departments/{}/library",
            p.department.office_id, p.department.id
        )
    });
    let page = PlacePage {
        ctx,
        own_folder: p.at_home && p.may_edit && !p.trail.is_empty(),
        folder_name: p.trail.last().map(|f| f.name.clone()).unwrap_or_default(),
        home,
        folder_id: p.trail.last().map(|f| f.id.clone()).unwrap_or_default(),
        trail: p
            .trail
            .into_iter()
            .map(|f| (format!("/library/folders/{}", f.id), f.name))
            .collect(),
        office_id: p.department.office_id,
        department_id: p.department.id,
        department: p.department.name,
        folders: p
            .folders
            .into_iter()
            .map(|f| (format!("/library/folders/{}", f.id), f.name))
            .collect(),
        documents: p.documents.into_iter().map(|d| doc_row(ctx, d)).collect(),
        may_edit: p.may_edit,
        shares: p
            .shares
            .into_iter()
            .map(|s| {
                let level = ctx.t(&format!("library-level-{}", s.level));
                (s.department_id, s.department_name, level)
            })
            .collect(),
        share_to: p.share_to.into_iter().map(|d| (d.id, d.name)).collect(),
        notice,
        form,
    };
    let invalid = page.form.has_errors();
    render_form(&page, invalid)
}

async fn top(
    Cx(state, ctx): Cx,
    Path((office, dept)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let place = state
        .services
        .library_top(p, &office, &dept)
        .await
        .map_err(err(&ctx))?;
    Ok(place_page(
        &ctx,
        place,
        FormView::default(),
        notice(&ctx, &q),
    ))
}

async fn folder(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let place = state
        .services
        .library_folder(p, &id)
        .await
        .map_err(err(&ctx))?;
    Ok(place_page(
        &ctx,
        place,
        FormView::default(),
        notice(&ctx, &q),
    ))
}

/// The address of a place of a library: a folder's, or the top of the department's.
fn place_href(office: &str, dept: &str, folder: &str) -> String {
    if folder.is_empty() {
        format!("/offices/{office}/departments/{dept}/library")
    } else {
        format!("/library/folders/{folder}")
    }
}

/// After a change at a place: to `to` with the notice, or the place again with the error.
async fn placed<T>(
    state: &State,
    ctx: &Arc<Ctx>,
    r: Result<T, DomainError>,
    to: impl FnOnce(T) -> String,
    form: HashMap<String, String>,
    field: &str,
) -> Result<Response, PageError> {
    match r {
        Ok(x) => Ok(Redirect::to(&to(x)).into_response()),
        Err(e @ (DomainError::Invalid(_) | DomainError::Conflict(_))) => {
            let p = require_user(ctx)?;
            let folder = form.text("folder");
            let s = &state.services;
            let place = if folder.is_empty() {
                s.library_top(p, &form.text("office"), &form.text("department"))
                    .await
            } else {
                s.library_folder(p, &folder).await
            }
            .map_err(err(ctx))?;
            let view = FormView::new(form).with_error(ctx, &e, field);
            Ok(place_page(ctx, place, view, None))
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

async fn add_folder(Cx(state, ctx): Cx, CsrfForm(form): CsrfForm) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let parent = form.text("folder");
    let r = state
        .services
        .add_library_folder(
            p,
            &form.text("office"),
            &form.text("department"),
            Some(parent.as_str()),
            &form.text("name"),
        )
        .await;
    let to = |f: okienko_store::LibraryFolder| {
        format!(
            "/library/folders/{}?notice=notice-library-folder-added",
            f.id
        )
    };
    placed(&state, &ctx, r, to, form, "name").await
}

async fn add_document(Cx(state, ctx): Cx, req: Request) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let (form, file) = multipart(&ctx, req).await?;
    let (name, bytes) = file.unwrap_or_default();
    let folder = form.text("folder");
    let r = state
        .services
        .upload_library_document(
            p,
            &form.text("office"),
            &form.text("department"),
            Some(folder.as_str()),
            &form.text("title"),
            &name,
            bytes,
        )
        .await;
    let to = |d: LibraryDocument| {
        format!(
            "/library/documents/{}?notice=notice-library-document-added",
            d.id
        )
    };
    placed(&state, &ctx, r, to, form, "title").await
}

/// Shares a folder or stops sharing it (the last part of the path says which).
async fn share(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    uri: axum::http::Uri,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let s = &state.services;
    let dept = form.text("department");
    let (r, notice) = if uri.path().ends_with("/unshare") {
        (s.unshare_library_folder(p, &id, &dept).await, "unshared")
    } else {
        (
            s.share_library_folder(p, &id, &dept, &form.text("level"))
                .await,
            "shared",
        )
    };
    let to = |()| format!("/library/folders/{id}?notice=notice-library-{notice}");
    let mut form = form;
    form.insert("folder".into(), id.clone());
    placed(&state, &ctx, r, to, form, "department").await
}

/// Renames a folder of one's own department; a mistake shows at the renaming form.
async fn rename_folder(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(mut form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let r = state
        .services
        .rename_library_folder(p, &id, &form.text("rename"))
        .await
        .map_err(|e| match e {
            // The folder's name checks answer for `name`; this form's field is `rename`.
            DomainError::Invalid(mut fe) => {
                for x in &mut fe.0 {
                    if x.field == "name" {
                        x.field = "rename".into();
                    }
                }
                DomainError::Invalid(fe)
            }
            other => other,
        });
    let to = |()| format!("/library/folders/{id}?notice=notice-library-renamed");
    form.insert("folder".into(), id.clone());
    placed(&state, &ctx, r, to, form, "rename").await
}

/// Removes an empty folder of one's own department, after the question; then where it was.
async fn remove_folder(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(mut form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    // Who may not remove it is not asked: not found.
    let place = state
        .services
        .library_folder(p, &id)
        .await
        .map_err(err(&ctx))?;
    if !place.at_home || !place.may_edit {
        return Err(PageError(DomainError::NotFound, ctx.clone()));
    }
    if !confirmed(&form) {
        let action = format!("/library/folders/{id}/remove");
        let back = format!("/library/folders/{id}");
        return Ok(confirm_page(
            &ctx,
            "library-remove-folder-confirm",
            &action,
            &back,
            &form,
        ));
    }
    let r = state.services.remove_library_folder(p, &id).await;
    let to = |f: okienko_store::LibraryFolder| {
        let place = match f.parent_id {
            Some(parent) => format!("/library/folders/{parent}"),
            None => format!(
                "/offices/{}/departments/{}/library",
                f.office_id, f.department_id
            ),
        };
        format!("{place}?notice=notice-library-folder-removed")
    };
    form.insert("folder".into(), id.clone());
    placed(&state, &ctx, r, to, form, "remove").await
}

/// A version as a document's page lists it: (n, name, size in words, author, when).
type VersionRow = (i64, String, String, String, (String, String));

#[derive(Template)]
#[template(path = "library/document.html")]
struct DocumentPage<'a> {
    ctx: &'a Ctx,
    d: DocRow,
    department: String,
    /// Back to its folder (or the library's top), when the person may open it.
    back: Option<String>,
    versions: Vec<VersionRow>,
    mine: bool,
    may_edit: bool,
    may_release: bool,
    /// (address, what, `kind:id`)
    links: Vec<(String, String, String)>,
    link_choices: Vec<(String, String)>,
    form: FormView,
    notice: Option<String>,
}

/// Where a linked task or case is.
fn link_href(kind: LinkKind, id: &str) -> String {
    match kind {
        LinkKind::Task => format!("/tasks/{id}"),
        LinkKind::Case => format!("/cases/{id}"),
    }
}

async fn document_page(
    state: &State,
    ctx: &Arc<Ctx>,
    id: &str,
    form: FormView,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let p = require_user(ctx)?;
    let v = state
        .services
        .library_document_view(p, id)
        .await
        .map_err(err(ctx))?;
    let back = (v.place.at_home || !v.place.trail.is_empty()).then(|| {
        place_href(
            &v.document.office_id,
            &v.document.department_id,
            v.document.folder_id.as_deref().unwrap_or(""),
        )
    });
    let page = DocumentPage {
        ctx,
        mine: v.document.holder_id.as_deref() == Some(p.user.id.as_str()),
        may_release: v.document.holder_id.is_some() && v.may_release,
        d: doc_row(ctx, v.document),
        department: v.place.department.name,
        back,
        versions: v
            .versions
            .into_iter()
            .rev()
            .map(|x| {
                let size = super::common::size_label(ctx, x.size);
                (x.n, x.name, size, x.author_name, when(ctx, x.at))
            })
            .collect(),
        may_edit: v.may_edit,
        links: v
            .links
            .into_iter()
            .map(|l| {
                let key = format!("{}:{}", l.kind.as_str(), l.id);
                (link_href(l.kind, &l.id), l.label, key)
            })
            .collect(),
        link_choices: v.link_choices,
        form,
        notice,
    };
    let invalid = page.form.has_errors();
    Ok(render_form(&page, invalid))
}

async fn document(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let n = notice(&ctx, &q);
    document_page(&state, &ctx, &id, FormView::default(), n).await
}

/// After a change of a document: its page with the notice, or again with the error.
async fn changed(
    state: &State,
    ctx: &Arc<Ctx>,
    id: &str,
    r: Result<(), DomainError>,
    notice: &str,
    form: HashMap<String, String>,
    field: &str,
) -> Result<Response, PageError> {
    match r {
        Ok(()) => Ok(Redirect::to(&format!(
            "/library/documents/{id}?notice=notice-library-{notice}"
        ))
        .into_response()),
        Err(e @ (DomainError::Invalid(_) | DomainError::Conflict(_))) => {
            let view = FormView::new(form).with_error(ctx, &e, field);
            document_page(state, ctx, id, view, None).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

/// A change of a document from its page: the last part of the path says which (`checkout`,
/// `release`, `links`, `unlink`, `title`).
async fn act(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    uri: axum::http::Uri,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let s = &state.services;
    let target = form.text("target");
    let (r, notice, field) = match uri.path().rsplit('/').next().unwrap_or("") {
        "checkout" => (
            s.check_out_library_document(p, &id).await,
            "checked-out",
            "document",
        ),
        "release" => (
            s.release_library_document(p, &id).await,
            "released",
            "document",
        ),
        "links" => (
            s.link_library_document(p, &id, &target).await,
            "linked",
            "target",
        ),
        "title" => (
            s.retitle_library_document(p, &id, &form.text("title"))
                .await,
            "retitled",
            "title",
        ),
        _ => (
            s.unlink_library_document(p, &id, &target).await,
            "unlinked",
            "target",
        ),
    };
    changed(&state, &ctx, &id, r, notice, form, field).await
}

/// Removes a document added by mistake, after the question; then its folder (or the
/// library's top).
async fn remove_document(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    // Who may not change it is not asked: not found.
    let v = state
        .services
        .library_document_view(p, &id)
        .await
        .map_err(err(&ctx))?;
    if !v.may_edit {
        return Err(PageError(DomainError::NotFound, ctx.clone()));
    }
    if !confirmed(&form) {
        let action = format!("/library/documents/{id}/remove");
        let back = format!("/library/documents/{id}");
        return Ok(confirm_page(
            &ctx,
            "library-remove-confirm",
            &action,
            &back,
            &form,
        ));
    }
    match state.services.remove_library_document(p, &id).await {
        Ok(d) => {
            let to = match d.folder_id {
                Some(f) => format!("/library/folders/{f}"),
                None => format!(
                    "/offices/{}/departments/{}/library",
                    d.office_id, d.department_id
                ),
            };
            Ok(Redirect::to(&format!("{to}?notice=notice-library-removed")).into_response())
        }
        Err(e) => changed(&state, &ctx, &id, Err(e), "", form, "document").await,
    }
}

async fn check_in(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    // Whose document first: someone else's is not found, whatever the body.
    state
        .services
        .library_document_view(p, &id)
        .await
        .map_err(err(&ctx))?;
    let (form, file) = multipart(&ctx, req).await?;
    let r = state.services.check_in_library_document(p, &id, file).await;
    changed(&state, &ctx, &id, r, "checked-in", form, "file").await
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
        .library_file(p, &id, n)
        .await
        .map_err(err(&ctx))?;
    Ok(crate::downloads::version(v, bytes))
}

/// The library documents linked into a task or a case, as (address, title), for its page.
pub(super) async fn linked(
    state: &State,
    ctx: &Ctx,
    kind: LinkKind,
    id: &str,
) -> Vec<(String, String)> {
    let Some(p) = ctx.principal.as_ref() else {
        return Vec::new();
    };
    state
        .services
        .linked_library_documents(p, kind, id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|d| (format!("/library/documents/{}", d.id), d.title))
        .collect()
}
