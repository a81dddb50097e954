//! The office archive's pages: closed cases with how long each is kept, preparing a
//! destruction list from those whose time has come, and a list's page where the head reviews
//! it and the archivist approves it (after a confirmation: it cannot be undone), or either
//! rejects it with a reason.

use super::common::{
    confirm_page, confirmed, day, err, render, render_invalid, require_user, when, CsrfForm,
};
use crate::ctx::{Ctx, Cx, FormText};
use crate::error::PageError;
use crate::State;
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use okienko_domain::DomainError;
use std::collections::HashMap;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/offices/{id}/archive", get(archive).post(prepare))
        .route("/offices/{id}/archive/transfers", post(make_transfer))
        .route("/archive-transfers/{id}/package", get(transfer))
        .route("/destruction-lists/{id}", get(list).post(decide))
}

struct ArchiveRow {
    id: String,
    signature: String,
    title: String,
    closed: (String, String),
    category: String,
    /// When it may be destroyed, in words.
    keeping: String,
    /// It may be put on a list now.
    choosable: bool,
    listed: bool,
}

struct TransferRow {
    id: String,
    name: String,
    made: (String, String),
    cases: i64,
    size: String,
}

struct ListRow {
    id: String,
    name: String,
    status: String,
    prepared: (String, String),
}

#[derive(Template)]
#[template(path = "archive/archive.html")]
struct ArchivePage<'a> {
    ctx: &'a Ctx,
    office_id: String,
    rows: Vec<ArchiveRow>,
    lists: Vec<ListRow>,
    transfers: Vec<TransferRow>,
    next: Option<String>,
    may_prepare: bool,
    /// Some case of the page may be put on a list.
    any_choosable: bool,
    /// Errors of a refused list: (what, why).
    errors: Vec<(String, String)>,
}

async fn archive_page(
    state: &State,
    ctx: &std::sync::Arc<Ctx>,
    office_id: &str,
    cursor: Option<&str>,
    errors: Vec<(String, String)>,
) -> Result<Response, PageError> {
    let p = require_user(ctx)?;
    let page = state
        .services
        .archive(p, office_id, cursor)
        .await
        .map_err(err(ctx))?;
    let lists = state
        .services
        .destruction_lists(p, office_id)
        .await
        .map_err(err(ctx))?
        .into_iter()
        .map(|l| ListRow {
            name: list_name(ctx, l.number, l.year),
            status: ctx.t(&format!("archive-status-{}", l.status)),
            prepared: when(ctx, l.prepared_at),
            id: l.id,
        })
        .collect();
    let transfers = state
        .services
        .transfers(p, office_id)
        .await
        .map_err(err(ctx))?
        .into_iter()
        .map(|t| TransferRow {
            name: ctx.ta(
                "archive-transfer-name",
                &[
                    ("number", &t.number.to_string()),
                    ("year", &t.year.to_string()),
                ],
            ),
            made: when(ctx, t.made_at),
            cases: t.cases,
            size: super::common::size_label(ctx, t.size),
            id: t.id,
        })
        .collect();
    let rows: Vec<ArchiveRow> = page
        .cases
        .into_iter()
        .map(|a| ArchiveRow {
            keeping: match a.destroyable_from {
                None if a.transferred => ctx.t("archive-transferred"),
                None => ctx.t("archive-keep-forever"),
                Some(_) if a.destroyed => ctx.t("archive-destroyed"),
                Some(y) => ctx.ta("archive-keep-until", &[("year", &y.to_string())]),
            },
            category: a
                .category
                .map(|c| c.to_string())
                .unwrap_or_else(|| "–".into()),
            choosable: a.due && !a.listed && page.may_prepare,
            listed: a.listed,
            closed: when(ctx, a.case.closed_at.unwrap_or(0)),
            id: a.case.id,
            signature: a.case.signature,
            title: a.case.title,
        })
        .collect();
    let invalid = !errors.is_empty();
    let any_choosable = rows.iter().any(|r| r.choosable);
    let out = ArchivePage {
        any_choosable,
        ctx,
        office_id: office_id.to_string(),
        rows,
        lists,
        transfers,
        next: page.next,
        may_prepare: page.may_prepare,
        errors,
    };
    Ok(if invalid {
        render_invalid(&out)
    } else {
        render(&out)
    })
}

fn list_name(ctx: &Ctx, number: i64, year: i64) -> String {
    ctx.ta(
        "archive-list-name",
        &[("number", &number.to_string()), ("year", &year.to_string())],
    )
}

async fn archive(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    archive_page(
        &state,
        &ctx,
        &id,
        q.get("cursor").map(String::as_str),
        Vec::new(),
    )
    .await
}

/// A transfer package for the state archive, as it was made.
async fn transfer(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let (t, zip) = state
        .services
        .transfer_package(p, &id)
        .await
        .map_err(err(&ctx))?;
    Ok(crate::downloads::zip(&t.name, zip))
}

/// Makes the transfer package of the category A cases due (after a confirmation: its cases
/// are marked handed over), then shows the archive with it listed.
async fn make_transfer(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    if !confirmed(&form) {
        let action = format!("/offices/{id}/archive/transfers");
        let back = format!("/offices/{id}/archive");
        return Ok(confirm_page(
            &ctx,
            "archive-transfer-confirm",
            &action,
            &back,
            &form,
        ));
    }
    match state.services.make_transfer(p, &id).await {
        Ok(_) => Ok(Redirect::to(&format!("/offices/{id}/archive#transfers-h")).into_response()),
        Err(e @ DomainError::Conflict(_)) => {
            let errors = vec![(String::new(), ctx.t(e.code()))];
            archive_page(&state, &ctx, &id, None, errors).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

/// Prepares a list of the cases ticked (`case-{id}` fields).
async fn prepare(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let ids: Vec<String> = form
        .keys()
        .filter_map(|k| k.strip_prefix("case-"))
        .map(str::to_string)
        .collect();
    match state.services.prepare_destruction(p, &id, &ids).await {
        Ok(l) => Ok(Redirect::to(&format!("/destruction-lists/{}", l.id)).into_response()),
        Err(DomainError::Invalid(fe)) => {
            let errors =
                fe.0.iter()
                    .map(|f| {
                        let what = f.field.strip_prefix("case-").unwrap_or("").to_string();
                        (what, ctx.t(f.code))
                    })
                    .collect();
            archive_page(&state, &ctx, &id, None, errors).await
        }
        Err(e @ DomainError::Conflict(_)) => {
            let errors = vec![(String::new(), ctx.t(e.code()))];
            archive_page(&state, &ctx, &id, None, errors).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

struct ItemRow {
    id: String,
    signature: String,
    title: String,
    category: String,
    closed: String,
    from: i64,
}

#[derive(Template)]
#[template(path = "archive/list.html")]
struct ListPage<'a> {
    ctx: &'a Ctx,
    id: String,
    office_id: String,
    name: String,
    status: String,
    /// (step, who, when)
    steps: Vec<(String, String, (String, String))>,
    reason: String,
    items: Vec<ItemRow>,
    may_review: bool,
    may_approve: bool,
    error: Option<String>,
}

async fn list_page(
    state: &State,
    ctx: &std::sync::Arc<Ctx>,
    id: &str,
    error: Option<String>,
) -> Result<Response, PageError> {
    let p = require_user(ctx)?;
    let v = state
        .services
        .destruction_list(p, id)
        .await
        .map_err(err(ctx))?;
    let name_of = |u: &str| {
        v.names
            .iter()
            .find(|(id, _)| id == u)
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    };
    let l = &v.list;
    let mut steps = vec![(
        ctx.t("archive-step-prepared"),
        name_of(&l.prepared_by),
        when(ctx, l.prepared_at),
    )];
    for (key, who, at) in [
        ("archive-step-reviewed", &l.reviewed_by, l.reviewed_at),
        ("archive-step-approved", &l.approved_by, l.approved_at),
        ("archive-step-rejected", &l.rejected_by, l.rejected_at),
    ] {
        if let (Some(who), Some(at)) = (who, at) {
            steps.push((ctx.t(key), name_of(who), when(ctx, at)));
        }
    }
    let items = v
        .items
        .iter()
        .map(|(i, c)| ItemRow {
            id: c.id.clone(),
            signature: c.signature.clone(),
            title: c.title.clone(),
            category: i.category.clone(),
            closed: c
                .closed_at
                .map(|at| {
                    day(
                        ctx,
                        ctx.country.local(okienko_domain::from_millis(at)).date(),
                    )
                })
                .unwrap_or_default(),
            from: i.destroyable_from,
        })
        .collect();
    let invalid = error.is_some();
    let page = ListPage {
        ctx,
        id: l.id.clone(),
        office_id: l.office_id.clone(),
        name: list_name(ctx, l.number, l.year),
        status: ctx.t(&format!("archive-status-{}", l.status)),
        steps,
        reason: l.reason.clone(),
        items,
        may_review: v.may_review,
        may_approve: v.may_approve,
        error,
    };
    Ok(if invalid {
        render_invalid(&page)
    } else {
        render(&page)
    })
}

async fn list(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Response, PageError> {
    list_page(&state, &ctx, &id, None).await
}

/// Reviews or approves a list (`decision=accept`; approving asks once more), or rejects it
/// (`decision=reject` with a reason).
async fn decide(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let accept = form.text("decision") != "reject";
    if accept && !confirmed(&form) {
        // Reading the list first: someone who may not see it gets the same "not found".
        let v = state
            .services
            .destruction_list(p, &id)
            .await
            .map_err(err(&ctx))?;
        if v.may_approve {
            let action = format!("/destruction-lists/{id}");
            return Ok(confirm_page(
                &ctx,
                "archive-confirm",
                &action,
                &action,
                &form,
            ));
        }
    }
    match state
        .services
        .decide_destruction(p, &id, accept, &form.text("reason"))
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/destruction-lists/{id}")).into_response()),
        Err(e @ (DomainError::Invalid(_) | DomainError::Conflict(_))) => {
            let message = match &e {
                DomainError::Invalid(fe) => fe.0.first().map(|f| ctx.t(f.code)),
                other => Some(ctx.t(other.code())),
            };
            list_page(&state, &ctx, &id, message).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}
