//! Server-rendered pages. Every page works without JavaScript; every form carries the CSRF
//! token and, on error, comes back with an error summary and what the person typed.

mod account;
mod admin;
mod common;
mod counter;
mod delivery;
mod home;
mod links;
mod mailbox;
mod offices;
mod paper;
mod register;
mod security;
mod signing;
mod trusted;
mod verify;

pub(crate) use common::when;
pub(crate) use delivery::evidence_pdf;

use crate::State;
use axum::routing::get;
use axum::Router;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/", get(home::home))
        .route("/static/style.css", get(home::stylesheet))
        .merge(account::routes())
        .merge(security::routes())
        .merge(links::routes())
        .merge(admin::routes())
        .merge(offices::routes())
        .merge(verify::routes())
        .merge(register::routes())
        .merge(mailbox::routes())
        .merge(delivery::routes())
        .merge(paper::routes())
        .merge(trusted::routes())
        .merge(signing::routes())
        .merge(counter::routes())
}
