//! The public address register: anyone finds a public body's delivery address.

use super::common::{render, render_invalid, FormView};
use crate::ctx::{Ctx, CtxRef};
use crate::error::PageError;
use crate::State;
use askama::Template;
use axum::extract::Query;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use okienko_domain::DomainError;
use okienko_store::Mailbox;
use std::collections::HashMap;

pub fn routes() -> Router<State> {
    Router::new().route("/addresses", get(page))
}

#[derive(Template)]
#[template(path = "addresses.html")]
struct RegisterPage<'a> {
    ctx: &'a Ctx,
    form: FormView,
    searched: bool,
    items: Vec<Mailbox>,
}

async fn page(
    axum::extract::State(state): axum::extract::State<State>,
    axum::Extension(ctx): CtxRef,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let searched = q.contains_key("q");
    let form = FormView::new(q.clone());
    let query = q.get("q").cloned().unwrap_or_default();
    match state.services.search_register(&query).await {
        Ok(items) => Ok(render(&RegisterPage {
            ctx: &ctx,
            form,
            searched,
            items,
        })),
        Err(e @ DomainError::Invalid(_)) => {
            let form = form.with_error(&ctx, &e, "q");
            Ok(render_invalid(&RegisterPage {
                ctx: &ctx,
                form,
                searched: false,
                items: Vec::new(),
            }))
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}
