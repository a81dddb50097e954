//! The form language of e-services: one declarative definition (JSON) of steps, fields,
//! repeatable groups, rules that show, hide, require and skip, and a computed fee. Answers
//! are validated here against one version of a definition; the rules are evaluated here, on
//! the server, so nothing needs JavaScript. `docs/FORMS.md` describes the language and its
//! worked examples are tests of this module.
//!
//! The rule language is JsonLogic-like (a small, closed subset written here: the JsonLogic
//! crates on crates.io evaluate without depth or size limits and allow operators this
//! language does not want, such as string concatenation into field names).

use crate::FieldErrors;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Texts by language (`pl`, `en`, `sr-Latn`, `sr-Cyrl`).
pub type Texts = BTreeMap<String, String>;

/// The largest definition accepted, in bytes.
pub const MAX_DEFINITION: usize = 256 * 1024;
const MAX_STEPS: usize = 30;
const MAX_FIELDS: usize = 300;
const MAX_OPTIONS: usize = 200;
const MAX_GROUP_ITEMS: i64 = 50;
const MAX_RULE_DEPTH: usize = 24;
const MAX_RULE_NODES: usize = 400;
const TEXT_MAX: usize = 200;
const LONG_TEXT_MAX: usize = 10_000;

/// What a field asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Text,
    LongText,
    Number,
    Money,
    Date,
    Choice,
    MultiChoice,
    YesNo,
    Email,
    Phone,
    Pesel,
    Nip,
    Regon,
    Iban,
    Address,
    File,
    Group,
}

/// What the trusted profile can fill in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Prefill {
    FirstName,
    LastName,
    Name,
    Pesel,
    Email,
    Address,
}

/// One option of a choice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub value: String,
    pub label: Texts,
}

/// One field (or a repeatable group of fields).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldDef {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: Kind,
    pub label: Texts,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub hint: Texts,
    /// `true`, `false` or a rule.
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: Value,
    /// Shown only when this rule holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible_if: Option<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<Choice>,
    /// Numbers and money: the least value; groups: the fewest items; text: the fewest
    /// characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefill: Option<Prefill>,
    /// A group's fields (one level: no group in a group).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldDef>,
}

fn is_false(v: &Value) -> bool {
    matches!(v, Value::Null | Value::Bool(false))
}

/// One page of the form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub id: String,
    pub title: Texts,
    /// The step is left out when this rule holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_if: Option<Value>,
    pub fields: Vec<FieldDef>,
}

/// A form definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormDef {
    pub steps: Vec<Step>,
    /// The fee in the currency's smallest unit, computed from the answers (a rule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee: Option<Value>,
}

/// Where a definition is wrong: a path like `steps[1].fields[2].visible_if`, a stable code
/// (a Fluent id) and what it names (a field id, an operator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefError {
    pub path: String,
    pub code: &'static str,
    pub detail: String,
}

impl DefError {
    fn at(path: impl Into<String>, code: &'static str, detail: impl Into<String>) -> DefError {
        DefError {
            path: path.into(),
            code,
            detail: detail.into(),
        }
    }
}

/// The text in `lang`; for Serbian Cyrillic without its own, the Serbian Latin text
/// transliterated; else English, else Polish, else any.
pub fn text<'a>(t: &'a Texts, lang: &str) -> std::borrow::Cow<'a, str> {
    text_in(t, lang).0
}

/// [`text`] and the language it is in (for `lang` attributes).
pub fn text_in<'a>(t: &'a Texts, lang: &str) -> (std::borrow::Cow<'a, str>, String) {
    use std::borrow::Cow;
    if let Some(v) = t.get(lang) {
        return (Cow::Borrowed(v), lang.to_string());
    }
    if lang == "sr-Cyrl" {
        if let Some(l) = t.get("sr-Latn") {
            return (
                Cow::Owned(crate::catalogue::to_cyrillic(l)),
                lang.to_string(),
            );
        }
    }
    ["en", "pl"]
        .iter()
        .find_map(|l| {
            t.get(*l)
                .map(|v| (Cow::Borrowed(v.as_str()), l.to_string()))
        })
        .or_else(|| {
            t.iter()
                .next()
                .map(|(l, v)| (Cow::Borrowed(v.as_str()), l.clone()))
        })
        .unwrap_or((Cow::Borrowed(""), lang.to_string()))
}

/// The fields a rule reads (`var` and `count`).
pub fn rule_vars(rule: &Value) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(r: &Value, out: &mut Vec<String>) {
        match r {
            Value::Object(o) => {
                for (op, args) in o {
                    if op == "var" || op == "count" {
                        if let Some(s) = args
                            .as_str()
                            .or_else(|| args.get(0).and_then(Value::as_str))
                        {
                            out.push(s.to_string());
                        }
                    } else {
                        walk(args, out);
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    walk(rule, &mut out);
    out
}

fn valid_id(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 40
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_')
}

impl FormDef {
    /// Parses and checks a definition; the error names the exact place.
    pub fn parse(bytes: &[u8]) -> Result<FormDef, DefError> {
        if bytes.len() > MAX_DEFINITION {
            return Err(DefError::at("", "err-form-def-too-large", ""));
        }
        let def: FormDef = serde_json::from_slice(bytes).map_err(|e| {
            DefError::at(
                format!("line {}, column {}", e.line(), e.column()),
                "err-form-def-json",
                e.to_string(),
            )
        })?;
        def.check()?;
        Ok(def)
    }

    /// The version: SHA-256 (hex) of the definition as stored (canonical JSON: fields in
    /// declaration order, texts sorted by language).
    pub fn version(&self) -> String {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(self.canonical()))
    }

    /// The definition as stored and hashed.
    pub fn canonical(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Every field, with the group it belongs to.
    pub fn all_fields(&self) -> impl Iterator<Item = (&FieldDef, Option<&FieldDef>)> {
        self.steps.iter().flat_map(|s| {
            s.fields.iter().flat_map(|f| {
                std::iter::once((f, None)).chain(f.fields.iter().map(move |g| (g, Some(f))))
            })
        })
    }

    pub fn field(&self, id: &str) -> Option<&FieldDef> {
        self.steps
            .iter()
            .flat_map(|s| s.fields.iter())
            .find(|f| f.id == id)
    }

    pub fn check(&self) -> Result<(), DefError> {
        if self.steps.is_empty() {
            return Err(DefError::at("steps", "err-form-def-no-steps", ""));
        }
        if self.steps.len() > MAX_STEPS {
            return Err(DefError::at("steps", "err-form-def-too-many", ""));
        }
        if self.all_fields().count() > MAX_FIELDS {
            return Err(DefError::at("steps", "err-form-def-too-many", ""));
        }
        // Names first, so that rules may refer to fields of later steps.
        let mut top: HashMap<&str, Kind> = HashMap::new();
        let mut steps = HashSet::new();
        for (si, s) in self.steps.iter().enumerate() {
            let at = format!("steps[{si}]");
            if !valid_id(&s.id) || !steps.insert(s.id.as_str()) {
                return Err(DefError::at(format!("{at}.id"), "err-form-def-id", &s.id));
            }
            check_texts(&s.title, &format!("{at}.title"))?;
            if s.fields.is_empty() {
                return Err(DefError::at(
                    format!("{at}.fields"),
                    "err-form-def-no-fields",
                    "",
                ));
            }
            for (fi, f) in s.fields.iter().enumerate() {
                if !valid_id(&f.id) || top.insert(&f.id, f.kind).is_some() {
                    return Err(DefError::at(
                        format!("{at}.fields[{fi}].id"),
                        "err-form-def-id",
                        &f.id,
                    ));
                }
            }
        }
        for (si, s) in self.steps.iter().enumerate() {
            let at = format!("steps[{si}]");
            if let Some(r) = &s.skip_if {
                check_rule(r, &format!("{at}.skip_if"), &top, None)?;
            }
            for (fi, f) in s.fields.iter().enumerate() {
                check_field(f, &format!("{at}.fields[{fi}]"), &top, None)?;
                if f.kind == Kind::Group {
                    let mut inner: HashMap<&str, Kind> = HashMap::new();
                    for (gi, g) in f.fields.iter().enumerate() {
                        if !valid_id(&g.id) || inner.insert(&g.id, g.kind).is_some() {
                            return Err(DefError::at(
                                format!("{at}.fields[{fi}].fields[{gi}].id"),
                                "err-form-def-id",
                                &g.id,
                            ));
                        }
                    }
                    for (gi, g) in f.fields.iter().enumerate() {
                        let gat = format!("{at}.fields[{fi}].fields[{gi}]");
                        if g.kind == Kind::Group {
                            return Err(DefError::at(gat, "err-form-def-nested-group", &g.id));
                        }
                        check_field(g, &gat, &top, Some(&inner))?;
                    }
                }
            }
        }
        if let Some(fee) = &self.fee {
            check_rule(fee, "fee", &top, None)?;
        }
        Ok(())
    }
}

fn check_texts(t: &Texts, at: &str) -> Result<(), DefError> {
    if !t.values().any(|v| !v.trim().is_empty()) {
        return Err(DefError::at(at, "err-form-def-text-missing", ""));
    }
    for (lang, v) in t {
        if !matches!(lang.as_str(), "pl" | "en" | "sr-Latn" | "sr-Cyrl") {
            return Err(DefError::at(
                format!("{at}.{lang}"),
                "err-form-def-language",
                lang,
            ));
        }
        if v.chars().count() > 2000 || !crate::text::clean_text(v) {
            return Err(DefError::at(
                format!("{at}.{lang}"),
                "err-form-def-text",
                "",
            ));
        }
    }
    Ok(())
}

fn check_field(
    f: &FieldDef,
    at: &str,
    top: &HashMap<&str, Kind>,
    inner: Option<&HashMap<&str, Kind>>,
) -> Result<(), DefError> {
    check_texts(&f.label, &format!("{at}.label"))?;
    if !f.hint.is_empty() {
        check_texts(&f.hint, &format!("{at}.hint"))?;
    }
    match &f.required {
        Value::Null | Value::Bool(_) => {}
        r => check_rule(r, &format!("{at}.required"), top, inner)?,
    }
    if let Some(r) = &f.visible_if {
        check_rule(r, &format!("{at}.visible_if"), top, inner)?;
    }
    let choice = matches!(f.kind, Kind::Choice | Kind::MultiChoice);
    if choice {
        if f.options.is_empty() || f.options.len() > MAX_OPTIONS {
            return Err(DefError::at(
                format!("{at}.options"),
                "err-form-def-options",
                &f.id,
            ));
        }
        let mut seen = HashSet::new();
        for (oi, o) in f.options.iter().enumerate() {
            if o.value.is_empty()
                || o.value.len() > 100
                || !crate::text::clean_line(&o.value)
                || !seen.insert(o.value.as_str())
            {
                return Err(DefError::at(
                    format!("{at}.options[{oi}].value"),
                    "err-form-def-options",
                    &o.value,
                ));
            }
            check_texts(&o.label, &format!("{at}.options[{oi}].label"))?;
        }
    } else if !f.options.is_empty() {
        return Err(DefError::at(
            format!("{at}.options"),
            "err-form-def-options",
            &f.id,
        ));
    }
    if f.kind == Kind::Group {
        if f.fields.is_empty() {
            return Err(DefError::at(
                format!("{at}.fields"),
                "err-form-def-no-fields",
                &f.id,
            ));
        }
        if f.max.is_some_and(|m| m < 1.0 || m > MAX_GROUP_ITEMS as f64) {
            return Err(DefError::at(
                format!("{at}.max"),
                "err-form-def-bounds",
                &f.id,
            ));
        }
    } else if !f.fields.is_empty() {
        return Err(DefError::at(
            format!("{at}.fields"),
            "err-form-def-fields-not-group",
            &f.id,
        ));
    }
    if let (Some(a), Some(b)) = (f.min, f.max) {
        if a > b {
            return Err(DefError::at(
                format!("{at}.min"),
                "err-form-def-bounds",
                &f.id,
            ));
        }
    }
    if f.min.is_some_and(|m| !m.is_finite()) || f.max.is_some_and(|m| !m.is_finite()) {
        return Err(DefError::at(
            format!("{at}.min"),
            "err-form-def-bounds",
            &f.id,
        ));
    }
    if let Some(p) = f.prefill {
        let fits = match p {
            Prefill::FirstName | Prefill::LastName | Prefill::Name => f.kind == Kind::Text,
            Prefill::Pesel => f.kind == Kind::Pesel,
            Prefill::Email => f.kind == Kind::Email,
            Prefill::Address => f.kind == Kind::Address,
        };
        if !fits {
            return Err(DefError::at(
                format!("{at}.prefill"),
                "err-form-def-prefill",
                &f.id,
            ));
        }
    }
    Ok(())
}

/// The operators of the rule language and how many arguments each takes (min, max).
fn arity(op: &str) -> Option<(usize, usize)> {
    Some(match op {
        "var" | "count" => (1, 1),
        "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" => (2, 2),
        "and" | "or" => (1, 20),
        "!" => (1, 1),
        "if" => (3, 3),
        "+" | "*" => (1, 20),
        "-" => (1, 2),
        "min" | "max" => (1, 20),
        _ => return None,
    })
}

fn check_rule(
    r: &Value,
    at: &str,
    top: &HashMap<&str, Kind>,
    inner: Option<&HashMap<&str, Kind>>,
) -> Result<(), DefError> {
    let mut nodes = 0;
    walk_rule(r, at, top, inner, 0, &mut nodes)
}

fn walk_rule(
    r: &Value,
    at: &str,
    top: &HashMap<&str, Kind>,
    inner: Option<&HashMap<&str, Kind>>,
    depth: usize,
    nodes: &mut usize,
) -> Result<(), DefError> {
    *nodes += 1;
    if depth > MAX_RULE_DEPTH || *nodes > MAX_RULE_NODES {
        return Err(DefError::at(at, "err-form-def-rule-too-deep", ""));
    }
    match r {
        Value::Object(o) => {
            let (op, args) = match o.iter().next() {
                Some(x) if o.len() == 1 => x,
                _ => return Err(DefError::at(at, "err-form-def-rule", "")),
            };
            let (lo, hi) =
                arity(op).ok_or_else(|| DefError::at(at, "err-form-def-operator", op.as_str()))?;
            let list: Vec<&Value> = match args {
                Value::Array(a) => a.iter().collect(),
                v => vec![v],
            };
            if list.len() < lo || list.len() > hi {
                return Err(DefError::at(at, "err-form-def-arguments", op.as_str()));
            }
            let at = format!("{at}.{op}");
            match op.as_str() {
                "var" | "count" => {
                    let name = list[0]
                        .as_str()
                        .ok_or_else(|| DefError::at(&at, "err-form-def-rule", ""))?;
                    let kind = inner
                        .and_then(|i| i.get(name))
                        .or_else(|| top.get(name))
                        .ok_or_else(|| DefError::at(&at, "err-form-def-unknown-field", name))?;
                    let group = *kind == Kind::Group;
                    if group != (op == "count") {
                        return Err(DefError::at(&at, "err-form-def-group-var", name));
                    }
                    Ok(())
                }
                _ => {
                    for (i, a) in list.iter().enumerate() {
                        walk_rule(a, &format!("{at}[{i}]"), top, inner, depth + 1, nodes)?;
                    }
                    Ok(())
                }
            }
        }
        Value::Array(a) => {
            // A literal list (the right side of `in`).
            for (i, v) in a.iter().enumerate() {
                if v.is_object() || v.is_array() {
                    return Err(DefError::at(format!("{at}[{i}]"), "err-form-def-rule", ""));
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Whether a value counts as true (JsonLogic's truthiness).
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(_) => true,
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::Null => Some(0.0),
        _ => None,
    }
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(_), _) | (_, Value::Number(_)) => {
            matches!((number(a), number(b)), (Some(x), Some(y)) if x == y)
        }
        _ => a == b,
    }
}

fn num_value(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        json!(f as i64)
    } else {
        json!(f)
    }
}

/// Evaluates a rule. `var` looks a field up in `data` (a group item's own fields first, then
/// the form's), `count` gives the number of a group's items. A checked rule cannot recurse
/// deeper than its definition allowed, so evaluation is bounded by the definition's size.
pub fn eval(rule: &Value, data: &dyn Fn(&str) -> Value) -> Value {
    match rule {
        Value::Object(o) if o.len() == 1 => {
            let Some((op, args)) = o.iter().next() else {
                return Value::Null;
            };
            let list: Vec<&Value> = match args {
                Value::Array(a) => a.iter().collect(),
                v => vec![v],
            };
            let arg = |i: usize| list.get(i).map(|a| eval(a, data)).unwrap_or(Value::Null);
            match op.as_str() {
                "var" => list
                    .first()
                    .and_then(|v| v.as_str())
                    .map(data)
                    .unwrap_or(Value::Null),
                "count" => {
                    let v = list
                        .first()
                        .and_then(|v| v.as_str())
                        .map(data)
                        .unwrap_or(Value::Null);
                    json!(v.as_array().map(Vec::len).unwrap_or(0))
                }
                "==" => json!(same(&arg(0), &arg(1))),
                "!=" => json!(!same(&arg(0), &arg(1))),
                "<" | "<=" | ">" | ">=" => {
                    let (a, b) = (arg(0), arg(1));
                    let ord = match (&a, &b) {
                        (Value::String(x), Value::String(y))
                            if x.parse::<f64>().is_err() || y.parse::<f64>().is_err() =>
                        {
                            Some(x.cmp(y))
                        }
                        _ => match (number(&a), number(&b)) {
                            (Some(x), Some(y)) => x.partial_cmp(&y),
                            _ => None,
                        },
                    };
                    json!(ord.is_some_and(|o| match op.as_str() {
                        "<" => o.is_lt(),
                        "<=" => o.is_le(),
                        ">" => o.is_gt(),
                        _ => o.is_ge(),
                    }))
                }
                "and" => {
                    let mut last = Value::Bool(true);
                    for a in &list {
                        last = eval(a, data);
                        if !truthy(&last) {
                            return last;
                        }
                    }
                    last
                }
                "or" => {
                    let mut last = Value::Bool(false);
                    for a in &list {
                        last = eval(a, data);
                        if truthy(&last) {
                            return last;
                        }
                    }
                    last
                }
                "!" => json!(!truthy(&arg(0))),
                "if" => {
                    if truthy(&arg(0)) {
                        arg(1)
                    } else {
                        arg(2)
                    }
                }
                "in" => {
                    let (x, within) = (arg(0), arg(1));
                    json!(match &within {
                        Value::Array(a) => a.iter().any(|v| same(v, &x)),
                        Value::String(s) => x.as_str().is_some_and(|x| s.contains(x)),
                        _ => false,
                    })
                }
                "+" | "*" | "min" | "max" => {
                    let nums: Option<Vec<f64>> = (0..list.len()).map(|i| number(&arg(i))).collect();
                    match nums {
                        None => Value::Null,
                        Some(n) => num_value(match op.as_str() {
                            "+" => n.iter().sum(),
                            "*" => n.iter().product(),
                            "min" => n.iter().copied().fold(f64::INFINITY, f64::min),
                            _ => n.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                        }),
                    }
                }
                "-" => match (number(&arg(0)), list.len()) {
                    (Some(a), 1) => num_value(-a),
                    (Some(a), _) => number(&arg(1))
                        .map(|b| num_value(a - b))
                        .unwrap_or(Value::Null),
                    _ => Value::Null,
                },
                _ => Value::Null,
            }
        }
        Value::Object(_) => Value::Null,
        v => v.clone(),
    }
}

/// Answers: field id to value (a group's value is a list of objects).
pub type Answers = Map<String, Value>;

fn lookup<'a>(answers: &'a Answers, item: Option<&'a Answers>) -> impl Fn(&str) -> Value + 'a {
    move |name: &str| {
        item.and_then(|i| i.get(name))
            .or_else(|| answers.get(name))
            .cloned()
            .unwrap_or(Value::Null)
    }
}

/// Whether a value is an answer at all.
fn present(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => o
            .values()
            .any(|v| v.as_str().is_some_and(|s| !s.trim().is_empty()) || v.is_number()),
        _ => true,
    }
}

impl FormDef {
    /// Whether step `i` is part of the form for these answers.
    pub fn step_applies(&self, i: usize, answers: &Answers) -> bool {
        match self.steps.get(i).and_then(|s| s.skip_if.as_ref()) {
            Some(r) => !truthy(&eval(r, &lookup(answers, None))),
            None => self.steps.get(i).is_some(),
        }
    }

    /// The steps that apply, in order.
    pub fn steps_for(&self, answers: &Answers) -> Vec<usize> {
        (0..self.steps.len())
            .filter(|i| self.step_applies(*i, answers))
            .collect()
    }

    /// Whether a field is shown (for a group's field: within `item`).
    pub fn visible(f: &FieldDef, answers: &Answers, item: Option<&Answers>) -> bool {
        f.visible_if
            .as_ref()
            .is_none_or(|r| truthy(&eval(r, &lookup(answers, item))))
    }

    fn required(f: &FieldDef, answers: &Answers, item: Option<&Answers>) -> bool {
        match &f.required {
            Value::Bool(b) => *b,
            Value::Null => false,
            r => truthy(&eval(r, &lookup(answers, item))),
        }
    }

    /// Checks and normalises the answers of step `i` (taken from `answers`), writing the
    /// normalised values back and dropping those of fields that are hidden. The errors name
    /// fields as `id`, or `group[n].id` within a group's item `n` (from 0).
    pub fn check_step(&self, i: usize, answers: &mut Answers) -> FieldErrors {
        let mut errs = FieldErrors::new();
        let Some(step) = self.steps.get(i) else {
            return errs;
        };
        for f in &step.fields {
            // Visibility is judged on the answers as they stand (one pass, in order).
            if !Self::visible(f, answers, None) {
                answers.remove(&f.id);
                continue;
            }
            if f.kind == Kind::Group {
                let items: Vec<Value> = match answers.get(&f.id) {
                    Some(Value::Array(a)) => a.clone(),
                    None | Some(Value::Null) => Vec::new(),
                    Some(_) => {
                        errs.add_named(f.id.clone(), "err-form-group");
                        continue;
                    }
                };
                let mut out = Vec::new();
                for (n, item) in items.into_iter().enumerate() {
                    let Value::Object(mut item) = item else {
                        errs.add_named(format!("{}[{n}]", f.id), "err-form-group");
                        continue;
                    };
                    item.retain(|k, _| f.fields.iter().any(|g| &g.id == k));
                    for g in &f.fields {
                        let name = format!("{}[{n}].{}", f.id, g.id);
                        if !Self::visible(g, answers, Some(&item)) {
                            item.remove(&g.id);
                            continue;
                        }
                        let required = Self::required(g, answers, Some(&item));
                        check_one(g, &mut item, required, name, &mut errs);
                    }
                    out.push(Value::Object(item));
                }
                let n = out.len() as f64;
                let min = f.min.unwrap_or(if Self::required(f, answers, None) {
                    1.0
                } else {
                    0.0
                });
                if n < min {
                    errs.add_named(f.id.clone(), "err-form-group-min");
                }
                if n > f.max.unwrap_or(MAX_GROUP_ITEMS as f64) {
                    errs.add_named(f.id.clone(), "err-form-group-max");
                }
                answers.insert(f.id.clone(), Value::Array(out));
                continue;
            }
            let required = Self::required(f, answers, None);
            check_one(f, answers, required, f.id.clone(), &mut errs);
        }
        errs
    }

    /// Checks every answer of the form and keeps only those of fields that apply: what a
    /// submission must pass. Unknown fields are dropped.
    pub fn check_all(&self, answers: &Answers) -> (Answers, FieldErrors) {
        let mut out = answers.clone();
        let known: HashSet<&str> = self
            .steps
            .iter()
            .flat_map(|s| s.fields.iter().map(|f| f.id.as_str()))
            .collect();
        out.retain(|k, _| known.contains(k.as_str()));
        let mut errs = FieldErrors::new();
        for i in 0..self.steps.len() {
            if !self.step_applies(i, &out) {
                for f in &self.steps[i].fields {
                    out.remove(&f.id);
                }
                continue;
            }
            errs.0.extend(self.check_step(i, &mut out).0);
        }
        (out, errs)
    }

    /// The fee for these answers, in the smallest unit (none when the definition has no fee
    /// rule or it gives no positive whole amount).
    pub fn fee(&self, answers: &Answers) -> Option<i64> {
        let v = eval(self.fee.as_ref()?, &lookup(answers, None));
        number(&v)
            .filter(|f| f.is_finite() && *f > 0.0 && *f < 1.0e12)
            .map(|f| f.round() as i64)
    }
}

/// Checks one field's answer in `answers` under `name`, normalising it in place.
fn check_one(
    f: &FieldDef,
    answers: &mut Answers,
    required: bool,
    name: String,
    errs: &mut FieldErrors,
) {
    if !present(answers.get(&f.id)) {
        answers.remove(&f.id);
        if required {
            errs.add_named(name, "err-form-required");
        }
        return;
    }
    let Some(v) = answers.get(&f.id) else {
        return;
    };
    match normalise(f, v) {
        Ok(n) => {
            answers.insert(f.id.clone(), n);
        }
        Err(code) => errs.add_named(name, code),
    }
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A postal address answer (street, building, flat, postal code, city), checked and in its
/// stored form: building and city required, lines clean and at most 100 characters, a Polish
/// `DD-DDD` or a Serbian five-digit postal code. The trusted profile's address is kept so too.
pub fn address(v: &Value) -> Result<Value, &'static str> {
    let Value::Object(o) = v else {
        return Err("err-form-address");
    };
    let part = |k: &str| {
        o.get(k)
            .and_then(Value::as_str)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let (street, building, flat, code, city) = (
        part("street"),
        part("building"),
        part("flat"),
        part("postal_code"),
        part("city"),
    );
    for p in [&street, &building, &flat, &city] {
        if p.chars().count() > 100 || !crate::text::clean_line(p) {
            return Err("err-form-address");
        }
    }
    if building.is_empty() || city.is_empty() {
        return Err("err-form-address");
    }
    let code_ok = crate::ids::postal_code(&code).is_ok()
        || (code.len() == 5 && code.bytes().all(|b| b.is_ascii_digit()));
    if !code_ok {
        return Err("err-form-postal-code");
    }
    Ok(
        json!({"street": street, "building": building, "flat": flat, "postal_code": code, "city": city}),
    )
}

/// One answer, checked and in its stored form. Taking its own stored form back is the
/// identity, so stored answers check again as they are.
pub fn normalise(f: &FieldDef, v: &Value) -> Result<Value, &'static str> {
    let within = |x: f64| {
        if f.min.is_some_and(|m| x < m) {
            Err("err-form-too-small")
        } else if f.max.is_some_and(|m| x > m) {
            Err("err-form-too-large")
        } else {
            Ok(())
        }
    };
    let s = as_text(v);
    match f.kind {
        Kind::Text | Kind::LongText => {
            let s = s.ok_or("err-form-text")?;
            let (max, clean) = if f.kind == Kind::Text {
                (TEXT_MAX, crate::text::clean_line(&s))
            } else {
                (LONG_TEXT_MAX, crate::text::clean_text(&s))
            };
            let n = s.chars().count();
            if !clean {
                return Err("err-form-text");
            }
            if n > f.max.map(|m| m as usize).unwrap_or(max).min(max) {
                return Err("err-form-too-long");
            }
            if f.min.is_some_and(|m| (n as f64) < m) {
                return Err("err-form-too-short");
            }
            Ok(json!(s))
        }
        Kind::Number => {
            let x: f64 = match v {
                Value::Number(n) => n.as_f64().ok_or("err-form-number")?,
                _ => s
                    .ok_or("err-form-number")?
                    .replace(',', ".")
                    .replace(' ', "")
                    .parse()
                    .map_err(|_| "err-form-number")?,
            };
            if !x.is_finite() || x.abs() > 1.0e12 {
                return Err("err-form-number");
            }
            within(x)?;
            Ok(num_value(x))
        }
        Kind::Money => {
            // Stored as a whole number of the smallest unit; typed as an amount ("12,50").
            let g = match v {
                Value::Number(n) => n.as_i64().filter(|g| *g >= 0).ok_or("err-form-money")?,
                _ => {
                    let s = s.ok_or("err-form-money")?.replace(' ', "");
                    if s == "0" {
                        0
                    } else {
                        crate::catalogue::parse_amount(&s).ok_or("err-form-money")?
                    }
                }
            };
            within(g as f64 / 100.0)?;
            Ok(json!(g))
        }
        Kind::Date => {
            let s = s.ok_or("err-form-date")?;
            let fmt = time::macros::format_description!("[year]-[month]-[day]");
            time::Date::parse(&s, &fmt).map_err(|_| "err-form-date")?;
            Ok(json!(s))
        }
        Kind::Choice => {
            let s = s.ok_or("err-form-choice")?;
            if f.options.iter().any(|o| o.value == s) {
                Ok(json!(s))
            } else {
                Err("err-form-choice")
            }
        }
        Kind::MultiChoice => {
            let list = match v {
                Value::Array(a) => a.clone(),
                Value::String(_) => vec![v.clone()],
                _ => return Err("err-form-choice"),
            };
            // In the definition's order, each once.
            let picked: Vec<&str> = list.iter().filter_map(Value::as_str).collect();
            if picked.len() != list.len()
                || picked
                    .iter()
                    .any(|p| !f.options.iter().any(|o| o.value == *p))
            {
                return Err("err-form-choice");
            }
            let out: Vec<&str> = f
                .options
                .iter()
                .filter(|o| picked.contains(&o.value.as_str()))
                .map(|o| o.value.as_str())
                .collect();
            within(out.len() as f64)?;
            Ok(json!(out))
        }
        Kind::YesNo => match v {
            Value::Bool(b) => Ok(json!(b)),
            Value::String(s) if s == "yes" || s == "true" => Ok(json!(true)),
            Value::String(s) if s == "no" || s == "false" => Ok(json!(false)),
            _ => Err("err-form-yes-no"),
        },
        Kind::Email => crate::ids::Email::parse(&s.ok_or("err-email-invalid")?)
            .map(|e| json!(e.as_str()))
            .map_err(|_| "err-email-invalid"),
        Kind::Phone => {
            let s = s.ok_or("err-form-phone")?;
            let digits: String = s.chars().filter(char::is_ascii_digit).collect();
            let ok = s
                .chars()
                .enumerate()
                .all(|(i, c)| c.is_ascii_digit() || " -()".contains(c) || (i == 0 && c == '+'));
            if !ok || !(9..=15).contains(&digits.len()) {
                return Err("err-form-phone");
            }
            Ok(json!(if s.starts_with('+') {
                format!("+{digits}")
            } else {
                digits
            }))
        }
        Kind::Pesel => crate::ids::Pesel::parse(&s.ok_or("err-pesel")?)
            .map(|p| json!(p.as_str()))
            .map_err(|_| "err-form-pesel"),
        Kind::Nip => crate::ids::Nip::parse(&s.ok_or("err-nip")?)
            .map(|p| json!(p.as_str()))
            .map_err(|_| "err-form-nip"),
        Kind::Regon => crate::ids::Regon::parse(&s.ok_or("err-regon")?)
            .map(|p| json!(p.as_str()))
            .map_err(|_| "err-form-regon"),
        Kind::Iban => iban(&s.ok_or("err-form-iban")?)
            .map(|i| json!(i))
            .ok_or("err-form-iban"),
        Kind::Address => address(v),
        Kind::File => {
            let Value::Object(o) = v else {
                return Err("err-form-file");
            };
            let sha = o.get("sha256").and_then(Value::as_str).unwrap_or("");
            let name = o.get("name").and_then(Value::as_str).unwrap_or("");
            let size = o.get("size").and_then(Value::as_i64).unwrap_or(-1);
            let media = o.get("media_type").and_then(Value::as_str).unwrap_or("");
            if sha.len() != 64
                || !sha.bytes().all(|b| b.is_ascii_hexdigit())
                || name.is_empty()
                || name.chars().count() > 200
                || !crate::text::clean_line(name)
                || size <= 0
                || media.is_empty()
            {
                return Err("err-form-file");
            }
            Ok(
                json!({"name": name, "sha256": sha.to_ascii_lowercase(), "size": size, "media_type": media}),
            )
        }
        Kind::Group => Err("err-form-group"),
    }
}

/// An IBAN (ISO 13616): country letters, check digits, mod-97 = 1. Spaces are left out.
pub fn iban(s: &str) -> Option<String> {
    let s: String = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    let b = s.as_bytes();
    if !(15..=34).contains(&b.len())
        || !b[..2].iter().all(u8::is_ascii_uppercase)
        || !b[2..4].iter().all(u8::is_ascii_digit)
        || !b.iter().all(u8::is_ascii_alphanumeric)
    {
        return None;
    }
    let mut rem: u32 = 0;
    for c in b[4..].iter().chain(&b[..4]) {
        let v = if c.is_ascii_digit() {
            u32::from(c - b'0')
        } else {
            u32::from(c - b'A') + 10
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    (rem == 1).then_some(s)
}

/// A value as a person reads it (check-your-answers, the PDF): `yes`/`no` and choices are
/// written by the caller, who knows the language; here the plain forms.
pub fn plain(f: &FieldDef, v: &Value, lang: &str, yes_no: (&str, &str)) -> String {
    match (f.kind, v) {
        (Kind::YesNo, Value::Bool(b)) => if *b { yes_no.0 } else { yes_no.1 }.to_string(),
        (Kind::Choice, Value::String(s)) => f
            .options
            .iter()
            .find(|o| &o.value == s)
            .map(|o| text(&o.label, lang).to_string())
            .unwrap_or_else(|| s.clone()),
        (Kind::MultiChoice, Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(|s| {
                f.options
                    .iter()
                    .find(|o| o.value == s)
                    .map(|o| text(&o.label, lang).to_string())
                    .unwrap_or_else(|| s.to_string())
            })
            .collect::<Vec<_>>()
            .join(", "),
        (Kind::Address, Value::Object(o)) => {
            let p = |k: &str| o.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            let flat = p("flat");
            let line = if flat.is_empty() {
                format!("{} {}", p("street"), p("building"))
            } else {
                format!("{} {}/{}", p("street"), p("building"), flat)
            };
            format!("{}, {} {}", line.trim(), p("postal_code"), p("city"))
        }
        (Kind::File, Value::Object(o)) => o
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        (Kind::Money, Value::Number(n)) => {
            let g = n.as_i64().unwrap_or(0);
            format!("{}.{:02}", g / 100, g % 100)
        }
        (_, Value::String(s)) => s.clone(),
        (_, Value::Null) => String::new(),
        (_, v) => v.to_string(),
    }
}

/// Carries answers made on one version to another: what still fits is kept, and the ids of
/// the fields whose answers were dropped or no longer pass are returned, for the person to
/// check again.
pub fn carry(answers: &Answers, to: &FormDef) -> (Answers, Vec<String>) {
    let mut kept = Answers::new();
    let mut recheck = Vec::new();
    for (k, v) in answers {
        match to.field(k) {
            Some(f) if f.kind == Kind::Group => {
                kept.insert(k.clone(), v.clone());
            }
            Some(f) => match normalise(f, v) {
                Ok(n) => {
                    kept.insert(k.clone(), n);
                }
                Err(_) => recheck.push(k.clone()),
            },
            None => recheck.push(k.clone()),
        }
    }
    // Groups: each item's fields that fit.
    for (f, _) in to.all_fields().filter(|(_, g)| g.is_none()) {
        if f.kind != Kind::Group {
            continue;
        }
        if let Some(Value::Array(items)) = kept.get_mut(&f.id) {
            for item in items.iter_mut() {
                if let Value::Object(o) = item {
                    let before = o.len();
                    o.retain(|k, v| {
                        f.fields
                            .iter()
                            .find(|g| &g.id == k)
                            .is_some_and(|g| normalise(g, v).is_ok())
                    });
                    if o.len() != before && !recheck.contains(&f.id) {
                        recheck.push(f.id.clone());
                    }
                }
            }
        }
    }
    (kept, recheck)
}

pub mod build;

#[cfg(test)]
mod tests;
