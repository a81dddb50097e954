//! Appointments in the browser: a service's month of free slots (a plain table of links, no
//! JavaScript), holding a slot and confirming it, the person's bookings with their code,
//! `.ics`, move and cancel; the office admin's schedules and waiting times; the kiosk, the
//! ticket, the waiting room's screen and the official's queue at a place; the official's
//! calendar with its secret iCalendar feed.

use super::common::{
    confirm_page, confirmed, day, err, notice, render, render_form, require_user, when, CsrfForm,
    FormView,
};
use crate::ctx::{Ctx, Cx, FormText};
use crate::error::PageError;
use crate::State;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use okienko_domain::appointments::{clock, show_code, ScheduleForm};
use okienko_domain::substitutes::parse_day;
use okienko_domain::DomainError;
use okienko_services::appointments::{AppointmentView, Holder, ScheduleView};
use okienko_store::{Appointment, QueueTicket, Slot};
use std::collections::HashMap;
use std::sync::Arc;
use time::{Date, Duration, Month};

pub fn routes() -> Router<State> {
    Router::new()
        .route("/services/{id}/appointments", get(calendar))
        .route("/appointments", get(mine))
        .route("/appointments/hold", post(hold))
        .route("/appointments/by-email", post(hold_by_email))
        .route("/appointments/email-sent", get(email_sent))
        .route("/appointments/{id}", get(one))
        .route("/appointments/{id}/confirm", post(confirm))
        .route("/appointments/{id}/cancel", post(cancel))
        .route("/appointments/{id}/move", post(move_to))
        .route("/appointments/{id}/ics", get(ics))
        .route("/offices/{id}/appointments", get(admin).post(save))
        .route("/places/{key}/kiosk", get(kiosk))
        .route("/places/{key}/kiosk/check-in", post(check_in))
        .route("/places/{key}/kiosk/walk-in", post(walk_in))
        .route("/places/{key}/tickets/{id}", get(ticket))
        .route("/places/{key}/display", get(display))
        .route("/places/{key}/queue", get(queue))
        .route("/places/{key}/queue/call", post(call))
        .route("/places/{key}/counter", get(counter).post(counter_book))
        .route("/places/{key}/queue/{id}/finish", post(finish))
        .route("/places/{key}/appointments/{id}/no-show", post(no_show))
        .route("/calendar", get(agenda))
        .route("/calendar/feed", post(new_feed))
        .route("/calendar/feed/revoke", post(revoke_feed))
        .route("/calendar/feed/{token}", get(feed))
}

/// A slot as a list shows it.
struct SlotRow {
    id: String,
    /// (ISO, HH:MM–HH:MM)
    time: (String, String),
    place: String,
    free: i64,
}

fn slot_row(ctx: &Ctx, s: &Slot) -> SlotRow {
    let (iso, _) = when(ctx, s.starts_at);
    let local = |ms| {
        let t = ctx.country.local(okienko_domain::from_millis(ms));
        clock(u16::from(t.hour()) * 60 + u16::from(t.minute()))
    };
    SlotRow {
        id: s.id.clone(),
        time: (iso, format!("{}–{}", local(s.starts_at), local(s.ends_at))),
        place: s.place_name.clone(),
        free: (s.capacity - s.taken).max(0),
    }
}

/// One day of the month's table: its date, its number, free places (None: nothing offered).
struct DayCell {
    iso: String,
    n: u8,
    free: Option<i64>,
    chosen: bool,
}

#[derive(Template)]
#[template(path = "appointments/calendar.html")]
struct CalendarPage<'a> {
    ctx: &'a Ctx,
    service_id: String,
    service_name: String,
    places: Vec<ScheduleView>,
    month_title: String,
    prev: Option<String>,
    next: Option<String>,
    weeks: Vec<Vec<Option<DayCell>>>,
    day_title: Option<String>,
    slots: Vec<SlotRow>,
    /// Moving this booking rather than making a new one.
    moving: Option<String>,
    form: FormView,
    restricted: Option<(String, String)>,
    query: String,
    /// The link's key of the booking being moved, when opened from an email.
    key: String,
}

fn month_of(s: &str) -> Option<Date> {
    parse_day(&format!("{s}-01"))
}

async fn calendar_page(
    state: &State,
    ctx: &Arc<Ctx>,
    service_id: &str,
    q: &HashMap<String, String>,
    form: FormView,
) -> Result<Response, PageError> {
    let s = &state.services;
    let lang = ctx.lang.code();
    let offer = s.service_offer(service_id, lang).await.map_err(err(ctx))?;
    let (service_name, places) = (offer.0.clone(), offer.1.clone());
    let today = s.local_today();
    let chosen_day = q.get("day").and_then(|d| parse_day(d));
    let first = q
        .get("month")
        .and_then(|m| month_of(m))
        .or_else(|| chosen_day.and_then(|d| d.replace_day(1).ok()))
        .unwrap_or_else(|| today.replace_day(1).unwrap_or(today));
    let last = first
        .replace_day(first.month().length(first.year()))
        .unwrap_or(first);
    let slots = s
        .free_slots(service_id, first, last)
        .await
        .map_err(err(ctx))?;
    let per_day: HashMap<Date, i64> = slots.days().iter().map(|d| (d.day, d.free)).collect();
    let mut weeks = Vec::new();
    let mut week: Vec<Option<DayCell>> = (0..first.weekday().number_days_from_monday())
        .map(|_| None)
        .collect();
    let mut d = first;
    loop {
        week.push(Some(DayCell {
            iso: d.to_string(),
            n: d.day(),
            free: per_day.get(&d).copied(),
            chosen: Some(d) == chosen_day,
        }));
        if week.len() == 7 {
            weeks.push(std::mem::take(&mut week));
        }
        match d.next_day() {
            Some(n) if n <= last => d = n,
            _ => break,
        }
    }
    if !week.is_empty() {
        while week.len() < 7 {
            week.push(None);
        }
        weeks.push(week);
    }
    let month_key = |m: Month| format!("appt-mname-{}", u8::from(m));
    let prev_month = first
        .checked_sub(Duration::days(1))
        .and_then(|p| p.replace_day(1).ok());
    let next_month = last.next_day();
    let day_slots: Vec<SlotRow> = match chosen_day {
        Some(cd) => slots
            .of_day(cd)
            .iter()
            .filter(|x| x.taken < x.capacity)
            .map(|x| slot_row(ctx, x))
            .collect(),
        None => Vec::new(),
    };
    let moving = q.get("move").filter(|m| !m.is_empty()).cloned();
    let restricted = match ctx.principal.as_ref() {
        Some(p) => s
            .booking_restricted_until(p)
            .await
            .map_err(err(ctx))?
            .map(|t| when(ctx, t)),
        None => None,
    };
    let carry = |k: &str| {
        q.get(k)
            .map(|v| format!("&{k}={}", okienko_services::url_encode(v)))
            .unwrap_or_default()
    };
    let page = CalendarPage {
        ctx,
        service_id: service_id.to_string(),
        service_name,
        month_title: format!("{} {}", ctx.t(&month_key(first.month())), first.year()),
        prev: prev_month
            .filter(|p| *p >= today.replace_day(1).unwrap_or(today))
            .map(|p| format!("{}-{:02}", p.year(), u8::from(p.month()))),
        next: next_month.map(|n| format!("{}-{:02}", n.year(), u8::from(n.month()))),
        weeks,
        day_title: chosen_day.map(|d| day(ctx, d)),
        slots: day_slots,
        places,
        query: format!("{}{}", carry("move"), carry("key")),
        key: q.text("key"),
        moving,
        form,
        restricted,
    };
    let invalid = page.form.has_errors();
    Ok(render_form(&page, invalid))
}

async fn calendar(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    calendar_page(&state, &ctx, &id, &q, FormView::new(HashMap::new())).await
}

/// The calendar again with the error (a slot taken meanwhile: the other free ones).
async fn slot_refused(
    state: &State,
    ctx: &Arc<Ctx>,
    form: HashMap<String, String>,
    e: DomainError,
) -> Result<Response, PageError> {
    let Ok(slot) = state.services.slot(&form.text("slot")).await else {
        return Err(PageError(e, ctx.clone()));
    };
    let mut q = HashMap::new();
    let d = ctx
        .country
        .local(okienko_domain::from_millis(slot.starts_at))
        .date();
    q.insert("day".to_string(), d.to_string());
    for k in ["move", "key"] {
        if let Some(m) = form.get(k) {
            q.insert(k.to_string(), m.clone());
        }
    }
    let view = FormView::new(form).with_error(ctx, &e, "slot");
    calendar_page(state, ctx, &slot.service_id, &q, view).await
}

async fn hold(Cx(state, ctx): Cx, CsrfForm(form): CsrfForm) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    match state.services.hold_slot(p, &form.text("slot")).await {
        Ok(a) => Ok(Redirect::to(&format!("/appointments/{}", a.id)).into_response()),
        Err(e @ (DomainError::Conflict(_) | DomainError::Invalid(_))) => {
            slot_refused(&state, &ctx, form, e).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

/// Someone not signed in holds a slot with their name and address; the link that confirms it
/// goes there.
async fn hold_by_email(
    Cx(state, ctx): Cx,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    match state
        .services
        .hold_by_email(
            &form.text("slot"),
            &form.text("name"),
            &form.text("email"),
            ctx.lang.code(),
            &ctx.client_ip,
        )
        .await
    {
        Ok(_) => Ok(Redirect::to("/appointments/email-sent").into_response()),
        Err(e @ (DomainError::Conflict(_) | DomainError::Invalid(_))) => {
            slot_refused(&state, &ctx, form, e).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

#[derive(Template)]
#[template(path = "appointments/email_sent.html")]
struct EmailSentPage<'a> {
    ctx: &'a Ctx,
}

async fn email_sent(Cx(_state, ctx): Cx) -> Result<Response, PageError> {
    Ok(render(&EmailSentPage { ctx: &ctx }))
}

/// Who acts on a booking: whoever brings its link's key, else the person signed in.
fn holder<'a>(ctx: &'a Arc<Ctx>, key: &'a str) -> Result<Holder<'a>, PageError> {
    if key.is_empty() {
        Ok(Holder::Person(require_user(ctx)?))
    } else {
        Ok(Holder::Link(key))
    }
}

/// `?key=…` to carry a booking's link key on (empty without one).
fn key_query(key: &str) -> String {
    if key.is_empty() {
        String::new()
    } else {
        format!("?key={}", okienko_services::url_encode(key))
    }
}

/// A booking as pages show it.
struct ApptRow {
    id: String,
    service: String,
    place: String,
    address: String,
    when: (String, String),
    status: String,
    status_word: String,
    code: String,
    service_lang: &'static str,
    documents: Vec<String>,
    documents_lang: &'static str,
    may_confirm: bool,
    may_change: bool,
    service_id: String,
    held_until: Option<(String, String)>,
}

fn appt_row(ctx: &Ctx, v: AppointmentView) -> ApptRow {
    let a = v.appointment;
    ApptRow {
        held_until: v
            .may_confirm
            .then(|| a.place_until.map(|t| when(ctx, t)))
            .flatten(),
        status: v.status.as_str().to_string(),
        status_word: ctx.t(&format!("appt-status-{}", v.status.as_str())),
        when: when(ctx, a.starts_at),
        code: show_code(&a.code),
        service: v.service_name,
        service_lang: v.service_lang,
        documents: v.documents,
        documents_lang: v.documents_lang,
        may_confirm: v.may_confirm,
        may_change: v.may_change,
        place: a.place_name,
        address: a.place_address,
        service_id: a.service_id,
        id: a.id,
    }
}

#[derive(Template)]
#[template(path = "appointments/mine.html")]
struct MinePage<'a> {
    ctx: &'a Ctx,
    rows: Vec<ApptRow>,
}

async fn mine(Cx(state, ctx): Cx) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let rows = state
        .services
        .my_appointments(p, ctx.lang.code())
        .await
        .map_err(err(&ctx))?
        .into_iter()
        .map(|v| appt_row(&ctx, v))
        .collect();
    Ok(render(&MinePage { ctx: &ctx, rows }))
}

#[derive(Template)]
#[template(path = "appointments/one.html")]
struct OnePage<'a> {
    ctx: &'a Ctx,
    a: ApptRow,
    notice: Option<String>,
    form: FormView,
    /// The link's key when opened from an email without signing in (empty otherwise).
    key: String,
    /// `?key=…` for the page's links (empty without a key).
    key_q: String,
}

async fn one_page(
    state: &State,
    ctx: &Arc<Ctx>,
    id: &str,
    key: &str,
    notice: Option<String>,
    form: FormView,
) -> Result<Response, PageError> {
    let who = holder(ctx, key)?;
    let v = state
        .services
        .appointment_view(who, id, ctx.lang.code())
        .await
        .map_err(err(ctx))?;
    let form = if state.services.hold_expired(&v) && !form.has_errors() {
        FormView::new(HashMap::new()).with_error(
            ctx,
            &DomainError::Conflict("err-appt-hold-expired"),
            "slot",
        )
    } else {
        form
    };
    let invalid = form.has_errors();
    Ok(render_form(
        &OnePage {
            ctx,
            a: appt_row(ctx, v),
            notice,
            form,
            key: key.to_string(),
            key_q: key_query(key),
        },
        invalid,
    ))
}

async fn one(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let n = notice(&ctx, &q);
    let key = q.text("key");
    one_page(&state, &ctx, &id, &key, n, FormView::new(HashMap::new())).await
}

/// Where a booking's page is after an act, with its notice (and the link's key, if any).
fn after(id: &str, key: &str, notice: &str) -> Response {
    let q = key_query(key);
    let sep = if q.is_empty() { '?' } else { '&' };
    Redirect::to(&format!("/appointments/{id}{q}{sep}notice={notice}")).into_response()
}

async fn confirm(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let key = form.text("key");
    let who = holder(&ctx, &key)?;
    match state.services.confirm_appointment(who, &id).await {
        Ok(_) => Ok(after(&id, &key, "notice-appt-booked")),
        Err(e @ DomainError::Conflict(_)) => {
            let view = FormView::new(form).with_error(&ctx, &e, "slot");
            one_page(&state, &ctx, &id, &key, None, view).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

async fn cancel(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let key = form.text("key");
    let who = holder(&ctx, &key)?;
    if !confirmed(&form) {
        let action = format!("/appointments/{id}/cancel");
        let back = format!("/appointments/{id}{}", key_query(&key));
        return Ok(confirm_page(
            &ctx,
            "appt-cancel-confirm",
            &action,
            &back,
            &form,
        ));
    }
    match state.services.cancel_appointment(who, &id).await {
        Ok(()) => Ok(after(&id, &key, "notice-appt-cancelled")),
        Err(e @ DomainError::Conflict(_)) => {
            let view = FormView::new(form).with_error(&ctx, &e, "slot");
            one_page(&state, &ctx, &id, &key, None, view).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

async fn move_to(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(mut form): CsrfForm,
) -> Result<Response, PageError> {
    let key = form.text("key");
    let who = holder(&ctx, &key)?;
    form.insert("move".into(), id.clone());
    match state
        .services
        .move_appointment(who, &id, &form.text("slot"))
        .await
    {
        Ok(_) => Ok(after(&id, &key, "notice-appt-moved")),
        Err(e @ (DomainError::Conflict(_) | DomainError::Invalid(_))) => {
            slot_refused(&state, &ctx, form, e).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

fn calendar_file(name: &str, text: String) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "text/calendar; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        text,
    )
        .into_response()
}

async fn ics(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let key = q.text("key");
    let text = state
        .services
        .my_appointment_ics(holder(&ctx, &key)?, &id, ctx.lang.code())
        .await
        .map_err(err(&ctx))?;
    Ok(calendar_file("appointment.ics", text))
}

// ---- The office's admin: schedules and waiting times ----

const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

struct ScheduleRow {
    service_id: String,
    service: String,
    place_key: String,
    place: String,
    hours: Vec<(String, String)>,
    slot_minutes: u16,
    capacity: u16,
    horizon_days: u16,
    kiosk: String,
    /// The names of the officials who receive people there (none named: everyone).
    officials: Vec<String>,
}

struct WaitRow {
    place: String,
    days: Vec<(String, i64, String, String)>,
}

#[derive(Template)]
#[template(path = "appointments/admin.html")]
struct AdminPage<'a> {
    ctx: &'a Ctx,
    office_id: String,
    rows: Vec<ScheduleRow>,
    services: Vec<(String, String)>,
    places: Vec<(String, String)>,
    weekdays: Vec<(&'static str, String)>,
    form: FormView,
    waits: Vec<WaitRow>,
    notice: Option<String>,
    /// The officials a schedule may name as receiving people: (id, name).
    officials: Vec<(String, String)>,
}

fn minutes_text(ms: i64) -> String {
    let m = ms / 60_000;
    format!("{}:{:02}", m / 60, m % 60)
}

/// The admin's form filled with a schedule's settings (or the defaults).
fn schedule_values(f: ScheduleForm) -> HashMap<String, String> {
    let mut values: HashMap<String, String> = WEEKDAYS
        .iter()
        .zip(f.hours)
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    values.insert("slot_minutes".into(), f.slot_minutes);
    values.insert("capacity".into(), f.capacity);
    values.insert("horizon_days".into(), f.horizon_days);
    values.insert("max_active".into(), f.max_active);
    values.insert("release_minutes".into(), f.release_minutes);
    values.insert("closures".into(), f.closures);
    for id in f.officials {
        values.insert(format!("official-{id}"), "1".into());
    }
    values
}

/// Which schedule the admin's form is filled with: none (a new one), or (service, place key).
type Editing<'a> = Option<(&'a str, &'a str)>;

async fn admin_page(
    state: &State,
    ctx: &Arc<Ctx>,
    office_id: &str,
    form: Option<FormView>,
    notice: Option<String>,
    editing: Editing<'_>,
) -> Result<Response, PageError> {
    let p = require_user(ctx)?;
    let s = &state.services;
    let lang = ctx.lang.code();
    let schedules = s
        .office_schedules(p, office_id, lang)
        .await
        .map_err(err(ctx))?;
    let places = s.appointment_places(p, office_id).await.map_err(err(ctx))?;
    let services = s
        .office_catalogue(p, office_id)
        .await
        .map_err(err(ctx))?
        .into_iter()
        .map(|e| (e.id.clone(), e.spec.local(lang).name.value))
        .collect();
    let waits = s
        .wait_figures(p, office_id)
        .await
        .map_err(err(ctx))?
        .into_iter()
        .map(|(place, days)| WaitRow {
            place: place.name,
            days: days
                .into_iter()
                .map(|d| {
                    let label = parse_day(&d.day).map_or(d.day.clone(), |x| day(ctx, x));
                    (
                        label,
                        d.called,
                        minutes_text(d.mean_wait_ms),
                        minutes_text(d.max_wait_ms),
                    )
                })
                .collect(),
        })
        .collect();
    let officials = s
        .receiving_officials(p, office_id)
        .await
        .map_err(err(ctx))?;
    let mut edited = None;
    let rows = schedules
        .into_iter()
        .map(|v| {
            let place_key = okienko_services::appointments::Place::of(&v.schedule).key();
            if editing == Some((v.schedule.service_id.as_str(), place_key.as_str())) {
                let mut values = schedule_values(ScheduleForm::from_spec(&v.spec));
                values.insert("service".into(), v.schedule.service_id.clone());
                values.insert("place".into(), place_key.clone());
                edited = Some(FormView::new(values));
            }
            ScheduleRow {
                officials: officials
                    .iter()
                    .filter(|(id, _)| v.spec.officials.contains(id))
                    .map(|(_, name)| name.clone())
                    .collect(),
                hours: ScheduleForm::from_spec(&v.spec)
                    .hours
                    .into_iter()
                    .enumerate()
                    .filter(|(_, h)| !h.is_empty())
                    .map(|(i, h)| (ctx.t(&format!("appt-day-{}", WEEKDAYS[i])), h))
                    .collect(),
                kiosk: format!("/places/{place_key}/kiosk"),
                place_key,
                service_id: v.schedule.service_id.clone(),
                service: v.service_name,
                place: v.schedule.place_name,
                slot_minutes: v.spec.slot_minutes,
                capacity: v.spec.capacity,
                horizon_days: v.spec.horizon_days,
            }
        })
        .collect();
    let form = form.or(edited).unwrap_or_else(|| {
        FormView::new(schedule_values(
            ScheduleForm::from_spec(&Default::default()),
        ))
    });
    let invalid = form.has_errors();
    let page = AdminPage {
        ctx,
        office_id: office_id.to_string(),
        rows,
        services,
        places: places.into_iter().map(|x| (x.key(), x.name)).collect(),
        weekdays: WEEKDAYS
            .iter()
            .map(|k| (*k, ctx.t(&format!("appt-day-{k}"))))
            .collect(),
        form,
        waits,
        notice,
        officials,
    };
    Ok(render_form(&page, invalid))
}

async fn admin(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let n = notice(&ctx, &q);
    let editing = q
        .get("service")
        .map(String::as_str)
        .zip(q.get("place").map(String::as_str));
    admin_page(&state, &ctx, &id, None, n, editing).await
}

async fn save(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let f = ScheduleForm {
        hours: WEEKDAYS.map(|k| form.text(k)),
        slot_minutes: form.text("slot_minutes"),
        capacity: form.text("capacity"),
        horizon_days: form.text("horizon_days"),
        max_active: form.text("max_active"),
        release_minutes: form.text("release_minutes"),
        closures: form.text("closures"),
        officials: form
            .iter()
            .filter(|(_, v)| v.as_str() == "1")
            .filter_map(|(k, _)| k.strip_prefix("official-").map(str::to_string))
            .collect(),
    };
    match state
        .services
        .save_schedule(p, &id, &form.text("service"), &form.text("place"), &f)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/offices/{id}/appointments?notice=notice-appt-schedule-saved"
        ))
        .into_response()),
        Err(e @ DomainError::Invalid(_)) => {
            let view = FormView::new(form).with_error(&ctx, &e, "service");
            admin_page(&state, &ctx, &id, Some(view), None, None).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

// ---- At the place: kiosk, ticket, display, the official's queue ----

#[derive(Template)]
#[template(path = "appointments/kiosk.html")]
struct KioskPage<'a> {
    ctx: &'a Ctx,
    key: String,
    place: String,
    address: String,
    services: Vec<(String, String)>,
    form: FormView,
}

async fn kiosk_page(
    state: &State,
    ctx: &Arc<Ctx>,
    key: &str,
    form: FormView,
) -> Result<Response, PageError> {
    let (place, views) = state
        .services
        .queue_place(key, ctx.lang.code())
        .await
        .map_err(err(ctx))?;
    let invalid = form.has_errors();
    Ok(render_form(
        &KioskPage {
            ctx,
            key: key.to_string(),
            place: place.name,
            address: place.address,
            services: views
                .into_iter()
                .map(|v| (v.schedule.service_id, v.service_name))
                .collect(),
            form,
        },
        invalid,
    ))
}

async fn kiosk(Cx(state, ctx): Cx, Path(key): Path<String>) -> Result<Response, PageError> {
    kiosk_page(&state, &ctx, &key, FormView::new(HashMap::new())).await
}

async fn check_in(
    Cx(state, ctx): Cx,
    Path(key): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    state
        .services
        .kiosk_throttle(&ctx.client_ip)
        .await
        .map_err(err(&ctx))?;
    match state
        .services
        .kiosk_check_in(&key, &form.text("code"))
        .await
    {
        Ok(t) => Ok(Redirect::to(&format!("/places/{key}/tickets/{}", t.id)).into_response()),
        Err(e @ DomainError::Invalid(_)) => {
            let view = FormView::new(form).with_error(&ctx, &e, "code");
            kiosk_page(&state, &ctx, &key, view).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

async fn walk_in(
    Cx(state, ctx): Cx,
    Path(key): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let service = form.text("service");
    state
        .services
        .kiosk_throttle(&ctx.client_ip)
        .await
        .map_err(err(&ctx))?;
    match state
        .services
        .kiosk_walk_in(&key, Some(service.as_str()))
        .await
    {
        Ok(t) => Ok(Redirect::to(&format!("/places/{key}/tickets/{}", t.id)).into_response()),
        Err(e @ DomainError::Invalid(_)) => {
            let view = FormView::new(form).with_error(&ctx, &e, "service");
            kiosk_page(&state, &ctx, &key, view).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

#[derive(Template)]
#[template(path = "appointments/ticket.html")]
struct TicketPage<'a> {
    ctx: &'a Ctx,
    key: String,
    t: QueueTicket,
    booked: bool,
    ahead: usize,
}

async fn ticket(
    Cx(state, ctx): Cx,
    Path((key, id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let (t, ahead) = state
        .services
        .queue_ticket_ahead(&key, &id)
        .await
        .map_err(err(&ctx))?;
    Ok(render(&TicketPage {
        ctx: &ctx,
        key,
        booked: t.appointment_id.is_some(),
        t,
        ahead,
    }))
}

#[derive(Template)]
#[template(path = "appointments/display.html")]
struct DisplayPage<'a> {
    ctx: &'a Ctx,
    place: String,
    called: Vec<QueueTicket>,
    waiting: usize,
}

async fn display(Cx(state, ctx): Cx, Path(key): Path<String>) -> Result<Response, PageError> {
    let d = state
        .services
        .queue_display(&key)
        .await
        .map_err(err(&ctx))?;
    Ok(render(&DisplayPage {
        ctx: &ctx,
        place: d.place.name,
        called: d.called,
        waiting: d.waiting,
    }))
}

struct AgendaRow {
    id: String,
    when: (String, String),
    person: String,
    service: String,
    code: String,
    status_word: String,
    may_no_show: bool,
    place: String,
}

async fn agenda_rows(state: &State, ctx: &Ctx, list: Vec<Appointment>) -> Vec<AgendaRow> {
    let now = state.services.now_ms();
    let mut names: HashMap<String, String> = HashMap::new();
    let mut out = Vec::with_capacity(list.len());
    for a in list {
        let service = match names.get(&a.service_id) {
            Some(n) => n.clone(),
            None => {
                let n = state
                    .services
                    .service_name(&a.service_id, ctx.lang.code())
                    .await;
                names.insert(a.service_id.clone(), n.clone());
                n
            }
        };
        out.push(AgendaRow {
            may_no_show: a.status == "booked" && a.starts_at <= now,
            status_word: ctx.t(&format!("appt-status-{}", a.status)),
            when: when(ctx, a.starts_at),
            code: show_code(&a.code),
            person: a.user_name,
            place: a.place_name,
            service,
            id: a.id,
        });
    }
    out
}

#[derive(Template)]
#[template(path = "appointments/queue.html")]
struct QueuePage<'a> {
    ctx: &'a Ctx,
    key: String,
    place: String,
    waiting: Vec<QueueTicket>,
    current: Option<QueueTicket>,
    current_person: Option<String>,
    today: Vec<AgendaRow>,
    form: FormView,
    notice: Option<String>,
}

async fn queue_page(
    state: &State,
    ctx: &Arc<Ctx>,
    key: &str,
    form: FormView,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let p = require_user(ctx)?;
    let b = state.services.queue_board(p, key).await.map_err(err(ctx))?;
    let today = agenda_rows(state, ctx, b.today).await;
    let invalid = form.has_errors();
    Ok(render_form(
        &QueuePage {
            ctx,
            key: key.to_string(),
            place: b.place.name,
            waiting: b.waiting,
            current: b.current,
            current_person: b.current_appointment.map(|a| a.user_name),
            today,
            form,
            notice,
        },
        invalid,
    ))
}

async fn queue(
    Cx(state, ctx): Cx,
    Path(key): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let n = notice(&ctx, &q);
    let mut values = HashMap::new();
    if let Some(d) = q.get("desk") {
        values.insert("desk".to_string(), d.clone());
    }
    queue_page(&state, &ctx, &key, FormView::new(values), n).await
}

async fn call(
    Cx(state, ctx): Cx,
    Path(key): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let desk = form.text("desk");
    match state.services.call_next(p, &key, &desk).await {
        Ok(t) => {
            let n = if t.is_some() {
                "notice-queue-called"
            } else {
                "notice-queue-empty"
            };
            let desk = okienko_services::url_encode(desk.trim());
            Ok(
                Redirect::to(&format!("/places/{key}/queue?notice={n}&desk={desk}"))
                    .into_response(),
            )
        }
        Err(e @ DomainError::Invalid(_)) => {
            let view = FormView::new(form).with_error(&ctx, &e, "desk");
            queue_page(&state, &ctx, &key, view, None).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

async fn finish(
    Cx(state, ctx): Cx,
    Path((key, id)): Path<(String, String)>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let no_show = form.text("outcome") == "no-show";
    state
        .services
        .finish_ticket(p, &key, &id, no_show)
        .await
        .map_err(err(&ctx))?;
    let desk = okienko_services::url_encode(form.text("desk").trim());
    Ok(Redirect::to(&format!(
        "/places/{key}/queue?notice=notice-queue-finished&desk={desk}"
    ))
    .into_response())
}

async fn no_show(
    Cx(state, ctx): Cx,
    Path((key, id)): Path<(String, String)>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    if !confirmed(&form) {
        let action = format!("/places/{key}/appointments/{id}/no-show");
        let back = format!("/places/{key}/queue");
        return Ok(confirm_page(
            &ctx,
            "appt-no-show-confirm",
            &action,
            &back,
            &form,
        ));
    }
    state
        .services
        .mark_no_show(p, &key, &id)
        .await
        .map_err(err(&ctx))?;
    Ok(Redirect::to(&format!("/places/{key}/queue?notice=notice-appt-no-show")).into_response())
}

// ---- The official's calendar ----

#[derive(Template)]
#[template(path = "appointments/agenda.html")]
struct AgendaPage<'a> {
    ctx: &'a Ctx,
    days: Vec<(String, Vec<AgendaRow>)>,
    tasks: Vec<(String, String, (String, String))>,
    places: Vec<(String, String)>,
    has_feed: bool,
    feed_url: Option<String>,
    week: String,
    prev: String,
    next: String,
}

async fn agenda_page(
    state: &State,
    ctx: &Arc<Ctx>,
    from: Option<Date>,
    feed_url: Option<String>,
) -> Result<Response, PageError> {
    let p = require_user(ctx)?;
    let s = &state.services;
    if !p.actor().is_staff() {
        return Err(PageError(DomainError::NotFound, ctx.clone()));
    }
    let today = s.local_today();
    let start = from.unwrap_or(today);
    let start = start
        .checked_sub(Duration::days(i64::from(
            start.weekday().number_days_from_monday(),
        )))
        .unwrap_or(start);
    let list = s.agenda(p, start, 7).await.map_err(err(ctx))?;
    let rows = agenda_rows(state, ctx, list).await;
    let mut days: Vec<(String, Vec<AgendaRow>)> = Vec::new();
    let mut d = start;
    for _ in 0..7 {
        days.push((day(ctx, d), Vec::new()));
        d = d.next_day().unwrap_or(d);
    }
    for r in rows {
        let local = parse_day(r.when.0.get(..10).unwrap_or(""));
        if let Some(i) = local.map(|l| (l - start).whole_days()) {
            if let Some(slot) = usize::try_from(i).ok().and_then(|i| days.get_mut(i)) {
                slot.1.push(r);
            }
        }
    }
    let tasks = s
        .my_tasks(p)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter_map(|t| {
            let due = t.due_on.as_deref().and_then(parse_day)?;
            let headline = t.headline();
            Some((t.id, headline, (due.to_string(), day(ctx, due))))
        })
        .collect();
    let places = s
        .my_places(p)
        .await
        .map_err(err(ctx))?
        .into_iter()
        .map(|x| (x.key(), x.name))
        .collect();
    let has_feed = s.has_calendar_feed(p).await.map_err(err(ctx))?;
    let week_of = |d: Date| d.to_string();
    Ok(render(&AgendaPage {
        ctx,
        days,
        tasks,
        places,
        has_feed,
        feed_url,
        week: day(ctx, start),
        prev: week_of(start.checked_sub(Duration::days(7)).unwrap_or(start)),
        next: week_of(start.checked_add(Duration::days(7)).unwrap_or(start)),
    }))
}

async fn agenda(
    Cx(state, ctx): Cx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let from = q.get("from").and_then(|d| parse_day(d));
    agenda_page(&state, &ctx, from, None).await
}

async fn new_feed(Cx(state, ctx): Cx, CsrfForm(form): CsrfForm) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    if state
        .services
        .has_calendar_feed(p)
        .await
        .map_err(err(&ctx))?
        && !confirmed(&form)
    {
        return Ok(confirm_page(
            &ctx,
            "calendar-feed-replace-confirm",
            "/calendar/feed",
            "/calendar",
            &form,
        ));
    }
    let path = state
        .services
        .new_calendar_feed(p)
        .await
        .map_err(err(&ctx))?;
    let url = format!("{}{path}", state.services.base_url);
    agenda_page(&state, &ctx, None, Some(url)).await
}

async fn revoke_feed(Cx(state, ctx): Cx, CsrfForm(form): CsrfForm) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    if !confirmed(&form) {
        return Ok(confirm_page(
            &ctx,
            "calendar-feed-revoke-confirm",
            "/calendar/feed/revoke",
            "/calendar",
            &form,
        ));
    }
    state
        .services
        .revoke_calendar_feed(p)
        .await
        .map_err(err(&ctx))?;
    Ok(Redirect::to("/calendar").into_response())
}

async fn feed(Cx(state, ctx): Cx, Path(token): Path<String>) -> Result<Response, PageError> {
    let token = token.strip_suffix(".ics").unwrap_or(&token);
    let text = state
        .services
        .calendar_feed(token)
        .await
        .map_err(err(&ctx))?;
    Ok(calendar_file("okienko.ics", text))
}

/// A day of free places at the counter: the day in words, and each slot's id, service, and
/// time with its free places in words.
type CounterDay = (String, Vec<(String, String, String)>);

#[derive(Template)]
#[template(path = "appointments/counter.html")]
struct CounterPage<'a> {
    ctx: &'a Ctx,
    key: String,
    place: String,
    /// The free places by day (the day in words; each slot's id, service, time and free
    /// places in words), the soonest first.
    days: Vec<CounterDay>,
    /// The code of the booking just made.
    booked: Option<String>,
    form: FormView,
}

async fn counter_page(
    state: &State,
    ctx: &Arc<Ctx>,
    key: &str,
    form: FormView,
    booked: Option<String>,
) -> Result<Response, PageError> {
    let p = require_user(ctx)?;
    let (place, slots) = state
        .services
        .counter_slots(p, key, ctx.lang.code())
        .await
        .map_err(err(ctx))?;
    let invalid = form.has_errors();
    let page = CounterPage {
        ctx,
        key: key.to_string(),
        place: place.name,
        days: {
            let mut days: Vec<CounterDay> = Vec::new();
            for (x, service) in slots {
                let day_words = day(
                    ctx,
                    ctx.country
                        .local(okienko_domain::from_millis(x.starts_at))
                        .date(),
                );
                let row = slot_row(ctx, &x);
                let left = ctx.ta("appt-counter-free", &[("n", &row.free.to_string())]);
                let item = (x.id, service, format!("{} ({left})", row.time.1));
                match days.last_mut() {
                    Some((d, list)) if *d == day_words => list.push(item),
                    _ => days.push((day_words, vec![item])),
                }
            }
            days
        },
        booked,
        form,
    };
    Ok(render_form(&page, invalid))
}

/// The counter's booking form: a free place for a person with an account, even one whose
/// online booking is restricted after no-shows.
async fn counter(
    Cx(state, ctx): Cx,
    Path(key): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let booked = q
        .get("booked")
        .filter(|c| {
            !c.is_empty() && c.len() <= 20 && c.chars().all(|ch| ch.is_ascii_alphanumeric())
        })
        .map(|c| show_code(c));
    counter_page(&state, &ctx, &key, FormView::default(), booked).await
}

async fn counter_book(
    Cx(state, ctx): Cx,
    Path(key): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let r = state
        .services
        .counter_book(p, &key, &form.text("slot"), &form.text("email"))
        .await;
    match r {
        Ok(a) => {
            Ok(Redirect::to(&format!("/places/{key}/counter?booked={}", a.code)).into_response())
        }
        Err(e @ (DomainError::Invalid(_) | DomainError::Conflict(_))) => {
            let view = FormView::new(form).with_error(&ctx, &e, "slot");
            counter_page(&state, &ctx, &key, view, None).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}
