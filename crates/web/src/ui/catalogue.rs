//! The catalogue of public services: the national search (`/services`), a service's start
//! page (what you need, how long it takes, what it costs, a big start button), applying
//! online through the office's delivery mailbox, and an office admin's catalogue page with
//! CSV and JSON import and export.

use super::common::{check_csrf, err, money, notice, render, require_user};
use crate::ctx::{Ctx, Cx};
use crate::error::PageError;
use crate::State;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use okienko_domain::catalogue::{Fee, LocalText, CATEGORIES, LIFE_EVENTS};
use okienko_domain::DomainError;
use okienko_services::catalogue::{
    CatalogueEntry, CatalogueFormat, CatalogueSearch, ImportOutcome,
};
use std::collections::HashMap;
use std::sync::Arc;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/services", get(search))
        .route("/services/{id}", get(service))
        .route("/services/{id}/apply", get(apply))
        .route(
            "/offices/{id}/catalogue",
            get(office_page)
                .post(import)
                .layer(axum::extract::DefaultBodyLimit::max(20 * 1024 * 1024)),
        )
        .route("/offices/{id}/catalogue.csv", get(export_csv))
        .route("/offices/{id}/catalogue.json", get(export_json))
}

/// A service as a list or its page shows it, in the reader's language.
struct Shown {
    id: String,
    text: LocalText,
    office: String,
    city: String,
    office_address: String,
    fee: String,
    days: String,
    legal_basis: String,
    /// The language of the legal basis (the country's).
    legal_lang: &'static str,
    channels: Vec<String>,
    online: bool,
    categories: Vec<String>,
}

fn fee_text(ctx: &Ctx, fee: Fee) -> String {
    match fee {
        Fee::None => ctx.t("service-fee-none"),
        Fee::Fixed(g) => money(ctx, g),
        Fee::Computed => ctx.t("service-fee-computed"),
    }
}

fn shown(ctx: &Ctx, e: &CatalogueEntry) -> Shown {
    let days = match e.spec.handling_days {
        0 => ctx.t("service-days-now"),
        n => ctx.lang.t_count("service-days", n, &[]),
    };
    Shown {
        id: e.id.clone(),
        text: e.spec.local(ctx.lang.code()),
        office: e.office.name.clone(),
        city: e.office.city.clone(),
        office_address: format!(
            "{}, {} {}",
            e.office.street, e.office.postal_code, e.office.city
        ),
        fee: fee_text(ctx, e.spec.fee),
        days,
        legal_basis: e.spec.legal_basis.clone(),
        legal_lang: ctx.country.content_lang(),
        channels: e
            .spec
            .channels
            .iter()
            .map(|c| ctx.t(&format!("channel-{c}")))
            .collect(),
        online: e.spec.channels.iter().any(|c| c == "online"),
        categories: e
            .spec
            .categories
            .iter()
            .map(|c| ctx.t(&format!("cat-{c}")))
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "catalogue/search.html")]
struct SearchPage<'a> {
    ctx: &'a Ctx,
    q: String,
    category: String,
    city: String,
    /// (code, name) of every category.
    categories: Vec<(String, String)>,
    /// (link, name) of each life event.
    events: Vec<(String, String)>,
    items: Vec<Shown>,
    /// Whether anything was asked (else the page shows the life events first).
    asked: bool,
    /// The life event looked at, by name.
    event_name: Option<String>,
    /// "12 services found" (more pages may follow).
    found: String,
    next: Option<String>,
}

async fn search(
    Cx(state, ctx): Cx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    let (text, category, city, event) = (get("q"), get("category"), get("city"), get("event"));
    let asked = !(text.is_empty() && category.is_empty() && city.is_empty() && event.is_empty());
    let page = state
        .services
        .search_catalogue(&CatalogueSearch {
            q: text.clone(),
            office: q.get("office").cloned(),
            city: Some(city.clone()),
            category: Some(category.clone()),
            event: Some(event.clone()),
            cursor: q.get("cursor").cloned(),
            limit: 20,
        })
        .await
        .map_err(err(&ctx))?;
    let next = page.next_cursor.map(|c| {
        format!(
            "/services?q={}&category={}&city={}&event={}&cursor={c}",
            okienko_services::url_encode(&text),
            okienko_services::url_encode(&category),
            okienko_services::url_encode(&city),
            okienko_services::url_encode(&event)
        )
    });
    Ok(render(&SearchPage {
        categories: CATEGORIES
            .iter()
            .map(|c| (c.to_string(), ctx.t(&format!("cat-{c}"))))
            .collect(),
        events: LIFE_EVENTS
            .iter()
            .map(|e| (format!("/services?event={e}"), ctx.t(&format!("event-{e}"))))
            .collect(),
        found: ctx
            .lang
            .t_count("services-found", page.items.len() as i64, &[]),
        items: page.items.iter().map(|e| shown(&ctx, e)).collect(),
        event_name: LIFE_EVENTS
            .contains(&event.as_str())
            .then(|| ctx.t(&format!("event-{event}"))),
        ctx: &ctx,
        q: text,
        category,
        city,
        asked,
        next,
    }))
}

#[derive(Template)]
#[template(path = "catalogue/service.html")]
struct ServicePage<'a> {
    ctx: &'a Ctx,
    s: Shown,
    /// Sent back from "Apply online" without a delivery mailbox of one's own.
    no_mailbox: bool,
    /// The service has an electronic form: the start button starts filling it.
    form: bool,
    /// The service can be booked at some place.
    bookable: bool,
}

async fn service(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let e = state
        .services
        .catalogue_entry(&id)
        .await
        .map_err(err(&ctx))?;
    let form = e.form_version.is_some();
    let bookable = !state
        .services
        .service_offer(&id, ctx.lang.code())
        .await
        .map_err(err(&ctx))?
        .1
        .is_empty();
    Ok(render(&ServicePage {
        form,
        bookable,
        s: shown(&ctx, &e),
        no_mailbox: q.get("mailbox").is_some_and(|m| m == "none") && ctx.principal.is_some(),
        ctx: &ctx,
    }))
}

/// Applying online: signed in, the person writes to the office from their own delivery
/// mailbox, the subject already the service's name.
async fn apply(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let e = state
        .services
        .catalogue_entry(&id)
        .await
        .map_err(err(&ctx))?;
    if !e.spec.channels.iter().any(|c| c == "online") {
        return Err(PageError(DomainError::NotFound, ctx.clone()));
    }
    let (office_box, own) = state
        .services
        .apply_target(p, &e)
        .await
        .map_err(err(&ctx))?;
    match own {
        Some(from) => Ok(Redirect::to(&format!(
            "/mailboxes/{from}/compose?to={}&subject={}",
            okienko_services::url_encode(&office_box),
            okienko_services::url_encode(&e.spec.local(ctx.lang.code()).name.value)
        ))
        .into_response()),
        // No mailbox of their own to write from: the service's page says what to do.
        None => Ok(Redirect::to(&format!("/services/{id}?mailbox=none")).into_response()),
    }
}

#[derive(Template)]
#[template(path = "catalogue/office.html")]
struct OfficePage<'a> {
    ctx: &'a Ctx,
    office_id: String,
    office_name: String,
    items: Vec<Shown>,
    /// "23 services".
    count: String,
    notice: Option<String>,
    /// The file's problem, where it is.
    problem: Option<String>,
}

async fn office_view(
    state: &State,
    ctx: &Arc<Ctx>,
    id: &str,
    notice: Option<String>,
    problem: Option<String>,
) -> Result<Response, PageError> {
    let p = require_user(ctx)?;
    let entries = state
        .services
        .office_catalogue(p, id)
        .await
        .map_err(err(ctx))?;
    let (office, _) = state.services.office(p, id).await.map_err(err(ctx))?;
    let invalid = problem.is_some();
    let page = OfficePage {
        ctx,
        office_id: id.to_string(),
        office_name: office.name,
        count: ctx
            .lang
            .t_count("catalogue-count", entries.len() as i64, &[]),
        items: entries.iter().map(|e| shown(ctx, e)).collect(),
        notice,
        problem,
    };
    Ok(super::common::render_form(&page, invalid))
}

async fn office_page(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    office_view(&state, &ctx, &id, notice(&ctx, &q), None).await
}

/// An uploaded catalogue file (CSV or JSON, told apart by its first character).
async fn import(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    req: axum::extract::Request,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    // Who may import is decided before the upload is read.
    if !okienko_domain::policy::allowed(
        &p.actor(),
        okienko_domain::policy::Action::ManageCatalogue { office_id: &id },
    ) {
        return Err(PageError(DomainError::NotFound, ctx.clone()));
    }
    let refuse = |code: &'static str| ctx.t(code);
    let Ok(fields) = super::common::read_multipart(req).await else {
        return office_view(&state, &ctx, &id, None, Some(refuse("err-upload"))).await;
    };
    let csrf = fields
        .get("csrf")
        .map(|v| String::from_utf8_lossy(v).to_string())
        .unwrap_or_default();
    check_csrf(&ctx, &[("csrf".to_string(), csrf)].into_iter().collect())?;
    let Some(data) = fields.get("file").filter(|d| !d.is_empty()) else {
        return office_view(&state, &ctx, &id, None, Some(refuse("err-file-missing"))).await;
    };
    let Ok(text) = std::str::from_utf8(data) else {
        return office_view(&state, &ctx, &id, None, Some(refuse("err-import-utf8"))).await;
    };
    let format = if text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('[')
    {
        CatalogueFormat::Json
    } else {
        CatalogueFormat::Csv
    };
    let outcome = state
        .services
        .import_catalogue(p, &id, format, text)
        .await
        .map_err(err(&ctx))?;
    match outcome {
        ImportOutcome::Saved(n) => {
            let n = n.to_string();
            Ok(Redirect::to(&format!(
                "/offices/{id}/catalogue?notice={}",
                okienko_services::url_encode(&ctx.ta("catalogue-imported", &[("count", &n)]))
            ))
            .into_response())
        }
        ImportOutcome::Refused(e) => {
            let problem = crate::error::import_message(ctx.lang, &e);
            office_view(&state, &ctx, &id, None, Some(problem)).await
        }
    }
}

async fn export(
    state: &State,
    ctx: &Arc<Ctx>,
    id: &str,
    format: CatalogueFormat,
) -> Result<Response, PageError> {
    let p = require_user(ctx)?;
    let text = state
        .services
        .export_catalogue(p, id, format)
        .await
        .map_err(err(ctx))?;
    let (kind, ext) = match format {
        CatalogueFormat::Csv => ("text/csv; charset=utf-8", "csv"),
        CatalogueFormat::Json => ("application/json", "json"),
    };
    Ok((
        [
            (header::CONTENT_TYPE, kind.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"catalogue.{ext}\""),
            ),
        ],
        text,
    )
        .into_response())
}

async fn export_csv(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Response, PageError> {
    export(&state, &ctx, &id, CatalogueFormat::Csv).await
}

async fn export_json(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Response, PageError> {
    export(&state, &ctx, &id, CatalogueFormat::Json).await
}
