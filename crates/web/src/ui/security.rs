//! The account's security: the second factor (TOTP) and the Data Tracker of staff reads of one's data.

use super::account::{session_cookie, svc};
use super::common::{message, render, require_user, when, CsrfForm, Field, FormView};
use crate::ctx::{Ctx, CtxRef};
use crate::error::PageError;
use crate::State;
use askama::Template;
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use okienko_domain::DomainError;
use okienko_services::accounts::WEB_ENROL;
use okienko_services::Services;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/account/totp", get(totp_page).post(totp_enrol))
        .route("/account/totp/disable", post(totp_disable))
        .route("/account/data-tracker", get(tracker))
}

#[derive(Template)]
#[template(path = "totp.html")]
pub(crate) struct TotpPage<'a> {
    ctx: &'a Ctx,
    required: bool,
    secret: String,
    seal: String,
    secret_spaced: String,
    uri: String,
    /// The `otpauth:` link as a QR code, inline SVG made here from our own data.
    qr: String,
    fields: Vec<Field>,
    form: FormView,
}

pub(crate) fn totp_form(ctx: &Ctx, secret: String, seal: String, form: FormView) -> Response {
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
    let uri = format!(
        "otpauth://totp/okienko:{}?secret={}&issuer=okienko",
        super::common::url_encode(&email),
        secret
    );
    let page = TotpPage {
        ctx,
        required,
        qr: qr_svg(&uri),
        uri,
        secret,
        seal,
        secret_spaced: spaced,
        fields,
        form,
    };
    super::common::render_form(&page, page.form.has_errors())
}

/// A QR code of `text` as an `<svg>` element to put inside a page (no XML declaration);
/// empty if the text is too long for a QR code.
fn qr_svg(text: &str) -> String {
    let Ok(code) = qrcode::QrCode::new(text.as_bytes()) else {
        return String::new();
    };
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    match svg.find("<svg") {
        Some(i) => svg[i..].to_string(),
        None => String::new(),
    }
}

pub(crate) async fn totp_page(
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

pub(crate) async fn totp_enrol(
    axum::extract::State(state): axum::extract::State<State>,
    axum::Extension(ctx): CtxRef,
    CsrfForm(f): CsrfForm,
) -> Result<Response, PageError> {
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

pub(crate) async fn totp_disable(
    axum::extract::State(state): axum::extract::State<State>,
    axum::Extension(ctx): CtxRef,
    CsrfForm(f): CsrfForm,
) -> Result<Response, PageError> {
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
pub(crate) struct TrackerPage<'a> {
    ctx: &'a Ctx,
    /// (iso time, written time, who, what, why)
    rows: Vec<(String, String, String, String, String)>,
}

/// Why a person's data was used, in the page's language. The audit keeps the operator's
/// own words; the person reads the purpose of that kind of act, and, for a look-up in the
/// register, the reason the official typed.
fn purpose(ctx: &Ctx, action: &str, reason: &str) -> String {
    let key = format!("purpose-{action}");
    let text = if ctx.has(&key) {
        ctx.t(&key)
    } else {
        ctx.t("purpose-service")
    };
    match action {
        "register-lookup" if reason != okienko_services::mailboxes::DEFAULT_LOOKUP_REASON => {
            format!("{text} ({reason})")
        }
        _ => text,
    }
}

pub(crate) async fn tracker(
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
            let key = r.entry.action.replace(['.', '_'], "-");
            (
                iso,
                text,
                if r.actor_name.is_empty() {
                    ctx.t("tracker-system")
                } else {
                    r.actor_name
                },
                ctx.t(&format!("action-{}", r.entry.action.replace('.', "-"))),
                purpose(&ctx, &key, &r.entry.reason),
            )
        })
        .collect();
    Ok(render(&TrackerPage { ctx: &ctx, rows }))
}
