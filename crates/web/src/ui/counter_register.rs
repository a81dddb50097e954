//! A person registered entirely at the counter (identity checked in person, details read out
//! first), the activation sheet printed for them, and the page where they activate the account
//! with its code.

use super::common::{require_user, CsrfForm, Field, FormView};
use super::trusted::person_rows;
use crate::ctx::Cx;
use crate::ctx::FormText;
use crate::ctx::{Ctx, CtxRef};
use crate::error::PageError;
use crate::State;
use askama::Template;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use okienko_domain::DomainError;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/counter/register", get(register_page).post(register))
        .route("/counter/register/{id}", get(registered))
        .route("/counter/register/{id}/sheet", post(activation_sheet))
        .route("/activate", get(activate_page).post(activate))
}

fn register_form(ctx: &Ctx, form: FormView) -> Response {
    let field = |name, label, kind| Field::new(ctx, name, label, kind, "off");
    let page = super::common::FormPage {
        ctx,
        title: ctx.t("counter-register-title"),
        intro: ctx.t("counter-register-intro"),
        action: "/counter/register".into(),
        fields: vec![
            field("pesel", "f-pesel", "text"),
            field("first_name", "f-first-name", "text"),
            field("last_name", "f-last-name", "text"),
            field("id_document_number", "f-id-document", "text"),
            field("phone", "f-phone", "tel").hint(ctx.t("f-optional")),
            field("email", "f-email", "email").hint(ctx.t("f-optional")),
        ],
        submit: ctx.t("compose-continue"),
        links: Vec::new(),
        form,
    };
    super::common::render_form(&page, page.form.has_errors())
}

async fn register_page(axum::Extension(ctx): CtxRef) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    if !okienko_domain::policy::allowed(&p.actor(), okienko_domain::policy::Action::ConfirmIdentity)
    {
        return Err(PageError(DomainError::NotFound, ctx.clone()));
    }
    Ok(register_form(&ctx, FormView::default()))
}

/// Registers the person and answers with the sheet to print and hand over: how to sign in
/// and the one-time activation code.
async fn register(Cx(state, ctx): Cx, CsrfForm(form): CsrfForm) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let input = okienko_services::trusted::CounterRegistration {
        pesel: form.text("pesel"),
        first_name: form.text("first_name"),
        last_name: form.text("last_name"),
        id_document_number: form.text("id_document_number"),
        phone: form.text("phone"),
        email: form.text("email"),
    };
    let texts = super::account::Texts(ctx.lang);
    let action = form.text("action");
    if action == "change" {
        // The ID card number is typed again from the card in hand.
        let mut values = form.clone();
        values.remove("id_document_number");
        return Ok(register_form(&ctx, FormView::new(values)));
    }
    let result = if action == "register" {
        state.services.register_at_counter(p, &input, &texts).await
    } else {
        match state.services.check_counter_registration(p, &input).await {
            Ok(()) => {
                return Ok(super::common::check_answers(
                    &ctx,
                    "counter-check",
                    person_rows(&ctx, &form),
                    ("/counter/register", &form),
                    ("register", ctx.t("counter-register-button")),
                ));
            }
            Err(e) => Err(e),
        }
    };
    match result {
        // On to the page that prints the sheet: the form is not left filled in to be sent
        // twice, and the sheet can be printed again there.
        Ok(user) => Ok(Redirect::to(&format!("/counter/register/{}", user.id)).into_response()),
        Err(e @ DomainError::Invalid(_)) => {
            let mut values = form.clone();
            values.remove("id_document_number");
            Ok(register_form(
                &ctx,
                FormView::new(values).with_error(&ctx, &e, "pesel"),
            ))
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

#[derive(Template)]
#[template(path = "counter_registered.html")]
struct RegisteredPage<'a> {
    ctx: &'a Ctx,
    id: String,
    name: String,
    login: String,
}

/// How a person registered at a counter signs in: with their PESEL until an email is theirs.
fn login_of(ctx: &Ctx, user: &okienko_store::User) -> String {
    if user.email.ends_with(".invalid") {
        ctx.t("activation-login-pesel")
    } else {
        user.email.clone()
    }
}

/// The account is open: print the activation sheet (again, if need be).
async fn registered(
    Cx(state, ctx): Cx,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let user = state
        .services
        .counter_registration(p, &id)
        .await
        .map_err(|e| PageError(e, ctx.clone()))?;
    Ok(crate::ui::common::render(&RegisteredPage {
        ctx: &ctx,
        login: login_of(&ctx, &user),
        name: user.display_name,
        id: user.id,
    }))
}

/// The sheet to hand over: how to sign in and a new one-time activation code.
async fn activation_sheet(
    Cx(state, ctx): Cx,
    axum::extract::Path(id): axum::extract::Path<String>,
    CsrfForm(_form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let (user, code) = state
        .services
        .activation_sheet(p, &id)
        .await
        .map_err(|e| PageError(e, ctx.clone()))?;
    let rows = vec![
        (ctx.t("f-display-name"), user.display_name.clone()),
        (ctx.t("activation-login"), login_of(&ctx, &user)),
        (ctx.t("activation-code"), code),
        (
            ctx.t("activation-where"),
            format!("{}/activate", state.services.base_url),
        ),
    ];
    let title = ctx.t("activation-title");
    let note = ctx.t("activation-note");
    let pdf = tokio::task::spawn_blocking(move || {
        okienko_print::render_sheet(&okienko_print::Sheet {
            title: &title,
            paragraphs: vec![note],
            rows,
            appendix_title: "",
            appendix: "",
            footer: "okienko",
            attachment_label: "",
            attachments: Vec::new(),
        })
    })
    .await
    .map_err(|e| PageError(DomainError::Internal(e.to_string()), ctx.clone()))?
    .map_err(|e| PageError(DomainError::Internal(e.to_string()), ctx.clone()))?;
    Ok(crate::downloads::pdf("activation.pdf", pdf))
}

fn activate_form(ctx: &Ctx, form: FormView) -> Response {
    let page = super::common::FormPage {
        ctx,
        title: ctx.t("activation-page-title"),
        intro: ctx.t("activation-page-intro"),
        action: "/activate".into(),
        fields: vec![
            Field::new(ctx, "code", "activation-code", "text", "off"),
            Field::new(
                ctx,
                "password",
                "f-new-password",
                "password",
                "new-password",
            )
            .hint(ctx.t("f-new-password-hint")),
        ],
        submit: ctx.t("activation-button"),
        links: Vec::new(),
        form,
    };
    super::common::render_form(&page, page.form.has_errors())
}

async fn activate_page(axum::Extension(ctx): CtxRef) -> Response {
    activate_form(&ctx, FormView::default())
}

async fn activate(Cx(state, ctx): Cx, CsrfForm(form): CsrfForm) -> Result<Response, PageError> {
    match state
        .services
        .activate(&form.text("code"), &form.text("password"))
        .await
    {
        Ok(()) => Ok(super::common::message(
            &ctx,
            "activation-done-title",
            ctx.t("activation-done"),
            Some(("/login", "nav-sign-in")),
        )),
        Err(e @ DomainError::Invalid(_)) => {
            let mut values = form.clone();
            values.remove("password");
            Ok(activate_form(
                &ctx,
                FormView::new(values).with_error(&ctx, &e, "code"),
            ))
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}
