//! What the pages share: forms with their fields and errors, rendering, the CSRF check,
//! the signed-in person, multipart bodies, dates and notices.

use crate::ctx::Ctx;
use crate::error::PageError;
use askama::Template;
use axum::response::{Html, IntoResponse, Response};
use okienko_domain::DomainError;
use std::collections::HashMap;
use std::sync::Arc;

/// One input of a form.
pub struct Field {
    pub name: &'static str,
    pub label: String,
    pub hint: String,
    /// `text`, `email`, `password`, `checkbox` or `select`.
    pub kind: &'static str,
    pub autocomplete: &'static str,
    pub options: Vec<(String, String)>,
    /// Each option's label is in the language its value names (a language chooser).
    pub options_in_own_language: bool,
}

impl Field {
    pub fn new(
        ctx: &Ctx,
        name: &'static str,
        label_key: &str,
        kind: &'static str,
        autocomplete: &'static str,
    ) -> Self {
        Field {
            name,
            label: ctx.t(label_key),
            hint: String::new(),
            kind,
            autocomplete,
            options: Vec::new(),
            options_in_own_language: false,
        }
    }
    pub fn hint(mut self, text: String) -> Self {
        self.hint = text;
        self
    }
    pub fn options(mut self, options: Vec<(String, String)>) -> Self {
        self.options = options;
        self
    }
}

/// What a person typed, and what is wrong with it (field, translated message).
#[derive(Default)]
pub struct FormView {
    pub values: HashMap<String, String>,
    pub errors: Vec<(String, String)>,
}

impl FormView {
    pub fn new(values: HashMap<String, String>) -> Self {
        FormView {
            values,
            errors: Vec::new(),
        }
    }
    pub fn value(&self, f: &str) -> &str {
        self.values.get(f).map(String::as_str).unwrap_or("")
    }
    pub fn error(&self, f: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(k, _)| k == f)
            .map(|(_, m)| m.as_str())
    }
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
    /// Records a domain error against the form: field errors where they belong, anything
    /// else against `first_field`.
    pub fn with_error(mut self, ctx: &Ctx, e: &DomainError, first_field: &str) -> Self {
        match e {
            DomainError::Invalid(fe) | DomainError::Rejected(fe, _) => {
                for f in &fe.0 {
                    self.errors.push((f.field.to_string(), ctx.t(f.code)));
                }
            }
            other => self
                .errors
                .push((first_field.to_string(), ctx.t(other.code()))),
        }
        self
    }
}

#[derive(Template)]
#[template(path = "form.html")]
pub struct FormPage<'a> {
    pub ctx: &'a Ctx,
    pub title: String,
    pub intro: String,
    pub action: String,
    pub fields: Vec<Field>,
    pub form: FormView,
    pub submit: String,
    pub links: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage<'a> {
    pub ctx: &'a Ctx,
    pub title: String,
    pub text: String,
    pub link: Option<(String, String)>,
}

/// Renders a template; a rendering failure is an internal error, logged.
pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template");
            crate::error::internal_response()
        }
    }
}

/// Renders a form page again with its errors, answered 422 so tools notice.
pub fn render_invalid<T: Template>(t: &T) -> Response {
    let mut r = render(t);
    if r.status().is_success() {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

/// Renders a form page: answered 422 when it carries errors, 200 otherwise.
pub fn render_form<T: Template>(t: &T, invalid: bool) -> Response {
    if invalid {
        render_invalid(t)
    } else {
        render(t)
    }
}

pub fn message(ctx: &Ctx, title_key: &str, text: String, link: Option<(&str, &str)>) -> Response {
    render(&MessagePage {
        ctx,
        title: ctx.t(title_key),
        text,
        link: link.map(|(h, k)| (h.to_string(), ctx.t(k))),
    })
}

/// Checks the form's CSRF token against the cookie's.
pub fn check_csrf(ctx: &Arc<Ctx>, form: &HashMap<String, String>) -> Result<(), PageError> {
    match form.get("csrf") {
        Some(t) if t.len() == ctx.csrf.len() && constant_eq(t.as_bytes(), ctx.csrf.as_bytes()) => {
            Ok(())
        }
        _ => Err(PageError(DomainError::Csrf, ctx.clone())),
    }
}

/// A form posted from one of our pages: its fields, once its CSRF token matched the page's.
/// A body that is not a form, or a missing or wrong token, is refused with the error page
/// before the handler runs (and changes nothing).
pub struct CsrfForm(pub HashMap<String, String>);

impl<S: Send + Sync> axum::extract::FromRequest<S> for CsrfForm {
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Response> {
        let Some(ctx) = req.extensions().get::<Arc<Ctx>>().cloned() else {
            // Every page route runs behind the context middleware; without it, refuse plainly.
            return Err(axum::http::StatusCode::BAD_REQUEST.into_response());
        };
        let axum::extract::Form(form) =
            axum::extract::Form::<HashMap<String, String>>::from_request(req, state)
                .await
                .map_err(|_| {
                    PageError(DomainError::invalid("form", "err-request"), ctx.clone())
                        .into_response()
                })?;
        check_csrf(&ctx, &form).map_err(IntoResponse::into_response)?;
        Ok(CsrfForm(form))
    }
}

/// Whether a destructive act's form came back from its confirmation page.
pub fn confirmed(form: &HashMap<String, String>) -> bool {
    form.get("confirm").is_some_and(|v| v == "yes")
}

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage<'a> {
    ctx: &'a Ctx,
    question: String,
    detail: String,
    yes: String,
    action: &'a str,
    back: &'a str,
    fields: Vec<(&'a str, &'a str)>,
}

/// The fields of a form to carry again in hidden inputs, in a stable order: all but the
/// token (the page has its own) and `drop`, the button that brought it here.
fn carried<'a>(form: &'a HashMap<String, String>, drop: &str) -> Vec<(&'a str, &'a str)> {
    let mut fields: Vec<(&str, &str)> = form
        .iter()
        .filter(|(k, _)| k.as_str() != "csrf" && k.as_str() != drop)
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    fields.sort_unstable();
    fields
}

/// Asks once more before a destructive act, and changes nothing: the question (`key`), what
/// the act does (`key-detail`) and a red button (`key-yes`) that posts the same form to
/// `action` again with `confirm=yes`, or back to `back`.
pub fn confirm_page(
    ctx: &Ctx,
    key: &str,
    action: &str,
    back: &str,
    form: &HashMap<String, String>,
) -> Response {
    let fields = carried(form, "confirm");
    render(&ConfirmPage {
        ctx,
        question: ctx.t(key),
        detail: ctx.t(&format!("{key}-detail")),
        yes: ctx.t(&format!("{key}-yes")),
        action,
        back,
        fields,
    })
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The signed-in principal, or a redirect to the sign-in page.
pub fn require_user(ctx: &Arc<Ctx>) -> Result<&okienko_services::accounts::Principal, PageError> {
    ctx.principal
        .as_ref()
        .ok_or_else(|| PageError(DomainError::Unauthenticated, ctx.clone()))
}

/// Reads a multipart form into its fields (name to bytes); an unreadable body is an error.
pub async fn read_multipart(req: axum::extract::Request) -> Result<HashMap<String, Vec<u8>>, ()> {
    let named = read_multipart_named(req).await?;
    Ok(named.into_iter().map(|(k, (_, v))| (k, v)).collect())
}

/// Reads a multipart form into its fields: name to (file name, bytes); the last of a repeated
/// name wins.
pub async fn read_multipart_named(
    req: axum::extract::Request,
) -> Result<HashMap<String, (String, Vec<u8>)>, ()> {
    use axum::extract::FromRequest;
    let mut mp = axum::extract::Multipart::from_request(req, &())
        .await
        .map_err(|_| ())?;
    let mut fields = HashMap::new();
    while let Some(f) = mp.next_field().await.map_err(|_| ())? {
        let name = f.name().unwrap_or("").to_string();
        let file = f.file_name().unwrap_or("").to_string();
        let bytes = f.bytes().await.map_err(|_| ())?;
        fields.insert(name, (file, bytes.to_vec()));
    }
    Ok(fields)
}

pub use okienko_services::url_encode;

/// A person or office by name (empty when not known here) and their delivery address.
pub type Named = (String, String);

/// A time as (its machine-readable form with the offset, the time written out in the page's
/// language and the installation's civil time).
pub fn when(ctx: &Ctx, ms: i64) -> (String, String) {
    let t = ctx.country.local(okienko_domain::from_millis(ms));
    let iso = t
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let month = ctx.t(&format!("month-{}", u8::from(t.month())));
    let text = ctx.ta(
        "datetime",
        &[
            ("day", &t.day().to_string()),
            ("month", &month),
            ("year", &t.year().to_string()),
            ("time", &format!("{:02}:{:02}", t.hour(), t.minute())),
        ],
    );
    (iso, text)
}

/// A civil date in the page's language, e.g. "25 listopada 2026", "25. новембар 2026.".
pub fn day(ctx: &Ctx, day: time::Date) -> String {
    let month = ctx.t(&format!("month-{}", u8::from(day.month())));
    ctx.ta(
        "date-only",
        &[
            ("day", &day.day().to_string()),
            ("month", &month),
            ("year", &day.year().to_string()),
        ],
    )
}

/// A file's size as the page's language writes it: `1,5 MB` (a decimal comma but in English),
/// `12 kB`, `512 B`.
pub fn size_label(ctx: &Ctx, n: i64) -> String {
    if n >= 1024 * 1024 {
        let s = format!("{:.1}", n as f64 / 1048576.0);
        let s = if ctx.lang.code() == "en" {
            s
        } else {
            s.replace('.', ",")
        };
        format!("{s}\u{a0}MB")
    } else if n >= 1024 {
        format!("{:.0}\u{a0}kB", n as f64 / 1024.0)
    } else {
        format!("{n}\u{a0}B")
    }
}

/// An amount of money (in hundredths) written as the page's language writes it, in the
/// installation's currency: `1 234,50 zł`, `PLN 1,234.50`, `1.234,50 PLN`.
pub fn money(ctx: &Ctx, hundredths: i64) -> String {
    let (group, decimal) = match ctx.lang.code() {
        "en" => (",", "."),
        "pl" => ("\u{a0}", ","),
        _ => (".", ","),
    };
    let sign = if hundredths < 0 { "-" } else { "" };
    let units = (hundredths / 100).unsigned_abs().to_string();
    let mut grouped = String::new();
    for (i, c) in units.chars().enumerate() {
        if i > 0 && (units.len() - i).is_multiple_of(3) {
            grouped.push_str(group);
        }
        grouped.push(c);
    }
    let amount = format!("{sign}{grouped}{decimal}{:02}", (hundredths % 100).abs());
    match (ctx.lang.code(), ctx.country.currency()) {
        ("pl", "PLN") => format!("{amount}\u{a0}zł"),
        ("en", currency) => format!("{currency}\u{a0}{amount}"),
        (_, currency) => format!("{amount}\u{a0}{currency}"),
    }
}

/// The notice a page was sent to show (`?notice=notice-…`): only our own texts; a key we
/// do not know shows nothing, so a link cannot put its words in the banner.
pub fn notice(ctx: &Ctx, q: &HashMap<String, String>) -> Option<String> {
    q.get("notice")
        .filter(|n| n.starts_with("notice-"))
        .and_then(|n| ctx.lang.t_opt(n))
}

/// Renders a one-document printout off the async threads.
pub async fn sheet_pdf(
    ctx: &Arc<Ctx>,
    title: String,
    paragraphs: Vec<String>,
    rows: Vec<(String, String)>,
    appendix_title: String,
    appendix: String,
    footer: String,
) -> Result<Vec<u8>, PageError> {
    tokio::task::spawn_blocking(move || {
        okienko_print::render_sheet(&okienko_print::Sheet {
            title: &title,
            paragraphs,
            rows,
            appendix_title: &appendix_title,
            appendix: &appendix,
            footer: &footer,
            attachment_label: "",
            attachments: Vec::new(),
        })
    })
    .await
    .map_err(|e| PageError(DomainError::Internal(e.to_string()), ctx.clone()))?
    .map_err(|e| PageError(DomainError::Internal(e.to_string()), ctx.clone()))
}

/// What a value on a check page is, for assistive technology and translation tools.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Said {
    /// As a person typed it (a name, a title): in the content's language.
    Typed,
    /// A code or number (PESEL, an ID card, an email, an amount): not to be translated.
    Code,
    /// Our own words, in the page's language.
    Ours,
}

#[derive(Template)]
#[template(path = "check.html")]
struct CheckAnswers<'a> {
    ctx: &'a Ctx,
    title: String,
    intro: String,
    rows: Vec<(String, String, Said)>,
    action: &'a str,
    fields: Vec<(&'a str, &'a str)>,
    /// The `action` value and label of the button that does the act.
    send: (&'a str, String),
    change: String,
}

/// "Check your answers" before a legally significant act (`key-title`, `key-intro`): what was
/// typed, read out in `rows` (label, value, what the value is), and the form again in hidden `fields` (the `action` value sent
/// back is `send.0` to do it, `change` to go back to the form as typed).
pub fn check_answers(
    ctx: &Ctx,
    key: &str,
    rows: Vec<(String, String, Said)>,
    (action, form): (&str, &HashMap<String, String>),
    send: (&str, String),
) -> Response {
    let fields = carried(form, "action");
    render(&CheckAnswers {
        ctx,
        title: ctx.t(&format!("{key}-title")),
        intro: ctx.t(&format!("{key}-intro")),
        rows,
        action,
        fields,
        send,
        change: ctx.t(&format!("{key}-change")),
    })
}

/// Turns a use case's error into the page for it.
pub fn err(ctx: &Arc<Ctx>) -> impl Fn(DomainError) -> PageError + '_ {
    move |e| PageError(e, ctx.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use okienko_domain::country::Country;
    use okienko_i18n::Lang;

    fn ctx(lang: Lang, country: Country) -> Ctx {
        Ctx {
            lang,
            principal: None,
            csrf: String::new(),
            path: "/".into(),
            client_ip: String::new(),
            device: String::new(),
            secure_cookies: false,
            country,
        }
    }

    #[test]
    fn money_as_each_language_writes_it() {
        let pl = Country::Poland;
        assert_eq!(money(&ctx(Lang::Pl, pl), 123_450), "1\u{a0}234,50\u{a0}zł");
        assert_eq!(money(&ctx(Lang::Pl, pl), 1_700), "17,00\u{a0}zł");
        assert_eq!(money(&ctx(Lang::En, pl), 123_450), "PLN\u{a0}1,234.50");
        assert_eq!(
            money(&ctx(Lang::SrCyrl, Country::Serbia), 100_000_005),
            "1.000.000,05\u{a0}RSD"
        );
    }
}
