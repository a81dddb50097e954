//! An office's and a service point's own pages: departments, staff and clerks, and the office's electronic seal (download, rotate, import, revoke).

use super::account::texts;
use super::admin::may;
use super::common::{
    check_csrf, confirm_page, confirmed, err, notice, require_user, when, CsrfForm, Field, FormView,
};
use crate::ctx::Ctx;
use crate::ctx::Cx;
use crate::ctx::FormText;
use crate::error::PageError;
use crate::Params;
use crate::State;
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use okienko_domain::policy::{allowed, Action};
use okienko_domain::{DomainError, Role};
use okienko_services::orgs::StaffInput;
use okienko_store::{Department, Office, ServicePoint, User};
use std::sync::Arc;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/offices/{id}", get(office))
        .route("/offices/{id}/departments", post(dept_new))
        .route("/offices/{id}/departments/{dept}/delete", post(dept_delete))
        .route("/offices/{id}/staff", post(staff_add))
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

pub(crate) fn staff_input(f: &Params) -> StaffInput {
    StaffInput {
        email: f.text("email"),
        display_name: f.text("display_name"),
        role: f.text("role"),
        department_id: f.text("department_id"),
    }
}

/// The role and department choices of an office's staff member.
pub(super) fn grant_fields(ctx: &Ctx, departments: &[Department]) -> Vec<Field> {
    let mut dept_options = vec![(String::new(), ctx.t("f-department-none"))];
    dept_options.extend(
        departments
            .iter()
            .map(|d| (d.id.clone(), format!("{} – {}", d.code, d.name))),
    );
    vec![
        Field::new(ctx, "role", "f-role", "select", "").options(
            [Role::Official, Role::Archivist, Role::OfficeAdmin]
                .iter()
                .map(|r| (r.as_str().to_string(), ctx.t(r.label())))
                .collect(),
        ),
        Field::new(ctx, "department_id", "f-department", "select", "").options(dept_options),
    ]
}

#[derive(Template)]
#[template(path = "office.html")]
pub(crate) struct OfficePage<'a> {
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

pub(crate) async fn office_page(
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
    let page = OfficePage {
        ctx,
        mailbox,
        dept_fields: vec![
            Field::new(ctx, "code", "f-code", "text", "").hint(ctx.t("f-code-hint")),
            Field::new(ctx, "name", "f-name", "text", ""),
        ],
        staff_fields: [
            Field::new(ctx, "email", "f-email", "email", "off"),
            Field::new(ctx, "display_name", "f-display-name", "text", "off")
                .hint(ctx.t("f-staff-name-hint")),
        ]
        .into_iter()
        .chain(grant_fields(ctx, &departments))
        .collect(),
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

pub(crate) async fn seal_pem(
    Cx(state, ctx): Cx,
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

pub(crate) async fn seal_rotate(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(_f): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    state
        .services
        .replace_office_seal(p, &id, None)
        .await
        .map_err(err(&ctx))?;
    Ok(Redirect::to(&format!("/offices/{id}?notice=notice-seal-renewed")).into_response())
}

pub(crate) async fn seal_revoke(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    if !confirmed(&f) {
        let (action, back) = (
            format!("/offices/{id}/seal/revoke"),
            format!("/offices/{id}"),
        );
        return Ok(confirm_page(
            &ctx,
            "confirm-seal-revoke",
            &action,
            &back,
            &f,
        ));
    }
    state
        .services
        .revoke_office_seal(p, &id)
        .await
        .map_err(err(&ctx))?;
    Ok(Redirect::to(&format!("/offices/{id}?notice=notice-seal-revoked")).into_response())
}

pub(crate) async fn seal_import(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm,
) -> Result<Response, PageError> {
    let g = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    let pem = okienko_services::pki::SealImport::Pem {
        certificate: g("certificate"),
        key: g("key"),
    };
    import_seal(&state, &ctx, &id, pem, "certificate").await
}

/// Replaces the office's seal with an imported one and comes back to the office page, with
/// the reason at `field` when the import was refused.
async fn import_seal(
    state: &State,
    ctx: &Arc<Ctx>,
    id: &str,
    import: okienko_services::pki::SealImport<'_>,
    field: &str,
) -> Result<Response, PageError> {
    let p = require_user(ctx)?;
    let result = state
        .services
        .replace_office_seal(p, id, Some(import))
        .await;
    office_answer(
        state,
        ctx,
        id,
        result.map(|_| ()),
        "notice-seal-imported",
        (&None, field),
    )
    .await
}

pub(crate) async fn seal_import_p12(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    req: axum::extract::Request,
) -> Result<Response, PageError> {
    require_user(&ctx)?;
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
    let p12 = okienko_services::pki::SealImport::Pkcs12 {
        data,
        password: &password,
    };
    import_seal(&state, &ctx, &id, p12, "file").await
}

/// Where an office form's use case leads: back to the office page with `notice`, or, when the
/// input was invalid, the page again with the error at the field (and what was typed).
pub(super) async fn office_answer(
    state: &State,
    ctx: &Arc<Ctx>,
    id: &str,
    result: Result<(), DomainError>,
    notice: &str,
    (typed, field): (&Option<Params>, &str),
) -> Result<Response, PageError> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/offices/{id}?notice={notice}")).into_response()),
        Err(e @ DomainError::Invalid(_)) => {
            let form = typed.clone().map(FormView::new).unwrap_or_default();
            office_page(state, ctx, id, form.with_error(ctx, &e, field), None).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

pub(crate) async fn office(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    Query(q): Query<Params>,
) -> Result<Response, PageError> {
    office_page(&state, &ctx, &id, FormView::default(), notice(&ctx, &q)).await
}

pub(crate) async fn dept_new(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let g = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    let result = state
        .services
        .create_department(p, &id, g("code"), g("name"))
        .await;
    office_answer(
        &state,
        &ctx,
        &id,
        result.map(|_| ()),
        "notice-saved",
        (&Some(f.clone()), "code"),
    )
    .await
}

pub(crate) async fn dept_delete(
    Cx(state, ctx): Cx,
    Path((id, dept)): Path<(String, String)>,
    CsrfForm(f): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    if !confirmed(&f) {
        let action = format!("/offices/{id}/departments/{dept}/delete");
        let back = format!("/offices/{id}");
        return Ok(confirm_page(
            &ctx,
            "confirm-dept-delete",
            &action,
            &back,
            &f,
        ));
    }
    state
        .services
        .delete_department(p, &id, &dept)
        .await
        .map_err(err(&ctx))?;
    Ok(Redirect::to(&format!("/offices/{id}?notice=notice-deleted")).into_response())
}

pub(crate) async fn staff_add(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let result = state
        .services
        .add_staff(p, &id, &staff_input(&f), &texts(&ctx))
        .await;
    office_answer(
        &state,
        &ctx,
        &id,
        result.map(|_| ()),
        "notice-staff-added",
        (&Some(f.clone()), "email"),
    )
    .await
}

#[derive(Template)]
#[template(path = "point.html")]
pub(crate) struct PointPage<'a> {
    ctx: &'a Ctx,
    point: ServicePoint,
    clerks: Vec<User>,
    can_manage: bool,
    clerk_fields: Vec<Field>,
    form: FormView,
    notice: Option<String>,
}

pub(crate) async fn point_page(
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

pub(crate) async fn point(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    Query(q): Query<Params>,
) -> Result<Response, PageError> {
    point_page(&state, &ctx, &id, FormView::default(), notice(&ctx, &q)).await
}

pub(crate) async fn clerk_add(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm,
) -> Result<Response, PageError> {
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
