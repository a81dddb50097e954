//! Organisation pages: offices and service points (platform admin), an office's departments
//! and staff (office admin), a service point's clerks, and the audit trail.

use super::common::{err, notice, render, require_user, when, CsrfForm, Field, FormPage, FormView};
use crate::ctx::Cx;
use crate::ctx::FormText;
use crate::ctx::{Ctx, CtxRef};
use crate::error::PageError;
use crate::Params;
use crate::State;
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use okienko_domain::policy::{allowed, Action};
use okienko_domain::DomainError;
use okienko_services::accounts::Principal;
use okienko_services::orgs::{OfficeInput, PointInput};
use okienko_store::{Office, ServicePoint};
use std::sync::Arc;

pub fn routes() -> Router<State> {
    let mut r = Router::new();
    for kind in [Kind::Office, Kind::Point] {
        let base = kind.base();
        r = r
            .route(
                &format!("{base}/new"),
                get(move |c| new_page(kind, c)).post(move |c, f| create(kind, c, f)),
            )
            .route(
                &format!("{base}/{{id}}/edit"),
                get(move |c, i| edit_page(kind, c, i)).post(move |c, i, f| edit(kind, c, i, f)),
            );
    }
    r.route("/admin/offices", get(offices))
        .route("/admin/service-points", get(points))
        .route("/admin/audit", get(audit))
}

/// The two kinds of organisation the platform admin keeps: offices and service points. One
/// set of form pages serves both.
#[derive(Clone, Copy)]
enum Kind {
    Office,
    Point,
}

impl Kind {
    fn base(self) -> &'static str {
        match self {
            Kind::Office => "/admin/offices",
            Kind::Point => "/admin/service-points",
        }
    }

    fn may(self) -> Action<'static> {
        match self {
            Kind::Office => Action::ManageOffices,
            Kind::Point => Action::ManageServicePoints,
        }
    }

    /// The form; `id` is the one edited, None for a new one.
    fn form(self, ctx: &Ctx, form: FormView, id: Option<&str>) -> Response {
        let address = [
            Field::new(ctx, "street", "f-street", "text", "street-address"),
            Field::new(ctx, "postal_code", "f-postal-code", "text", "postal-code")
                .hint(ctx.t("f-postal-code-hint")),
            Field::new(ctx, "city", "f-city", "text", "address-level2"),
        ];
        let mut fields = vec![Field::new(ctx, "name", "f-name", "text", "organization")];
        let title = match self {
            Kind::Office => {
                fields.push(Field::new(ctx, "nip", "f-nip", "text", "").hint(ctx.t("f-nip-hint")));
                fields.push(
                    Field::new(ctx, "regon", "f-regon", "text", "").hint(ctx.t("f-regon-hint")),
                );
                fields.extend(address);
                if id.is_some() {
                    "offices-edit"
                } else {
                    "offices-new"
                }
            }
            Kind::Point => {
                fields.extend(address);
                fields.push(Field::new(ctx, "is_open", "f-is-open", "checkbox", ""));
                if id.is_some() {
                    "points-edit"
                } else {
                    "points-new"
                }
            }
        };
        let action = match id {
            Some(id) => format!("{}/{id}/edit", self.base()),
            None => format!("{}/new", self.base()),
        };
        let page = FormPage {
            ctx,
            title: ctx.t(title),
            intro: String::new(),
            action,
            fields,
            form,
            submit: ctx.t("save"),
            links: vec![],
        };
        super::common::render_form(&page, page.form.has_errors())
    }

    /// What the edit form starts with: the organisation as it is.
    async fn values(self, state: &State, p: &Principal, id: &str) -> Result<Params, DomainError> {
        let s = &state.services;
        let (fields, open): (Vec<(&str, String)>, bool) = match self {
            Kind::Office => {
                let o = s.office_to_edit(p, id).await?;
                let fields = vec![("nip", o.nip), ("regon", o.regon), ("name", o.name)];
                (with_address(fields, o.street, o.postal_code, o.city), false)
            }
            Kind::Point => {
                let sp = s.service_point_to_edit(p, id).await?;
                let fields = vec![("name", sp.name)];
                (
                    with_address(fields, sp.street, sp.postal_code, sp.city),
                    sp.is_open,
                )
            }
        };
        let mut m: Params = fields.into_iter().map(|(k, v)| (k.into(), v)).collect();
        if open {
            m.insert("is_open".into(), "1".into());
        }
        Ok(m)
    }

    /// Creates (`id` None) or updates the organisation from the form.
    async fn save(
        self,
        state: &State,
        p: &Principal,
        id: Option<&str>,
        f: &Params,
    ) -> Result<(), DomainError> {
        let s = &state.services;
        match self {
            Kind::Office => {
                let input = OfficeInput {
                    name: f.text("name"),
                    nip: f.text("nip"),
                    regon: f.text("regon"),
                    street: f.text("street"),
                    postal_code: f.text("postal_code"),
                    city: f.text("city"),
                };
                match id {
                    Some(id) => s.update_office(p, id, &input).await.map(drop),
                    None => s.create_office(p, &input).await.map(drop),
                }
            }
            Kind::Point => {
                let input = PointInput {
                    name: f.text("name"),
                    street: f.text("street"),
                    postal_code: f.text("postal_code"),
                    city: f.text("city"),
                    is_open: f.get("is_open").cloned(),
                };
                match id {
                    Some(id) => s.update_service_point(p, id, &input).await.map(drop),
                    None => s.create_service_point(p, &input).await.map(drop),
                }
            }
        }
    }
}

fn with_address(
    mut fields: Vec<(&'static str, String)>,
    street: String,
    postal_code: String,
    city: String,
) -> Vec<(&'static str, String)> {
    fields.extend([
        ("street", street),
        ("postal_code", postal_code),
        ("city", city),
    ]);
    fields
}

/// After a save: back to the list with a notice, or the form again with what was typed and
/// what is wrong.
fn saved(
    kind: Kind,
    ctx: &Arc<Ctx>,
    f: Params,
    id: Option<&str>,
    result: Result<(), DomainError>,
) -> Result<Response, PageError> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("{}?notice=notice-saved", kind.base())).into_response()),
        Err(e @ DomainError::Invalid(_)) => {
            Ok(kind.form(ctx, FormView::new(f).with_error(ctx, &e, "name"), id))
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

async fn new_page(kind: Kind, axum::Extension(ctx): CtxRef) -> Result<Response, PageError> {
    may(&ctx, kind.may())?;
    let mut v = Params::new();
    if let Kind::Point = kind {
        v.insert("is_open".into(), "1".into());
    }
    Ok(kind.form(&ctx, FormView::new(v), None))
}

async fn create(
    kind: Kind,
    Cx(state, ctx): Cx,
    CsrfForm(f): CsrfForm,
) -> Result<Response, PageError> {
    let result = kind.save(&state, require_user(&ctx)?, None, &f).await;
    saved(kind, &ctx, f, None, result)
}

async fn edit_page(
    kind: Kind,
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let values = kind
        .values(&state, require_user(&ctx)?, &id)
        .await
        .map_err(err(&ctx))?;
    Ok(kind.form(&ctx, FormView::new(values), Some(&id)))
}

async fn edit(
    kind: Kind,
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm,
) -> Result<Response, PageError> {
    let result = kind.save(&state, require_user(&ctx)?, Some(&id), &f).await;
    saved(kind, &ctx, f, Some(&id), result)
}

#[derive(Template)]
#[template(path = "offices.html")]
struct OfficesPage<'a> {
    ctx: &'a Ctx,
    offices: Vec<Office>,
    notice: Option<String>,
}

async fn offices(Cx(state, ctx): Cx, Query(q): Query<Params>) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let offices = state.services.offices(p).await.map_err(err(&ctx))?;
    Ok(render(&OfficesPage {
        ctx: &ctx,
        offices,
        notice: notice(&ctx, &q),
    }))
}

#[derive(Template)]
#[template(path = "points.html")]
struct PointsPage<'a> {
    ctx: &'a Ctx,
    points: Vec<ServicePoint>,
    notice: Option<String>,
}

async fn points(Cx(state, ctx): Cx, Query(q): Query<Params>) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let points = state.services.service_points(p).await.map_err(err(&ctx))?;
    Ok(render(&PointsPage {
        ctx: &ctx,
        points,
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

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage<'a> {
    ctx: &'a Ctx,
    status: String,
    /// (seq, iso, written time, actor, action, object, reason)
    rows: Vec<(i64, String, String, String, String, String, String)>,
    form: FormView,
    /// The link to the older entries, if there are more.
    older: Option<String>,
}

/// Entries the audit page shows at once.
const AUDIT_PAGE: usize = 100;

async fn audit(Cx(state, ctx): Cx, Query(q): Query<Params>) -> Result<Response, PageError> {
    let get = |k: &str| q.get(k).cloned().filter(|v| !v.trim().is_empty());
    let query = okienko_services::tracker::AuditQuery {
        text: get("q"),
        subject: get("subject"),
        before: get("before").and_then(|b| b.parse().ok()),
    };
    let trail = state
        .services
        .audit_trail(require_user(&ctx)?, &query, AUDIT_PAGE)
        .await
        .map_err(|e| PageError(e, ctx.clone()))?;
    let older = trail.more_before.map(|b| {
        let mut link = format!("/admin/audit?before={b}");
        for k in ["q", "subject"] {
            if let Some(v) = get(k) {
                link.push_str(&format!("&{k}={}", super::common::url_encode(&v)));
            }
        }
        link
    });
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
                e.actor_id
                    .as_ref()
                    .and_then(|id| trail.names.get(id).filter(|n| !n.is_empty()).cloned())
                    .or(e.actor_id)
                    .unwrap_or_default(),
                ctx.lang
                    .t_opt(&format!("action-{}", e.action.replace('.', "-")))
                    .unwrap_or(e.action),
                e.object,
                e.reason,
            )
        })
        .collect();
    Ok(render(&AuditPage {
        ctx: &ctx,
        status,
        rows,
        form: FormView::new(q.clone()),
        older,
    }))
}
