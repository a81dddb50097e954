//! Building a form in the browser: one edit at a time on a definition (add, change, move and
//! remove steps and fields). An edit that cannot be made (no such step, a field id taken or
//! malformed) is refused with its place; the result is checked as a whole with
//! [`FormDef::check`] by whoever publishes it, so a definition may be unfinished in between.

use super::*;

/// The kinds a builder offers, in the order it lists them.
pub const KINDS: [Kind; 17] = [
    Kind::Text,
    Kind::LongText,
    Kind::Number,
    Kind::Money,
    Kind::Date,
    Kind::Choice,
    Kind::MultiChoice,
    Kind::YesNo,
    Kind::Email,
    Kind::Phone,
    Kind::Pesel,
    Kind::Nip,
    Kind::Regon,
    Kind::Iban,
    Kind::Address,
    Kind::File,
    Kind::Group,
];

impl Kind {
    /// Its name in definitions (`long_text`).
    pub fn word(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::LongText => "long_text",
            Kind::Number => "number",
            Kind::Money => "money",
            Kind::Date => "date",
            Kind::Choice => "choice",
            Kind::MultiChoice => "multi_choice",
            Kind::YesNo => "yes_no",
            Kind::Email => "email",
            Kind::Phone => "phone",
            Kind::Pesel => "pesel",
            Kind::Nip => "nip",
            Kind::Regon => "regon",
            Kind::Iban => "iban",
            Kind::Address => "address",
            Kind::File => "file",
            Kind::Group => "group",
        }
    }

    pub fn from_word(w: &str) -> Option<Kind> {
        KINDS.iter().copied().find(|k| k.word() == w)
    }
}

/// What a field says, as the builder's field form edits it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldText {
    pub label: Texts,
    pub hint: Texts,
    pub required: bool,
    /// Choices: (value, label in each language).
    pub options: Vec<Choice>,
    /// Shown only when this rule holds (JSON); empty: always.
    pub visible_if: String,
}

/// One edit. Steps and fields are counted from 0; `group` is the index of a group field in
/// the step whose fields are edited instead of the step's own.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    AddStep {
        title: Texts,
    },
    SetStep {
        step: usize,
        title: Texts,
    },
    RemoveStep {
        step: usize,
    },
    MoveStep {
        step: usize,
        up: bool,
    },
    AddField {
        at: Place,
        kind: Kind,
        id: String,
        label: Texts,
    },
    RemoveField {
        at: Place,
        field: usize,
    },
    MoveField {
        at: Place,
        field: usize,
        up: bool,
    },
    SetField {
        at: Place,
        field: usize,
        text: FieldText,
    },
}

/// Where fields are: a step, or a group field of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub step: usize,
    pub group: Option<usize>,
}

fn no(path: impl Into<String>, code: &'static str, detail: impl Into<String>) -> DefError {
    DefError::at(path, code, detail)
}

fn fields_at(def: &mut FormDef, at: Place) -> Result<&mut Vec<FieldDef>, DefError> {
    let step = def
        .steps
        .get_mut(at.step)
        .ok_or_else(|| no(format!("steps[{}]", at.step), "err-form-build-place", ""))?;
    match at.group {
        None => Ok(&mut step.fields),
        Some(g) => match step.fields.get_mut(g) {
            Some(f) if f.kind == Kind::Group => Ok(&mut f.fields),
            _ => Err(no(
                format!("steps[{}].fields[{g}]", at.step),
                "err-form-build-place",
                "",
            )),
        },
    }
}

fn path(at: Place) -> String {
    match at.group {
        None => format!("steps[{}].fields", at.step),
        Some(g) => format!("steps[{}].fields[{g}].fields", at.step),
    }
}

/// Keeps only the texts given (a blank one is dropped).
fn texts(t: &Texts) -> Texts {
    t.iter()
        .map(|(k, v)| (k.clone(), v.trim().to_string()))
        .filter(|(_, v)| !v.is_empty())
        .collect()
}

/// Makes one edit; the definition is left as it was when it is refused.
pub fn apply(def: &FormDef, edit: Edit) -> Result<FormDef, DefError> {
    let mut d = def.clone();
    match edit {
        Edit::AddStep { title } => {
            let title = texts(&title);
            if title.is_empty() {
                return Err(no("steps", "err-form-build-title", ""));
            }
            let mut n = d.steps.len() + 1;
            while d.steps.iter().any(|s| s.id == format!("step{n}")) {
                n += 1;
            }
            d.steps.push(Step {
                id: format!("step{n}"),
                title,
                skip_if: None,
                fields: Vec::new(),
            });
        }
        Edit::SetStep { step, title } => {
            let title = texts(&title);
            if title.is_empty() {
                return Err(no(
                    format!("steps[{step}].title"),
                    "err-form-build-title",
                    "",
                ));
            }
            d.steps
                .get_mut(step)
                .ok_or_else(|| no(format!("steps[{step}]"), "err-form-build-place", ""))?
                .title = title;
        }
        Edit::RemoveStep { step } => {
            if step >= d.steps.len() {
                return Err(no(format!("steps[{step}]"), "err-form-build-place", ""));
            }
            d.steps.remove(step);
        }
        Edit::MoveStep { step, up } => swap(&mut d.steps, step, up, "steps")?,
        Edit::AddField {
            at,
            kind,
            id,
            label,
        } => {
            let id = id.trim().to_string();
            if !valid_id(&id) {
                return Err(no(path(at), "err-form-def-id", id));
            }
            if d.all_fields().any(|(f, _)| f.id == id) {
                return Err(no(path(at), "err-form-def-id", id));
            }
            if at.group.is_some() && kind == Kind::Group {
                return Err(no(path(at), "err-form-def-nested-group", id));
            }
            let label = texts(&label);
            if label.is_empty() {
                return Err(no(path(at), "err-form-build-label", id));
            }
            let options = if matches!(kind, Kind::Choice | Kind::MultiChoice) {
                // A choice needs choices: two to start with, renamed in the field's form.
                (1..=2)
                    .map(|n| Choice {
                        value: format!("option{n}"),
                        label: label
                            .iter()
                            .map(|(l, t)| (l.clone(), format!("{t} {n}")))
                            .collect(),
                    })
                    .collect()
            } else {
                Vec::new()
            };
            fields_at(&mut d, at)?.push(FieldDef {
                id,
                kind,
                label,
                hint: Texts::new(),
                required: Value::Bool(false),
                visible_if: None,
                options,
                min: None,
                max: None,
                prefill: None,
                fields: Vec::new(),
            });
        }
        Edit::RemoveField { at, field } => {
            let fields = fields_at(&mut d, at)?;
            if field >= fields.len() {
                return Err(no(
                    format!("{}[{field}]", path(at)),
                    "err-form-build-place",
                    "",
                ));
            }
            fields.remove(field);
        }
        Edit::MoveField { at, field, up } => {
            let p = path(at);
            swap(fields_at(&mut d, at)?, field, up, &p)?
        }
        Edit::SetField { at, field, text } => {
            let p = format!("{}[{field}]", path(at));
            let f = fields_at(&mut d, at)?
                .get_mut(field)
                .ok_or_else(|| no(p.clone(), "err-form-build-place", ""))?;
            let label = texts(&text.label);
            if label.is_empty() {
                return Err(no(format!("{p}.label"), "err-form-build-label", &f.id));
            }
            f.label = label;
            f.hint = texts(&text.hint);
            // A rule typed by hand stays; the box sets plain yes or no.
            if !f.required.is_object() || text.required != f.required.is_object() {
                f.required = Value::Bool(text.required);
            }
            if matches!(f.kind, Kind::Choice | Kind::MultiChoice) {
                if text.options.len() < 2 {
                    return Err(no(format!("{p}.options"), "err-form-def-options", &f.id));
                }
                f.options = text.options;
            }
            let rule = text.visible_if.trim();
            f.visible_if = if rule.is_empty() {
                None
            } else {
                Some(serde_json::from_str(rule).map_err(|e| {
                    no(
                        format!("{p}.visible_if"),
                        "err-form-def-json",
                        e.to_string(),
                    )
                })?)
            };
        }
    }
    Ok(d)
}

fn swap<T>(items: &mut [T], i: usize, up: bool, path: &str) -> Result<(), DefError> {
    let j = if up { i.checked_sub(1) } else { Some(i + 1) };
    match j {
        Some(j) if i < items.len() && j < items.len() => {
            items.swap(i, j);
            Ok(())
        }
        _ => Err(no(format!("{path}[{i}]"), "err-form-build-place", "")),
    }
}

/// Reads choices typed one per line as `value = label` (or just a label, whose value is
/// made from it).
pub fn parse_options(text: &str, lang: &str) -> Vec<Choice> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(200)
        .enumerate()
        .map(|(n, l)| {
            let (value, label) = match l.split_once('=') {
                Some((v, t)) if valid_id(v.trim()) => (v.trim().to_string(), t.trim().to_string()),
                _ => (format!("option{}", n + 1), l.to_string()),
            };
            Choice {
                value,
                label: [(lang.to_string(), label)].into_iter().collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Texts {
        [("pl".to_string(), s.to_string())].into_iter().collect()
    }

    #[test]
    fn a_form_is_built_edit_by_edit_and_checks() {
        let mut d = FormDef {
            steps: vec![],
            fee: None,
        };
        d = apply(&d, Edit::AddStep { title: t("Dane") }).expect("step");
        let at = Place {
            step: 0,
            group: None,
        };
        for (id, kind) in [
            ("name", Kind::Text),
            ("kind", Kind::Choice),
            ("pets", Kind::Group),
        ] {
            d = apply(
                &d,
                Edit::AddField {
                    at,
                    kind,
                    id: id.into(),
                    label: t(id),
                },
            )
            .expect("field");
        }
        // A field inside the group, then the name made required and moved last.
        let group = Place {
            step: 0,
            group: Some(2),
        };
        d = apply(
            &d,
            Edit::AddField {
                at: group,
                kind: Kind::Text,
                id: "pet_name".into(),
                label: t("Imię psa"),
            },
        )
        .expect("in the group");
        d = apply(
            &d,
            Edit::SetField {
                at,
                field: 0,
                text: FieldText {
                    label: t("Imię i nazwisko"),
                    required: true,
                    visible_if: r#"{"==": [{"var": "kind"}, "option1"]}"#.into(),
                    ..Default::default()
                },
            },
        )
        .expect("set");
        d = apply(
            &d,
            Edit::MoveField {
                at,
                field: 0,
                up: false,
            },
        )
        .expect("down");
        assert_eq!(d.steps[0].fields[1].id, "name");
        assert_eq!(d.steps[0].fields[1].required, Value::Bool(true));
        assert_eq!(d.steps[0].fields[2].fields[0].id, "pet_name");
        assert!(d.check().is_ok(), "{:?}", d.check());
        // Refused, and nothing changed: a taken id, a nested group, a move off the end.
        let same = d.clone();
        let taken = apply(
            &d,
            Edit::AddField {
                at,
                kind: Kind::Text,
                id: "name".into(),
                label: t("x"),
            },
        );
        assert_eq!(taken.expect_err("taken").code, "err-form-def-id");
        let nested = apply(
            &d,
            Edit::AddField {
                at: group,
                kind: Kind::Group,
                id: "inner".into(),
                label: t("x"),
            },
        );
        assert_eq!(
            nested.expect_err("nested").code,
            "err-form-def-nested-group"
        );
        assert!(apply(
            &d,
            Edit::MoveField {
                at,
                field: 2,
                up: false
            }
        )
        .is_err());
        assert_eq!(d, same);
        // Removing the field a rule reads leaves a definition that the check refuses.
        d = apply(&d, Edit::RemoveField { at, field: 0 }).expect("removed");
        assert_eq!(
            d.check().expect_err("dangling").code,
            "err-form-def-unknown-field"
        );
    }

    #[test]
    fn choices_are_read_one_per_line() {
        let o = parse_options("yes = Tak\n\n Nie \nBad Value = x", "pl");
        assert_eq!(o.len(), 3);
        assert_eq!(
            (o[0].value.as_str(), o[0].label["pl"].as_str()),
            ("yes", "Tak")
        );
        assert_eq!(o[1].value, "option2");
        assert_eq!(o[2].label["pl"], "Bad Value = x");
    }
}
