//! Work for colleagues: the tasks part of a case's page (giving a task or asking an opinion),
//! the person's active tasks, a new task on an application, a message or nothing, one task
//! with its comments (start, give to someone else, answer, cancel) and a department's board.

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
use okienko_domain::tasks::TaskLink;
use okienko_domain::DomainError;
use okienko_services::tasks::TaskInput;
use okienko_store::Task;
use std::collections::HashMap;
use std::sync::Arc;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/cases/{id}/tasks", post(add_on_case))
        .route("/tasks", get(mine).post(add))
        .route("/tasks/new", get(new_page))
        .route("/tasks/{id}", get(one))
        .route("/tasks/{id}/start", post(act))
        .route("/tasks/{id}/reassign", post(act))
        .route("/tasks/{id}/comments", post(act))
        .route("/tasks/{id}/answer", post(act))
        .route("/tasks/{id}/cancel", post(act))
        .route("/offices/{id}/departments/{dept}/tasks", get(board))
}

/// A task as a list shows it.
pub(super) struct TaskRow {
    pub id: String,
    pub kind: String,
    pub text: String,
    pub assignee: String,
    pub creator: String,
    /// What it is on: (address, name); none for a plain to-do.
    pub on: Option<(String, String)>,
    /// (ISO, in words)
    pub due: Option<(String, String)>,
    pub status: String,
    pub open: bool,
    pub answer: String,
    pub department: String,
}

pub(super) fn row(ctx: &Ctx, t: Task) -> TaskRow {
    let on = match (&t.case_id, t.link_kind.as_deref().and_then(TaskLink::parse)) {
        (Some(c), _) => Some((
            format!("/cases/{c}"),
            format!("{} {}", t.signature, t.case_title),
        )),
        (None, Some(TaskLink::Submission)) => Some((
            format!("/submissions/{}", t.link_id.clone().unwrap_or_default()),
            t.link_label.clone(),
        )),
        (None, Some(TaskLink::Message)) => Some((
            format!("/messages/{}", t.link_id.clone().unwrap_or_default()),
            t.link_label.clone(),
        )),
        (None, None) => None,
    };
    TaskRow {
        kind: ctx.t(&format!("task-kind-{}", t.kind)),
        status: ctx.t(&format!("task-status-{}", t.status)),
        open: okienko_domain::tasks::TaskStatus::active(&t.status),
        due: t.due_on.as_ref().map(|d| {
            (
                d.clone(),
                parse_day(d).map_or_else(|| d.clone(), |x| day(ctx, x)),
            )
        }),
        on,
        id: t.id,
        text: t.text,
        assignee: t.assignee_name,
        creator: t.creator_name,
        answer: t.answer,
        department: t.department_name,
    }
}

fn rows(ctx: &Ctx, list: Vec<Task>) -> Vec<TaskRow> {
    list.into_iter().map(|t| row(ctx, t)).collect()
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
    let rows = rows(ctx, s.case_tasks(p, case_id).await?);
    let people = if work {
        s.task_colleagues(p, case_id).await?
    } else {
        Vec::new()
    };
    Ok((rows, people))
}

fn input_of(form: &HashMap<String, String>) -> TaskInput {
    TaskInput {
        kind: form.text("kind"),
        assignee: form.text("assignee"),
        text: form.text("text"),
        due_on: form.text("due_on"),
        link: None,
    }
}

async fn add_on_case(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let r = state.services.add_case_task(p, &id, &input_of(&form)).await;
    super::cases::done(&state, &ctx, &id, r, "notice-task-added", form, "assignee").await
}

#[derive(Template)]
#[template(path = "tasks/mine.html")]
struct MinePage<'a> {
    ctx: &'a Ctx,
    rows: Vec<TaskRow>,
    /// (address, name) of the department boards the person may see.
    boards: Vec<(String, String)>,
}

async fn mine(Cx(state, ctx): Cx) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let s = &state.services;
    let rows = rows(&ctx, s.my_tasks(p).await.map_err(err(&ctx))?);
    let boards = s
        .task_boards(p)
        .await
        .map_err(err(&ctx))?
        .into_iter()
        .map(|d| {
            (
                format!("/offices/{}/departments/{}/tasks", d.office_id, d.id),
                d.name,
            )
        })
        .collect();
    Ok(render(&MinePage {
        ctx: &ctx,
        rows,
        boards,
    }))
}

#[derive(Template)]
#[template(path = "tasks/new.html")]
struct NewPage<'a> {
    ctx: &'a Ctx,
    /// (kind, id, address, name) of what it is on.
    on: Option<(String, String, String, String)>,
    task_people: Vec<(String, String)>,
    form: FormView,
}

/// What a new task is on, from the query or the form: `submission` or `message`.
fn link_of(q: &HashMap<String, String>) -> Option<(String, String)> {
    ["submission", "message"].into_iter().find_map(|k| {
        q.get(k)
            .filter(|v| !v.trim().is_empty())
            .map(|v| (k.to_string(), v.trim().to_string()))
    })
}

async fn new_form(
    state: &State,
    ctx: &Arc<Ctx>,
    link: Option<(String, String)>,
    form: FormView,
) -> Result<Response, PageError> {
    let p = require_user(ctx)?;
    let place = state
        .services
        .task_place(p, link.as_ref().map(|(k, i)| (k.as_str(), i.as_str())))
        .await
        .map_err(err(ctx))?;
    let me = ctx.t("task-myself");
    let task_people = place
        .colleagues
        .into_iter()
        .map(|c| {
            let name = if c.id == p.user.id {
                format!("{} ({me})", c.name)
            } else {
                c.name
            };
            (c.id, name)
        })
        .collect();
    let on = place.link.map(|(k, id, label)| {
        let href = match k {
            TaskLink::Submission => format!("/submissions/{id}"),
            TaskLink::Message => format!("/messages/{id}"),
        };
        (k.as_str().to_string(), id, href, label)
    });
    let invalid = form.has_errors();
    Ok(render_form(
        &NewPage {
            ctx,
            on,
            task_people,
            form,
        },
        invalid,
    ))
}

async fn new_page(
    Cx(state, ctx): Cx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let mut values = HashMap::new();
    values.insert("assignee".to_string(), p.user.id.clone());
    new_form(&state, &ctx, link_of(&q), FormView::new(values)).await
}

async fn add(Cx(state, ctx): Cx, CsrfForm(form): CsrfForm) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let link = link_of(&form);
    let input = TaskInput {
        link: link.clone(),
        ..input_of(&form)
    };
    match state.services.add_task(p, &input).await {
        Ok(t) => {
            Ok(Redirect::to(&format!("/tasks/{}?notice=notice-task-added", t.id)).into_response())
        }
        Err(e @ DomainError::Invalid(_)) => {
            let view = FormView::new(form).with_error(&ctx, &e, "text");
            new_form(&state, &ctx, link, view).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

/// A comment as the task's page shows it.
struct CommentRow {
    author: String,
    text: String,
    at: (String, String),
}

#[derive(Template)]
#[template(path = "tasks/task.html")]
struct TaskPage<'a> {
    ctx: &'a Ctx,
    t: TaskRow,
    given: (String, String),
    comments: Vec<CommentRow>,
    may_answer: bool,
    may_start: bool,
    may_cancel: bool,
    task_people: Vec<(String, String)>,
    /// (address, title) of the library documents linked into it.
    library: Vec<(String, String)>,
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
    let library =
        super::library::linked(state, ctx, okienko_domain::library::LinkKind::Task, id).await;
    let page = TaskPage {
        ctx,
        library,
        given: when(ctx, v.task.created_at),
        comments: v
            .comments
            .into_iter()
            .map(|c| CommentRow {
                at: when(ctx, c.created_at),
                author: c.author_name,
                text: c.text,
            })
            .collect(),
        t: row(ctx, v.task),
        may_answer: v.may_answer,
        may_start: v.may_start,
        may_cancel: v.may_cancel,
        task_people: v.colleagues.into_iter().map(|c| (c.id, c.name)).collect(),
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

/// After a change of a task: back to its page with the notice, or the page with the form's
/// error on `field`.
async fn changed<T>(
    state: &State,
    ctx: &Arc<Ctx>,
    id: &str,
    r: Result<T, DomainError>,
    notice: &str,
    form: HashMap<String, String>,
    field: &str,
) -> Result<Response, PageError> {
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/tasks/{id}?notice={notice}")).into_response()),
        Err(e @ DomainError::Invalid(_)) => {
            let view = FormView::new(form).with_error(ctx, &e, field);
            task_page(state, ctx, id, view, None).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

/// A change of a task from its page: the last part of the path says which (`start`,
/// `reassign`, `comments`, `answer`, `cancel`).
async fn act(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    uri: axum::http::Uri,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let s = &state.services;
    let (r, notice, field) = match uri.path().rsplit('/').next().unwrap_or("") {
        "start" => (s.start_task(p, &id).await.map(drop), "started", "answer"),
        "reassign" => (
            s.reassign_task(p, &id, &form.text("assignee"))
                .await
                .map(drop),
            "reassigned",
            "assignee",
        ),
        "comments" => (
            s.comment_task(p, &id, &form.text("comment"))
                .await
                .map(drop),
            "commented",
            "comment",
        ),
        "answer" => (
            s.answer_task(p, &id, &form.text("answer")).await.map(drop),
            "done",
            "answer",
        ),
        _ => (s.cancel_task(p, &id).await.map(drop), "cancelled", "answer"),
    };
    let notice = format!("notice-task-{notice}");
    changed(&state, &ctx, &id, r, &notice, form, field).await
}

#[derive(Template)]
#[template(path = "tasks/board.html")]
struct BoardPage<'a> {
    ctx: &'a Ctx,
    department: String,
    /// (heading, tasks): open, started, closed in the last 14 days.
    columns: Vec<(String, Vec<TaskRow>)>,
}

async fn board(
    Cx(state, ctx): Cx,
    Path((office, dept)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let (d, tasks) = state
        .services
        .task_board(p, &office, &dept)
        .await
        .map_err(err(&ctx))?;
    let mut columns: Vec<(String, Vec<TaskRow>)> = ["open", "started", "closed"]
        .iter()
        .map(|c| (ctx.t(&format!("tasks-board-{c}")), Vec::new()))
        .collect();
    for t in tasks {
        let i = match t.status.as_str() {
            "open" => 0,
            "started" => 1,
            _ => 2,
        };
        if let Some(c) = columns.get_mut(i) {
            c.1.push(row(&ctx, t));
        }
    }
    Ok(render(&BoardPage {
        ctx: &ctx,
        department: d.name,
        columns,
    }))
}

/// The tasks part of an application's or a message's page, for an official who handles it.
pub(super) struct Linked {
    pub rows: Vec<TaskRow>,
    /// Where a new task on it is given.
    pub new_href: String,
}

/// [`Linked`] for `kind` and `id`; none for who may not give tasks on it (its sender, a
/// citizen).
pub(super) async fn linked(state: &State, ctx: &Ctx, kind: TaskLink, id: &str) -> Option<Linked> {
    let p = ctx.principal.as_ref()?;
    let list = state.services.linked_tasks(p, kind, id).await.ok()?;
    Some(Linked {
        rows: rows(ctx, list),
        new_href: format!("/tasks/new?{}={id}", kind.as_str()),
    })
}
