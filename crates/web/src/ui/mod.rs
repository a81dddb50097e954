//! Server-rendered pages. Every page works without JavaScript; every form carries the CSRF
//! token and, on error, comes back with an error summary and what the person typed.

pub mod about;
mod account;
mod admin;
mod appointments;
mod archive;
mod availability;
mod cases;
mod cash;
mod catalogue;
mod common;
mod compose;
mod counter;
mod counter_register;
mod decisions;
mod delivery;
mod documents;
mod forms;
mod home;
mod library;
mod links;
mod mailbox;
mod offices;
mod own;
mod paper;
mod payments;
pub mod places;
mod register;
mod scans;
mod search;
mod security;
mod signing;
mod staff;
mod substitutes;
mod tasks;
mod trusted;
mod users;
mod verify;
mod visit_history;
mod walk_in;

pub(crate) use common::when;
pub(crate) use delivery::evidence_pdf;

use crate::State;
use axum::routing::get;
use axum::Router;

/// Any address no route knows: the site's own "page not found", in the person's language
/// (under `/api/` it becomes problem+json like every API error).
pub(crate) async fn not_found(axum::Extension(ctx): crate::ctx::CtxRef) -> crate::error::PageError {
    crate::error::PageError(okienko_domain::DomainError::NotFound, ctx)
}

pub fn routes() -> Router<State> {
    Router::new()
        .route("/", get(home::home))
        .route("/static/style.css", get(home::stylesheet))
        .merge(about::routes())
        .merge(account::routes())
        .merge(security::routes())
        .merge(own::routes())
        .merge(links::routes())
        .merge(admin::routes())
        .merge(users::routes())
        .merge(offices::routes())
        .merge(staff::routes())
        .merge(verify::routes())
        .merge(register::routes())
        .merge(mailbox::routes())
        .merge(compose::routes())
        .merge(delivery::routes())
        .merge(paper::routes())
        .merge(trusted::routes())
        .merge(counter_register::routes())
        .merge(signing::routes())
        .merge(counter::routes())
        .merge(cash::routes())
        .merge(walk_in::routes())
        .merge(catalogue::routes())
        .merge(forms::routes())
        .merge(payments::routes())
        .merge(cases::routes())
        .merge(search::routes())
        .merge(places::routes())
        .merge(archive::routes())
        .merge(scans::routes())
        .merge(substitutes::routes())
        .merge(tasks::routes())
        .merge(library::routes())
        .merge(availability::routes())
        .merge(appointments::routes())
        .merge(decisions::routes())
        .merge(documents::routes())
}
