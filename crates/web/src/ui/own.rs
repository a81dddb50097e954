//! What a signed-in person changes on their own account: name, email, password, language,
//! and the sessions they are signed in with.

use super::account::{svc, texts};
use super::common::{
    err, message, render, render_form, require_user, when, CsrfForm, Field, FormPage, FormView,
};
use crate::ctx::{Ctx, CtxRef};
use crate::error::PageError;
use crate::State;
use askama::Template;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use okienko_domain::DomainError;
use okienko_i18n::Lang;
use std::sync::Arc;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/account/name", get(name_page).post(name))
        .route("/account/email", get(email_page).post(email))
        .route("/account/password", get(password_page).post(password))
        .route("/account/language", get(language_page).post(language))
        .route("/account/sessions", get(sessions))
        .route("/account/sessions/end", post(end_session))
        .route("/account/sessions/end-others", post(end_others))
}

/// One of the account's small forms: its texts, where it posts and its fields.
#[derive(Clone, Copy)]
enum OwnForm {
    Name,
    Email,
    Password,
    Language,
}

impl OwnForm {
    fn page(self, ctx: &Ctx, form: FormView) -> Response {
        let (title, intro, action, submit) = match self {
            OwnForm::Name => (
                "own-name-title",
                "own-name-intro",
                "/account/name",
                "own-save",
            ),
            OwnForm::Email => (
                "own-email-title",
                "own-email-intro",
                "/account/email",
                "send-link",
            ),
            OwnForm::Password => (
                "own-password-title",
                "own-password-intro",
                "/account/password",
                "own-password-submit",
            ),
            OwnForm::Language => (
                "own-language-title",
                "own-language-intro",
                "/account/language",
                "own-save",
            ),
        };
        let fields = match self {
            OwnForm::Name => vec![Field::new(
                ctx,
                "display_name",
                "f-display-name",
                "text",
                "name",
            )],
            OwnForm::Email => vec![Field::new(ctx, "email", "own-email-new", "email", "email")],
            OwnForm::Password => vec![
                Field::new(
                    ctx,
                    "password",
                    "own-password-current",
                    "password",
                    "current-password",
                ),
                Field::new(
                    ctx,
                    "new_password",
                    "f-new-password",
                    "password",
                    "new-password",
                )
                .hint(ctx.t("f-new-password-hint")),
            ],
            OwnForm::Language => {
                let mut f = Field::new(ctx, "language", "own-language", "select", "");
                f.options = Lang::ALL
                    .iter()
                    .map(|l| (l.code().to_string(), l.native_name().to_string()))
                    .collect();
                f.options_in_own_language = true;
                vec![f]
            }
        };
        let page = FormPage {
            ctx,
            title: ctx.t(title),
            intro: ctx.t(intro),
            action: action.into(),
            fields,
            form,
            submit: ctx.t(submit),
            links: vec![("/account".into(), ctx.t("own-back"))],
        };
        render_form(&page, page.form.has_errors())
    }

    /// The form as the person first sees it: what they have now, filled in.
    fn fresh(self, ctx: &Arc<Ctx>) -> Result<Response, PageError> {
        let p = require_user(ctx)?;
        let mut values = crate::Params::new();
        match self {
            OwnForm::Name => {
                values.insert("display_name".into(), p.user.display_name.clone());
            }
            OwnForm::Language => {
                values.insert("language".into(), ctx.lang.code().into());
            }
            OwnForm::Email | OwnForm::Password => {}
        }
        Ok(self.page(ctx, FormView::new(values)))
    }

    async fn submit(
        self,
        state: &State,
        ctx: &Arc<Ctx>,
        f: crate::Params,
    ) -> Result<Response, PageError> {
        let p = require_user(ctx)?;
        let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
        let s = svc(state);
        let (result, first, done) = match self {
            OwnForm::Name => (
                s.change_name(p, get("display_name")).await,
                "display_name",
                "/account?notice=notice-name-changed".to_string(),
            ),
            OwnForm::Email => (
                s.offer_email_again(p, get("email"), &texts(ctx)).await,
                "email",
                String::new(),
            ),
            OwnForm::Password => (
                s.change_password(p, get("password"), get("new_password"))
                    .await,
                "password",
                "/account?notice=notice-password-changed".to_string(),
            ),
            OwnForm::Language => match Lang::parse(get("language")) {
                Some(l) => (
                    s.set_locale(p, l.code()).await,
                    "language",
                    format!("/account?notice=notice-language-changed&lang={}", l.code()),
                ),
                None => (
                    Err(DomainError::invalid("language", "err-language")),
                    "language",
                    String::new(),
                ),
            },
        };
        match result {
            Ok(()) if matches!(self, OwnForm::Email) => Ok(message(
                ctx,
                "own-email-sent-title",
                ctx.ta("own-email-sent-text", &[("email", get("email").trim())]),
                Some(("/account", "own-back")),
            )),
            Ok(()) => Ok(Redirect::to(&done).into_response()),
            Err(e @ DomainError::Invalid(_)) => {
                let mut values = f.clone();
                values.remove("password");
                values.remove("new_password");
                Ok(self.page(ctx, FormView::new(values).with_error(ctx, &e, first)))
            }
            Err(e) => Err(PageError(e, ctx.clone())),
        }
    }
}

async fn name_page(axum::Extension(ctx): CtxRef) -> Result<Response, PageError> {
    OwnForm::Name.fresh(&ctx)
}

async fn name(
    axum::extract::State(state): axum::extract::State<State>,
    axum::Extension(ctx): CtxRef,
    CsrfForm(f): CsrfForm,
) -> Result<Response, PageError> {
    OwnForm::Name.submit(&state, &ctx, f).await
}

async fn email_page(axum::Extension(ctx): CtxRef) -> Result<Response, PageError> {
    OwnForm::Email.fresh(&ctx)
}

async fn email(
    axum::extract::State(state): axum::extract::State<State>,
    axum::Extension(ctx): CtxRef,
    CsrfForm(f): CsrfForm,
) -> Result<Response, PageError> {
    OwnForm::Email.submit(&state, &ctx, f).await
}

async fn password_page(axum::Extension(ctx): CtxRef) -> Result<Response, PageError> {
    OwnForm::Password.fresh(&ctx)
}

async fn password(
    axum::extract::State(state): axum::extract::State<State>,
    axum::Extension(ctx): CtxRef,
    CsrfForm(f): CsrfForm,
) -> Result<Response, PageError> {
    OwnForm::Password.submit(&state, &ctx, f).await
}

async fn language_page(axum::Extension(ctx): CtxRef) -> Result<Response, PageError> {
    OwnForm::Language.fresh(&ctx)
}

async fn language(
    axum::extract::State(state): axum::extract::State<State>,
    axum::Extension(ctx): CtxRef,
    CsrfForm(f): CsrfForm,
) -> Result<Response, PageError> {
    OwnForm::Language.submit(&state, &ctx, f).await
}

/// One row of the sessions page.
struct SessionRow {
    hash: String,
    device: String,
    api: bool,
    since: (String, String),
    until: (String, String),
    current: bool,
}

#[derive(Template)]
#[template(path = "sessions.html")]
struct SessionsPage<'a> {
    ctx: &'a Ctx,
    rows: Vec<SessionRow>,
    notice: Option<String>,
}

async fn sessions(
    axum::extract::State(state): axum::extract::State<State>,
    axum::Extension(ctx): CtxRef,
    axum::extract::Query(q): axum::extract::Query<crate::Params>,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let rows = svc(&state)
        .own_sessions(p)
        .await
        .map_err(err(&ctx))?
        .into_iter()
        .map(|s| SessionRow {
            hash: s.session.token_hash,
            device: s.session.device,
            api: s.session.kind == okienko_services::accounts::API,
            since: when(&ctx, s.session.created_at),
            until: when(&ctx, s.session.expires_at),
            current: s.current,
        })
        .collect();
    Ok(render(&SessionsPage {
        ctx: &ctx,
        rows,
        notice: super::common::notice(&ctx, &q),
    }))
}

async fn end_session(
    axum::extract::State(state): axum::extract::State<State>,
    axum::Extension(ctx): CtxRef,
    CsrfForm(f): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let hash = f.get("session").map(String::as_str).unwrap_or("");
    if hash.is_empty() {
        return Err(PageError(
            DomainError::invalid("session", "err-request"),
            ctx.clone(),
        ));
    }
    if hash == p.session.token_hash {
        // Ending the session in use is signing out: the page for that is the sign-out button.
        return Ok(Redirect::to("/account/sessions").into_response());
    }
    match svc(&state).end_own_session(p, hash).await {
        // A session that has just expired or was ended elsewhere is as good as ended.
        Ok(()) | Err(DomainError::NotFound) => {
            Ok(Redirect::to("/account/sessions?notice=notice-session-ended").into_response())
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

async fn end_others(
    axum::extract::State(state): axum::extract::State<State>,
    axum::Extension(ctx): CtxRef,
    CsrfForm(_f): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    svc(&state).end_other_sessions(p).await.map_err(err(&ctx))?;
    Ok(Redirect::to("/account/sessions?notice=notice-sessions-ended").into_response())
}
