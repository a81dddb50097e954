//! Trusted profile pages: the citizen's application and status, the counter where a clerk
//! confirms identity in person (one task per screen, keyboard first), and opening one's own
//! delivery mailbox.

use super::common::{confirm_page, confirmed, require_user, when, CsrfForm, Field, FormView, Said};
use crate::ctx::Cx;
use crate::ctx::FormText;
use crate::ctx::{Ctx, CtxRef};
use crate::error::PageError;
use crate::Params;
use crate::State;
use askama::Template;
use axum::extract::Query;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use okienko_domain::DomainError;
use okienko_services::trusted::{in_force, AddressInput, ApplicationInput, CounterInput};
use std::sync::Arc;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/trusted-profile", get(status).post(apply))
        .route("/trusted-profile/revoke", post(revoke))
        .route("/trusted-profile/address", post(set_address))
        .route("/counter/trusted-profile", get(counter).post(counter_step))
        .route("/mailboxes/open", post(open_mailbox))
        .route(
            "/admin/trusted-profiles",
            get(admin_page).post(admin_revoke),
        )
}

#[derive(Template)]
#[template(path = "trusted_profile.html")]
struct StatusPage<'a> {
    ctx: &'a Ctx,
    /// Valid until (text), when a profile is in force.
    valid_until: Option<String>,
    /// (number, expires, status label, reason)
    applications: Vec<(String, String, String, String)>,
    can_apply: bool,
    has_mailbox: bool,
    fields: Vec<Field>,
    /// The address for letters (street, building, flat, postal code, city).
    address_fields: Vec<Field>,
    /// Whether an address is kept (the form then offers to forget it).
    has_address: bool,
    form: FormView,
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "trusted/applied.html")]
struct AppliedPage<'a> {
    ctx: &'a Ctx,
    number: String,
    /// The last day to confirm it, as the reader's language writes it.
    until: String,
}

/// The parts of the address for letters, as the form names them.
const ADDRESS_PARTS: [&str; 5] = ["street", "building", "flat", "postal_code", "city"];

async fn status_page(
    state: &State,
    ctx: &Arc<Ctx>,
    mut form: FormView,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let p = require_user(ctx)?;
    let s = &state.services;
    let (tp, apps) = s
        .my_trusted_profile(p)
        .await
        .map_err(|e| PageError(e, ctx.clone()))?;
    // The kept address fills its form, unless the page answers what was just typed there.
    let address = s
        .my_address(p)
        .await
        .map_err(|e| PageError(e, ctx.clone()))?;
    if let Some(a) = &address {
        for part in ADDRESS_PARTS {
            let kept = a.get(part).and_then(|v| v.as_str()).unwrap_or_default();
            form.values
                .entry(part.to_string())
                .or_insert_with(|| kept.to_string());
        }
    }
    let now = s.now_ms();
    let tp = tp.filter(|t| in_force(t, now));
    let pending = apps.iter().any(|a| {
        a.status == okienko_domain::status::ApplicationStatus::Pending && a.expires_at > now
    });
    let has_mailbox = s
        .my_mailboxes(p)
        .await
        .map_err(|e| PageError(e, ctx.clone()))?
        .iter()
        .any(|(m, r)| m.kind == okienko_services::mailboxes::PERSON && r == "owner");
    let field = |name, label, kind, auto| Field::new(ctx, name, label, kind, auto);
    let invalid = form.has_errors();
    let page = StatusPage {
        ctx,
        can_apply: !pending
            && tp
                .as_ref()
                .is_none_or(|t| okienko_domain::trusted::may_extend(t.valid_until, now)),
        valid_until: tp.map(|t| when(ctx, t.valid_until).1),
        applications: apps
            .into_iter()
            .map(|a| {
                let status = if a.status == okienko_domain::status::ApplicationStatus::Pending
                    && a.expires_at <= now
                {
                    "expired".to_string()
                } else {
                    a.status.to_string()
                };
                (
                    a.number,
                    when(ctx, a.expires_at).1,
                    ctx.t(&format!("tp-status-{status}")),
                    a.reason.unwrap_or_default(),
                )
            })
            .collect(),
        has_mailbox,
        fields: vec![
            field("pesel", "f-pesel", "text", "off").hint(ctx.t("f-pesel-hint")),
            field("first_name", "f-first-name", "text", "given-name"),
            field("last_name", "f-last-name", "text", "family-name"),
            field("id_document_number", "f-id-document", "text", "off")
                .hint(ctx.t("f-id-document-hint")),
            field("email", "f-email", "email", "email"),
            field("phone", "f-phone", "tel", "tel"),
        ],
        address_fields: vec![
            field("street", "form-address-street", "text", "address-line1"),
            field("building", "form-address-building", "text", "off"),
            field("flat", "form-address-flat", "text", "off"),
            field(
                "postal_code",
                "form-address-postal-code",
                "text",
                "postal-code",
            ),
            field("city", "form-address-city", "text", "address-level2"),
        ],
        has_address: address.is_some(),
        form,
        notice,
    };
    Ok(super::common::render_form(&page, invalid))
}

/// Keeps (or, with every part empty, forgets) the address for letters.
async fn set_address(Cx(state, ctx): Cx, CsrfForm(form): CsrfForm) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let mut input = AddressInput {
        street: form.text("street"),
        building: form.text("building"),
        flat: form.text("flat"),
        postal_code: form.text("postal_code"),
        city: form.text("city"),
    };
    if form.text("action") == "forget" {
        input = AddressInput::default();
    }
    match state.services.set_my_address(p, &input).await {
        Ok(true) => {
            Ok(Redirect::to("/trusted-profile?notice=notice-tp-address-kept").into_response())
        }
        Ok(false) => {
            Ok(Redirect::to("/trusted-profile?notice=notice-tp-address-forgotten").into_response())
        }
        Err(e @ DomainError::Invalid(_)) => {
            let view = FormView::new(form.clone()).with_error(&ctx, &e, "building");
            status_page(&state, &ctx, view, None).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

async fn status(Cx(state, ctx): Cx, Query(q): Query<Params>) -> Result<Response, PageError> {
    let notice = super::common::notice(&ctx, &q);
    status_page(&state, &ctx, FormView::default(), notice).await
}

async fn apply(Cx(state, ctx): Cx, CsrfForm(form): CsrfForm) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let input = ApplicationInput {
        pesel: form.text("pesel"),
        first_name: form.text("first_name"),
        last_name: form.text("last_name"),
        id_document_number: form.text("id_document_number"),
        email: form.text("email"),
        phone: form.text("phone"),
    };
    let action = form.text("action");
    if action == "change" {
        return status_page(&state, &ctx, FormView::new(form.clone()), None).await;
    }
    let result = if action == "send" {
        state.services.apply_trusted_profile(p, &input).await
    } else {
        match state
            .services
            .check_trusted_profile_application(p, &input)
            .await
        {
            Ok(()) => {
                return Ok(super::common::check_answers(
                    &ctx,
                    "tp-check",
                    person_rows(&ctx, &form),
                    ("/trusted-profile", &form),
                    ("send", ctx.t("tp-check-send")),
                ));
            }
            Err(e) => Err(e),
        }
    };
    match result {
        // A confirmation page: the number to show at the counter, big, and what comes next.
        Ok(a) => Ok(super::common::render(&AppliedPage {
            ctx: &ctx,
            until: when(&ctx, a.expires_at).1,
            number: a.number,
        })),
        Err(e @ DomainError::Invalid(_)) => {
            let view = FormView::new(form.clone()).with_error(&ctx, &e, "pesel");
            status_page(&state, &ctx, view, None).await
        }
        Err(DomainError::Conflict(code)) => {
            status_page(&state, &ctx, FormView::default(), Some(ctx.t(code))).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

/// A person's details as typed, to read out before an application or a registration:
/// PESEL, first and last name, the ID card, then the email and phone (or "not given").
/// The person as the form gives them (PESEL, names, ID document, email and phone), read out.
pub(super) fn person_rows(ctx: &Ctx, form: &Params) -> Vec<(String, String, Said)> {
    let [pesel, first, last, card] =
        ["pesel", "first_name", "last_name", "id_document_number"].map(|k| form.text(k));
    let contacts = ["email", "phone"].map(|k| form.text(k));
    let mut rows = vec![
        ("PESEL".to_string(), pesel.trim().to_string(), Said::Code),
        (ctx.t("f-first-name"), first.trim().to_string(), Said::Typed),
        (ctx.t("f-last-name"), last.trim().to_string(), Said::Typed),
        (
            ctx.t("f-id-document"),
            card.trim().to_uppercase(),
            Said::Code,
        ),
    ];
    for (key, v) in ["f-email", "f-phone"].iter().zip(&contacts) {
        rows.push(if v.trim().is_empty() {
            (ctx.t(key), ctx.t("counter-check-none"), Said::Ours)
        } else {
            (ctx.t(key), v.trim().to_string(), Said::Code)
        });
    }
    rows
}

async fn revoke(Cx(state, ctx): Cx, CsrfForm(form): CsrfForm) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    if !confirmed(&form) {
        return Ok(confirm_page(
            &ctx,
            "confirm-tp-revoke",
            "/trusted-profile/revoke",
            "/trusted-profile",
            &form,
        ));
    }
    match state.services.revoke_my_trusted_profile(p).await {
        Ok(()) => Ok(Redirect::to("/trusted-profile?notice=notice-tp-revoked").into_response()),
        Err(DomainError::NotFound) => {
            status_page(
                &state,
                &ctx,
                FormView::default(),
                Some(ctx.t("err-no-profile")),
            )
            .await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

async fn open_mailbox(
    Cx(state, ctx): Cx,
    CsrfForm(_form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    match state.services.open_my_mailbox(p).await {
        Ok((m, _)) => Ok(Redirect::to(&format!(
            "/mailboxes/{}?notice=notice-mailbox-opened",
            m.address
        ))
        .into_response()),
        Err(DomainError::Conflict(code)) => {
            status_page(&state, &ctx, FormView::default(), Some(ctx.t(code))).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

#[derive(Template)]
#[template(path = "counter_trusted.html")]
struct CounterPage<'a> {
    ctx: &'a Ctx,
    form: FormView,
    found: Option<Found>,
    notice: Option<String>,
}

async fn counter_page(
    ctx: &Arc<Ctx>,
    form: FormView,
    found: Option<Found>,
    notice: Option<String>,
) -> Response {
    let page = CounterPage {
        ctx,
        form,
        found,
        notice,
    };
    super::common::render_form(&page, page.form.has_errors())
}

async fn counter(axum::Extension(ctx): CtxRef) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    // Only those who confirm identities see the counter.
    if !okienko_domain::policy::allowed(&p.actor(), okienko_domain::policy::Action::ConfirmIdentity)
    {
        return Err(PageError(DomainError::NotFound, ctx.clone()));
    }
    Ok(counter_page(&ctx, FormView::default(), None, None).await)
}

/// One screen, three steps: find (number and PESEL), then confirm (typing the document's
/// number from the card in hand) or refuse (with a reason).
async fn counter_step(Cx(state, ctx): Cx, CsrfForm(form): CsrfForm) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let s = &state.services;
    let input = CounterInput {
        number: form.text("number"),
        pesel: form.text("pesel"),
        id_document_number: form.text("id_document_number"),
    };
    let step = form.text("step");
    if step == "refuse" && !confirmed(&form) {
        return Ok(confirm_page(
            &ctx,
            "confirm-tp-refuse",
            "/counter/trusted-profile",
            "/counter/trusted-profile",
            &form,
        ));
    }
    let result = match step.as_str() {
        "confirm" => s.confirm_trusted_profile(p, &input).await.map(|tp| {
            Step::Decided(ctx.ta(
                "notice-tp-confirmed",
                &[("until", &when(&ctx, tp.valid_until).1)],
            ))
        }),
        "refuse" => s
            .refuse_trusted_profile(p, &input, &form.text("reason"))
            .await
            .map(|()| Step::Decided(ctx.t("notice-tp-refused"))),
        _ => s
            .find_application(p, &input.number, &input.pesel)
            .await
            .map(|a| Step::Found(found(a))),
    };
    match result {
        // A decision: back to an empty screen for the next person.
        Ok(Step::Decided(notice)) => {
            Ok(counter_page(&ctx, FormView::default(), None, Some(notice)).await)
        }
        Ok(Step::Found(f)) => {
            Ok(counter_page(&ctx, FormView::new(form.clone()), Some(f), None).await)
        }
        Err(e @ DomainError::Invalid(_)) => {
            let view = FormView::new(form.clone()).with_error(&ctx, &e, "number");
            // A mismatched document keeps the application on screen.
            let again = if matches!(step.as_str(), "confirm" | "refuse") {
                s.find_application(p, &input.number, &input.pesel)
                    .await
                    .ok()
                    .map(found)
            } else {
                None
            };
            Ok(counter_page(&ctx, view, again, None).await)
        }
        Err(DomainError::Conflict(code)) => {
            let view = FormView::new(form.clone()).with_error(
                &ctx,
                &DomainError::Conflict(code),
                "number",
            );
            Ok(counter_page(&ctx, view, None, None).await)
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

/// What one counter step ended in.
enum Step {
    Decided(String),
    Found(Found),
}

/// An application as the clerk sees it: number, PESEL, first and last name, date of birth.
/// The document number is not shown: the clerk types it from the card in hand.
type Found = (String, String, String, String, String);

fn found(a: okienko_store::TpApplication) -> Found {
    let birth = okienko_domain::ids::Pesel::parse(&a.pesel)
        .ok()
        .and_then(|p| p.birth_date())
        .map(|d| d.to_string())
        .unwrap_or_default();
    (a.number, a.pesel, a.first_name, a.last_name, birth)
}

fn admin_form(ctx: &Ctx, form: FormView, notice: Option<String>) -> Response {
    let page = super::common::FormPage {
        ctx,
        title: ctx.t("admin-tp-title"),
        intro: notice.unwrap_or_else(|| ctx.t("admin-tp-intro")),
        action: "/admin/trusted-profiles".into(),
        fields: vec![
            Field::new(ctx, "email", "f-email", "email", "off"),
            Field::new(ctx, "reason", "counter-reason", "text", "off"),
        ],
        submit: ctx.t("admin-tp-revoke"),
        links: Vec::new(),
        form,
    };
    super::common::render_form(&page, page.form.has_errors())
}

async fn admin_page(axum::Extension(ctx): CtxRef) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    if !okienko_domain::policy::allowed(
        &p.actor(),
        okienko_domain::policy::Action::RevokeTrustedProfile,
    ) {
        return Err(PageError(DomainError::NotFound, ctx.clone()));
    }
    Ok(admin_form(&ctx, FormView::default(), None))
}

async fn admin_revoke(Cx(state, ctx): Cx, CsrfForm(form): CsrfForm) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    match state
        .services
        .admin_revoke_trusted_profile(p, &form.text("email"), &form.text("reason"))
        .await
    {
        Ok(()) => Ok(admin_form(
            &ctx,
            FormView::default(),
            Some(ctx.t("notice-tp-revoked-admin")),
        )),
        Err(e @ DomainError::Invalid(_)) => Ok(admin_form(
            &ctx,
            FormView::new(form.clone()).with_error(&ctx, &e, "email"),
            None,
        )),
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}
