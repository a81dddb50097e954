//! Case management over HTTP (EZD): opening and listing cases, one case with its timeline,
//! routing, suspending and closing, registering a submission, and an office's JRWA list.

use super::common::{parse, rfc3339, user};
use crate::ctx::Cx;
use crate::error::{ApiError, Problem};
use crate::State;
use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use okienko_domain::DomainError;
use okienko_services::cases::{CaseInput, CaseView};
use okienko_store::{Case, RegisterEntry};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

pub fn routes() -> Router<State> {
    Router::new()
        .route("/api/v1/cases", get(list).post(open))
        .route("/api/v1/cases/{id}", get(one))
        .route("/api/v1/cases/{id}/assign", post(assign))
        .route("/api/v1/cases/{id}/suspend", post(suspend))
        .route("/api/v1/cases/{id}/resume", post(resume))
        .route("/api/v1/cases/{id}/close", post(close))
        .route("/api/v1/cases/{id}/notes", post(note))
        .route("/api/v1/cases/{id}/delay", post(delay))
        .route("/api/v1/submissions/{reference}/register", post(register))
        .route("/api/v1/offices/{id}/register", get(register_list))
        .route(
            "/api/v1/offices/{id}/jrwa",
            get(jrwa)
                .put(import_jrwa)
                .layer(axum::extract::DefaultBodyLimit::max(2 * 1024 * 1024)),
        )
}

#[derive(OpenApi)]
#[openapi(
    paths(
        open,
        list,
        one,
        assign,
        suspend,
        resume,
        close,
        note,
        delay,
        register,
        jrwa,
        import_jrwa
    ),
    components(schemas(
        NewCaseJson,
        OpenedJson,
        CaseListJson,
        CaseItemJson,
        CaseJson,
        CaseEventJson,
        DestroyedJson,
        AssignJson,
        SuspendJson,
        NoteJson,
        DelayJson,
        EntryJson,
        RegisterJson,
        JrwaClassJson,
        ImportedJson
    ))
)]
pub struct Doc;

/// A case to open. `department` is the department's id or code; `jrwa` a class of the
/// office's list that has an archival category; `term` `month` (default), `two-months` or
/// `appeal`; `register_entry` the register entry it starts from (its party and receipt day).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCaseJson {
    department: String,
    jrwa: String,
    title: String,
    party: Option<String>,
    term: Option<String>,
    register_entry: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct OpenedJson {
    id: String,
    /// `UNIT.JRWA.NUMBER.YEAR`.
    signature: String,
    /// The KPA deadline, `YYYY-MM-DD`.
    deadline: String,
}

#[derive(Serialize, ToSchema)]
pub struct CaseItemJson {
    id: String,
    signature: String,
    title: String,
    deadline: String,
    /// `open`, `suspended` or `closed`.
    status: String,
}

#[derive(Serialize, ToSchema)]
pub struct CaseListJson {
    items: Vec<CaseItemJson>,
    next_cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CaseEventJson {
    at: String,
    actor: String,
    /// `opened`, `assigned`, `suspended`, `resumed`, `closed`.
    kind: String,
    detail: String,
}

#[derive(Serialize, ToSchema)]
pub struct CaseJson {
    id: String,
    signature: String,
    title: String,
    status: String,
    deadline: String,
    term: String,
    started_on: String,
    excluded_days: i64,
    suspended_on: Option<String>,
    department: String,
    jrwa: String,
    /// The JRWA class's archival category (`A`, `B5`, `BE10`, `Bc`).
    category: Option<String>,
    party: String,
    handler: Option<String>,
    register_entry: Option<EntryJson>,
    events: Vec<CaseEventJson>,
    /// Once an approved destruction list destroyed its records: the list's number
    /// (`number/year`) and when it was approved. Its documents' and decisions' files are gone.
    destroyed: Option<DestroyedJson>,
}

#[derive(Serialize, ToSchema)]
pub struct DestroyedJson {
    list: String,
    at: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignJson {
    /// The official's user id.
    handler: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuspendJson {
    reason: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteJson {
    text: String,
}

/// An art. 36 KPA delay notice: the new date (`YYYY-MM-DD`, after the current deadline; a day
/// off moves to the next working day) and why. `postal` only when the party has no
/// e-delivery address.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DelayJson {
    deadline: String,
    reason: String,
    postal: Option<super::decisions::PostalJson>,
}

/// An entry of the correspondence register.
#[derive(Serialize, ToSchema)]
pub struct EntryJson {
    id: String,
    /// `NUMBER/YEAR`, per office.
    number: String,
    direction: String,
    kind: String,
    subject: String,
    correspondent: String,
    received_at: String,
    case_id: Option<String>,
}

/// A year of the register, the newest entries first.
#[derive(Serialize, ToSchema)]
pub struct RegisterJson {
    year: i64,
    items: Vec<EntryJson>,
    /// Give as `before` for the next page (older entries).
    next_before: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegisterQuery {
    /// This year's by default.
    year: Option<i64>,
    /// Entries with a lower number only.
    before: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct JrwaClassJson {
    symbol: String,
    title: String,
    category: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ImportedJson {
    imported: usize,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `open` (open and suspended, the default), `suspended` or `closed`.
    status: Option<String>,
    /// Only `deadline` (the default).
    sort: Option<String>,
    /// 1 to 200 (default 50).
    limit: Option<i64>,
    /// From the previous page's `next_cursor`.
    cursor: Option<String>,
    /// One department's (id or code).
    department: Option<String>,
}

fn item(c: Case) -> CaseItemJson {
    CaseItemJson {
        id: c.id,
        signature: c.signature,
        title: c.title,
        deadline: c.deadline,
        status: c.status,
    }
}

pub(crate) fn entry_json(e: RegisterEntry) -> EntryJson {
    EntryJson {
        number: format!("{}/{}", e.number, e.year),
        id: e.id,
        direction: e.direction,
        kind: e.kind,
        subject: e.subject,
        correspondent: e.correspondent,
        received_at: rfc3339(e.received_at),
        case_id: e.case_id,
    }
}

fn case_json(v: CaseView) -> CaseJson {
    let c = v.case;
    CaseJson {
        destroyed: v.destroyed.map(|l| DestroyedJson {
            list: format!("{}/{}", l.number, l.year),
            at: rfc3339(l.approved_at.unwrap_or(l.prepared_at)),
        }),
        id: c.id,
        signature: c.signature,
        title: c.title,
        status: c.status,
        deadline: c.deadline,
        term: c.term,
        started_on: c.started_on,
        excluded_days: c.excluded_days,
        suspended_on: c.suspended_on,
        department: v.department.code,
        jrwa: c.jrwa,
        category: v.class.and_then(|k| k.category).map(|k| k.to_string()),
        party: c.party_name,
        handler: v.handler_name,
        register_entry: v.entry.map(entry_json),
        events: v
            .events
            .into_iter()
            .map(|e| CaseEventJson {
                at: rfc3339(e.at),
                actor: e.actor_name,
                kind: e.kind,
                detail: e.detail,
            })
            .collect(),
    }
}

/// Opens a case in a department the caller works for (an official or the office's admin). The
/// number comes from the database in the commit that stores the case: no gaps, no twins, on
/// any number of instances.
#[utoipa::path(post, path = "/api/v1/cases", security(("bearer" = [])), request_body = NewCaseJson,
    responses((status = 201, body = OpenedJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn open(Cx(state, ctx): Cx, body: Bytes) -> Result<(StatusCode, Json<OpenedJson>), ApiError> {
    let p = user(&ctx)?;
    let b: NewCaseJson = parse(&ctx, &body)?;
    let input = CaseInput {
        department: b.department,
        jrwa: b.jrwa,
        title: b.title,
        term: b.term,
        party: b.party,
        register_entry_id: b.register_entry,
    };
    let c = state
        .services
        .open_case(p, &input)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok((
        StatusCode::CREATED,
        Json(OpenedJson {
            id: c.id,
            signature: c.signature,
            deadline: c.deadline,
        }),
    ))
}

/// The cases of the departments the caller works for, by deadline (the nearest first).
#[utoipa::path(get, path = "/api/v1/cases", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = CaseListJson), (status = 401, body = Problem), (status = 422, body = Problem)))]
async fn list(
    Cx(state, ctx): Cx,
    q: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<CaseListJson>, ApiError> {
    let p = user(&ctx)?;
    let Query(q) =
        q.map_err(|_| ApiError(DomainError::invalid("query", "err-invalid"), ctx.lang))?;
    if q.sort.as_deref().is_some_and(|s| s != "deadline") {
        return Err(ApiError(
            DomainError::invalid("sort", "err-case-sort"),
            ctx.lang,
        ));
    }
    let status = q.status.as_deref().filter(|s| *s != "open");
    let (items, next) = state
        .services
        .case_list(
            p,
            q.department.as_deref(),
            status,
            false,
            q.cursor.as_deref(),
            q.limit.unwrap_or(50),
        )
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(CaseListJson {
        items: items.into_iter().map(item).collect(),
        next_cursor: next,
    }))
}

/// One case with its timeline. Reading a party's case is in the party's Data Tracker.
#[utoipa::path(get, path = "/api/v1/cases/{id}", security(("bearer" = [])),
    params(("id" = String, Path, description = "the case's id")),
    responses((status = 200, body = CaseJson), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn one(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Json<CaseJson>, ApiError> {
    let p = user(&ctx)?;
    let v = state
        .services
        .case_view(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(case_json(v)))
}

async fn answer(
    state: &State,
    ctx: &crate::ctx::Ctx,
    p: &okienko_services::accounts::Principal,
    id: &str,
) -> Result<Json<CaseJson>, ApiError> {
    let v = state
        .services
        .case_view(p, id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(case_json(v)))
}

/// Gives the case to an official who works its department.
#[utoipa::path(post, path = "/api/v1/cases/{id}/assign", security(("bearer" = [])), request_body = AssignJson,
    params(("id" = String, Path, description = "the case's id")),
    responses((status = 200, body = CaseJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn assign(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<CaseJson>, ApiError> {
    let p = user(&ctx)?;
    let b: AssignJson = parse(&ctx, &body)?;
    state
        .services
        .assign_case(p, &id, &b.handler)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    answer(&state, &ctx, p, &id).await
}

/// Suspends an open case (the KPA clock stops until it is resumed).
#[utoipa::path(post, path = "/api/v1/cases/{id}/suspend", security(("bearer" = [])), request_body = SuspendJson,
    params(("id" = String, Path, description = "the case's id")),
    responses((status = 200, body = CaseJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn suspend(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<CaseJson>, ApiError> {
    let p = user(&ctx)?;
    let b: SuspendJson = parse(&ctx, &body)?;
    state
        .services
        .suspend_case(p, &id, &b.reason)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    answer(&state, &ctx, p, &id).await
}

/// Resumes a suspended case: its deadline moves by the days it stood still.
#[utoipa::path(post, path = "/api/v1/cases/{id}/resume", security(("bearer" = [])),
    params(("id" = String, Path, description = "the case's id")),
    responses((status = 200, body = CaseJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
async fn resume(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Json<CaseJson>, ApiError> {
    let p = user(&ctx)?;
    state
        .services
        .resume_case(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    answer(&state, &ctx, p, &id).await
}

/// Closes a case.
#[utoipa::path(post, path = "/api/v1/cases/{id}/close", security(("bearer" = [])),
    params(("id" = String, Path, description = "the case's id")),
    responses((status = 200, body = CaseJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
async fn close(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Json<CaseJson>, ApiError> {
    let p = user(&ctx)?;
    state
        .services
        .close_case(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    answer(&state, &ctx, p, &id).await
}

/// Adds a note to the case's timeline.
#[utoipa::path(post, path = "/api/v1/cases/{id}/notes", security(("bearer" = [])), request_body = NoteJson,
    params(("id" = String, Path, description = "the case's id")),
    responses((status = 200, body = CaseJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn note(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<CaseJson>, ApiError> {
    let p = user(&ctx)?;
    let b: NoteJson = parse(&ctx, &body)?;
    state
        .services
        .add_case_note(p, &id, &b.text)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    answer(&state, &ctx, p, &id).await
}

/// Tells the party the case will not be settled in time (art. 36 KPA): the notice with the
/// reason and the new date goes through e-delivery (or on paper), into the register of
/// outgoing correspondence, and the deadline moves to the new date.
#[utoipa::path(post, path = "/api/v1/cases/{id}/delay", security(("bearer" = [])), request_body = DelayJson,
    params(("id" = String, Path, description = "the case's id")),
    responses((status = 200, body = CaseJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn delay(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<CaseJson>, ApiError> {
    let p = user(&ctx)?;
    let b: DelayJson = parse(&ctx, &body)?;
    state
        .services
        .delay_case(p, &id, &b.deadline, &b.reason, b.postal.map(Into::into))
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    answer(&state, &ctx, p, &id).await
}

/// Registers an e-service submission in its office's correspondence register (once: asked
/// again, the same entry). Its receipt time is the UPP's.
#[utoipa::path(post, path = "/api/v1/submissions/{reference}/register", security(("bearer" = [])),
    params(("reference" = String, Path, description = "the submission's reference")),
    responses((status = 201, body = EntryJson), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn register(
    Cx(state, ctx): Cx,
    Path(reference): Path<String>,
) -> Result<(StatusCode, Json<EntryJson>), ApiError> {
    let p = user(&ctx)?;
    let e = state
        .services
        .register_submission(p, &reference)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok((StatusCode::CREATED, Json(entry_json(e))))
}

/// The office's correspondence register of a year, for the people who work its cases (an
/// official placed in a department: the entries given to it).
#[utoipa::path(get, path = "/api/v1/offices/{id}/register", security(("bearer" = [])),
    params(("id" = String, Path, description = "the office's id"), RegisterQuery),
    responses((status = 200, body = RegisterJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
async fn register_list(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    q: Result<Query<RegisterQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<RegisterJson>, ApiError> {
    let p = user(&ctx)?;
    let Query(q) =
        q.map_err(|_| ApiError(DomainError::invalid("query", "err-invalid"), ctx.lang))?;
    let (year, entries) = state
        .services
        .register_list(p, &id, q.year, q.before)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    let next_before = (entries.len() >= 200)
        .then(|| entries.last().map(|e| e.number))
        .flatten();
    Ok(Json(RegisterJson {
        year,
        items: entries.into_iter().map(entry_json).collect(),
        next_before,
    }))
}

/// The office's JRWA list, for its admins and the people who work its cases.
#[utoipa::path(get, path = "/api/v1/offices/{id}/jrwa", security(("bearer" = [])),
    params(("id" = String, Path, description = "the office's id")),
    responses((status = 200, body = [JrwaClassJson]), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn jrwa(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
) -> Result<Json<Vec<JrwaClassJson>>, ApiError> {
    let p = user(&ctx)?;
    let list = state
        .services
        .jrwa_list(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(
        list.into_iter()
            .map(|c| JrwaClassJson {
                symbol: c.symbol,
                title: c.title,
                category: c.category.map(|k| k.to_string()),
            })
            .collect(),
    ))
}

/// Replaces the office's JRWA list (its admin) with a CSV file: `symbol,title,category`. A
/// refused file changes nothing; the problem names the line.
#[utoipa::path(put, path = "/api/v1/offices/{id}/jrwa", security(("bearer" = [])),
    params(("id" = String, Path, description = "the office's id")),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportedJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn import_jrwa(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let p = user(&ctx)?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError(DomainError::invalid("body", "err-import-utf8"), ctx.lang))?;
    match state
        .services
        .import_jrwa(p, &id, text)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?
    {
        Ok(n) => Ok(Json(ImportedJson { imported: n }).into_response()),
        Err(e) => Ok(super::catalogue::import_refused(&ctx, &e)),
    }
}
