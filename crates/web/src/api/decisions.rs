//! Decisions over HTTP: an office's templates, drafting a decision in a case, editing,
//! approval by the head, signing with the office seal, dispatch to the party, the signed PDF/A
//! and its signature, and the whole case file as a ZIP with a signed manifest.

use super::common::{parse, rfc3339, user};
use crate::ctx::Cx;
use crate::error::{ApiError, Problem};
use crate::State;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use okienko_services::cases::decisions::{DecisionView, TemplateInput};
use okienko_services::paper::PostalRecipient;
use okienko_store::DecisionTemplate;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

pub fn routes() -> Router<State> {
    Router::new()
        .route(
            "/api/v1/offices/{id}/decision-templates",
            get(templates).post(add_template),
        )
        .route(
            "/api/v1/offices/{id}/decision-templates/{template}",
            put(save_template),
        )
        .route("/api/v1/cases/{id}/decisions", get(list).post(draft))
        .route("/api/v1/cases/{id}/file", get(case_file))
        .route("/api/v1/decisions/{id}", get(one).patch(edit))
        .route("/api/v1/decisions/{id}/submit", post(submit))
        .route("/api/v1/decisions/{id}/approve", post(approve))
        .route("/api/v1/decisions/{id}/return", post(give_back))
        .route("/api/v1/decisions/{id}/sign", post(sign))
        .route("/api/v1/decisions/{id}/dispatch", post(dispatch))
        .route("/api/v1/decisions/{id}/document", get(document))
        .route("/api/v1/decisions/{id}/signature", get(signature))
}

#[derive(OpenApi)]
#[openapi(
    paths(
        templates,
        add_template,
        save_template,
        list,
        draft,
        case_file,
        one,
        edit,
        submit,
        approve,
        give_back,
        sign,
        dispatch,
        document,
        signature
    ),
    components(schemas(
        TemplateJson,
        TemplateInputJson,
        DraftJson,
        EditJson,
        DispatchJson,
        DecisionJson,
        DeliveredJson
    ))
)]
pub struct Doc;

/// A decision template: a text whose fields (`{party}`, `{signature}`, `{title}`, `{office}`,
/// `{department}`, `{place}`, `{date}`, `{started}`, `{official}`) are filled from the case.
#[derive(Serialize, ToSchema)]
pub struct TemplateJson {
    id: String,
    name: String,
    /// The JRWA class it is for; empty for any.
    jrwa: String,
    body: String,
    /// A decision from it needs the head's approval before it is signed.
    approval: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateInputJson {
    name: String,
    #[serde(default)]
    jrwa: String,
    body: String,
    #[serde(default)]
    approval: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftJson {
    /// One of the office's templates for the case's JRWA class.
    template: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditJson {
    title: String,
    body: String,
}

/// Where to send a decision on paper, when the party has no e-delivery address.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct DispatchJson {
    postal: Option<PostalJson>,
}

/// A postal address to send a letter to.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct PostalJson {
    name: String,
    street: String,
    postal_code: String,
    city: String,
}

impl From<PostalJson> for PostalRecipient {
    fn from(x: PostalJson) -> Self {
        PostalRecipient {
            name: x.name,
            street: x.street,
            postal_code: x.postal_code,
            city: x.city,
        }
    }
}

/// How a dispatched decision reached the party.
#[derive(Serialize, ToSchema)]
pub struct DeliveredJson {
    recipient: String,
    at: String,
    /// Deemed delivered (14 days unopened in the mailbox) rather than opened.
    deemed: bool,
    /// The evidence of the delivery (`GET /api/v1/evidence/{id}`).
    evidence_id: Option<String>,
    /// The last day for the party to appeal, `YYYY-MM-DD`.
    appeal_until: String,
}

#[derive(Serialize, ToSchema)]
pub struct DecisionJson {
    id: String,
    case_id: String,
    number: i64,
    title: String,
    body: String,
    /// `draft`, `for-approval`, `approved`, `signed`, `dispatched`.
    status: String,
    approval: bool,
    approved_at: Option<String>,
    signed_at: Option<String>,
    /// SHA-256 of the signed PDF/A.
    pdf_sha256: Option<String>,
    /// The evidence of the signing (`GET /api/v1/evidence/{id}`).
    evidence_id: Option<String>,
    /// The message that carried it to the party.
    message_id: Option<String>,
    dispatched_at: Option<String>,
    delivered: Option<DeliveredJson>,
    /// Tracking numbers of the paper letters that carry it.
    letters: Vec<String>,
}

fn template_json(t: DecisionTemplate) -> TemplateJson {
    TemplateJson {
        id: t.id,
        name: t.name,
        jrwa: t.jrwa,
        body: t.body,
        approval: t.approval,
    }
}

fn decision_json(v: DecisionView) -> DecisionJson {
    let d = v.decision;
    DecisionJson {
        id: d.id,
        case_id: d.case_id,
        number: d.n,
        title: d.title,
        body: d.body,
        status: d.status,
        approval: d.approval,
        approved_at: d.approved_at.map(rfc3339),
        signed_at: d.signed_at.map(rfc3339),
        pdf_sha256: d.pdf_sha256,
        evidence_id: d.evidence_id,
        message_id: d.message_id,
        dispatched_at: d.dispatched_at.map(rfc3339),
        delivered: v.delivered.map(|x| DeliveredJson {
            recipient: x.recipient,
            at: rfc3339(x.at),
            deemed: x.deemed,
            evidence_id: x.evidence_id,
            appeal_until: x.appeal_until,
        }),
        letters: v.letters,
    }
}

/// The office's decision templates (its officials and admins).
#[utoipa::path(get, path = "/api/v1/offices/{id}/decision-templates", security(("bearer" = [])),
    params(("id" = String, Path, description = "the office's id")),
    responses((status = 200, body = Vec<TemplateJson>), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn templates(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
) -> Result<Json<Vec<TemplateJson>>, ApiError> {
    let p = user(&ctx)?;
    let list = state
        .services
        .decision_templates(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(list.into_iter().map(template_json).collect()))
}

async fn save(
    state: &State,
    ctx: &crate::ctx::Ctx,
    office: &str,
    id: Option<String>,
    body: &Bytes,
) -> Result<DecisionTemplate, ApiError> {
    let p = ctx.principal.as_ref().ok_or(ApiError(
        okienko_domain::DomainError::Unauthenticated,
        ctx.lang,
    ))?;
    let b: TemplateInputJson = parse(ctx, body)?;
    state
        .services
        .save_decision_template(
            p,
            office,
            &TemplateInput {
                id,
                name: b.name,
                jrwa: b.jrwa,
                body: b.body,
                approval: b.approval,
            },
        )
        .await
        .map_err(|e| ApiError(e, ctx.lang))
}

/// Adds a template (the office's admin).
#[utoipa::path(post, path = "/api/v1/offices/{id}/decision-templates", security(("bearer" = [])),
    params(("id" = String, Path, description = "the office's id")), request_body = TemplateInputJson,
    responses((status = 201, body = TemplateJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
async fn add_template(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let t = save(&state, &ctx, &id, None, &body).await?;
    Ok((StatusCode::CREATED, Json(template_json(t))).into_response())
}

/// Changes a template (the office's admin); decisions drafted from it keep their text.
#[utoipa::path(put, path = "/api/v1/offices/{id}/decision-templates/{template}", security(("bearer" = [])),
    params(("id" = String, Path, description = "the office's id"), ("template" = String, Path, description = "the template's id")),
    request_body = TemplateInputJson,
    responses((status = 200, body = TemplateJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
async fn save_template(
    Cx(state, ctx): Cx,
    Path((id, template)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<TemplateJson>, ApiError> {
    let t = save(&state, &ctx, &id, Some(template), &body).await?;
    Ok(Json(template_json(t)))
}

/// A case's decisions, each with how it reached the party and the appeal deadline.
#[utoipa::path(get, path = "/api/v1/cases/{id}/decisions", security(("bearer" = [])),
    params(("id" = String, Path, description = "the case's id")),
    responses((status = 200, body = Vec<DecisionJson>), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn list(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
) -> Result<Json<Vec<DecisionJson>>, ApiError> {
    let p = user(&ctx)?;
    let list = state
        .services
        .case_decisions(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(list.into_iter().map(decision_json).collect()))
}

async fn answer(
    state: &State,
    ctx: &crate::ctx::Ctx,
    id: &str,
) -> Result<Json<DecisionJson>, ApiError> {
    let p = ctx.principal.as_ref().ok_or(ApiError(
        okienko_domain::DomainError::Unauthenticated,
        ctx.lang,
    ))?;
    let v = state
        .services
        .decision_view(p, id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(decision_json(v)))
}

/// Drafts a decision in a case from a template, its fields filled from the case.
#[utoipa::path(post, path = "/api/v1/cases/{id}/decisions", security(("bearer" = [])),
    params(("id" = String, Path, description = "the case's id")), request_body = DraftJson,
    responses((status = 201, body = DecisionJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn draft(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let p = user(&ctx)?;
    let b: DraftJson = parse(&ctx, &body)?;
    let d = state
        .services
        .draft_decision(p, &id, &b.template)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    let j = answer(&state, &ctx, &d.id).await?;
    Ok((StatusCode::CREATED, j).into_response())
}

/// One decision.
#[utoipa::path(get, path = "/api/v1/decisions/{id}", security(("bearer" = [])),
    params(("id" = String, Path, description = "the decision's id")),
    responses((status = 200, body = DecisionJson), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn one(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Json<DecisionJson>, ApiError> {
    user(&ctx)?;
    answer(&state, &ctx, &id).await
}

/// Changes a draft's title and text.
#[utoipa::path(patch, path = "/api/v1/decisions/{id}", security(("bearer" = [])),
    params(("id" = String, Path, description = "the decision's id")), request_body = EditJson,
    responses((status = 200, body = DecisionJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn edit(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<DecisionJson>, ApiError> {
    let p = user(&ctx)?;
    let b: EditJson = parse(&ctx, &body)?;
    state
        .services
        .edit_decision(p, &id, &b.title, &b.body)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    answer(&state, &ctx, &id).await
}

/// Sends a draft to the head for approval.
#[utoipa::path(post, path = "/api/v1/decisions/{id}/submit", security(("bearer" = [])),
    params(("id" = String, Path, description = "the decision's id")),
    responses((status = 200, body = DecisionJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
async fn submit(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
) -> Result<Json<DecisionJson>, ApiError> {
    let p = user(&ctx)?;
    state
        .services
        .submit_decision(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    answer(&state, &ctx, &id).await
}

/// The head (an admin of the office) approves a decision; nobody approves their own.
#[utoipa::path(post, path = "/api/v1/decisions/{id}/approve", security(("bearer" = [])),
    params(("id" = String, Path, description = "the decision's id")),
    responses((status = 200, body = DecisionJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
async fn approve(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
) -> Result<Json<DecisionJson>, ApiError> {
    let p = user(&ctx)?;
    state
        .services
        .approve_decision(p, &id, true)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    answer(&state, &ctx, &id).await
}

/// The head returns a decision to its author as a draft.
#[utoipa::path(post, path = "/api/v1/decisions/{id}/return", security(("bearer" = [])),
    params(("id" = String, Path, description = "the decision's id")),
    responses((status = 200, body = DecisionJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
async fn give_back(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
) -> Result<Json<DecisionJson>, ApiError> {
    let p = user(&ctx)?;
    state
        .services
        .approve_decision(p, &id, false)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    answer(&state, &ctx, &id).await
}

/// Signs a decision with the office seal: PDF/A-2u, a detached CAdES-T signature, the
/// evidence of the signing in the log. Cannot be undone.
#[utoipa::path(post, path = "/api/v1/decisions/{id}/sign", security(("bearer" = [])),
    params(("id" = String, Path, description = "the decision's id")),
    responses((status = 200, body = DecisionJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
async fn sign(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Json<DecisionJson>, ApiError> {
    let p = user(&ctx)?;
    state
        .services
        .sign_decision(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    answer(&state, &ctx, &id).await
}

/// Sends a signed decision to the party: through e-delivery to the mailbox the case's
/// submission came from (or the party's own), else on paper to `postal`. Sent once.
#[utoipa::path(post, path = "/api/v1/decisions/{id}/dispatch", security(("bearer" = [])),
    params(("id" = String, Path, description = "the decision's id")), request_body = DispatchJson,
    responses((status = 200, body = DecisionJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn dispatch(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<DecisionJson>, ApiError> {
    let p = user(&ctx)?;
    let b: DispatchJson = if body.is_empty() {
        DispatchJson::default()
    } else {
        parse(&ctx, &body)?
    };
    state
        .services
        .dispatch_decision(p, &id, b.postal.map(Into::into))
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    answer(&state, &ctx, &id).await
}

/// The signed decision as PDF/A-2u.
#[utoipa::path(get, path = "/api/v1/decisions/{id}/document", security(("bearer" = [])),
    params(("id" = String, Path, description = "the decision's id")),
    responses((status = 200, description = "application/pdf"), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "the case's records were destroyed", body = Problem)))]
async fn document(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Response, ApiError> {
    let p = user(&ctx)?;
    let (d, c, pdf, _) = state
        .services
        .decision_files(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(crate::downloads::pdf(
        &format!("{}-{}.pdf", c.signature, d.n),
        pdf,
    ))
}

/// The decision's detached CAdES-T signature (DER), to check with the PDF.
#[utoipa::path(get, path = "/api/v1/decisions/{id}/signature", security(("bearer" = [])),
    params(("id" = String, Path, description = "the decision's id")),
    responses((status = 200, description = "application/pkcs7-signature"), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "the case's records were destroyed", body = Problem)))]
async fn signature(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Response, ApiError> {
    let p = user(&ctx)?;
    let (d, c, _, p7s) = state
        .services
        .decision_files(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(crate::downloads::detached_signature(
        &format!("{}-{}.pdf", c.signature, d.n),
        p7s,
    ))
}

/// The whole case file as a ZIP: metadata and timeline, every document and piece of evidence,
/// and a manifest of their SHA-256 signed with the office seal (CAdES-T), checkable offline.
#[utoipa::path(get, path = "/api/v1/cases/{id}/file", security(("bearer" = [])),
    params(("id" = String, Path, description = "the case's id")),
    responses((status = 200, description = "application/zip"), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "the case's records were destroyed", body = Problem)))]
async fn case_file(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Response, ApiError> {
    let p = user(&ctx)?;
    let (name, zip) = state
        .services
        .case_file(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(crate::downloads::zip(&name, zip))
}
