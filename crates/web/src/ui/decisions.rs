//! Decision pages: drafting a decision on a case's page, editing it, approval by the head,
//! signing and dispatch (each asked once more, for neither can be undone), the signed PDF/A
//! and its signature, the case file, and the office's decision templates.

use super::common::{day, err, notice, render_form, require_user, when, CsrfForm, FormView};
use crate::ctx::{Ctx, Cx, FormText};
use crate::error::PageError;
use crate::State;
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use okienko_domain::DomainError;
use okienko_services::cases::decisions::{TemplateInput, DRAFT, FOR_APPROVAL, SIGNED};
use okienko_services::paper::PostalRecipient;
use okienko_services::Services;
use okienko_store::{Case, Decision};
use std::collections::HashMap;
use std::sync::Arc;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/cases/{id}/decisions", post(draft))
        .route("/cases/{id}/file", get(case_file))
        .route("/decisions/{id}/edit", post(edit))
        .route("/decisions/{id}/submit", post(submit))
        .route("/decisions/{id}/approve", post(approve))
        .route("/decisions/{id}/return", post(give_back))
        .route("/decisions/{id}/sign", post(sign))
        .route("/decisions/{id}/dispatch", post(dispatch))
        .route("/decisions/{id}/document", get(document))
        .route("/decisions/{id}/signature", get(signature))
        .route(
            "/offices/{id}/decision-templates",
            get(templates).post(save_template),
        )
}

/// The paper address a form gives (its `postal_*` fields), if any of it is filled in.
pub(super) fn postal_of(form: &HashMap<String, String>) -> Option<PostalRecipient> {
    let postal = PostalRecipient {
        name: form.text("postal_name"),
        street: form.text("postal_street"),
        postal_code: form.text("postal_code"),
        city: form.text("postal_city"),
    };
    [
        &postal.name,
        &postal.street,
        &postal.postal_code,
        &postal.city,
    ]
    .iter()
    .any(|f| !f.trim().is_empty())
    .then_some(postal)
}

/// A decision as the case page shows it.
pub(super) struct DecisionRow {
    pub d: Decision,
    pub status: String,
    /// Drafted, approved, signed, dispatched: (ISO, in words).
    pub signed: Option<(String, String)>,
    pub dispatched: Option<(String, String)>,
    /// How it reached the party, in words; the evidence's id.
    pub delivered: Option<(String, Option<String>)>,
    /// The last day to appeal: (ISO, in words).
    pub appeal: Option<(String, String)>,
    pub letters: Vec<String>,
    pub is_draft: bool,
    pub for_approval: bool,
    pub may_sign: bool,
    pub is_signed: bool,
}

/// What the case page shows of decisions.
pub(super) struct Decisions {
    pub rows: Vec<DecisionRow>,
    /// The templates that fit the case: (id, name).
    pub templates: Vec<(String, String)>,
    pub may_approve: bool,
}

fn parse_iso(s: &str) -> Option<time::Date> {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &f).ok()
}

/// The decisions part of a case's page.
/// A case's decisions as its page shows them; `work` false (a colleague reading the case for
/// a task) shows them without their forms.
pub(super) async fn of_case(
    state: &State,
    ctx: &Ctx,
    c: &Case,
    work: bool,
) -> Result<Decisions, DomainError> {
    let p = ctx.principal.as_ref().ok_or(DomainError::Unauthenticated)?;
    let s = &state.services;
    let views = s.case_decisions(p, &c.id).await?;
    let templates: Vec<(String, String)> = if !work {
        Vec::new()
    } else {
        s.decision_templates(p, &c.office_id)
            .await?
            .into_iter()
            .filter(|t| t.jrwa.is_empty() || t.jrwa == c.jrwa)
            .map(|t| (t.id, t.name))
            .collect()
    };
    let rows = views
        .into_iter()
        .map(|v| {
            let d = v.decision;
            let delivered = v.delivered.as_ref().map(|x| {
                let (_, at) = when(ctx, x.at);
                let key = if x.deemed {
                    "decision-deemed"
                } else {
                    "decision-opened"
                };
                (ctx.ta(key, &[("at", &at)]), x.evidence_id.clone())
            });
            let appeal = v.delivered.as_ref().and_then(|x| {
                parse_iso(&x.appeal_until).map(|dd| (x.appeal_until.clone(), day(ctx, dd)))
            });
            DecisionRow {
                status: ctx.t(&format!("decision-status-{}", d.status)),
                signed: d.signed_at.map(|t| when(ctx, t)),
                dispatched: d.dispatched_at.map(|t| when(ctx, t)),
                delivered,
                appeal,
                letters: v.letters,
                is_draft: work && d.status == DRAFT,
                for_approval: work && d.status == FOR_APPROVAL,
                may_sign: work
                    && (d.status == okienko_services::cases::decisions::APPROVED
                        || (d.status == DRAFT && !d.approval)),
                is_signed: work && d.status == SIGNED,
                d,
            }
        })
        .collect();
    Ok(Decisions {
        rows,
        templates,
        may_approve: work && Services::may_approve(p, &c.office_id),
    })
}

/// After an act on a decision: its case's page with a notice, or again with the error.
async fn done(
    state: &State,
    ctx: &Arc<Ctx>,
    form: HashMap<String, String>,
    result: Result<Decision, DomainError>,
    notice_key: &str,
    field: &str,
) -> Result<Response, PageError> {
    match result {
        Ok(d) => Ok(Redirect::to(&format!(
            "/cases/{}?notice={notice_key}#decision-{}",
            d.case_id, d.n
        ))
        .into_response()),
        Err(e @ (DomainError::Invalid(_) | DomainError::Conflict(_))) => {
            let case = form.text("case");
            if case.is_empty() {
                return Err(PageError(e, ctx.clone()));
            }
            let view = FormView::new(form).with_error(ctx, &e, field);
            super::cases::case_page(state, ctx, &case, view, None).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

async fn draft(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(mut form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let r = state
        .services
        .draft_decision(p, &id, &form.text("template"))
        .await;
    form.insert("case".into(), id);
    done(&state, &ctx, form, r, "notice-decision-drafted", "template").await
}

async fn edit(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let r = state
        .services
        .edit_decision(p, &id, &form.text("title"), &form.text("body"))
        .await;
    done(&state, &ctx, form, r, "notice-decision-saved", "title").await
}

async fn submit(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let r = state.services.submit_decision(p, &id).await;
    done(
        &state,
        &ctx,
        form,
        r,
        "notice-decision-submitted",
        "decision",
    )
    .await
}

async fn approve(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let r = state.services.approve_decision(p, &id, true).await;
    done(
        &state,
        &ctx,
        form,
        r,
        "notice-decision-approved",
        "decision",
    )
    .await
}

async fn give_back(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let r = state.services.approve_decision(p, &id, false).await;
    done(
        &state,
        &ctx,
        form,
        r,
        "notice-decision-returned",
        "decision",
    )
    .await
}

/// Signing cannot be undone: asked once more first.
async fn sign(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    if form.text("confirm") != "yes" {
        let v = state
            .services
            .decision_view(p, &id)
            .await
            .map_err(err(&ctx))?;
        return Ok(super::common::confirm_page(
            &ctx,
            "decision-sign-confirm",
            &format!("/decisions/{id}/sign"),
            &format!("/cases/{}#decision-{}", v.decision.case_id, v.decision.n),
            &form,
        ));
    }
    let r = state.services.sign_decision(p, &id).await;
    done(&state, &ctx, form, r, "notice-decision-signed", "decision").await
}

/// Dispatch cannot be undone either: asked once more first.
async fn dispatch(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    if form.text("confirm") != "yes" {
        let v = state
            .services
            .decision_view(p, &id)
            .await
            .map_err(err(&ctx))?;
        return Ok(super::common::confirm_page(
            &ctx,
            "decision-dispatch-confirm",
            &format!("/decisions/{id}/dispatch"),
            &format!("/cases/{}#decision-{}", v.decision.case_id, v.decision.n),
            &form,
        ));
    }
    let r = state
        .services
        .dispatch_decision(p, &id, postal_of(&form))
        .await;
    done(
        &state,
        &ctx,
        form,
        r,
        "notice-decision-dispatched",
        "postal",
    )
    .await
}

async fn document(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let (d, c, pdf, _) = state
        .services
        .decision_files(p, &id)
        .await
        .map_err(err(&ctx))?;
    Ok(crate::downloads::pdf(
        &format!("{}-{}.pdf", c.signature, d.n),
        pdf,
    ))
}

async fn signature(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let (d, c, _, p7s) = state
        .services
        .decision_files(p, &id)
        .await
        .map_err(err(&ctx))?;
    Ok(crate::downloads::detached_signature(
        &format!("{}-{}.pdf", c.signature, d.n),
        p7s,
    ))
}

async fn case_file(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let (name, zip) = state.services.case_file(p, &id).await.map_err(err(&ctx))?;
    Ok(crate::downloads::zip(&name, zip))
}

/// One template as its form shows it.
struct TemplateRow {
    id: String,
    name: String,
    jrwa: String,
    body: String,
    approval: bool,
}

#[derive(Template)]
#[template(path = "decisions/templates.html")]
struct TemplatesPage<'a> {
    ctx: &'a Ctx,
    office_id: String,
    rows: Vec<TemplateRow>,
    /// (symbol, "symbol – title")
    classes: Vec<(String, String)>,
    fields: String,
    may_edit: bool,
    form: FormView,
    notice: Option<String>,
}

async fn templates_page(
    state: &State,
    ctx: &Arc<Ctx>,
    office_id: &str,
    form: FormView,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let p = require_user(ctx)?;
    let s = &state.services;
    let list = s.decision_templates(p, office_id).await.map_err(err(ctx))?;
    let classes = s
        .jrwa_list(p, office_id)
        .await
        .map_err(err(ctx))?
        .into_iter()
        .filter(|c| c.category.is_some())
        .map(|c| (c.symbol.clone(), format!("{} – {}", c.symbol, c.title)))
        .collect();
    let page = TemplatesPage {
        ctx,
        office_id: office_id.to_string(),
        rows: list
            .into_iter()
            .map(|t| TemplateRow {
                id: t.id,
                name: t.name,
                jrwa: t.jrwa,
                body: t.body,
                approval: t.approval,
            })
            .collect(),
        classes,
        fields: okienko_domain::cases::TEMPLATE_FIELDS
            .iter()
            .map(|f| format!("{{{f}}}"))
            .collect::<Vec<_>>()
            .join(", "),
        may_edit: okienko_domain::policy::allowed(
            &p.actor(),
            okienko_domain::policy::Action::ManageJrwa { office_id },
        ),
        form,
        notice,
    };
    let invalid = page.form.has_errors();
    Ok(render_form(&page, invalid))
}

async fn templates(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    templates_page(&state, &ctx, &id, FormView::default(), notice(&ctx, &q)).await
}

async fn save_template(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let input = TemplateInput {
        id: Some(form.text("template")).filter(|t| !t.is_empty()),
        name: form.text("name"),
        jrwa: form.text("jrwa"),
        body: form.text("body"),
        approval: form.text("approval") == "yes",
    };
    match state.services.save_decision_template(p, &id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/offices/{id}/decision-templates?notice=notice-template-saved"
        ))
        .into_response()),
        Err(e @ DomainError::Invalid(_)) => {
            let view = FormView::new(form).with_error(&ctx, &e, "name");
            templates_page(&state, &ctx, &id, view, None).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}
