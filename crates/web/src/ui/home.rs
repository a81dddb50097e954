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
    /// For someone signed in: their mailboxes with unopened messages (address, name, how
    /// many, and the line about deemed delivery).
    news: Vec<(String, String, String, String)>,
}

pub(super) async fn home(
    axum::extract::State(state): crate::St,
    axum::Extension(ctx): CtxRef,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Result<Response, crate::error::PageError> {
    let notice = notice(&ctx, &q);
    let news = match ctx.principal.as_ref().filter(|_| ctx.signed_in()) {
        Some(p) => state
            .services
            .news(p)
            .await
            .map_err(super::common::err(&ctx))?
            .into_iter()
            .map(|n| {
                let count = ctx.lang.t_count("home-news-unread", n.unread, &[]);
                let deemed = n
                    .deemed_on
                    .map(|t| {
                        ctx.ta(
                            "home-news-deemed",
                            &[("date", &super::common::when(&ctx, t).1)],
                        )
                    })
                    .unwrap_or_default();
                (n.address, n.name, count, deemed)
            })
            .collect(),
        None => Vec::new(),
    };
    Ok(render(&HomePage {
        ctx: &ctx,
        notice,
        news,
    }))
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
