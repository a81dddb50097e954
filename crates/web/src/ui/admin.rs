//! Organisation pages: offices and service points (platform admin), an office's departments
//! and staff (office admin), a service point's clerks, and the audit trail.

use super::account::texts;
use super::common::{check_csrf, notice, render, require_user, when, Field, FormPage, FormView};
use crate::ctx::{Ctx, CtxRef};
use crate::error::PageError;
use crate::State;
use askama::Template;
use axum::extract::{Form, Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use okienko_domain::policy::{allowed, Action};
use okienko_domain::{DomainError, Role};
use okienko_services::orgs::{OfficeInput, PointInput, StaffInput};
use okienko_store::{Department, Office, ServicePoint, User};
use std::collections::HashMap;
use std::sync::Arc;

type Params = HashMap<String, String>;
type St = axum::extract::State<State>;

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
        .route("/offices/{id}", get(office))
        .route("/offices/{id}/departments", post(dept_new))
        .route("/offices/{id}/departments/{dept}/delete", post(dept_delete))
        .route("/offices/{id}/staff", post(staff_add))
        .route("/offices/{id}/staff/{user}/remove", post(staff_remove))
        .route("/offices/{id}/seal.pem", get(seal_pem))
        .route("/offices/{id}/seal/rotate", post(seal_rotate))
        .route("/offices/{id}/seal/import", post(seal_import))
        .route("/offices/{id}/seal/revoke", post(seal_revoke))
        .route(
            "/offices/{id}/seal/import-p12",
            post(seal_import_p12).layer(axum::extract::DefaultBodyLimit::max(1024 * 1024)),
        )
        .route("/service-points/{id}", get(point))
        .route("/service-points/{id}/clerks", post(clerk_add))
}

fn err(ctx: &Arc<Ctx>) -> impl Fn(DomainError) -> PageError + '_ {
    move |e| PageError(e, ctx.clone())
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

fn staff_input(f: &Params) -> StaffInput {
    let g = |k: &str| f.get(k).cloned().unwrap_or_default();
    StaffInput {
        email: g("email"),
        display_name: g("display_name"),
        role: g("role"),
        department_id: g("department_id"),
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

fn may(ctx: &Arc<Ctx>, action: Action<'_>) -> Result<(), PageError> {
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
    Form(f): Form<Params>,
) -> Result<Response, PageError> {
    check_csrf(&ctx, &f)?;
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
    Form(f): Form<Params>,
) -> Result<Response, PageError> {
    check_csrf(&ctx, &f)?;
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
    Form(f): Form<Params>,
) -> Result<Response, PageError> {
    check_csrf(&ctx, &f)?;
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
    Form(f): Form<Params>,
) -> Result<Response, PageError> {
    check_csrf(&ctx, &f)?;
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
#[template(path = "office.html")]
struct OfficePage<'a> {
    ctx: &'a Ctx,
    office: Office,
    departments: Vec<Department>,
    can_manage: bool,
    /// (user id, name, email, roles, removable)
    staff: Vec<(String, String, String, String, bool)>,
    dept_fields: Vec<Field>,
    staff_fields: Vec<Field>,
    form: FormView,
    notice: Option<String>,
    seal: Option<okienko_services::pki::SealInfo>,
    seal_from: String,
    seal_until: String,
    /// The office's delivery address, for those who manage who may use it.
    mailbox: Option<String>,
}

async fn office_page(
    state: &State,
    ctx: &Arc<Ctx>,
    id: &str,
    form: FormView,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let p = require_user(ctx)?;
    let (office, departments) = state.services.office(p, id).await.map_err(err(ctx))?;
    let can_manage = allowed(&p.actor(), Action::ManageStaff { office_id: id });
    let mailbox = if can_manage {
        Some(
            state
                .services
                .office_mailbox(id)
                .await
                .map_err(|e| PageError(e, ctx.clone()))?
                .address,
        )
    } else {
        None
    };
    let staff = if can_manage {
        state
            .services
            .office_staff(p, id)
            .await
            .map_err(err(ctx))?
            .into_iter()
            .map(|(u, gs): (User, _)| {
                let roles = gs
                    .iter()
                    .map(|g: &okienko_domain::RoleGrant| {
                        let dept = g
                            .department_id
                            .as_ref()
                            .and_then(|d| departments.iter().find(|x| &x.id == d))
                            .map(|d| format!(" ({})", d.code));
                        format!("{}{}", ctx.t(g.role.label()), dept.unwrap_or_default())
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                let removable = u.id != p.user.id;
                (u.id, u.display_name, u.email, roles, removable)
            })
            .collect()
    } else {
        Vec::new()
    };
    let seal = state.services.office_seal_info(p, id).await.ok();
    let (seal_from, seal_until) = seal
        .as_ref()
        .map(|s| {
            (
                when(ctx, okienko_domain::to_millis(s.not_before)).1,
                when(ctx, okienko_domain::to_millis(s.not_after)).1,
            )
        })
        .unwrap_or_default();
    let mut dept_options = vec![(String::new(), ctx.t("f-department-none"))];
    dept_options.extend(
        departments
            .iter()
            .map(|d| (d.id.clone(), format!("{} – {}", d.code, d.name))),
    );
    let page = OfficePage {
        ctx,
        mailbox,
        dept_fields: vec![
            Field::new(ctx, "code", "f-code", "text", "").hint(ctx.t("f-code-hint")),
            Field::new(ctx, "name", "f-name", "text", ""),
        ],
        staff_fields: vec![
            Field::new(ctx, "email", "f-email", "email", "off"),
            Field::new(ctx, "display_name", "f-display-name", "text", "off")
                .hint(ctx.t("f-staff-name-hint")),
            Field::new(ctx, "role", "f-role", "select", "").options(vec![
                (
                    Role::Official.as_str().into(),
                    ctx.t(Role::Official.label()),
                ),
                (
                    Role::OfficeAdmin.as_str().into(),
                    ctx.t(Role::OfficeAdmin.label()),
                ),
            ]),
            Field::new(ctx, "department_id", "f-department", "select", "").options(dept_options),
        ],
        office,
        departments,
        can_manage,
        staff,
        form,
        notice,
        seal,
        seal_from,
        seal_until,
    };
    Ok(super::common::render_form(&page, page.form.has_errors()))
}

async fn seal_pem(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let info = state
        .services
        .office_seal_info(p, &id)
        .await
        .map_err(err(&ctx))?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/x-pem-file")],
        info.cert_pem,
    )
        .into_response())
}

async fn seal_rotate(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    Path(id): Path<String>,
    Form(f): Form<Params>,
) -> Result<Response, PageError> {
    check_csrf(&ctx, &f)?;
    let p = require_user(&ctx)?;
    state
        .services
        .replace_office_seal(p, &id, None)
        .await
        .map_err(err(&ctx))?;
    Ok(Redirect::to(&format!("/offices/{id}?notice=notice-seal-renewed")).into_response())
}

async fn seal_revoke(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    Path(id): Path<String>,
    Form(f): Form<Params>,
) -> Result<Response, PageError> {
    check_csrf(&ctx, &f)?;
    let p = require_user(&ctx)?;
    state
        .services
        .revoke_office_seal(p, &id)
        .await
        .map_err(err(&ctx))?;
    Ok(Redirect::to(&format!("/offices/{id}?notice=notice-seal-revoked")).into_response())
}

async fn seal_import(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    Path(id): Path<String>,
    Form(f): Form<Params>,
) -> Result<Response, PageError> {
    check_csrf(&ctx, &f)?;
    let p = require_user(&ctx)?;
    let g = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    match state
        .services
        .replace_office_seal(
            p,
            &id,
            Some(okienko_services::pki::SealImport::Pem {
                certificate: g("certificate"),
                key: g("key"),
            }),
        )
        .await
    {
        Ok(()) => {
            Ok(Redirect::to(&format!("/offices/{id}?notice=notice-seal-imported")).into_response())
        }
        Err(e @ DomainError::Invalid(_)) => {
            office_page(
                &state,
                &ctx,
                &id,
                FormView::default().with_error(&ctx, &e, "certificate"),
                None,
            )
            .await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

async fn seal_import_p12(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    Path(id): Path<String>,
    req: axum::extract::Request,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    may(&ctx, Action::ManageStaff { office_id: &id })?;
    let invalid = |code| {
        office_page(
            &state,
            &ctx,
            &id,
            FormView::default().with_error(&ctx, &DomainError::invalid("file", code), "file"),
            None,
        )
    };
    let Ok(fields) = super::common::read_multipart(req).await else {
        return invalid("err-upload").await;
    };
    let text = |k: &str| {
        fields
            .get(k)
            .map(|v| String::from_utf8_lossy(v).to_string())
            .unwrap_or_default()
    };
    check_csrf(
        &ctx,
        &[("csrf".to_string(), text("csrf"))].into_iter().collect(),
    )?;
    let Some(data) = fields.get("file").filter(|d| !d.is_empty()) else {
        return invalid("err-seal-p12").await;
    };
    let password = text("password");
    match state
        .services
        .replace_office_seal(
            p,
            &id,
            Some(okienko_services::pki::SealImport::Pkcs12 {
                data,
                password: &password,
            }),
        )
        .await
    {
        Ok(()) => {
            Ok(Redirect::to(&format!("/offices/{id}?notice=notice-seal-imported")).into_response())
        }
        Err(e @ DomainError::Invalid(_)) => {
            office_page(
                &state,
                &ctx,
                &id,
                FormView::default().with_error(&ctx, &e, "file"),
                None,
            )
            .await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

async fn office(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    Path(id): Path<String>,
    Query(q): Query<Params>,
) -> Result<Response, PageError> {
    office_page(&state, &ctx, &id, FormView::default(), notice(&ctx, &q)).await
}

async fn dept_new(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    Path(id): Path<String>,
    Form(f): Form<Params>,
) -> Result<Response, PageError> {
    check_csrf(&ctx, &f)?;
    let p = require_user(&ctx)?;
    let g = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    match state
        .services
        .create_department(p, &id, g("code"), g("name"))
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/offices/{id}?notice=notice-saved")).into_response()),
        Err(e @ DomainError::Invalid(_)) => {
            office_page(
                &state,
                &ctx,
                &id,
                FormView::new(f.clone()).with_error(&ctx, &e, "code"),
                None,
            )
            .await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

async fn dept_delete(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    Path((id, dept)): Path<(String, String)>,
    Form(f): Form<Params>,
) -> Result<Response, PageError> {
    check_csrf(&ctx, &f)?;
    let p = require_user(&ctx)?;
    state
        .services
        .delete_department(p, &id, &dept)
        .await
        .map_err(err(&ctx))?;
    Ok(Redirect::to(&format!("/offices/{id}?notice=notice-deleted")).into_response())
}

async fn staff_add(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    Path(id): Path<String>,
    Form(f): Form<Params>,
) -> Result<Response, PageError> {
    check_csrf(&ctx, &f)?;
    let p = require_user(&ctx)?;
    match state
        .services
        .add_staff(p, &id, &staff_input(&f), &texts(&ctx))
        .await
    {
        Ok(_) => {
            Ok(Redirect::to(&format!("/offices/{id}?notice=notice-staff-added")).into_response())
        }
        Err(e @ DomainError::Invalid(_)) => {
            office_page(
                &state,
                &ctx,
                &id,
                FormView::new(f.clone()).with_error(&ctx, &e, "email"),
                None,
            )
            .await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

async fn staff_remove(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    Path((id, user)): Path<(String, String)>,
    Form(f): Form<Params>,
) -> Result<Response, PageError> {
    check_csrf(&ctx, &f)?;
    let p = require_user(&ctx)?;
    match state.services.remove_staff(p, &id, &user).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/offices/{id}?notice=notice-staff-removed")).into_response())
        }
        Err(e @ DomainError::Invalid(_)) => {
            office_page(
                &state,
                &ctx,
                &id,
                FormView::default().with_error(&ctx, &e, "email"),
                None,
            )
            .await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

#[derive(Template)]
#[template(path = "point.html")]
struct PointPage<'a> {
    ctx: &'a Ctx,
    point: ServicePoint,
    clerks: Vec<User>,
    can_manage: bool,
    clerk_fields: Vec<Field>,
    form: FormView,
    notice: Option<String>,
}

async fn point_page(
    state: &State,
    ctx: &Arc<Ctx>,
    id: &str,
    form: FormView,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let p = require_user(ctx)?;
    let (point, clerks) = state
        .services
        .service_point(p, id)
        .await
        .map_err(err(ctx))?;
    let page = PointPage {
        ctx,
        point,
        clerks,
        can_manage: allowed(
            &p.actor(),
            Action::ManageClerks {
                service_point_id: id,
            },
        ),
        clerk_fields: vec![
            Field::new(ctx, "email", "f-email", "email", "off"),
            Field::new(ctx, "display_name", "f-display-name", "text", "off")
                .hint(ctx.t("f-staff-name-hint")),
        ],
        form,
        notice,
    };
    Ok(super::common::render_form(&page, page.form.has_errors()))
}

async fn point(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    Path(id): Path<String>,
    Query(q): Query<Params>,
) -> Result<Response, PageError> {
    point_page(&state, &ctx, &id, FormView::default(), notice(&ctx, &q)).await
}

async fn clerk_add(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    Path(id): Path<String>,
    Form(f): Form<Params>,
) -> Result<Response, PageError> {
    check_csrf(&ctx, &f)?;
    let p = require_user(&ctx)?;
    match state
        .services
        .add_clerk(p, &id, &staff_input(&f), &texts(&ctx))
        .await
    {
        Ok(_) => Ok(
            Redirect::to(&format!("/service-points/{id}?notice=notice-staff-added"))
                .into_response(),
        ),
        Err(e @ DomainError::Invalid(_)) => {
            point_page(
                &state,
                &ctx,
                &id,
                FormView::new(f.clone()).with_error(&ctx, &e, "email"),
                None,
            )
            .await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
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
