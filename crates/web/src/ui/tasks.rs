//! Work for colleagues on a case: the tasks part of a case's page (giving a task or asking an
//! opinion), the person's open tasks, and one task with its answer and cancelling.

use super::common::{
    day, err, notice, render, render_form, require_user, when, CsrfForm, FormView,
};
use crate::ctx::{Ctx, Cx, FormText};
use crate::error::PageError;
use crate::State;
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use okienko_domain::substitutes::parse_day;
use okienko_domain::DomainError;
use okienko_services::cases::tasks::TaskInput;
use okienko_store::CaseTask;
use std::collections::HashMap;
use std::sync::Arc;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/cases/{id}/tasks", post(add))
        .route("/tasks", get(mine))
        .route("/tasks/{id}", get(one))
        .route("/tasks/{id}/answer", post(answer))
        .route("/tasks/{id}/cancel", post(cancel))
}

/// A task as a list shows it.
pub(super) struct TaskRow {
    pub id: String,
    pub kind: String,
    pub text: String,
    pub assignee: String,
    pub creator: String,
    pub case_id: String,
    pub case: String,
    /// (ISO, in words)
    pub due: Option<(String, String)>,
    pub status: String,
    pub open: bool,
    pub answer: String,
}

pub(super) fn row(ctx: &Ctx, t: CaseTask) -> TaskRow {
    TaskRow {
        kind: ctx.t(&format!("task-kind-{}", t.kind)),
        status: ctx.t(&format!("task-status-{}", t.status)),
        open: t.status == "open",
        due: t.due_on.as_ref().map(|d| {
            (
                d.clone(),
                parse_day(d).map_or_else(|| d.clone(), |x| day(ctx, x)),
            )
        }),
        case: format!("{} {}", t.signature, t.case_title),
        id: t.id,
        text: t.text,
        assignee: t.assignee_name,
        creator: t.creator_name,
        case_id: t.case_id,
        answer: t.answer,
    }
}

/// The tasks part of a case's page: its tasks, and who one may be given to (empty for who
/// only reads the case).
pub(super) async fn of_case(
    state: &State,
    ctx: &Ctx,
    case_id: &str,
    work: bool,
) -> Result<(Vec<TaskRow>, Vec<(String, String)>), DomainError> {
    let p = ctx.principal.as_ref().ok_or(DomainError::Unauthenticated)?;
    let s = &state.services;
    let rows = s
        .case_tasks(p, case_id)
        .await?
        .into_iter()
        .map(|t| row(ctx, t))
        .collect();
    let people = if work {
        s.task_colleagues(p, case_id).await?
    } else {
        Vec::new()
    };
    Ok((rows, people))
}

async fn add(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let input = TaskInput {
        kind: form.text("kind"),
        assignee: form.text("assignee"),
        text: form.text("text"),
        due_on: form.text("due_on"),
    };
    let r = state.services.add_case_task(p, &id, &input).await;
    super::cases::done(&state, &ctx, &id, r, "notice-task-added", form, "assignee").await
}

#[derive(Template)]
#[template(path = "tasks/mine.html")]
struct MinePage<'a> {
    ctx: &'a Ctx,
    rows: Vec<TaskRow>,
}

async fn mine(Cx(state, ctx): Cx) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let rows = state
        .services
        .my_tasks(p)
        .await
        .map_err(err(&ctx))?
        .into_iter()
        .map(|t| row(&ctx, t))
        .collect();
    Ok(render(&MinePage { ctx: &ctx, rows }))
}

#[derive(Template)]
#[template(path = "tasks/task.html")]
struct TaskPage<'a> {
    ctx: &'a Ctx,
    t: TaskRow,
    given: (String, String),
    may_answer: bool,
    may_cancel: bool,
    form: FormView,
    notice: Option<String>,
}

async fn task_page(
    state: &State,
    ctx: &Arc<Ctx>,
    id: &str,
    form: FormView,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let p = require_user(ctx)?;
    let v = state.services.task_view(p, id).await.map_err(err(ctx))?;
    let invalid = form.has_errors();
    let page = TaskPage {
        ctx,
        given: when(ctx, v.task.created_at),
        t: row(ctx, v.task),
        may_answer: v.may_answer,
        may_cancel: v.may_cancel,
        form,
        notice,
    };
    Ok(render_form(&page, invalid))
}

async fn one(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let n = notice(&ctx, &q);
    task_page(&state, &ctx, &id, FormView::new(HashMap::new()), n).await
}

async fn answer(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    match state
        .services
        .answer_task(p, &id, &form.text("answer"))
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/tasks/{id}?notice=notice-task-done")).into_response()),
        Err(e @ DomainError::Invalid(_)) => {
            let view = FormView::new(form).with_error(&ctx, &e, "answer");
            task_page(&state, &ctx, &id, view, None).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

async fn cancel(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    state
        .services
        .cancel_task(p, &id)
        .await
        .map_err(err(&ctx))?;
    Ok(Redirect::to(&format!("/tasks/{id}?notice=notice-task-cancelled")).into_response())
}
