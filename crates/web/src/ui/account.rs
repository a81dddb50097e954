//! Sign-in, registration, email verification, password reset, the account page, the second
//! factor and the Data Tracker.

use super::common::{
    check_csrf, message, render, require_user, CsrfForm, Field, FormPage, FormView,
};
use crate::ctx::{set_cookie, Ctx, CtxRef, SESSION_COOKIE};
use crate::error::PageError;
use crate::Params;
use crate::State;
use askama::Template;
use axum::extract::{Form, Query};
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use okienko_domain::DomainError;
use okienko_i18n::Lang;
use okienko_services::accounts::{Client, MailTexts, SignIn, WEB};
use okienko_services::Services;
use std::sync::Arc;

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

pub(super) fn svc(state: &State) -> &Services {
    &state.services
}

pub(super) fn session_cookie(ctx: &Ctx, token: &str) -> axum::http::HeaderValue {
    set_cookie(SESSION_COOKIE, token, None, true, ctx.secure_cookies, "Lax")
}

/// Only local paths are followed after sign-in (no open redirect).
pub(super) fn safe_next(next: Option<&String>) -> String {
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
    CsrfForm(f): CsrfForm,
) -> Result<Response, PageError> {
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    let next = safe_next(q.get("next"));
    let result = svc(&state)
        .sign_in(
            get("login"),
            get("password"),
            Some(get("code")),
            Client {
                ip: &ctx.client_ip,
                device: &ctx.device,
            },
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
    CsrfForm(_f): CsrfForm,
) -> Result<Response, PageError> {
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
    CsrfForm(f): CsrfForm,
) -> Result<Response, PageError> {
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
pub(super) fn link_form(
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
pub(super) fn link_used_up(ctx: &Ctx) -> Response {
    let mut r = message(
        ctx,
        "err-token-invalid",
        ctx.t("err-token-invalid-detail"),
        Some(("/account", "nav-account")),
    );
    *r.status_mut() = axum::http::StatusCode::BAD_REQUEST;
    r
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
    CsrfForm(f): CsrfForm,
) -> Result<Response, PageError> {
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

pub(crate) fn texts(ctx: &Arc<Ctx>) -> Texts {
    Texts(ctx.lang)
}
