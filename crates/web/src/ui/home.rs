//! The home page and the stylesheet.

use super::common::{notice, render};
use crate::ctx::{Ctx, CtxRef};
use askama::Template;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    ctx: &'a Ctx,
    notice: Option<String>,
}

pub(super) async fn home(
    axum::Extension(ctx): CtxRef,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    let notice = notice(&ctx, &q);
    render(&HomePage { ctx: &ctx, notice })
}

pub(super) async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/style.css"),
    )
        .into_response()
}
