//! Case management pages for officials (EZD): the department's work list by deadline, opening
//! a case (from the correspondence register or on its own), one case with its timeline and
//! what can be done with it, registering a submission, and the office's JRWA list.

use super::common::{
    day, err, notice, render, render_form, render_invalid, require_user, when, CsrfForm, FormView,
};
use crate::ctx::{Ctx, Cx, FormText};
use crate::error::PageError;
use crate::State;
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use okienko_domain::cases::{CaseStatus, Term};
use okienko_services::cases::{CaseInput, CaseView};
use okienko_store::Case;
use std::collections::HashMap;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/cases", get(list).post(open))
        .route("/cases/new", get(new_case))
        .route("/cases/{id}", get(one))
        .route("/cases/{id}/assign", post(assign))
        .route("/cases/{id}/suspend", post(suspend))
        .route("/cases/{id}/resume", post(resume))
        .route("/cases/{id}/close", post(close))
        .route("/cases/{id}/notes", post(add_note))
        .route("/cases/{id}/delay", post(delay))
        .route("/submissions/{reference}/register", post(register))
        .route("/offices/{id}/jrwa", get(jrwa).post(import_jrwa))
        .route("/offices/{id}/register", get(register_page))
}

/// A row of the work list.
struct Row {
    id: String,
    signature: String,
    title: String,
    party: String,
    deadline: String,
    deadline_iso: String,
    status: String,
    /// `tag-red` past the deadline, `` within a week, `tag-grey` otherwise.
    urgency: &'static str,
    urgency_text: String,
}

#[derive(Template)]
#[template(path = "cases/list.html")]
struct ListPage<'a> {
    ctx: &'a Ctx,
    rows: Vec<Row>,
    departments: Vec<(String, String)>,
    department: String,
    status: String,
    mine: bool,
    next: Option<String>,
    notice: Option<String>,
    /// The office whose register and JRWA list the page links to.
    office_id: String,
}

fn parse_iso(s: &str) -> Option<time::Date> {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &f).ok()
}

fn status_text(ctx: &Ctx, s: &str) -> String {
    ctx.t(&format!("case-status-{s}"))
}

fn row(ctx: &Ctx, today: time::Date, c: Case) -> Row {
    let deadline = parse_iso(&c.deadline);
    let days = deadline.map_or(0, |d| (d - today).whole_days());
    let open = c.status != CaseStatus::Closed.as_str();
    let (urgency, key) = match (open, days) {
        (false, _) => ("tag-grey", ""),
        (true, d) if d < 0 => ("tag-red", "case-overdue"),
        (true, d) if d <= 7 => ("", "case-due-soon"),
        _ => ("tag-grey", ""),
    };
    Row {
        deadline: deadline.map_or_else(|| c.deadline.clone(), |d| day(ctx, d)),
        deadline_iso: c.deadline.clone(),
        status: status_text(ctx, &c.status),
        urgency,
        urgency_text: if key.is_empty() {
            String::new()
        } else {
            ctx.t(key)
        },
        id: c.id,
        signature: c.signature,
        title: c.title,
        party: c.party_name,
    }
}

async fn list(
    Cx(state, ctx): Cx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let s = &state.services;
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("").to_string();
    let (department, status, mine) = (get("department"), get("status"), get("mine") == "1");
    let departments = s.case_departments(p).await.map_err(err(&ctx))?;
    if departments.is_empty() {
        return Err(PageError(
            okienko_domain::DomainError::NotFound,
            ctx.clone(),
        ));
    }
    let (cases, next) = s
        .case_list(
            p,
            Some(department.as_str()),
            Some(status.as_str()),
            mine,
            q.get("cursor").map(String::as_str),
            50,
        )
        .await
        .map_err(err(&ctx))?;
    let today = ctx.country.local(s.clock.now()).date();
    let rows = cases.into_iter().map(|c| row(&ctx, today, c)).collect();
    // Cursors, ids and status words are letters, digits, `-` and `~`: nothing to escape.
    let plain = |v: &str| {
        v.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '~')
    };
    let next = next.filter(|n| plain(n)).map(|n| {
        let mut url = format!("/cases?cursor={n}");
        for (k, v) in [("department", &department), ("status", &status)] {
            if !v.is_empty() && plain(v) {
                url.push_str(&format!("&{k}={v}"));
            }
        }
        if mine {
            url.push_str("&mine=1");
        }
        url
    });
    let office_id = departments
        .first()
        .map(|d| d.office_id.clone())
        .unwrap_or_default();
    Ok(render(&ListPage {
        office_id,
        notice: notice(&ctx, &q),
        ctx: &ctx,
        rows,
        departments: departments.into_iter().map(|d| (d.id, d.name)).collect(),
        department,
        status,
        mine,
        next,
    }))
}

#[derive(Template)]
#[template(path = "cases/new.html")]
struct NewPage<'a> {
    ctx: &'a Ctx,
    form: FormView,
    departments: Vec<(String, String)>,
    classes: Vec<(String, String)>,
    terms: Vec<(String, String)>,
    /// The register entry the case starts from: (id, number, subject, correspondent).
    entry: Option<(String, String, String, String)>,
}

async fn new_page<'a>(
    state: &State,
    ctx: &'a std::sync::Arc<Ctx>,
    form: FormView,
) -> Result<NewPage<'a>, PageError> {
    let p = require_user(ctx)?;
    let s = &state.services;
    let departments = s.case_departments(p).await.map_err(err(ctx))?;
    let Some(first) = departments.first() else {
        return Err(PageError(
            okienko_domain::DomainError::NotFound,
            ctx.clone(),
        ));
    };
    let classes = s
        .jrwa_list(p, &first.office_id)
        .await
        .map_err(err(ctx))?
        .into_iter()
        .filter_map(|c| {
            c.category.map(|k| {
                (
                    c.symbol.clone(),
                    format!("{} – {} ({k})", c.symbol, c.title),
                )
            })
        })
        .collect();
    let entry = match form.value("entry") {
        "" => None,
        id => {
            let e = s.register_entry(p, id).await.map_err(err(ctx))?;
            Some((
                e.id,
                format!("{}/{}", e.number, e.year),
                e.subject,
                e.correspondent,
            ))
        }
    };
    Ok(NewPage {
        ctx,
        form,
        departments: departments.into_iter().map(|d| (d.id, d.name)).collect(),
        classes,
        terms: Term::ALL
            .iter()
            .map(|t| {
                (
                    t.as_str().to_string(),
                    ctx.t(&format!("case-term-{}", t.as_str())),
                )
            })
            .collect(),
        entry,
    })
}

async fn new_case(
    Cx(state, ctx): Cx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let mut values = HashMap::new();
    if let Some(e) = q.get("entry") {
        values.insert("entry".to_string(), e.clone());
    }
    Ok(render(
        &new_page(&state, &ctx, FormView::new(values)).await?,
    ))
}

async fn open(Cx(state, ctx): Cx, CsrfForm(form): CsrfForm) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let input = CaseInput {
        department: form.text("department"),
        jrwa: form.text("jrwa"),
        title: form.text("title"),
        term: Some(form.text("term")),
        party: Some(form.text("party")),
        register_entry_id: Some(form.text("entry")),
    };
    match state.services.open_case(p, &input).await {
        Ok(c) => {
            Ok(Redirect::to(&format!("/cases/{}?notice=notice-case-opened", c.id)).into_response())
        }
        Err(e @ okienko_domain::DomainError::Invalid(_)) => {
            let view = FormView::new(form).with_error(&ctx, &e, "title");
            Ok(render_invalid(&new_page(&state, &ctx, view).await?))
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

/// A line of a case's timeline: (when, who, what, the case's own words about it).
type TimelineRow = ((String, String), String, String, Option<String>);

#[derive(Template)]
#[template(path = "cases/case.html")]
struct CasePage<'a> {
    ctx: &'a Ctx,
    v: CaseView,
    /// While the handler is away: the last day (ISO, in words) and who substitutes them.
    away: Option<(String, String, String)>,
    tasks: Vec<super::tasks::TaskRow>,
    /// Who a task may be given to (none for who only reads the case).
    task_people: Vec<(String, String)>,
    status: String,
    deadline: String,
    started: String,
    term: String,
    category: String,
    events: Vec<TimelineRow>,
    open: bool,
    suspended: bool,
    form: FormView,
    notice: Option<String>,
    dec: super::decisions::Decisions,
    docs: Vec<super::documents::DocumentRow>,
    /// (address, title) of the library documents linked into it.
    library: Vec<(String, String)>,
    place: Option<super::places::PlaceRow>,
    /// Once an approved destruction list destroyed the case's records: what it says.
    destroyed: Option<String>,
}

pub(super) async fn case_page(
    state: &State,
    ctx: &std::sync::Arc<Ctx>,
    id: &str,
    form: FormView,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let p = require_user(ctx)?;
    let v = state.services.case_view(p, id).await.map_err(err(ctx))?;
    let events = v
        .events
        .iter()
        .map(|e| {
            let what = match e.kind.as_str() {
                "suspended" | "assigned" => {
                    ctx.ta(&format!("case-event-{}", e.kind), &[("detail", &e.detail)])
                }
                "resumed" => ctx.ta("case-event-resumed", &[("days", &e.detail)]),
                "note" | "delayed" | "destruction-approved" | "transferred" => {
                    ctx.ta(&format!("case-event-{}", e.kind), &[("detail", &e.detail)])
                }
                k if k.starts_with("decision-")
                    || k.starts_with("document-")
                    || k.starts_with("task-")
                    || k.starts_with("opinion-") =>
                {
                    ctx.ta(&format!("case-event-{k}"), &[("detail", &e.detail)])
                }
                "opened" if !e.detail.is_empty() => {
                    ctx.ta("case-event-opened-from", &[("entry", &e.detail)])
                }
                k => ctx.t(&format!("case-event-{k}")),
            };
            // A place is the case's own data, in the content's language, beside the words.
            let detail = (e.kind == "placed").then(|| e.detail.clone());
            (when(ctx, e.at), e.actor_name.clone(), what, detail)
        })
        .collect();
    let date = |s: &str| parse_iso(s).map_or_else(|| s.to_string(), |d| day(ctx, d));
    let dec = super::decisions::of_case(state, ctx, &v.case, v.work)
        .await
        .map_err(err(ctx))?;
    let docs = state
        .services
        .case_documents(p, &v.case.id)
        .await
        .map_err(err(ctx))?;
    let docs = super::documents::rows(ctx, &v.case.office_id, docs);
    let place = super::places::place_row(
        state
            .services
            .case_place(p, &v.case.id)
            .await
            .map_err(err(ctx))?,
    );
    let (tasks, task_people) = super::tasks::of_case(state, ctx, &v.case.id, v.work)
        .await
        .map_err(err(ctx))?;
    let away = v
        .handler_away
        .as_ref()
        .map(|(until, who)| (until.clone(), date(until), who.clone()));
    let destroyed = v.destroyed.as_ref().map(|l| {
        let list = format!("{}/{}", l.number, l.year);
        let at = when(ctx, l.approved_at.unwrap_or(l.prepared_at)).1;
        ctx.ta("case-destroyed", &[("list", &list), ("date", &at)])
    });
    let library = super::library::linked(
        state,
        ctx,
        okienko_domain::library::LinkKind::Case,
        &v.case.id,
    )
    .await;
    let page = CasePage {
        library,
        destroyed,
        tasks,
        task_people,
        away,
        place,
        dec,
        docs,
        ctx,
        status: status_text(ctx, &v.case.status),
        deadline: date(&v.case.deadline),
        started: date(&v.case.started_on),
        term: ctx.t(&format!("case-term-{}", v.case.term)),
        category: v
            .class
            .as_ref()
            .and_then(|c| c.category)
            .map(|c| c.to_string())
            .unwrap_or_default(),
        events,
        open: v.case.status == CaseStatus::Open.as_str(),
        suspended: v.case.status == CaseStatus::Suspended.as_str(),
        v,
        form,
        notice,
    };
    let invalid = page.form.has_errors();
    Ok(render_form(&page, invalid))
}

async fn one(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    case_page(&state, &ctx, &id, FormView::default(), notice(&ctx, &q)).await
}

/// After an act on a case: its page with a notice, or again with the error beside the field.
pub(super) async fn done<T>(
    state: &State,
    ctx: &std::sync::Arc<Ctx>,
    id: &str,
    result: Result<T, okienko_domain::DomainError>,
    notice_key: &str,
    form: HashMap<String, String>,
    field: &str,
) -> Result<Response, PageError> {
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{id}?notice={notice_key}")).into_response()),
        Err(
            e
            @ (okienko_domain::DomainError::Invalid(_) | okienko_domain::DomainError::Conflict(_)),
        ) => {
            case_page(
                state,
                ctx,
                id,
                FormView::new(form).with_error(ctx, &e, field),
                None,
            )
            .await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

async fn assign(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let r = state
        .services
        .assign_case(p, &id, &form.text("handler"))
        .await;
    done(
        &state,
        &ctx,
        &id,
        r,
        "notice-case-assigned",
        form,
        "handler",
    )
    .await
}

async fn suspend(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let r = state
        .services
        .suspend_case(p, &id, &form.text("reason"))
        .await;
    done(
        &state,
        &ctx,
        &id,
        r,
        "notice-case-suspended",
        form,
        "reason",
    )
    .await
}

async fn resume(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let r = state.services.resume_case(p, &id).await;
    done(&state, &ctx, &id, r, "notice-case-resumed", form, "resume").await
}

/// Closing cannot be undone: asked once more first.
async fn close(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    if form.text("confirm") != "yes" {
        state.services.case_view(p, &id).await.map_err(err(&ctx))?;
        let action = format!("/cases/{id}/close");
        let back = format!("/cases/{id}");
        return Ok(super::common::confirm_page(
            &ctx,
            "case-close-confirm",
            &action,
            &back,
            &form,
        ));
    }
    let r = state.services.close_case(p, &id).await;
    done(&state, &ctx, &id, r, "notice-case-closed", form, "close").await
}

async fn add_note(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let r = state
        .services
        .add_case_note(p, &id, &form.text("note"))
        .await;
    done(&state, &ctx, &id, r, "notice-case-noted", form, "note").await
}

/// A delay notice goes to the party and cannot be recalled: asked once more first.
async fn delay(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    if form.text("confirm") != "yes" {
        state.services.case_view(p, &id).await.map_err(err(&ctx))?;
        return Ok(super::common::confirm_page(
            &ctx,
            "case-delay-confirm",
            &format!("/cases/{id}/delay"),
            &format!("/cases/{id}"),
            &form,
        ));
    }
    let r = state
        .services
        .delay_case(
            p,
            &id,
            &form.text("deadline"),
            &form.text("reason"),
            super::decisions::postal_of(&form),
        )
        .await;
    done(
        &state,
        &ctx,
        &id,
        r,
        "notice-case-delayed",
        form,
        "deadline",
    )
    .await
}

/// Registers a submission in the office's register and goes on to open its case.
async fn register(
    Cx(state, ctx): Cx,
    Path(reference): Path<String>,
    CsrfForm(_form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let e = state
        .services
        .register_submission(p, &reference)
        .await
        .map_err(err(&ctx))?;
    Ok(match e.case_id {
        Some(c) => Redirect::to(&format!("/cases/{c}")),
        None => Redirect::to(&format!("/cases/new?entry={}", e.id)),
    }
    .into_response())
}

#[derive(Template)]
#[template(path = "cases/jrwa.html")]
struct JrwaPage<'a> {
    ctx: &'a Ctx,
    office_id: String,
    /// (symbol, title, category, depth)
    classes: Vec<(String, String, String, usize)>,
    may_import: bool,
    form: FormView,
    notice: Option<String>,
}

async fn jrwa_page(
    state: &State,
    ctx: &std::sync::Arc<Ctx>,
    office_id: &str,
    form: FormView,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let p = require_user(ctx)?;
    let list = state
        .services
        .jrwa_list(p, office_id)
        .await
        .map_err(err(ctx))?;
    let page = JrwaPage {
        ctx,
        office_id: office_id.to_string(),
        classes: list
            .into_iter()
            .map(|c| {
                let depth = c.symbol.len();
                (
                    c.symbol,
                    c.title,
                    c.category.map(|k| k.to_string()).unwrap_or_default(),
                    depth,
                )
            })
            .collect(),
        may_import: okienko_domain::policy::allowed(
            &p.actor(),
            okienko_domain::policy::Action::ManageJrwa { office_id },
        ),
        form,
        notice,
    };
    let invalid = page.form.has_errors();
    Ok(render_form(&page, invalid))
}

async fn jrwa(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    jrwa_page(&state, &ctx, &id, FormView::default(), notice(&ctx, &q)).await
}

async fn import_jrwa(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let text = form.text("csv");
    match state
        .services
        .import_jrwa(p, &id, &text)
        .await
        .map_err(err(&ctx))?
    {
        Ok(_) => Ok(
            Redirect::to(&format!("/offices/{id}/jrwa?notice=notice-jrwa-imported"))
                .into_response(),
        ),
        Err(e) => {
            let mut view = FormView::new(form);
            view.errors
                .push(("csv".into(), crate::error::import_message(ctx.lang, &e)));
            jrwa_page(&state, &ctx, &id, view, None).await
        }
    }
}

/// A register entry as its row shows it.
struct EntryRow {
    id: String,
    number: String,
    /// (ISO, in words)
    at: (String, String),
    kind: String,
    subject: String,
    who: String,
    case: Option<String>,
}

#[derive(Template)]
#[template(path = "cases/register.html")]
struct RegisterPage<'a> {
    ctx: &'a Ctx,
    office_id: String,
    year: i64,
    rows: Vec<EntryRow>,
    next: Option<String>,
}

/// The office's correspondence register of a year, the newest first.
async fn register_page(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let number = |k: &str| q.get(k).and_then(|v| v.parse::<i64>().ok());
    let (year, entries) = state
        .services
        .register_list(p, &id, number("year"), number("before"))
        .await
        .map_err(err(&ctx))?;
    let next = (entries.len() >= 200)
        .then(|| {
            entries
                .last()
                .map(|e| format!("/offices/{id}/register?year={year}&before={}", e.number))
        })
        .flatten();
    let rows = entries
        .into_iter()
        .map(|e| EntryRow {
            id: e.id,
            number: format!("{}/{}", e.number, e.year),
            at: when(&ctx, e.received_at),
            kind: ctx.t(&format!("register-kind-{}", e.kind)),
            subject: e.subject,
            who: e.correspondent,
            case: e.case_id,
        })
        .collect();
    Ok(render(&RegisterPage {
        ctx: &ctx,
        office_id: id,
        year,
        rows,
        next,
    }))
}
