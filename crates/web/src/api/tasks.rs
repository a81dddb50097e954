//! Work for colleagues over HTTP: a case's tasks, giving one (a task or a request for an
//! internal opinion) on a case, on an application, on a message or on nothing, the caller's
//! active tasks, a department's board, one task, starting, reassigning, commenting, answering
//! and cancelling it.

use super::common::{parse, rfc3339, user};
use crate::ctx::Cx;
use crate::error::{ApiError, Problem};
use crate::State;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use okienko_services::tasks::TaskInput;
use okienko_store::{Task, TaskComment};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

pub fn routes() -> Router<State> {
    Router::new()
        .route("/api/v1/cases/{id}/tasks", get(of_case).post(add))
        .route("/api/v1/tasks", get(mine).post(add_task))
        .route("/api/v1/tasks/{id}", get(one))
        .route("/api/v1/tasks/{id}/start", post(start))
        .route("/api/v1/tasks/{id}/reassign", post(reassign))
        .route("/api/v1/tasks/{id}/comments", get(comments).post(comment))
        .route("/api/v1/offices/{id}/departments/{dept}/tasks", get(board))
        .route("/api/v1/tasks/{id}/answer", post(answer))
        .route("/api/v1/tasks/{id}/cancel", post(cancel))
}

#[derive(OpenApi)]
#[openapi(
    paths(
        of_case, add, mine, add_task, one, start, reassign, comments, comment, answer, cancel,
        board
    ),
    components(schemas(
        TaskJson,
        NewTaskJson,
        TodoJson,
        AnswerJson,
        AssigneeJson,
        CommentJson,
        NewCommentJson
    ))
)]
pub struct Doc;

/// A task (`kind` `task`) or a request for an internal opinion (`opinion`): on a case
/// (`case_id`), on an application or a message (`link_kind` `submission` with its reference
/// or `message` with its id, in `link_id`), or on nothing; on the board of `department_id`.
#[derive(Serialize, ToSchema)]
pub struct TaskJson {
    id: String,
    office_id: String,
    department_id: Option<String>,
    case_id: Option<String>,
    /// Empty without a case.
    case_signature: String,
    link_kind: Option<String>,
    link_id: Option<String>,
    kind: String,
    text: String,
    assignee: String,
    assignee_name: String,
    created_by: String,
    created_by_name: String,
    created_at: String,
    due_on: Option<String>,
    /// `open`, `started`, `done` or `cancelled`.
    status: String,
    answer: String,
    started_at: Option<String>,
    closed_at: Option<String>,
}

/// A task outside a case: like [`NewTaskJson`] (the assignee may be the caller: a to-do),
/// with at most one of `submission` (an application's reference) and `message` (a message's
/// id) the caller handles.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TodoJson {
    kind: String,
    assignee: String,
    text: String,
    due_on: Option<String>,
    submission: Option<String>,
    message: Option<String>,
}

/// Who a task goes to instead: an official of its office (a user id).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssigneeJson {
    assignee: String,
}

/// Something said on a task.
#[derive(Serialize, ToSchema)]
pub struct CommentJson {
    id: String,
    author: String,
    author_name: String,
    text: String,
    created_at: String,
}

/// A comment to add (up to 4000 characters).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCommentJson {
    text: String,
}

fn comment_json(c: TaskComment) -> CommentJson {
    CommentJson {
        id: c.id,
        author: c.author_id,
        author_name: c.author_name,
        text: c.text,
        created_at: rfc3339(c.created_at),
    }
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

fn json_of(t: Task) -> TaskJson {
    TaskJson {
        id: t.id,
        office_id: t.office_id,
        department_id: t.department_id,
        case_id: t.case_id,
        case_signature: t.signature,
        link_kind: t.link_kind,
        link_id: t.link_id,
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
        started_at: t.started_at.map(rfc3339),
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
        link: None,
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

/// Gives a task outside a case: to a colleague of the office or to the caller (a to-do), on an
/// application or a message the caller handles, or on nothing.
#[utoipa::path(post, path = "/api/v1/tasks", security(("bearer" = [])), request_body = TodoJson,
    responses((status = 201, body = TaskJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
async fn add_task(
    Cx(state, ctx): Cx,
    body: Bytes,
) -> Result<(StatusCode, Json<TaskJson>), ApiError> {
    let p = user(&ctx)?;
    let b: TodoJson = parse(&ctx, &body)?;
    let link = match (b.submission, b.message) {
        (Some(s), None) => Some(("submission".to_string(), s)),
        (None, Some(m)) => Some(("message".to_string(), m)),
        (None, None) => None,
        (Some(_), Some(_)) => {
            return Err(ApiError(
                okienko_domain::DomainError::invalid("message", "err-task-link"),
                ctx.lang,
            ))
        }
    };
    let input = TaskInput {
        kind: b.kind,
        assignee: b.assignee,
        text: b.text,
        due_on: b.due_on.unwrap_or_default(),
        link,
    };
    let t = state
        .services
        .add_task(p, &input)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok((StatusCode::CREATED, Json(json_of(t))))
}

/// Marks an open task as being worked on (its assignee).
#[utoipa::path(post, path = "/api/v1/tasks/{id}/start", security(("bearer" = [])),
    params(("id" = String, Path, description = "the task's id")),
    responses((status = 200, body = TaskJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
async fn start(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Json<TaskJson>, ApiError> {
    let p = user(&ctx)?;
    let t = state
        .services
        .start_task(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(json_of(t)))
}

/// Gives an active task to another official of its office (its assignee, who gave it, or who
/// handles its case); it moves to their department's board.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/reassign", security(("bearer" = [])),
    params(("id" = String, Path, description = "the task's id")), request_body = AssigneeJson,
    responses((status = 200, body = TaskJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn reassign(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<TaskJson>, ApiError> {
    let p = user(&ctx)?;
    let b: AssigneeJson = parse(&ctx, &body)?;
    let t = state
        .services
        .reassign_task(p, &id, &b.assignee)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(json_of(t)))
}

/// A task's comments, the oldest first (whoever may see the task).
#[utoipa::path(get, path = "/api/v1/tasks/{id}/comments", security(("bearer" = [])),
    params(("id" = String, Path, description = "the task's id")),
    responses((status = 200, body = Vec<CommentJson>), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn comments(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
) -> Result<Json<Vec<CommentJson>>, ApiError> {
    let p = user(&ctx)?;
    let v = state
        .services
        .task_view(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(v.comments.into_iter().map(comment_json).collect()))
}

/// Says something on a task (whoever may see it).
#[utoipa::path(post, path = "/api/v1/tasks/{id}/comments", security(("bearer" = [])),
    params(("id" = String, Path, description = "the task's id")), request_body = NewCommentJson,
    responses((status = 201, body = CommentJson), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
async fn comment(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<CommentJson>), ApiError> {
    let p = user(&ctx)?;
    let b: NewCommentJson = parse(&ctx, &body)?;
    let c = state
        .services
        .comment_task(p, &id, &b.text)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok((StatusCode::CREATED, Json(comment_json(c))))
}

/// A department's board: its active tasks and those closed in the last 14 days, for who
/// works in the department (or the whole office) or administers the office.
#[utoipa::path(get, path = "/api/v1/offices/{id}/departments/{dept}/tasks", security(("bearer" = [])),
    params(("id" = String, Path, description = "the office's id"),
        ("dept" = String, Path, description = "the department's id")),
    responses((status = 200, body = Vec<TaskJson>), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn board(
    Cx(state, ctx): Cx,
    Path((office, dept)): Path<(String, String)>,
) -> Result<Json<Vec<TaskJson>>, ApiError> {
    let p = user(&ctx)?;
    let (_, list) = state
        .services
        .task_board(p, &office, &dept)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(list.into_iter().map(json_of).collect()))
}

/// Cancels an active task (who gave it or who handles its case).
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
