//! Sign-in, registration, email verification, password reset, the account page, the second
//! factor and the Data Tracker.

use super::common::{check_csrf, message, render, require_user, when, Field, FormPage, FormView};
use crate::ctx::{set_cookie, Ctx, CtxRef, SESSION_COOKIE};
use crate::error::PageError;
use crate::State;
use askama::Template;
use axum::extract::{Form, Query};
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use okienko_domain::DomainError;
use okienko_i18n::Lang;
use okienko_services::accounts::{MailTexts, SignIn, WEB, WEB_ENROL};
use okienko_services::Services;
use std::collections::HashMap;
use std::sync::Arc;

type Params = HashMap<String, String>;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/register", get(register_page).post(register))
        .route("/verify-email", get(verify_email))
        .route("/verify-email/resend", get(resend_page).post(resend))
        .route("/password/forgot", get(forgot_page).post(forgot))
        .route("/password/reset", get(reset_page).post(reset))
        .route("/account", get(account))
        .route("/account/totp", get(totp_page).post(totp_enrol))
        .route("/account/totp/disable", post(totp_disable))
        .route("/account/data-tracker", get(tracker))
        .route(
            "/account/email/confirm",
            get(email_confirm_page).post(email_confirm),
        )
        .route("/staff/accept", get(staff_accept_page).post(staff_accept))
}

/// Email texts in one language.
pub struct Texts(pub Lang);

impl MailTexts for Texts {
    fn verify_email(&self, link: &str) -> (String, String) {
        (
            self.0.t("mail-verify-subject"),
            self.0.t_args("mail-verify-body", &[("link", link)]),
        )
    }
    fn staff_offer(&self, link: &str, place: &str) -> (String, String) {
        (
            self.0
                .t_args("mail-staff-offer-subject", &[("office", place)]),
            self.0.t_args(
                "mail-staff-offer-body",
                &[("office", place), ("link", link)],
            ),
        )
    }
    fn account_exists(&self, link: &str) -> (String, String) {
        (
            self.0.t("mail-exists-subject"),
            self.0.t_args("mail-exists-body", &[("link", link)]),
        )
    }
    fn reset_password(&self, link: &str) -> (String, String) {
        (
            self.0.t("mail-reset-subject"),
            self.0.t_args("mail-reset-body", &[("link", link)]),
        )
    }
    fn staff_invitation(&self, link: &str, office: &str) -> (String, String) {
        (
            self.0.t_args("mail-staff-subject", &[("office", office)]),
            self.0
                .t_args("mail-staff-body", &[("link", link), ("office", office)]),
        )
    }
}

fn svc(state: &State) -> &Services {
    &state.services
}

fn session_cookie(ctx: &Ctx, token: &str) -> axum::http::HeaderValue {
    set_cookie(SESSION_COOKIE, token, None, true, ctx.secure_cookies, "Lax")
}

/// Only local paths are followed after sign-in (no open redirect).
fn safe_next(next: Option<&String>) -> String {
    next.and_then(|n| okienko_domain::text::local_path(n))
        .unwrap_or("/")
        .to_string()
}

fn login_form(ctx: &Ctx, form: FormView, next: &str) -> Response {
    let page = FormPage {
        ctx,
        title: ctx.t("login-title"),
        intro: String::new(),
        action: format!("/login?next={}", super::common::url_encode(next)),
        fields: vec![
            Field::new(ctx, "login", "f-email", "email", "username"),
            Field::new(
                ctx,
                "password",
                "f-password",
                "password",
                "current-password",
            ),
            Field::new(ctx, "code", "f-totp", "text", "one-time-code").hint(ctx.t("f-totp-hint")),
        ],
        form,
        submit: ctx.t("login-submit"),
        links: vec![
            ("/password/forgot".into(), ctx.t("login-forgot")),
            ("/register".into(), ctx.t("login-register")),
            ("/verify-email/resend".into(), ctx.t("login-resend")),
        ],
    };
    super::common::render_form(&page, page.form.has_errors())
}

async fn login_page(axum::Extension(ctx): CtxRef, Query(q): Query<Params>) -> Response {
    if ctx.signed_in() {
        return Redirect::to(&safe_next(q.get("next"))).into_response();
    }
    login_form(&ctx, FormView::default(), &safe_next(q.get("next")))
}

async fn login(
    axum::extract::State(state): axum::extract::State<State>,
    axum::Extension(ctx): CtxRef,
    Query(q): Query<Params>,
    Form(f): Form<Params>,
) -> Result<Response, PageError> {
    check_csrf(&ctx, &f)?;
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    let next = safe_next(q.get("next"));
    let result = svc(&state)
        .sign_in(
            get("login"),
            get("password"),
            Some(get("code")),
            &ctx.client_ip,
            WEB,
        )
        .await;
    let mut values = f.clone();
    values.remove("password");
    match result {
        Ok(SignIn::Done(_, token)) => Ok((
            [(SET_COOKIE, session_cookie(&ctx, &token))],
            Redirect::to(&next),
        )
            .into_response()),
        Ok(SignIn::MustEnrolTotp(_, token)) => Ok((
            [(SET_COOKIE, session_cookie(&ctx, &token))],
            Redirect::to("/account/totp"),
        )
            .into_response()),
        Err(DomainError::Internal(m)) => Err(PageError(DomainError::Internal(m), ctx.clone())),
        Err(e) => {
            let field = if matches!(e, DomainError::TotpRequired) {
                "code"
            } else {
                "login"
            };
            let form = FormView::new(values).with_error(&ctx, &e, field);
            let mut r = login_form(&ctx, form, &next);
            *r.status_mut() = crate::error::status_of(&e);
            Ok(r)
        }
    }
}

async fn logout(
    axum::extract::State(state): axum::extract::State<State>,
    axum::Extension(ctx): CtxRef,
    Form(f): Form<Params>,
) -> Result<Response, PageError> {
    check_csrf(&ctx, &f)?;
    if let Some(p) = &ctx.principal {
        svc(&state)
            .sign_out(p)
            .await
            .map_err(|e| PageError(e, ctx.clone()))?;
    }
    Ok((
        [(
            SET_COOKIE,
            set_cookie(SESSION_COOKIE, "", Some(0), true, ctx.secure_cookies, "Lax"),
        )],
        Redirect::to("/?notice=notice-signed-out"),
    )
        .into_response())
}

fn register_form(ctx: &Ctx, form: FormView) -> Response {
    let page = FormPage {
        ctx,
        title: ctx.t("register-title"),
        intro: ctx.t("register-intro"),
        action: "/register".into(),
        fields: vec![
            Field::new(ctx, "display_name", "f-display-name", "text", "name"),
            Field::new(ctx, "email", "f-email", "email", "email"),
            Field::new(
                ctx,
                "password",
                "f-new-password",
                "password",
                "new-password",
            )
            .hint(ctx.t("f-new-password-hint")),
        ],
        form,
        submit: ctx.t("register-submit"),
        links: vec![("/login".into(), ctx.t("register-have-account"))],
    };
    super::common::render_form(&page, page.form.has_errors())
}

async fn register_page(axum::Extension(ctx): CtxRef) -> Response {
    register_form(&ctx, FormView::default())
}

async fn register(
    axum::extract::State(state): axum::extract::State<State>,
    axum::Extension(ctx): CtxRef,
    Form(f): Form<Params>,
) -> Result<Response, PageError> {
    check_csrf(&ctx, &f)?;
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    match svc(&state)
        .register(
            get("email"),
            get("display_name"),
            get("password"),
            ctx.lang.code(),
            &Texts(ctx.lang),
            &ctx.client_ip,
        )
        .await
    {
        Ok(()) => Ok(message(
            &ctx,
            "register-done-title",
            ctx.ta(
                "register-done-text",
                &[("email", &get("email").trim().to_lowercase())],
            ),
            None,
        )),
        Err(e @ DomainError::Invalid(_)) => {
            let mut values = f.clone();
            values.remove("password");
            Ok(register_form(
                &ctx,
                FormView::new(values).with_error(&ctx, &e, "email"),
            ))
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

/// The page an emailed link opens for the signed-in person: what it does, and one button
/// that does it (posting back to the link's own address).
fn link_form(
    ctx: &Ctx,
    title_key: &str,
    intro: String,
    action: &str,
    submit_key: &str,
    links: Vec<(String, String)>,
) -> Response {
    let page = FormPage {
        ctx,
        title: ctx.t(title_key),
        intro,
        action: action.to_string(),
        fields: Vec::new(),
        form: FormView::default(),
        submit: ctx.t(submit_key),
        links,
    };
    super::common::render_form(&page, false)
}

/// A link (invitation, email confirmation) that is wrong, used or not this person's.
fn link_used_up(ctx: &Ctx) -> Response {
    let mut r = message(
        ctx,
        "err-token-invalid",
        ctx.t("err-token-invalid-detail"),
        Some(("/account", "nav-account")),
    );
    *r.status_mut() = axum::http::StatusCode::BAD_REQUEST;
    r
}

/// An invitation to a staff role, for the invited person signed in: what it is, and a
/// button to accept.
async fn staff_accept_page(
    axum::extract::State(state): axum::extract::State<State>,
    axum::Extension(ctx): CtxRef,
    Query(q): Query<Params>,
) -> Result<Response, PageError> {
    require_user(&ctx)?;
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
    let (role, place) = match svc(&state).staff_offer(get("grant")).await {
        Ok(x) => x,
        Err(DomainError::TokenInvalid) => return Ok(link_used_up(&ctx)),
        Err(e) => return Err(PageError(e, ctx.clone())),
    };
    Ok(link_form(
        &ctx,
        "staff-accept-title",
        ctx.ta(
            "staff-accept-intro",
            &[("role", &ctx.t(role.label())), ("office", &place)],
        ),
        &format!(
            "/staff/accept?token={}&grant={}",
            super::common::url_encode(get("token")),
            super::common::url_encode(get("grant"))
        ),
        "staff-accept-submit",
        vec![("/account".into(), ctx.t("staff-accept-ignore"))],
    ))
}

async fn staff_accept(
    axum::extract::State(state): axum::extract::State<State>,
    axum::Extension(ctx): CtxRef,
    Query(q): Query<Params>,
    Form(f): Form<Params>,
) -> Result<Response, PageError> {
    check_csrf(&ctx, &f)?;
    let p = require_user(&ctx)?;
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
    match svc(&state)
        .accept_staff(p, get("token"), get("grant"))
        .await
    {
        // Every session ended: signing in again brings the rules for staff.
        Ok(()) => Ok((
            [(
                SET_COOKIE,
                set_cookie(SESSION_COOKIE, "", Some(0), true, ctx.secure_cookies, "Lax"),
            )],
            Redirect::to("/?notice=notice-staff-accepted"),
        )
            .into_response()),
        Err(DomainError::TokenInvalid) => Ok(link_used_up(&ctx)),
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

/// A link that makes an email address the signed-in person's login (sent when a clerk
/// typed it at counter registration): it works only for the account it was sent for.
async fn email_confirm_page(
    axum::Extension(ctx): CtxRef,
    Query(q): Query<Params>,
) -> Result<Response, PageError> {
    require_user(&ctx)?;
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
    Ok(link_form(
        &ctx,
        "email-confirm-title",
        ctx.ta("email-confirm-intro", &[("email", get("email"))]),
        &format!(
            "/account/email/confirm?token={}&email={}",
            super::common::url_encode(get("token")),
            super::common::url_encode(get("email"))
        ),
        "email-confirm-submit",
        Vec::new(),
    ))
}

async fn email_confirm(
    axum::extract::State(state): axum::extract::State<State>,
    axum::Extension(ctx): CtxRef,
    Query(q): Query<Params>,
    Form(f): Form<Params>,
) -> Result<Response, PageError> {
    check_csrf(&ctx, &f)?;
    let p = require_user(&ctx)?;
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
    match svc(&state)
        .confirm_email(p, get("token"), get("email"))
        .await
    {
        Ok(()) => Ok(Redirect::to("/account?notice=notice-email-confirmed").into_response()),
        Err(DomainError::TokenInvalid) => Ok(link_used_up(&ctx)),
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

async fn verify_email(
    axum::extract::State(state): axum::extract::State<State>,
    axum::Extension(ctx): CtxRef,
    Query(q): Query<Params>,
) -> Response {
    let token = q.get("token").map(String::as_str).unwrap_or("");
    match svc(&state).verify_email(token).await {
        Ok(()) => message(
            &ctx,
            "verify-done-title",
            ctx.t("verify-done-text"),
            Some(("/login", "nav-sign-in")),
        ),
        Err(DomainError::TokenInvalid) => {
            let mut r = message(
                &ctx,
                "err-token-invalid",
                ctx.t("err-token-invalid-detail"),
                Some(("/verify-email/resend", "login-resend")),
            );
            *r.status_mut() = axum::http::StatusCode::BAD_REQUEST;
            r
        }
        Err(e) => PageError(e, ctx.clone()).into_response(),
    }
}

fn email_only_form(ctx: &Ctx, form: FormView, title: &str, intro: &str, action: &str) -> Response {
    let page = FormPage {
        ctx,
        title: ctx.t(title),
        intro: ctx.t(intro),
        action: action.into(),
        fields: vec![Field::new(ctx, "email", "f-email", "email", "email")],
        form,
        submit: ctx.t("send-link"),
        links: vec![],
    };
    super::common::render_form(&page, page.form.has_errors())
}

/// The two "send me a link" forms: which texts they show and where they post.
#[derive(Clone, Copy)]
enum LinkForm {
    Resend,
    Forgot,
}

impl LinkForm {
    fn keys(self) -> (&'static str, &'static str, &'static str) {
        match self {
            LinkForm::Resend => ("resend-title", "resend-intro", "/verify-email/resend"),
            LinkForm::Forgot => ("forgot-title", "forgot-intro", "/password/forgot"),
        }
    }

    fn page(self, ctx: &Ctx, form: FormView) -> Response {
        let (title, intro, action) = self.keys();
        email_only_form(ctx, form, title, intro, action)
    }

    /// Sends the link (or, for an unknown address, quietly nothing) and says so.
    async fn submit(
        self,
        state: &State,
        ctx: &Arc<Ctx>,
        f: &Params,
    ) -> Result<Response, PageError> {
        check_csrf(ctx, f)?;
        let email = f.get("email").map(String::as_str).unwrap_or("");
        let texts = Texts(ctx.lang);
        let result = match self {
            LinkForm::Resend => {
                svc(state)
                    .resend_verification(email, &texts, &ctx.client_ip)
                    .await
            }
            LinkForm::Forgot => {
                svc(state)
                    .request_password_reset(email, &texts, &ctx.client_ip)
                    .await
            }
        };
        match result {
            Ok(()) => Ok(message(
                ctx,
                "link-sent-title",
                ctx.t("link-sent-text"),
                None,
            )),
            Err(e @ DomainError::Invalid(_)) => {
                Ok(self.page(ctx, FormView::new(f.clone()).with_error(ctx, &e, "email")))
            }
            Err(e) => Err(PageError(e, ctx.clone())),
        }
    }
}

async fn resend_page(axum::Extension(ctx): CtxRef) -> Response {
    LinkForm::Resend.page(&ctx, FormView::default())
}

async fn resend(
    axum::extract::State(state): axum::extract::State<State>,
    axum::Extension(ctx): CtxRef,
    Form(f): Form<Params>,
) -> Result<Response, PageError> {
    LinkForm::Resend.submit(&state, &ctx, &f).await
}

async fn forgot_page(axum::Extension(ctx): CtxRef) -> Response {
    LinkForm::Forgot.page(&ctx, FormView::default())
}

async fn forgot(
    axum::extract::State(state): axum::extract::State<State>,
    axum::Extension(ctx): CtxRef,
    Form(f): Form<Params>,
) -> Result<Response, PageError> {
    LinkForm::Forgot.submit(&state, &ctx, &f).await
}

fn reset_form(ctx: &Ctx, form: FormView, token: &str) -> Response {
    let page = FormPage {
        ctx,
        title: ctx.t("reset-title"),
        intro: String::new(),
        action: format!("/password/reset?token={}", super::common::url_encode(token)),
        fields: vec![Field::new(
            ctx,
            "password",
            "f-new-password",
            "password",
            "new-password",
        )
        .hint(ctx.t("f-new-password-hint"))],
        form,
        submit: ctx.t("reset-submit"),
        links: vec![],
    };
    super::common::render_form(&page, page.form.has_errors())
}

async fn reset_page(axum::Extension(ctx): CtxRef, Query(q): Query<Params>) -> Response {
    reset_form(
        &ctx,
        FormView::default(),
        q.get("token").map(String::as_str).unwrap_or(""),
    )
}

async fn reset(
    axum::extract::State(state): axum::extract::State<State>,
    axum::Extension(ctx): CtxRef,
    Query(q): Query<Params>,
    Form(f): Form<Params>,
) -> Result<Response, PageError> {
    check_csrf(&ctx, &f)?;
    let token = q.get("token").map(String::as_str).unwrap_or("");
    match svc(&state)
        .reset_password(token, f.get("password").map(String::as_str).unwrap_or(""))
        .await
    {
        Ok(()) => Ok(message(
            &ctx,
            "reset-done-title",
            ctx.t("reset-done-text"),
            Some(("/login", "nav-sign-in")),
        )),
        Err(e @ DomainError::Invalid(_)) => Ok(reset_form(
            &ctx,
            FormView::default().with_error(&ctx, &e, "password"),
            token,
        )),
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    ctx: &'a Ctx,
    roles: Vec<String>,
    notice: Option<String>,
}

async fn account(
    axum::Extension(ctx): CtxRef,
    Query(q): Query<Params>,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let roles = p.grants.iter().map(|g| ctx.t(g.role.label())).collect();
    let notice = super::common::notice(&ctx, &q);
    Ok(render(&AccountPage {
        ctx: &ctx,
        roles,
        notice,
    }))
}

#[derive(Template)]
#[template(path = "totp.html")]
struct TotpPage<'a> {
    ctx: &'a Ctx,
    required: bool,
    secret: String,
    seal: String,
    secret_spaced: String,
    uri: String,
    fields: Vec<Field>,
    form: FormView,
}

fn totp_form(ctx: &Ctx, secret: String, seal: String, form: FormView) -> Response {
    let email = ctx
        .principal
        .as_ref()
        .map(|p| p.user.email.clone())
        .unwrap_or_default();
    let spaced = secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).to_string())
        .collect::<Vec<_>>()
        .join(" ");
    let required = ctx
        .principal
        .as_ref()
        .is_some_and(|p| p.session.kind == WEB_ENROL);
    let replacing = ctx
        .principal
        .as_ref()
        .is_some_and(|p| p.user.totp_secret.is_some());
    // Outside the first enrolment the password is asked again; replacing a second factor
    // also takes a code from the current one.
    let mut fields = Vec::new();
    if !required {
        fields.push(Field::new(
            ctx,
            "password",
            "f-password",
            "password",
            "current-password",
        ));
    }
    if replacing {
        fields.push(
            Field::new(
                ctx,
                "current_code",
                "f-totp-current",
                "text",
                "one-time-code",
            )
            .hint(ctx.t("f-totp-current-hint")),
        );
    }
    fields.push(Field::new(ctx, "code", "f-totp", "text", "one-time-code"));
    let page = TotpPage {
        ctx,
        required,
        uri: format!(
            "otpauth://totp/okienko:{}?secret={}&issuer=okienko",
            super::common::url_encode(&email),
            secret
        ),
        secret,
        seal,
        secret_spaced: spaced,
        fields,
        form,
    };
    super::common::render_form(&page, page.form.has_errors())
}

async fn totp_page(
    axum::extract::State(state): axum::extract::State<State>,
    axum::Extension(ctx): CtxRef,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let secret = Services::new_totp_secret();
    let seal = svc(&state)
        .totp_offer_seal(p, &secret)
        .await
        .map_err(|e| PageError(e, ctx.clone()))?;
    Ok(totp_form(&ctx, secret, seal, FormView::default()))
}

async fn totp_enrol(
    axum::extract::State(state): axum::extract::State<State>,
    axum::Extension(ctx): CtxRef,
    Form(f): Form<Params>,
) -> Result<Response, PageError> {
    check_csrf(&ctx, &f)?;
    let p = require_user(&ctx)?;
    let secret = f.get("secret").cloned().unwrap_or_default();
    let seal = f.get("seal").cloned().unwrap_or_default();
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    let offer = okienko_services::accounts::TotpOffer {
        secret: &secret,
        seal: &seal,
        code: get("code"),
        password: get("password"),
        current_code: get("current_code"),
    };
    match svc(&state).enrol_totp(p, &offer).await {
        Ok(Some(token)) => Ok((
            [(SET_COOKIE, session_cookie(&ctx, &token))],
            Redirect::to("/account?notice=notice-totp-on"),
        )
            .into_response()),
        Ok(None) => Ok(Redirect::to("/account?notice=notice-totp-on").into_response()),
        Err(e @ DomainError::Invalid(_)) => Ok(totp_form(
            &ctx,
            secret,
            seal,
            FormView::default().with_error(&ctx, &e, "code"),
        )),
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

async fn totp_disable(
    axum::extract::State(state): axum::extract::State<State>,
    axum::Extension(ctx): CtxRef,
    Form(f): Form<Params>,
) -> Result<Response, PageError> {
    check_csrf(&ctx, &f)?;
    let p = require_user(&ctx)?;
    match svc(&state)
        .disable_totp(p, f.get("password").map(String::as_str).unwrap_or(""))
        .await
    {
        Ok(()) => Ok(Redirect::to("/account?notice=notice-totp-off").into_response()),
        Err(e @ DomainError::Invalid(_)) => {
            let text = match &e {
                DomainError::Invalid(fe) => fe.0.first().map(|x| ctx.t(x.code)).unwrap_or_default(),
                _ => String::new(),
            };
            let mut r = message(&ctx, "err-invalid", text, Some(("/account", "nav-account")));
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

#[derive(Template)]
#[template(path = "tracker.html")]
struct TrackerPage<'a> {
    ctx: &'a Ctx,
    /// (iso time, written time, who, what, why)
    rows: Vec<(String, String, String, String, String)>,
}

async fn tracker(
    axum::extract::State(state): axum::extract::State<State>,
    axum::Extension(ctx): CtxRef,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let rows = svc(&state)
        .data_tracker(p)
        .await
        .map_err(|e| PageError(e, ctx.clone()))?;
    let rows = rows
        .into_iter()
        .map(|r| {
            let (iso, text) = when(&ctx, r.entry.at);
            (
                iso,
                text,
                r.actor_name,
                ctx.t(&format!("action-{}", r.entry.action.replace('.', "-"))),
                r.entry.reason,
            )
        })
        .collect();
    Ok(render(&TrackerPage { ctx: &ctx, rows }))
}

pub(crate) fn texts(ctx: &Arc<Ctx>) -> Texts {
    Texts(ctx.lang)
}
