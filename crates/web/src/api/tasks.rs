//! Work for colleagues on a case over HTTP: a case's tasks, giving one (a task or a request
//! for an internal opinion), the caller's open tasks, one task, answering and cancelling it.

use super::common::{parse, rfc3339, user};
use crate::ctx::Cx;
use crate::error::{ApiError, Problem};
use crate::State;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use okienko_services::cases::tasks::TaskInput;
use okienko_store::CaseTask;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

pub fn routes() -> Router<State> {
    Router::new()
        .route("/api/v1/cases/{id}/tasks", get(of_case).post(add))
        .route("/api/v1/tasks", get(mine))
        .route("/api/v1/tasks/{id}", get(one))
        .route("/api/v1/tasks/{id}/answer", post(answer))
        .route("/api/v1/tasks/{id}/cancel", post(cancel))
}

#[derive(OpenApi)]
#[openapi(
    paths(of_case, add, mine, one, answer, cancel),
    components(schemas(TaskJson, NewTaskJson, AnswerJson))
)]
pub struct Doc;

/// A task (`kind` `task`) or a request for an internal opinion (`opinion`) on a case.
#[derive(Serialize, ToSchema)]
pub struct TaskJson {
    id: String,
    case_id: String,
    case_signature: String,
    kind: String,
    text: String,
    assignee: String,
    assignee_name: String,
    created_by: String,
    created_by_name: String,
    created_at: String,
    due_on: Option<String>,
    /// `open`, `done` or `cancelled`.
    status: String,
    answer: String,
    closed_at: Option<String>,
}

/// A task to give: `kind` `task` or `opinion`, the assignee's user id (an official of the
/// case's office, not the caller), the text and an optional due day `YYYY-MM-DD`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTaskJson {
    kind: String,
    assignee: String,
    text: String,
    due_on: Option<String>,
}

/// The answer that finishes a task (an opinion's text; may be empty for a task).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerJson {
    answer: String,
}

fn json_of(t: CaseTask) -> TaskJson {
    TaskJson {
        id: t.id,
        case_id: t.case_id,
        case_signature: t.signature,
        kind: t.kind,
        text: t.text,
        assignee: t.assignee_id,
        assignee_name: t.assignee_name,
        created_by: t.created_by,
        created_by_name: t.creator_name,
        created_at: rfc3339(t.created_at),
        due_on: t.due_on,
        status: t.status,
        answer: t.answer,
        closed_at: t.closed_at.map(rfc3339),
    }
}

/// A case's tasks, for who handles it or has an open task on it.
#[utoipa::path(get, path = "/api/v1/cases/{id}/tasks", security(("bearer" = [])),
    params(("id" = String, Path, description = "the case's id")),
    responses((status = 200, body = Vec<TaskJson>), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn of_case(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
) -> Result<Json<Vec<TaskJson>>, ApiError> {
    let p = user(&ctx)?;
    let list = state
        .services
        .case_tasks(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(list.into_iter().map(json_of).collect()))
}

/// Gives a task or asks an opinion on a case the caller handles (not a closed one).
#[utoipa::path(post, path = "/api/v1/cases/{id}/tasks", security(("bearer" = [])),
    params(("id" = String, Path, description = "the case's id")), request_body = NewTaskJson,
    responses((status = 201, body = TaskJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn add(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<TaskJson>), ApiError> {
    let p = user(&ctx)?;
    let b: NewTaskJson = parse(&ctx, &body)?;
    let input = TaskInput {
        kind: b.kind,
        assignee: b.assignee,
        text: b.text,
        due_on: b.due_on.unwrap_or_default(),
    };
    let t = state
        .services
        .add_case_task(p, &id, &input)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok((StatusCode::CREATED, Json(json_of(t))))
}

/// The caller's open tasks, the soonest due first.
#[utoipa::path(get, path = "/api/v1/tasks", security(("bearer" = [])),
    responses((status = 200, body = Vec<TaskJson>), (status = 401, body = Problem)))]
async fn mine(Cx(state, ctx): Cx) -> Result<Json<Vec<TaskJson>>, ApiError> {
    let p = user(&ctx)?;
    let list = state
        .services
        .my_tasks(p)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(list.into_iter().map(json_of).collect()))
}

/// One task, for its assignee, who gave it and who handles its case.
#[utoipa::path(get, path = "/api/v1/tasks/{id}", security(("bearer" = [])),
    params(("id" = String, Path, description = "the task's id")),
    responses((status = 200, body = TaskJson), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn one(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Json<TaskJson>, ApiError> {
    let p = user(&ctx)?;
    let v = state
        .services
        .task_view(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(json_of(v.task)))
}

/// Finishes a task with its answer (the assignee only).
#[utoipa::path(post, path = "/api/v1/tasks/{id}/answer", security(("bearer" = [])),
    params(("id" = String, Path, description = "the task's id")), request_body = AnswerJson,
    responses((status = 200, body = TaskJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn answer(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<TaskJson>, ApiError> {
    let p = user(&ctx)?;
    let b: AnswerJson = parse(&ctx, &body)?;
    let t = state
        .services
        .answer_task(p, &id, &b.answer)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(json_of(t)))
}

/// Cancels an open task (who gave it or who handles the case).
#[utoipa::path(post, path = "/api/v1/tasks/{id}/cancel", security(("bearer" = [])),
    params(("id" = String, Path, description = "the task's id")),
    responses((status = 200, body = TaskJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
async fn cancel(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Json<TaskJson>, ApiError> {
    let p = user(&ctx)?;
    let t = state
        .services
        .cancel_task(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(json_of(t)))
}
