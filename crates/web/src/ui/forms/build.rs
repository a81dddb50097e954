//! The form builder: an office admin adds, changes, moves and removes steps and fields of a
//! service's form in the browser, previews the steps as applicants will see them, and
//! publishes. It works without JavaScript: the definition being built travels in the page,
//! every button makes one edit (`domain::forms::build`) and shows the result; nothing is
//! stored until it is published (then checked as a whole, a mistake named with its place).

use super::super::common::{err, render_form, require_user, CsrfForm};
use super::{def_problem, step_inputs, Input};
use crate::ctx::{Ctx, Cx};
use crate::error::PageError;
use crate::State;
use askama::Template;
use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use okienko_domain::forms::build::{apply, parse_options, Edit, FieldText, Place, KINDS};
use okienko_domain::forms::{text_in, Answers, FieldDef, FormDef, Kind, Texts};
use okienko_domain::DomainError;
use std::collections::HashMap;

/// The languages texts are typed in (Serbian Cyrillic is made from the Latin).
const LANGS: [&str; 3] = ["pl", "en", "sr-Latn"];

pub fn routes() -> Router<State> {
    // A definition is at most MAX_DEFINITION; URL-encoded JSON takes up to three times that.
    Router::new().route(
        "/services/{id}/form/build",
        get(page)
            .post(edit)
            .layer(axum::extract::DefaultBodyLimit::max(
                okienko_domain::forms::MAX_DEFINITION * 3 + 64 * 1024,
            )),
    )
}

/// A field as the builder lists it.
struct Row {
    /// Where it is (`2:0`, or `2.1:0` inside a group), as the edit buttons name it.
    key: String,
    id: String,
    label: String,
    kind: String,
    required: bool,
    conditional: bool,
    /// A group's own fields, and where they are.
    group: Option<(String, Vec<Row>)>,
    first: bool,
    last: bool,
}

struct StepView {
    n: usize,
    /// (lang, its name, title)
    titles: Vec<(&'static str, &'static str, String)>,
    title: String,
    rows: Vec<Row>,
    first: bool,
    last: bool,
}

/// The field being changed: where it is, and its texts by language.
struct Editing {
    op: String,
    id: String,
    kind: Kind,
    /// (lang, its name, label, hint, choices one per line)
    texts: Vec<(&'static str, &'static str, String, String, String)>,
    required: bool,
    visible_if: String,
}

#[derive(Template)]
#[template(path = "forms/build.html")]
struct BuildPage<'a> {
    ctx: &'a Ctx,
    service_id: String,
    service: String,
    service_lang: String,
    definition: String,
    steps: Vec<StepView>,
    /// (word, name) of every kind.
    kinds: Vec<(&'static str, String)>,
    /// The languages texts are typed in: (code, its own name).
    langs: Vec<(&'static str, &'static str)>,
    editing: Option<Editing>,
    problem: Option<String>,
    /// Each step as applicants see it: (title, inputs).
    preview: Vec<(String, Vec<Input>)>,
}

async fn page(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let (_, versions) = state
        .services
        .form_history(p, &id)
        .await
        .map_err(err(&ctx))?;
    let def = versions
        .first()
        .and_then(|v| FormDef::parse(v.definition.as_bytes()).ok())
        .unwrap_or(FormDef {
            steps: Vec::new(),
            fee: None,
        });
    show(&state, &ctx, &id, &def, None, None, false).await
}

/// One edit (the button pressed names it), then the builder again; or publishing.
async fn edit(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    // Who may build is decided before anything typed is read.
    state
        .services
        .form_history(p, &id)
        .await
        .map_err(err(&ctx))?;
    let text = |k: &str| form.get(k).cloned().unwrap_or_default();
    let carried = text("definition");
    if carried.len() > okienko_domain::forms::MAX_DEFINITION {
        return Err(PageError(
            DomainError::invalid("definition", "err-form-def-too-large"),
            ctx.clone(),
        ));
    }
    let def: FormDef = serde_json::from_str(&carried).map_err(|_| {
        PageError(
            DomainError::invalid("definition", "err-form-def-json"),
            ctx.clone(),
        )
    })?;
    let op = text("op");
    let mut parts = op.split(':');
    let verb = parts.next().unwrap_or("");
    let place = parts.next().and_then(parse_place);
    let n: Option<usize> = parts.next().and_then(|x| x.parse().ok());
    let texts = |prefix: &str| -> Texts {
        LANGS
            .iter()
            .map(|l| (l.to_string(), text(&format!("{prefix}-{l}"))))
            .collect()
    };
    let edit = match (verb, place, n) {
        ("add-step", _, _) => Some(Edit::AddStep {
            title: texts("new-step"),
        }),
        ("save-step", Some(at), _) => Some(Edit::SetStep {
            step: at.step,
            title: texts(&format!("title-{}", at.step)),
        }),
        ("remove-step", Some(at), _) => Some(Edit::RemoveStep { step: at.step }),
        ("up-step" | "down-step", Some(at), _) => Some(Edit::MoveStep {
            step: at.step,
            up: verb == "up-step",
        }),
        ("add-field", Some(at), _) => {
            let key = place_key(at);
            let kind = Kind::from_word(&text(&format!("new-kind-{key}"))).unwrap_or(Kind::Text);
            let label = text(&format!("new-label-{key}"));
            Some(Edit::AddField {
                at,
                kind,
                id: text(&format!("new-id-{key}")),
                label: [(ctx.lang.code().replace("sr-Cyrl", "sr-Latn"), label)]
                    .into_iter()
                    .collect(),
            })
        }
        ("remove-field", Some(at), Some(field)) => Some(Edit::RemoveField { at, field }),
        ("up-field" | "down-field", Some(at), Some(field)) => Some(Edit::MoveField {
            at,
            field,
            up: verb == "up-field",
        }),
        ("save-field", Some(at), Some(field)) => {
            let pl = parse_options(&text("options-pl"), "pl");
            let mut options = pl;
            for l in ["en", "sr-Latn"] {
                for (o, other) in options
                    .iter_mut()
                    .zip(parse_options(&text(&format!("options-{l}")), l))
                {
                    if let Some(t) = other.label.get(l) {
                        o.label.insert(l.to_string(), t.clone());
                    }
                }
            }
            Some(Edit::SetField {
                at,
                field,
                text: FieldText {
                    label: texts("label"),
                    hint: texts("hint"),
                    required: form.contains_key("required"),
                    options,
                    visible_if: text("visible_if"),
                },
            })
        }
        _ => None,
    };
    if let Some(e) = edit {
        return match apply(&def, e) {
            Ok(d) => show(&state, &ctx, &id, &d, None, None, false).await,
            Err(e) => {
                let problem = def_problem(&ctx, &e);
                // A field's form stays open with what was typed refused.
                let editing =
                    (verb == "save-field").then(|| op.replacen("save-field", "edit-field", 1));
                show(&state, &ctx, &id, &def, editing, Some(problem), false).await
            }
        };
    }
    match verb {
        "edit-field" => show(&state, &ctx, &id, &def, Some(op.clone()), None, false).await,
        // Shown as applicants will see it only when it holds together.
        "preview" => match def.check() {
            Ok(()) => show(&state, &ctx, &id, &def, None, None, true).await,
            Err(e) => {
                let problem = def_problem(&ctx, &e);
                show(&state, &ctx, &id, &def, None, Some(problem), false).await
            }
        },
        "publish" => match state
            .services
            .publish_form(p, &id, &def.canonical())
            .await
            .map_err(err(&ctx))?
        {
            Ok(v) => Ok(super::published(&id, v.n)),
            Err(e) => {
                let problem = def_problem(&ctx, &e);
                show(&state, &ctx, &id, &def, None, Some(problem), false).await
            }
        },
        _ => show(&state, &ctx, &id, &def, None, None, false).await,
    }
}

/// A language's own name (`Polski`), to mark which text is which.
fn native(code: &str) -> &'static str {
    okienko_i18n::Lang::parse(code).map_or("", |l| l.native_name())
}

/// `2` or `2.1` (a group field of step 2).
fn parse_place(s: &str) -> Option<Place> {
    let mut it = s.split('.');
    let step = it.next()?.parse().ok()?;
    let group = match it.next() {
        Some(g) => Some(g.parse().ok()?),
        None => None,
    };
    Some(Place { step, group })
}

fn place_key(at: Place) -> String {
    match at.group {
        Some(g) => format!("{}.{g}", at.step),
        None => at.step.to_string(),
    }
}

fn rows(ctx: &Ctx, fields: &[FieldDef], at: Place) -> Vec<Row> {
    let lang = ctx.lang.code();
    let key = place_key(at);
    fields
        .iter()
        .enumerate()
        .map(|(n, f)| Row {
            key: format!("{key}:{n}"),
            id: f.id.clone(),
            label: text_in(&f.label, lang).0.into_owned(),
            kind: ctx.t(&format!("form-kind-{}", f.kind.word())),
            required: !matches!(
                f.required,
                serde_json::Value::Bool(false) | serde_json::Value::Null
            ),
            conditional: f.visible_if.is_some(),
            group: (f.kind == Kind::Group).then(|| {
                let inner = Place {
                    step: at.step,
                    group: Some(n),
                };
                (place_key(inner), rows(ctx, &f.fields, inner))
            }),
            first: n == 0,
            last: n + 1 == fields.len(),
        })
        .collect()
}

async fn show(
    state: &State,
    ctx: &std::sync::Arc<Ctx>,
    id: &str,
    def: &FormDef,
    editing: Option<String>,
    problem: Option<String>,
    preview: bool,
) -> Result<Response, PageError> {
    let entry = state.services.catalogue_entry(id).await.map_err(err(ctx))?;
    let lang = ctx.lang.code();
    let name = entry.spec.local(lang).name;
    let steps = def
        .steps
        .iter()
        .enumerate()
        .map(|(n, s)| StepView {
            n,
            titles: LANGS
                .iter()
                .map(|l| (*l, native(l), s.title.get(*l).cloned().unwrap_or_default()))
                .collect(),
            title: text_in(&s.title, lang).0.into_owned(),
            rows: rows(
                ctx,
                &s.fields,
                Place {
                    step: n,
                    group: None,
                },
            ),
            first: n == 0,
            last: n + 1 == def.steps.len(),
        })
        .collect();
    let editing = editing.and_then(|op| {
        let mut parts = op.split(':').skip(1);
        let at = parse_place(parts.next()?)?;
        let n: usize = parts.next()?.parse().ok()?;
        let step = def.steps.get(at.step)?;
        let f = match at.group {
            None => step.fields.get(n)?,
            Some(g) => step.fields.get(g)?.fields.get(n)?,
        };
        Some(Editing {
            op: format!("{}:{n}", place_key(at)),
            id: f.id.clone(),
            kind: f.kind,
            texts: LANGS
                .iter()
                .map(|l| {
                    let choices = f
                        .options
                        .iter()
                        .map(|o| {
                            format!(
                                "{} = {}",
                                o.value,
                                o.label.get(*l).cloned().unwrap_or_default()
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("\n");
                    (
                        *l,
                        native(l),
                        f.label.get(*l).cloned().unwrap_or_default(),
                        f.hint.get(*l).cloned().unwrap_or_default(),
                        choices,
                    )
                })
                .collect(),
            required: f.required == serde_json::Value::Bool(true),
            visible_if: f
                .visible_if
                .as_ref()
                .map(|v| v.to_string())
                .unwrap_or_default(),
        })
    });
    let preview = if preview {
        (0..def.steps.len())
            .map(|n| {
                (
                    text_in(&def.steps[n].title, lang).0.into_owned(),
                    step_inputs(ctx, def, n, &Answers::new(), &HashMap::new()),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let invalid = problem.is_some();
    let page = BuildPage {
        ctx,
        service_id: id.to_string(),
        service: name.value,
        service_lang: name.lang.to_string(),
        definition: String::from_utf8(def.canonical()).unwrap_or_default(),
        steps,
        kinds: KINDS
            .iter()
            .map(|k| (k.word(), ctx.t(&format!("form-kind-{}", k.word()))))
            .collect(),
        langs: LANGS.iter().map(|l| (*l, native(l))).collect(),
        editing,
        problem,
        preview,
    };
    Ok(render_form(&page, invalid).into_response())
}
