//! Organisation pages: offices and service points (platform admin), an office's departments
//! and staff (office admin), a service point's clerks, and the audit trail.

use super::common::{err, notice, render, require_user, when, CsrfForm, Field, FormPage, FormView};
use crate::ctx::{Ctx, CtxRef};
use crate::error::PageError;
use crate::State;
use crate::{Params, St};
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use okienko_domain::policy::{allowed, Action};
use okienko_domain::DomainError;
use okienko_services::orgs::{OfficeInput, PointInput};
use okienko_store::{Office, ServicePoint};
use std::sync::Arc;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/admin/offices", get(offices))
        .route("/admin/offices/new", get(office_new_page).post(office_new))
        .route(
            "/admin/offices/{id}/edit",
            get(office_edit_page).post(office_edit),
        )
        .route("/admin/service-points", get(points))
        .route(
            "/admin/service-points/new",
            get(point_new_page).post(point_new),
        )
        .route(
            "/admin/service-points/{id}/edit",
            get(point_edit_page).post(point_edit),
        )
        .route("/admin/audit", get(audit))
}

fn address_fields(ctx: &Ctx) -> Vec<Field> {
    vec![
        Field::new(ctx, "street", "f-street", "text", "street-address"),
        Field::new(ctx, "postal_code", "f-postal-code", "text", "postal-code")
            .hint(ctx.t("f-postal-code-hint")),
        Field::new(ctx, "city", "f-city", "text", "address-level2"),
    ]
}

fn office_form(ctx: &Ctx, form: FormView, action: String, title_key: &str) -> Response {
    let mut fields = vec![
        Field::new(ctx, "name", "f-name", "text", "organization"),
        Field::new(ctx, "nip", "f-nip", "text", "").hint(ctx.t("f-nip-hint")),
        Field::new(ctx, "regon", "f-regon", "text", "").hint(ctx.t("f-regon-hint")),
    ];
    fields.extend(address_fields(ctx));
    let page = FormPage {
        ctx,
        title: ctx.t(title_key),
        intro: String::new(),
        action,
        fields,
        form,
        submit: ctx.t("save"),
        links: vec![],
    };
    super::common::render_form(&page, page.form.has_errors())
}

fn point_form(ctx: &Ctx, form: FormView, action: String, title_key: &str) -> Response {
    let mut fields = vec![Field::new(ctx, "name", "f-name", "text", "organization")];
    fields.extend(address_fields(ctx));
    fields.push(Field::new(ctx, "is_open", "f-is-open", "checkbox", ""));
    let page = FormPage {
        ctx,
        title: ctx.t(title_key),
        intro: String::new(),
        action,
        fields,
        form,
        submit: ctx.t("save"),
        links: vec![],
    };
    super::common::render_form(&page, page.form.has_errors())
}

/// After a save: on to `back`, or the form again with what was typed and what is wrong.
fn saved<T>(
    ctx: &Arc<Ctx>,
    f: &Params,
    result: Result<T, DomainError>,
    back: &str,
    again: impl FnOnce(FormView) -> Response,
) -> Result<Response, PageError> {
    match result {
        Ok(_) => Ok(Redirect::to(back).into_response()),
        Err(e @ DomainError::Invalid(_)) => {
            Ok(again(FormView::new(f.clone()).with_error(ctx, &e, "name")))
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

fn office_values(o: &Office) -> Params {
    [
        ("name", &o.name),
        ("nip", &o.nip),
        ("regon", &o.regon),
        ("street", &o.street),
        ("postal_code", &o.postal_code),
        ("city", &o.city),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.clone()))
    .collect()
}

fn point_values(p: &ServicePoint) -> Params {
    let mut m: Params = [
        ("name", &p.name),
        ("street", &p.street),
        ("postal_code", &p.postal_code),
        ("city", &p.city),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.clone()))
    .collect();
    if p.is_open {
        m.insert("is_open".into(), "1".into());
    }
    m
}

fn office_input(f: &Params) -> OfficeInput {
    let g = |k: &str| f.get(k).cloned().unwrap_or_default();
    OfficeInput {
        name: g("name"),
        nip: g("nip"),
        regon: g("regon"),
        street: g("street"),
        postal_code: g("postal_code"),
        city: g("city"),
    }
}

fn point_input(f: &Params) -> PointInput {
    let g = |k: &str| f.get(k).cloned().unwrap_or_default();
    PointInput {
        name: g("name"),
        street: g("street"),
        postal_code: g("postal_code"),
        city: g("city"),
        is_open: f.get("is_open").cloned(),
    }
}

#[derive(Template)]
#[template(path = "offices.html")]
struct OfficesPage<'a> {
    ctx: &'a Ctx,
    offices: Vec<Office>,
    notice: Option<String>,
}

async fn offices(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    Query(q): Query<Params>,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let offices = state.services.offices(p).await.map_err(err(&ctx))?;
    Ok(render(&OfficesPage {
        ctx: &ctx,
        offices,
        notice: notice(&ctx, &q),
    }))
}

pub(super) fn may(ctx: &Arc<Ctx>, action: Action<'_>) -> Result<(), PageError> {
    let p = require_user(ctx)?;
    if allowed(&p.actor(), action) {
        Ok(())
    } else {
        Err(PageError(DomainError::NotFound, ctx.clone()))
    }
}

async fn office_new_page(axum::Extension(ctx): CtxRef) -> Result<Response, PageError> {
    may(&ctx, Action::ManageOffices)?;
    Ok(office_form(
        &ctx,
        FormView::default(),
        "/admin/offices/new".into(),
        "offices-new",
    ))
}

async fn office_new(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    CsrfForm(f): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let result = state.services.create_office(p, &office_input(&f)).await;
    saved(
        &ctx,
        &f,
        result,
        "/admin/offices?notice=notice-saved",
        |form| office_form(&ctx, form, "/admin/offices/new".into(), "offices-new"),
    )
}

async fn office_edit_page(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let o = state
        .services
        .office_to_edit(require_user(&ctx)?, &id)
        .await
        .map_err(|e| PageError(e, ctx.clone()))?;
    Ok(office_form(
        &ctx,
        FormView::new(office_values(&o)),
        format!("/admin/offices/{id}/edit"),
        "offices-edit",
    ))
}

async fn office_edit(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let result = state
        .services
        .update_office(p, &id, &office_input(&f))
        .await;
    saved(
        &ctx,
        &f,
        result,
        "/admin/offices?notice=notice-saved",
        |form| {
            office_form(
                &ctx,
                form,
                format!("/admin/offices/{id}/edit"),
                "offices-edit",
            )
        },
    )
}

#[derive(Template)]
#[template(path = "points.html")]
struct PointsPage<'a> {
    ctx: &'a Ctx,
    points: Vec<ServicePoint>,
    notice: Option<String>,
}

async fn points(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    Query(q): Query<Params>,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let points = state.services.service_points(p).await.map_err(err(&ctx))?;
    Ok(render(&PointsPage {
        ctx: &ctx,
        points,
        notice: notice(&ctx, &q),
    }))
}

async fn point_new_page(axum::Extension(ctx): CtxRef) -> Result<Response, PageError> {
    may(&ctx, Action::ManageServicePoints)?;
    let mut v = Params::new();
    v.insert("is_open".into(), "1".into());
    Ok(point_form(
        &ctx,
        FormView::new(v),
        "/admin/service-points/new".into(),
        "points-new",
    ))
}

async fn point_new(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    CsrfForm(f): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let result = state
        .services
        .create_service_point(p, &point_input(&f))
        .await;
    saved(
        &ctx,
        &f,
        result,
        "/admin/service-points?notice=notice-saved",
        |form| point_form(&ctx, form, "/admin/service-points/new".into(), "points-new"),
    )
}

async fn point_edit_page(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let sp = state
        .services
        .service_point_to_edit(require_user(&ctx)?, &id)
        .await
        .map_err(|e| PageError(e, ctx.clone()))?;
    Ok(point_form(
        &ctx,
        FormView::new(point_values(&sp)),
        format!("/admin/service-points/{id}/edit"),
        "points-edit",
    ))
}

async fn point_edit(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let result = state
        .services
        .update_service_point(p, &id, &point_input(&f))
        .await;
    saved(
        &ctx,
        &f,
        result,
        "/admin/service-points?notice=notice-saved",
        |form| {
            point_form(
                &ctx,
                form,
                format!("/admin/service-points/{id}/edit"),
                "points-edit",
            )
        },
    )
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage<'a> {
    ctx: &'a Ctx,
    status: String,
    /// (seq, iso, written time, actor, action, object)
    rows: Vec<(i64, String, String, String, String, String)>,
}

async fn audit(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
) -> Result<Response, PageError> {
    let trail = state
        .services
        .audit_trail(require_user(&ctx)?, 200)
        .await
        .map_err(|e| PageError(e, ctx.clone()))?;
    let status = match trail.chain {
        Ok(n) => ctx.ta("audit-ok", &[("count", &n.to_string())]),
        Err(b) => ctx.ta("audit-broken", &[("detail", &b.to_string())]),
    };
    let rows = trail
        .newest
        .into_iter()
        .map(|e| {
            let (iso, text) = when(&ctx, e.at);
            (
                e.seq,
                iso,
                text,
                e.actor_id.unwrap_or_default(),
                e.action,
                e.object,
            )
        })
        .collect();
    Ok(render(&AuditPage {
        ctx: &ctx,
        status,
        rows,
    }))
}
