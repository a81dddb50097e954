//! Filling an e-service's form: one step per page (works without JavaScript: conditional
//! fields and repeatable groups are decided by the server), "Check your answers" with change
//! links, signing and submitting, the submission's page with its UPP, the person's drafts and
//! submissions, and the office's inbox of submissions.

use super::common::{
    check_csrf, confirm_page, confirmed, err, money, read_multipart_named, render, render_form,
    require_user, when, CsrfForm,
};
use crate::ctx::{Ctx, Cx};
use crate::error::PageError;
use crate::State;
use askama::Template;
use axum::extract::{Path, Query, Request};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use okienko_domain::forms::{text_in, Answers, FieldDef, FormDef, Kind};
use okienko_domain::status::SubmissionStatus;
use okienko_domain::DomainError;
use okienko_services::forms::{Filler, StepSaved, SubmitForm, Upload};
use serde_json::{json, Value};
use std::collections::HashMap;

mod assist;
mod build;
mod export;

/// A time as the page writes it and its machine form.
type When = (String, String);
/// A group's item as posted: where it was, its answers, its files (field, name, bytes).
type PostedItem = (usize, Answers, Vec<(String, String, Vec<u8>)>);
/// A step on the check page: its title, its change link, its answers read out.
type Section = (String, String, Vec<(String, String)>);

pub fn routes() -> Router<State> {
    export::routes()
        .merge(assist::routes())
        .merge(build::routes())
        .route("/services/{id}/form", post(start))
        .route("/submissions", get(mine))
        .route(
            "/drafts/{id}/steps/{step}",
            get(step_page)
                .post(save_step)
                .layer(axum::extract::DefaultBodyLimit::max(
                    okienko_services::delivery::MAX_CONFIGURABLE_BYTES + 1024 * 1024,
                )),
        )
        .route("/drafts/{id}", get(resume))
        .route("/drafts/{id}/check", get(check_page))
        .route("/drafts/{id}/submit", post(submit))
        .route("/drafts/{id}/discard", post(discard))
        .route("/submissions/{reference}", get(submission_page))
        .route("/submissions/{reference}/status", post(move_status))
        .route("/offices/{id}/submissions", get(inbox))
        .route(
            "/services/{id}/form/edit",
            get(edit_page)
                .post(publish)
                .layer(axum::extract::DefaultBodyLimit::max(
                    okienko_domain::forms::MAX_DEFINITION + 64 * 1024,
                )),
        )
}

/// One input (or part of a group) of a step page, ready for the template.
struct Input {
    /// `text`, `textarea`, `number`, `date`, `email`, `tel`, `radios`, `checkboxes`,
    /// `yesno`, `address`, `file`, `group` (a group's start), `end` (its end).
    kind: &'static str,
    name: String,
    id: String,
    label: String,
    label_lang: String,
    hint: String,
    value: String,
    /// (value, label, checked)
    options: Vec<(String, String, bool)>,
    /// Address parts: (name suffix, label, value, autocomplete).
    parts: Vec<(&'static str, String, String, &'static str)>,
    error: Option<String>,
    required: bool,
    /// Shown only when an answer on this same page says so.
    conditional: bool,
    /// The group's items (for `group`): its field name and the item number (from 1) of the
    /// item that starts here, or 0.
    item: usize,
    group: String,
    /// A file already given.
    current: String,
    /// For a group's end: whether another item may be added, and its name.
    can_add: bool,
    inputmode: &'static str,
    autocomplete: &'static str,
}

impl Input {
    fn new(kind: &'static str, name: String) -> Input {
        Input {
            kind,
            id: format!("f-{}", name.replace('.', "-")),
            name,
            label: String::new(),
            label_lang: String::new(),
            hint: String::new(),
            value: String::new(),
            options: Vec::new(),
            parts: Vec::new(),
            error: None,
            required: false,
            conditional: false,
            item: 0,
            group: String::new(),
            current: String::new(),
            can_add: false,
            inputmode: "",
            autocomplete: "",
        }
    }
}

#[derive(Template)]
#[template(path = "forms/step.html")]
struct StepPage<'a> {
    ctx: &'a Ctx,
    /// A clerk fills it at the counter: for whom.
    assisting: Option<Assisting>,
    service: String,
    service_lang: String,
    title: String,
    title_lang: String,
    draft: String,
    step: usize,
    /// "Step 2 of 3".
    progress: String,
    back: String,
    inputs: Vec<Input>,
    errors: Vec<(String, String)>,
    recheck: Vec<String>,
}

fn kind_of(f: &FieldDef) -> &'static str {
    match f.kind {
        Kind::Text | Kind::Pesel | Kind::Nip | Kind::Regon | Kind::Iban | Kind::Money => "text",
        Kind::LongText => "textarea",
        Kind::Number => "number",
        Kind::Date => "date",
        Kind::Email => "email",
        Kind::Phone => "tel",
        Kind::Choice => "radios",
        Kind::MultiChoice => "checkboxes",
        Kind::YesNo => "yesno",
        Kind::Address => "address",
        Kind::File => "file",
        Kind::Group => "group",
    }
}

/// A stored answer as the input shows it again.
fn shown_value(f: &FieldDef, v: Option<&Value>) -> String {
    match (f.kind, v) {
        (_, None) | (_, Some(Value::Null)) => String::new(),
        (Kind::Money, Some(Value::Number(n))) => {
            let g = n.as_i64().unwrap_or(0);
            format!("{},{:02}", g / 100, g % 100)
        }
        (Kind::YesNo, Some(Value::Bool(b))) => if *b { "yes" } else { "no" }.into(),
        (Kind::File, Some(o)) => o
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        (_, Some(Value::String(s))) => s.clone(),
        (_, Some(v)) => v.to_string(),
    }
}

/// The inputs of one field (at `name`, e.g. `f.dog.0.dog_name`) with its answer.
fn field_input(
    ctx: &Ctx,
    f: &FieldDef,
    name: String,
    v: Option<&Value>,
    errors: &HashMap<String, String>,
    path: &str,
) -> Input {
    let lang = ctx.lang.code();
    let mut i = Input::new(kind_of(f), name);
    let (label, label_lang) = text_in(&f.label, lang);
    i.label = label.into_owned();
    i.label_lang = label_lang;
    i.hint = text_in(&f.hint, lang).0.into_owned();
    i.required = f.required == Value::Bool(true);
    i.error = errors.get(path).cloned();
    i.value = shown_value(f, v);
    match f.kind {
        Kind::Choice | Kind::MultiChoice => {
            let picked: Vec<&str> = match v {
                Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
                Some(Value::String(s)) => vec![s.as_str()],
                _ => Vec::new(),
            };
            i.options = f
                .options
                .iter()
                .map(|o| {
                    (
                        o.value.clone(),
                        text_in(&o.label, lang).0.into_owned(),
                        picked.contains(&o.value.as_str()),
                    )
                })
                .collect();
        }
        Kind::YesNo => {
            i.options = vec![
                ("yes".into(), ctx.t("form-yes"), i.value == "yes"),
                ("no".into(), ctx.t("form-no"), i.value == "no"),
            ];
        }
        Kind::Address => {
            let part = |k: &str| {
                v.and_then(|v| v.get(k))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            i.parts = vec![
                (
                    "street",
                    ctx.t("form-address-street"),
                    part("street"),
                    "address-line1",
                ),
                (
                    "building",
                    ctx.t("form-address-building"),
                    part("building"),
                    "",
                ),
                ("flat", ctx.t("form-address-flat"), part("flat"), ""),
                (
                    "postal_code",
                    ctx.t("form-address-postal-code"),
                    part("postal_code"),
                    "postal-code",
                ),
                (
                    "city",
                    ctx.t("form-address-city"),
                    part("city"),
                    "address-level2",
                ),
            ];
        }
        Kind::File => {
            i.current = i.value.clone();
            i.value.clear();
        }
        Kind::Pesel | Kind::Nip | Kind::Regon => i.inputmode = "numeric",
        Kind::Money | Kind::Number => i.inputmode = "decimal",
        _ => {}
    }
    i.autocomplete = match (f.kind, f.prefill) {
        (Kind::Email, _) => "email",
        (Kind::Phone, _) => "tel",
        (_, Some(okienko_domain::forms::Prefill::Name)) => "name",
        _ => "off",
    };
    i
}

/// The inputs of a step: its fields that apply, a group's items one after another.
fn step_inputs(
    ctx: &Ctx,
    def: &FormDef,
    step: usize,
    answers: &Answers,
    errors: &HashMap<String, String>,
) -> Vec<Input> {
    let Some(s) = def.steps.get(step) else {
        return Vec::new();
    };
    let here: Vec<&str> = s.fields.iter().map(|f| f.id.as_str()).collect();
    let mut out = Vec::new();
    let lang = ctx.lang.code();
    for f in &s.fields {
        // A field whose condition reads an answer on this page is shown (marked), so that a
        // person without JavaScript can fill it; the server drops it if it does not apply.
        let same_page = f.visible_if.as_ref().is_some_and(|r| {
            okienko_domain::forms::rule_vars(r)
                .iter()
                .any(|v| here.contains(&v.as_str()))
        });
        if !same_page && !FormDef::visible(f, answers, None) {
            continue;
        }
        if f.kind == Kind::Group {
            let items: Vec<Value> = answers
                .get(&f.id)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let items = if items.is_empty() && f.min.unwrap_or(0.0) >= 1.0 {
                vec![json!({})]
            } else {
                items
            };
            let mut g = Input::new("group", format!("f.{}", f.id));
            let (label, l) = text_in(&f.label, lang);
            g.label = label.into_owned();
            g.label_lang = l;
            g.hint = text_in(&f.hint, lang).0.into_owned();
            g.error = errors.get(&f.id).cloned();
            g.group = f.id.clone();
            g.value = items.len().to_string();
            out.push(g);
            for (n, item) in items.iter().enumerate() {
                let mut head = Input::new("item", format!("f.{}.{n}", f.id));
                head.label = format!("{} {}", text_in(&f.label, lang).0, n + 1);
                head.item = n + 1;
                head.group = f.id.clone();
                head.value = n.to_string();
                out.push(head);
                for gf in &f.fields {
                    let item_obj = item.as_object();
                    if !FormDef::visible(gf, answers, item_obj) {
                        continue;
                    }
                    let path = format!("{}[{n}].{}", f.id, gf.id);
                    out.push(field_input(
                        ctx,
                        gf,
                        format!("f.{}.{n}.{}", f.id, gf.id),
                        item.get(&gf.id),
                        errors,
                        &path,
                    ));
                }
            }
            let mut end = Input::new("end", format!("f.{}", f.id));
            end.group = f.id.clone();
            end.label = ctx.ta(
                "form-add-item",
                &[("item", text_in(&f.label, lang).0.as_ref())],
            );
            end.can_add = (items.len() as f64) < f.max.unwrap_or(50.0);
            out.push(end);
            continue;
        }
        let mut i = field_input(
            ctx,
            f,
            format!("f.{}", f.id),
            answers.get(&f.id),
            errors,
            &f.id,
        );
        i.conditional = same_page;
        out.push(i);
    }
    out
}

/// Reads one field's input (at `name`) into an answer; files come separately.
fn read_field(f: &FieldDef, name: &str, text: &HashMap<String, String>) -> Option<Value> {
    match f.kind {
        Kind::File | Kind::Group => None,
        Kind::MultiChoice => Some(Value::Array(
            f.options
                .iter()
                .filter(|o| text.contains_key(&format!("{name}.{}", o.value)))
                .map(|o| json!(o.value))
                .collect(),
        )),
        Kind::Address => {
            let part = |k: &str| {
                text.get(&format!("{name}.{k}"))
                    .cloned()
                    .unwrap_or_default()
            };
            Some(
                json!({"street": part("street"), "building": part("building"), "flat": part("flat"), "postal_code": part("postal_code"), "city": part("city")}),
            )
        }
        _ => text.get(name).map(|v| json!(v)),
    }
}

/// What a step's form asked: the answers of its fields, the files, and the button.
struct Posted {
    answers: Answers,
    uploads: Vec<Upload>,
    action: String,
}

fn read_step(def: &FormDef, step: usize, body: HashMap<String, (String, Vec<u8>)>) -> Posted {
    let mut text = HashMap::new();
    let mut files = HashMap::new();
    for (k, (file, bytes)) in body {
        if file.is_empty() {
            text.insert(k, String::from_utf8_lossy(&bytes).into_owned());
        } else if !bytes.is_empty() {
            files.insert(k, (file, bytes));
        }
    }
    let action = text.get("action").cloned().unwrap_or_default();
    let mut answers = Answers::new();
    let mut uploads = Vec::new();
    let Some(s) = def.steps.get(step) else {
        return Posted {
            answers,
            uploads,
            action,
        };
    };
    for f in &s.fields {
        let name = format!("f.{}", f.id);
        if f.kind == Kind::Group {
            let n: usize = text
                .get(&format!("n.{}", f.id))
                .and_then(|n| n.parse().ok())
                .unwrap_or(0)
                .min(50);
            // (where it was, its answers, its files)
            let mut items: Vec<PostedItem> = Vec::new();
            for i in 0..n {
                let mut item = Answers::new();
                let mut item_files = Vec::new();
                for g in &f.fields {
                    let gname = format!("{name}.{i}.{}", g.id);
                    if let Some(v) = read_field(g, &gname, &text) {
                        item.insert(g.id.clone(), v);
                    }
                    if let Some((file, bytes)) = files.remove(&gname) {
                        item_files.push((g.id.clone(), file, bytes));
                    }
                }
                let from = text
                    .get(&format!("{name}.{i}.__from"))
                    .and_then(|x| x.parse::<usize>().ok())
                    .unwrap_or(i);
                items.push((from, item, item_files));
            }
            if action == format!("add:{}", f.id) {
                items.push((usize::MAX, Answers::new(), Vec::new()));
            }
            if let Some(k) = action
                .strip_prefix(&format!("remove:{}:", f.id))
                .and_then(|k| k.parse::<usize>().ok())
            {
                if k < items.len() {
                    items.remove(k);
                }
            }
            let mut list = Vec::new();
            for (i, (from, mut item, item_files)) in items.into_iter().enumerate() {
                if from != usize::MAX {
                    item.insert("__from".into(), json!(from));
                }
                for (gid, file, bytes) in item_files {
                    uploads.push(Upload {
                        field: format!("{}[{i}].{gid}", f.id),
                        name: file,
                        bytes: bytes.into(),
                    });
                }
                list.push(Value::Object(item));
            }
            answers.insert(f.id.clone(), Value::Array(list));
            continue;
        }
        if f.kind == Kind::File {
            if let Some((file, bytes)) = files.remove(&name) {
                uploads.push(Upload {
                    field: f.id.clone(),
                    name: file,
                    bytes: bytes.into(),
                });
            }
            answers.insert(f.id.clone(), Value::Null);
            continue;
        }
        if let Some(v) = read_field(f, &name, &text) {
            answers.insert(f.id.clone(), v);
        }
    }
    Posted {
        answers,
        uploads,
        action,
    }
}

async fn start(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let draft = state
        .services
        .start_draft(p, &id, form.contains_key("another"))
        .await
        .map_err(err(&ctx))?;
    let view = state
        .services
        .my_draft(p, &draft)
        .await
        .map_err(err(&ctx))?;
    let step = (view.draft.step as usize).min(view.form.def.steps.len());
    Ok(Redirect::to(&step_url(&draft, step, view.form.def.steps.len())).into_response())
}

fn step_url(draft: &str, step: usize, steps: usize) -> String {
    if step >= steps {
        format!("/drafts/{draft}/check")
    } else {
        format!("/drafts/{draft}/steps/{step}")
    }
}

/// Who fills the draft: its owner, or a clerk at the counter for them.
async fn filler(state: &State, ctx: &std::sync::Arc<Ctx>, id: &str) -> Result<Filler, PageError> {
    let p = require_user(ctx)?;
    state.services.draft_filler(p, id).await.map_err(err(ctx))
}

/// What tells a clerk whose form they fill.
fn assisting(ctx: &Ctx, f: &Filler) -> Option<Assisting> {
    f.assisted.as_ref().map(|a| Assisting {
        text: ctx.ta("form-assisting", &[("name", &a.citizen_name)]),
        visit: format!("/counter/visits/{}", a.visit_id),
    })
}

/// A clerk filling a citizen's form: the line that says so, and the visit's page.
struct Assisting {
    text: String,
    visit: String,
}

/// Where a clerk goes back to (the visit), or the person (their applications).
fn back_to(f: &Filler, notice: &str) -> String {
    match &f.assisted {
        Some(a) => format!("/counter/visits/{}", a.visit_id),
        None => format!("/submissions?notice={notice}"),
    }
}

/// Goes on with a draft where the person left it.
async fn resume(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Response, PageError> {
    let f = filler(&state, &ctx, &id).await?;
    let view = state
        .services
        .filled_draft(&f, &id)
        .await
        .map_err(err(&ctx))?;
    let steps = view.form.def.steps.len();
    let step = (view.draft.step.max(0) as usize).min(steps);
    Ok(Redirect::to(&step_url(&id, step, steps)).into_response())
}

async fn step_page(
    Cx(state, ctx): Cx,
    Path((id, step)): Path<(String, usize)>,
) -> Result<Response, PageError> {
    let f = filler(&state, &ctx, &id).await?;
    let view = state
        .services
        .filled_draft(&f, &id)
        .await
        .map_err(err(&ctx))?;
    if step >= view.form.def.steps.len() {
        return Err(PageError(DomainError::NotFound, ctx.clone()));
    }
    Ok(render_step(
        &ctx,
        assisting(&ctx, &f),
        &view,
        step,
        &view.answers,
        &HashMap::new(),
        false,
    ))
}

fn render_step(
    ctx: &Ctx,
    assisting: Option<Assisting>,
    view: &okienko_services::forms::DraftView,
    step: usize,
    answers: &Answers,
    errors: &HashMap<String, String>,
    invalid: bool,
) -> Response {
    let def = &view.form.def;
    let lang = ctx.lang.code();
    let steps = def.steps_for(answers);
    let at = steps.iter().position(|s| *s == step).unwrap_or(0);
    let name = view.form.entry.spec.local(lang).name;
    let (title, title_lang) = text_in(&def.steps[step].title, lang);
    let back = match (at.checked_sub(1).and_then(|i| steps.get(i)), &assisting) {
        (Some(prev), _) => format!("/drafts/{}/steps/{prev}", view.draft.id),
        (None, Some(a)) => format!("{}/apply", a.visit),
        (None, None) => format!("/services/{}", view.form.entry.id),
    };
    let labels: HashMap<String, String> = def
        .all_fields()
        .map(|(f, _)| (f.id.clone(), text_in(&f.label, lang).0.into_owned()))
        .collect();
    let mut errs: Vec<(String, String)> = errors
        .iter()
        .map(|(k, v)| {
            (
                format!(
                    "f-{}",
                    k.replace(['[', ']'], ".")
                        .replace("..", ".")
                        .trim_end_matches('.')
                        .replace('.', "-")
                ),
                v.clone(),
            )
        })
        .collect();
    errs.sort();
    let page = StepPage {
        ctx,
        assisting,
        service: name.value,
        service_lang: name.lang.to_string(),
        title: title.into_owned(),
        title_lang,
        draft: view.draft.id.clone(),
        step,
        progress: ctx.ta(
            "form-progress",
            &[
                ("n", &(at + 1).to_string()),
                ("of", &steps.len().to_string()),
            ],
        ),
        back,
        inputs: step_inputs(ctx, def, step, answers, errors),
        errors: errs,
        recheck: view
            .recheck
            .iter()
            .map(|r| labels.get(r).cloned().unwrap_or_else(|| r.clone()))
            .collect(),
    };
    render_form(&page, invalid)
}

async fn save_step(
    Cx(state, ctx): Cx,
    Path((id, step)): Path<(String, usize)>,
    req: Request,
) -> Result<Response, PageError> {
    let f = filler(&state, &ctx, &id).await?;
    let p = &f.acting;
    // Whose draft first: someone else's is not found, whatever the body.
    let view = state
        .services
        .filled_draft(&f, &id)
        .await
        .map_err(err(&ctx))?;
    if step >= view.form.def.steps.len() {
        return Err(PageError(DomainError::NotFound, ctx.clone()));
    }
    let body = read_multipart_named(req)
        .await
        .map_err(|_| PageError(DomainError::invalid("form", "err-request"), ctx.clone()))?;
    let text: HashMap<String, String> = body
        .iter()
        .filter(|(_, (f, _))| f.is_empty())
        .map(|(k, (_, v))| (k.clone(), String::from_utf8_lossy(v).into_owned()))
        .collect();
    check_csrf(&ctx, &text)?;
    let posted = read_step(&view.form.def, step, body);
    let saved = state
        .services
        .save_step(p, &id, step, posted.answers, posted.uploads)
        .await
        .map_err(err(&ctx))?;
    // Adding or removing an item, or "save and come back later": saved, and no errors yet.
    if posted.action.starts_with("add:") || posted.action.starts_with("remove:") {
        let anchor = posted.action.split(':').nth(1).unwrap_or("").to_string();
        return Ok(Redirect::to(&format!("/drafts/{id}/steps/{step}#g-{anchor}")).into_response());
    }
    if posted.action == "later" {
        return Ok(Redirect::to(&back_to(&f, "notice-draft-saved")).into_response());
    }
    match saved {
        StepSaved::Next(next) => {
            let n = next.unwrap_or(view.form.def.steps.len());
            Ok(Redirect::to(&step_url(&id, n, view.form.def.steps.len())).into_response())
        }
        StepSaved::Invalid(fe) => {
            let view = state.services.my_draft(p, &id).await.map_err(err(&ctx))?;
            let errors: HashMap<String, String> =
                fe.0.iter()
                    .map(|e| (e.field.to_string(), ctx.t(e.code)))
                    .collect();
            Ok(render_step(
                &ctx,
                assisting(&ctx, &f),
                &view,
                step,
                &view.answers,
                &errors,
                true,
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "forms/check.html")]
struct CheckPage<'a> {
    ctx: &'a Ctx,
    /// A clerk fills it at the counter: for whom (no password; the counter vouches).
    assisting: Option<Assisting>,
    service: String,
    service_lang: String,
    office: String,
    draft: String,
    /// (step title, change link, rows)
    sections: Vec<Section>,
    fee: Option<String>,
    trusted: bool,
    totp: bool,
    error: Option<String>,
}

async fn check_page(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Response, PageError> {
    check_view(&state, &ctx, &id, None).await
}

async fn check_view(
    state: &State,
    ctx: &std::sync::Arc<Ctx>,
    id: &str,
    error: Option<String>,
) -> Result<Response, PageError> {
    let f = filler(state, ctx, id).await?;
    let p = &f.acting;
    let view = state
        .services
        .filled_draft(&f, id)
        .await
        .map_err(err(ctx))?;
    let def = &view.form.def;
    let (answers, errs) = def.check_all(&view.answers);
    // Something still missing: back to the first step that has it.
    if let Some(first) = errs.0.first() {
        let field = first.field.split(['[', '.']).next().unwrap_or("");
        let step = def
            .steps
            .iter()
            .position(|s| s.fields.iter().any(|f| f.id == field))
            .unwrap_or(0);
        return Ok(Redirect::to(&format!("/drafts/{id}/steps/{step}")).into_response());
    }
    let lang = ctx.lang.code();
    let mut sections = Vec::new();
    for i in def.steps_for(&answers) {
        let s = &def.steps[i];
        let one = FormDef {
            steps: vec![s.clone()],
            fee: None,
        };
        let rows = okienko_services::forms::answer_rows(&one, &answers, ctx.lang);
        sections.push((
            text_in(&s.title, lang).0.into_owned(),
            format!("/drafts/{id}/steps/{i}"),
            rows,
        ));
    }
    let fee = Some(view.form.fee(&answers))
        .filter(|g| *g > 0)
        .map(|g| money(ctx, g));
    let now = state.services.now_ms();
    let trusted = state
        .services
        .my_trusted_profile(p)
        .await
        .map_err(err(ctx))?
        .0
        .is_some_and(|t| okienko_services::trusted::in_force(&t, now));
    let name = view.form.entry.spec.local(lang).name;
    let page = CheckPage {
        ctx,
        assisting: assisting(ctx, &f),
        service: name.value,
        service_lang: name.lang.to_string(),
        office: view.form.entry.office.name.clone(),
        draft: id.to_string(),
        sections,
        fee,
        trusted,
        totp: p.user.totp_secret.is_some(),
        error: error.clone(),
    };
    Ok(render_form(&page, error.is_some()))
}

async fn submit(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let f = filler(&state, &ctx, &id).await?;
    let p = &f.acting;
    let view = state
        .services
        .filled_draft(&f, &id)
        .await
        .map_err(err(&ctx))?;
    let result = state
        .services
        .submit_form(
            p,
            SubmitForm {
                service_id: view.form.entry.id.clone(),
                version: Some(view.draft.version.clone()),
                answers: view.answers.clone(),
                uploads: Vec::new(),
                draft_id: Some(id.clone()),
                password: Some(form.get("password").cloned().unwrap_or_default()),
                code: form.get("code").cloned().filter(|c| !c.is_empty()),
                // A second click of the same button is the same submission.
                idempotency_key: Some(format!("draft-{id}")),
                assisted: f.assisted.clone(),
            },
        )
        .await;
    match result {
        Ok(s) => Ok(Redirect::to(&match &f.assisted {
            Some(a) => format!("/counter/visits/{}?submitted={}", a.visit_id, s.reference),
            None => format!("/submissions/{}?notice=notice-submitted", s.reference),
        })
        .into_response()),
        Err(
            e @ (DomainError::BadCredentials | DomainError::TotpRequired | DomainError::Throttled),
        ) => check_view(&state, &ctx, &id, Some(ctx.t(e.code()))).await,
        Err(DomainError::Invalid(_)) => {
            Ok(Redirect::to(&format!("/drafts/{id}/check")).into_response())
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

async fn discard(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let f = filler(&state, &ctx, &id).await?;
    let p = &f.acting;
    if !confirmed(&form) {
        return Ok(confirm_page(
            &ctx,
            "draft-discard",
            &format!("/drafts/{id}/discard"),
            "/submissions",
            &form,
        ));
    }
    state
        .services
        .discard_draft(p, &id)
        .await
        .map_err(err(&ctx))?;
    Ok(Redirect::to(&back_to(&f, "notice-draft-discarded")).into_response())
}

#[derive(Template)]
#[template(path = "forms/mine.html")]
struct MinePage<'a> {
    ctx: &'a Ctx,
    notice: Option<String>,
    /// (draft id, service name, its language, saved, expires)
    drafts: Vec<(String, String, String, When, When)>,
    /// (reference, service, status, submitted)
    submissions: Vec<(String, String, String, (String, String))>,
}

async fn mine(
    Cx(state, ctx): Cx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let lang = ctx.lang.code();
    let drafts = state
        .services
        .my_drafts(p)
        .await
        .map_err(err(&ctx))?
        .into_iter()
        .map(|(d, e)| {
            let n = e.spec.local(lang).name;
            (
                d.id,
                n.value,
                n.lang.to_string(),
                when(&ctx, d.updated_at),
                when(&ctx, d.expires_at),
            )
        })
        .collect();
    let mut submissions = Vec::new();
    // Each service's name read once, however many submissions name it.
    let mut names: HashMap<String, String> = HashMap::new();
    for s in state.services.my_submissions(p).await.map_err(err(&ctx))? {
        if !names.contains_key(&s.service_id) {
            let n = state
                .services
                .catalogue_entry(&s.service_id)
                .await
                .map(|e| e.spec.local(lang).name.value)
                .unwrap_or_default();
            names.insert(s.service_id.clone(), n);
        }
        let name = names.get(&s.service_id).cloned().unwrap_or_default();
        submissions.push((
            s.reference.clone(),
            name,
            ctx.t(&format!("submission-status-{}", s.status)),
            when(&ctx, s.submitted_at),
        ));
    }
    Ok(render(&MinePage {
        ctx: &ctx,
        notice: super::common::notice(&ctx, &q),
        drafts,
        submissions,
    }))
}

#[derive(Template)]
#[template(path = "forms/submission.html")]
struct SubmissionPage<'a> {
    ctx: &'a Ctx,
    notice: Option<String>,
    reference: String,
    service: String,
    service_lang: String,
    office: String,
    status: String,
    submitted: (String, String),
    upp: String,
    version: String,
    fee: Option<String>,
    message: String,
    rows: Vec<(String, String)>,
    /// For officials: (status word, its name) they may move it to.
    moves: Vec<(String, String)>,
    official: bool,
    /// The person may pay the fee online now.
    can_pay: bool,
    /// For officials: the tasks on it.
    linked: Option<super::tasks::Linked>,
}

async fn submission_page(
    Cx(state, ctx): Cx,
    Path(reference): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let (s, form) = state
        .services
        .submission_view(p, &reference)
        .await
        .map_err(err(&ctx))?;
    let answers: Answers = serde_json::from_str(&s.answers).unwrap_or_default();
    let official = s.user_id.as_deref() != Some(p.user.id.as_str());
    let status = SubmissionStatus::parse(&s.status);
    let moves = if official {
        status
            .map(|st| st.next())
            .unwrap_or(&[])
            .iter()
            .map(|n| {
                (
                    n.as_str().to_string(),
                    ctx.t(&format!("submission-move-{}", n.as_str())),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let name = form.entry.spec.local(ctx.lang.code()).name;
    Ok(render(&SubmissionPage {
        ctx: &ctx,
        notice: super::common::notice(&ctx, &q),
        reference: s.reference.clone(),
        service: name.value,
        service_lang: name.lang.to_string(),
        office: form.entry.office.name.clone(),
        status: ctx.t(&format!("submission-status-{}", s.status)),
        submitted: when(&ctx, s.submitted_at),
        upp: s.upp_id.clone(),
        version: ctx.ta("submission-version", &[("n", &form.version.n.to_string())]),
        fee: (s.fee > 0).then(|| money(&ctx, s.fee)),
        message: s.message_id.clone(),
        rows: okienko_services::forms::answer_rows(&form.def, &answers, ctx.lang),
        can_pay: !official && status == Some(SubmissionStatus::AwaitingPayment),
        moves,
        linked: if official {
            super::tasks::linked(
                &state,
                &ctx,
                okienko_domain::tasks::TaskLink::Submission,
                &s.reference,
            )
            .await
        } else {
            None
        },
        official,
    }))
}

async fn move_status(
    Cx(state, ctx): Cx,
    Path(reference): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let to = form.get("status").map(String::as_str).unwrap_or("");
    state
        .services
        .move_submission(p, &reference, to)
        .await
        .map_err(err(&ctx))?;
    Ok(Redirect::to(&format!(
        "/submissions/{reference}?notice=notice-submission-moved"
    ))
    .into_response())
}

#[derive(Template)]
#[template(path = "forms/inbox.html")]
struct InboxPage<'a> {
    ctx: &'a Ctx,
    office_id: String,
    office: String,
    /// The whole office's (not one department's): the payments are theirs to reconcile.
    whole_office: bool,
    status: String,
    statuses: Vec<(String, String)>,
    /// The office's services with a form: (id, name); the one shown, or "".
    services: Vec<(String, String)>,
    service: String,
    /// (reference, service, status, submitted, fee)
    items: Vec<(String, String, String, When, String)>,
    /// The shown service's recent exports: (id, format, status, asked).
    exports: Vec<(String, String, String, When)>,
}

async fn inbox(
    Cx(state, ctx): Cx,
    Path(office_id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let status = q.get("status").and_then(|s| SubmissionStatus::parse(s));
    let list = state
        .services
        .office_submissions(
            p,
            &office_id,
            q.get("service")
                .map(String::as_str)
                .filter(|s| !s.is_empty()),
            status,
        )
        .await
        .map_err(err(&ctx))?;
    let office = state
        .services
        .office(p, &office_id)
        .await
        .map_err(err(&ctx))?
        .0
        .name;
    let lang = ctx.lang.code();
    let mut names: HashMap<String, String> = HashMap::new();
    let mut items = Vec::new();
    for s in list {
        if !names.contains_key(&s.service_id) {
            let n = state
                .services
                .catalogue_entry(&s.service_id)
                .await
                .map(|e| e.spec.local(lang).name.value)
                .unwrap_or_default();
            names.insert(s.service_id.clone(), n);
        }
        items.push((
            s.reference.clone(),
            names.get(&s.service_id).cloned().unwrap_or_default(),
            ctx.t(&format!("submission-status-{}", s.status)),
            when(&ctx, s.submitted_at),
            if s.fee > 0 {
                money(&ctx, s.fee)
            } else {
                ctx.t("service-fee-none")
            },
        ));
    }
    // The services whose submissions the official handles (their department's, when placed
    // in one), for the filter.
    let whole_office = state
        .services
        .handled_departments(p, &office_id)
        .await
        .map_err(err(&ctx))?
        == okienko_services::forms::Handled::All;
    let services: Vec<(String, String)> = state
        .services
        .handled_form_services(p, &office_id)
        .await
        .map_err(err(&ctx))?
        .into_iter()
        .map(|e| (e.id.clone(), e.spec.local(lang).name.value))
        .collect();
    let statuses = [
        SubmissionStatus::AwaitingPayment,
        SubmissionStatus::Submitted,
        SubmissionStatus::Registered,
        SubmissionStatus::InProgress,
        SubmissionStatus::Answered,
        SubmissionStatus::Closed,
    ]
    .iter()
    .map(|s| {
        (
            s.as_str().to_string(),
            ctx.t(&format!("submission-status-{}", s.as_str())),
        )
    })
    .collect();
    let service = q.get("service").cloned().unwrap_or_default();
    let exports = if service.is_empty() {
        Vec::new()
    } else {
        state
            .services
            .service_exports(p, &service)
            .await
            .map_err(err(&ctx))?
            .into_iter()
            .map(|e| {
                (
                    e.id,
                    e.format.to_uppercase(),
                    ctx.t(&format!("export-status-{}", e.status)),
                    when(&ctx, e.created_at),
                )
            })
            .collect()
    };
    Ok(render(&InboxPage {
        ctx: &ctx,
        exports,
        office_id,
        office,
        whole_office,
        status: status.map(|s| s.as_str().to_string()).unwrap_or_default(),
        statuses,
        services,
        service,
        items,
    }))
}

#[derive(Template)]
#[template(path = "forms/edit.html")]
struct EditPage<'a> {
    ctx: &'a Ctx,
    service_id: String,
    service: String,
    service_lang: String,
    office_id: String,
    /// (number, version hash, published)
    versions: Vec<(i64, String, When)>,
    definition: String,
    problem: Option<String>,
    notice: Option<String>,
}

async fn edit_page(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    edit_view(
        &state,
        &ctx,
        &id,
        None,
        None,
        super::common::notice(&ctx, &q),
    )
    .await
}

async fn edit_view(
    state: &State,
    ctx: &std::sync::Arc<Ctx>,
    id: &str,
    typed: Option<String>,
    problem: Option<String>,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let p = require_user(ctx)?;
    let (entry, versions) = state.services.form_history(p, id).await.map_err(err(ctx))?;
    let current = versions
        .first()
        .and_then(|v| serde_json::from_str::<Value>(&v.definition).ok())
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_default();
    let name = entry.spec.local(ctx.lang.code()).name;
    let invalid = problem.is_some();
    let page = EditPage {
        ctx,
        service_id: id.to_string(),
        service: name.value,
        service_lang: name.lang.to_string(),
        office_id: entry.office.id.clone(),
        versions: versions
            .iter()
            .map(|v| (v.n, v.version.clone(), when(ctx, v.published_at)))
            .collect(),
        definition: typed.unwrap_or(current),
        problem,
        notice,
    };
    Ok(render_form(&page, invalid))
}

/// Publishes a definition typed or uploaded (a file wins over the text field); a refused
/// one is shown again with the place of the mistake.
/// Where publishing a form version leads: its editor, saying which version it became.
pub(super) fn published(service_id: &str, n: i64) -> Response {
    Redirect::to(&format!(
        "/services/{service_id}/form/edit?notice=notice-form-published&n={n}"
    ))
    .into_response()
}

async fn publish(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    // Who may publish is decided before the body is read.
    state
        .services
        .form_history(p, &id)
        .await
        .map_err(err(&ctx))?;
    let body = read_multipart_named(req)
        .await
        .map_err(|_| PageError(DomainError::invalid("form", "err-upload"), ctx.clone()))?;
    let csrf = body
        .get("csrf")
        .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
        .unwrap_or_default();
    check_csrf(&ctx, &[("csrf".to_string(), csrf)].into_iter().collect())?;
    let bytes = match body.get("file") {
        Some((name, b)) if !name.is_empty() && !b.is_empty() => b.clone(),
        _ => body
            .get("definition")
            .map(|(_, b)| b.clone())
            .unwrap_or_default(),
    };
    let typed = String::from_utf8_lossy(&bytes).into_owned();
    match state
        .services
        .publish_form(p, &id, &bytes)
        .await
        .map_err(err(&ctx))?
    {
        Ok(v) => Ok(published(&id, v.n)),
        Err(e) => {
            let problem = def_problem(&ctx, &e);
            edit_view(&state, &ctx, &id, Some(typed), Some(problem), None).await
        }
    }
}

/// A refused definition's mistake as a sentence: what, naming what, and where.
fn def_problem(ctx: &Ctx, e: &okienko_domain::forms::DefError) -> String {
    let place = if e.path.is_empty() {
        String::new()
    } else {
        format!(" ({})", e.path)
    };
    let what = if e.detail.is_empty() || e.code == "err-form-def-json" {
        String::new()
    } else {
        format!(": {}", e.detail)
    };
    format!("{}{what}{place}", ctx.t(e.code))
}
